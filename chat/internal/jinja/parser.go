package jinja

import (
	"fmt"
	"slices"
)

// maxNesting bounds the parser's recursion so that hostile templates
// cannot exhaust the stack.
const maxNesting = 200

// The parser follows jinja2's Parser: the same statements, the same
// expression grammar and operator precedence (filters bind to the unary
// operand, "~" binds tighter than "+"/"-", "not" looser than comparisons).
type parser struct {
	toks      []token
	pos       int
	depth     int
	loopDepth int
	names     map[string]bool // every variable name the template reads
}

func parse(src string) ([]node, map[string]bool, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, nil, err
	}
	p := &parser{toks: toks, names: map[string]bool{}}
	body, err := p.subparse(nil)
	if err != nil {
		return nil, nil, err
	}
	if err := checkNames(body); err != nil {
		return nil, nil, err
	}
	return body, p.names, nil
}

func (p *parser) cur() token  { return p.toks[p.pos] }
func (p *parser) peek() token { return p.toks[min(p.pos+1, len(p.toks)-1)] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

func (p *parser) failf(format string, args ...any) error {
	return &SyntaxError{Line: p.cur().line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) isOp(op string) bool {
	t := p.cur()
	return t.kind == tOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.cur()
	return t.kind == tName && t.val == name
}

func (p *parser) skipOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) skipName(name string) bool {
	if p.isName(name) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if !p.skipOp(op) {
		return p.failf("expected '%s', got %s", op, p.cur().describe())
	}
	return nil
}

func (p *parser) expectKind(k tokKind, what string) (token, error) {
	if p.cur().kind != k {
		return token{}, p.failf("expected %s, got %s", what, p.cur().describe())
	}
	return p.next(), nil
}

func (p *parser) expectName() (string, error) {
	t, err := p.expectKind(tName, "name")
	return t.val, err
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return p.failf("template nested too deeply")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// subparse reads template data, output and statements until a block tag
// whose name is in ends (left unconsumed, positioned at the name) or EOF.
func (p *parser) subparse(ends []string) ([]node, error) {
	var body []node
	for {
		t := p.cur()
		switch t.kind {
		case tEOF:
			if len(ends) > 0 {
				return nil, p.failf("unexpected end of template, expected one of %v", ends)
			}
			return body, nil
		case tData:
			p.next()
			body = append(body, &textNode{text: t.val})
		case tVarBegin:
			p.next()
			e, err := p.parseTuple(true, false, nil)
			if err != nil {
				return nil, err
			}
			if _, err := p.expectKind(tVarEnd, "end of print statement"); err != nil {
				return nil, err
			}
			body = append(body, &outputNode{exprs: []expr{e}})
		case tBlockBegin:
			p.next()
			if p.cur().kind == tName && slices.Contains(ends, p.cur().val) {
				return body, nil
			}
			n, err := p.parseStatement()
			if err != nil {
				return nil, err
			}
			if n != nil {
				body = append(body, n)
			}
		default:
			return nil, p.failf("unexpected %s", t.describe())
		}
	}
}

// parseStatements parses a statement body after its header: it expects
// the header's "%}", reads until one of ends, and leaves the parser at
// the end tag's name (consumed with its "%}" when drop is set).
func (p *parser) parseStatements(ends []string, drop bool) ([]node, string, error) {
	if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
		return nil, "", err
	}
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	defer p.leave()
	body, err := p.subparse(ends)
	if err != nil {
		return nil, "", err
	}
	end := p.cur().val
	if drop {
		p.next()
		if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
			return nil, "", err
		}
	}
	return body, end, nil
}

func (p *parser) parseStatement() (node, error) {
	t := p.cur()
	if t.kind != tName {
		return nil, p.failf("tag name expected")
	}
	switch t.val {
	case "if":
		return p.parseIf()
	case "for":
		return p.parseFor()
	case "set":
		return p.parseSet()
	case "macro":
		return p.parseMacro()
	case "filter":
		return p.parseFilterBlock()
	case "with":
		return p.parseWith()
	case "print":
		p.next()
		var exprs []expr
		for p.cur().kind != tBlockEnd {
			if len(exprs) > 0 {
				if err := p.expectOp(","); err != nil {
					return nil, err
				}
			}
			e, err := p.parseExpression(true)
			if err != nil {
				return nil, err
			}
			exprs = append(exprs, e)
		}
		p.next()
		return &outputNode{exprs: exprs}, nil
	case "break", "continue":
		p.next()
		if p.loopDepth == 0 {
			return nil, p.failf("'%s' outside of a loop", t.val)
		}
		if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
			return nil, err
		}
		if t.val == "break" {
			return &breakNode{}, nil
		}
		return &continueNode{}, nil
	case "generation", "block":
		// Hugging Face's {% generation %} marks assistant text for masks;
		// a {% block %} in a standalone template renders in place.
		p.next()
		end := "end" + t.val
		if t.val == "block" {
			if _, err := p.expectName(); err != nil {
				return nil, err
			}
			p.skipName("scoped")
			p.skipName("required")
		}
		body, _, err := p.parseStatements([]string{end}, false)
		if err != nil {
			return nil, err
		}
		p.next()
		if t.val == "block" && p.cur().kind == tName {
			p.next()
		}
		if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
			return nil, err
		}
		return &bodyNode{body: body}, nil
	case "extends", "include", "import", "from", "call", "autoescape":
		return nil, p.failf("the %q tag is not supported", t.val)
	}
	return nil, p.failf("encountered unknown tag '%s'", t.val)
}

func (p *parser) parseIf() (node, error) {
	p.next()
	n := &ifNode{}
	for {
		test, err := p.parseTuple(false, false, nil)
		if err != nil {
			return nil, err
		}
		body, end, err := p.parseStatements([]string{"elif", "else", "endif"}, false)
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, test)
		n.bodies = append(n.bodies, body)
		p.next()
		switch end {
		case "elif":
			continue
		case "else":
			els, _, err := p.parseStatements([]string{"endif"}, true)
			if err != nil {
				return nil, err
			}
			n.els = els
		default:
			if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
				return nil, err
			}
		}
		return n, nil
	}
}

func (p *parser) parseFor() (node, error) {
	line := p.next().line
	tgt, err := p.parseAssignTarget(false, []string{"in"})
	if err != nil {
		return nil, err
	}
	if !p.skipName("in") {
		return nil, p.failf("expected 'in', got %s", p.cur().describe())
	}
	iter, err := p.parseTuple(false, false, []string{"recursive"})
	if err != nil {
		return nil, err
	}
	n := &forNode{target: tgt, iter: iter, line: line}
	if p.skipName("if") {
		if n.cond, err = p.parseExpression(true); err != nil {
			return nil, err
		}
	}
	n.recursive = p.skipName("recursive")
	p.loopDepth++
	body, end, err := p.parseStatements([]string{"endfor", "else"}, false)
	p.loopDepth--
	if err != nil {
		return nil, err
	}
	n.body = body
	p.next()
	if end == "else" {
		if n.els, _, err = p.parseStatements([]string{"endfor"}, true); err != nil {
			return nil, err
		}
	} else if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) parseSet() (node, error) {
	p.next()
	tgt, err := p.parseAssignTarget(true, nil)
	if err != nil {
		return nil, err
	}
	if p.skipOp("=") {
		v, err := p.parseTuple(true, false, nil)
		if err != nil {
			return nil, err
		}
		if _, err := p.expectKind(tBlockEnd, "end of statement block"); err != nil {
			return nil, err
		}
		return &setNode{target: tgt, value: v}, nil
	}
	filters, err := p.parseFilterChain()
	if err != nil {
		return nil, err
	}
	body, _, err := p.parseStatements([]string{"endset"}, true)
	if err != nil {
		return nil, err
	}
	return &setBlockNode{target: tgt, filters: filters, body: body}, nil
}

// parseFilterChain parses "| f(args) | g" with no operand (block filters).
func (p *parser) parseFilterChain() ([]*filterExpr, error) {
	var out []*filterExpr
	for p.isOp("|") || (len(out) == 0 && p.cur().kind == tName) {
		if p.isOp("|") {
			p.next()
		}
		f, err := p.parseFilterCall(nil)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (p *parser) parseFilterBlock() (node, error) {
	p.next()
	filters, err := p.parseFilterChain()
	if err != nil {
		return nil, err
	}
	if len(filters) == 0 {
		return nil, p.failf("filter block needs a filter")
	}
	body, _, err := p.parseStatements([]string{"endfilter"}, true)
	if err != nil {
		return nil, err
	}
	return &filterBlockNode{filters: filters, body: body}, nil
}

func (p *parser) parseWith() (node, error) {
	p.next()
	n := &withNode{}
	for p.cur().kind != tBlockEnd {
		if len(n.targets) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		tgt, err := p.parseAssignTarget(false, nil)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		v, err := p.parseExpression(true)
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, tgt)
		n.values = append(n.values, v)
	}
	body, _, err := p.parseStatements([]string{"endwith"}, true)
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, nil
}

func (p *parser) parseMacro() (node, error) {
	p.next()
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	n := &macroNode{name: name}
	outer := p.names
	p.names = map[string]bool{}
	defer func() {
		n.usesVarargs, n.usesKwargs = p.names["varargs"], p.names["kwargs"]
		for k := range p.names {
			outer[k] = true
		}
		p.names = outer
	}()
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	for !p.isOp(")") {
		if len(n.params) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		param, err := p.expectName()
		if err != nil {
			return nil, err
		}
		if p.skipOp("=") {
			d, err := p.parseExpression(true)
			if err != nil {
				return nil, err
			}
			n.defaults = append(n.defaults, d)
		} else if len(n.defaults) > 0 {
			return nil, p.failf("non-default argument follows default argument")
		}
		n.params = append(n.params, param)
	}
	p.next()
	saved := p.loopDepth
	p.loopDepth = 0
	body, _, err := p.parseStatements([]string{"endmacro"}, true)
	p.loopDepth = saved
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, nil
}

// parseAssignTarget parses a name, a tuple of names, or (withNS) ns.attr.
func (p *parser) parseAssignTarget(withNS bool, extraEnd []string) (target, error) {
	if withNS && p.cur().kind == tName && p.peek().kind == tOp && p.peek().val == "." {
		ns := p.next().val
		p.next()
		attr, err := p.expectName()
		if err != nil {
			return nil, err
		}
		return &nsTarget{name: ns, attr: attr}, nil
	}
	var items []target
	explicit := false
	for {
		if len(items) > 0 {
			if !p.skipOp(",") {
				break
			}
		}
		if p.atTupleEnd(extraEnd) {
			break
		}
		if p.skipOp("(") {
			t, err := p.parseAssignTarget(false, nil)
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			items = append(items, t)
		} else {
			name, err := p.expectName()
			if err != nil {
				return nil, err
			}
			if name == "true" || name == "false" || name == "none" || name == "True" || name == "False" || name == "None" {
				return nil, p.failf("can't assign to constant %s", name)
			}
			items = append(items, &nameTarget{name: name})
		}
		if !p.isOp(",") {
			break
		}
		explicit = true
	}
	if len(items) == 0 {
		return nil, p.failf("expected an assignment target")
	}
	if len(items) == 1 && !explicit {
		return items[0], nil
	}
	return &tupleTarget{items: items}, nil
}
