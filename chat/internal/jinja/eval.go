package jinja

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Template is a parsed template, safe for concurrent use.
type Template struct {
	body  []node
	names map[string]bool
}

// Parse parses template source with jinja2's syntax and the options
// Hugging Face uses (trim_blocks, lstrip_blocks, loop controls).
func Parse(src string) (*Template, error) {
	body, names, err := parse(src)
	if err != nil {
		return nil, err
	}
	return &Template{body: body, names: names}, nil
}

// Uses reports whether the template reads the variable name anywhere.
func (t *Template) Uses(name string) bool { return t.names[name] }

// Options bound and parameterize one rendering.
type Options struct {
	// Now is the clock strftime_now reads; nil means time.Now.
	Now func() time.Time
	// MaxOutput caps the rendered size and any string or list a template
	// builds, in bytes or items; 0 means 64 MiB.
	MaxOutput int
	// MaxSteps caps evaluation steps (loop iterations, calls and output
	// nodes); 0 means 10 million.
	MaxSteps int
}

const maxCallDepth = 100

// Render executes the template with vars as its top-level variables.
func (t *Template) Render(ctx context.Context, vars map[string]Value, opts Options) (string, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = 64 << 20
	}
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = 10_000_000
	}
	s := &state{ctx: ctx, opts: opts}
	root := &scope{vars: make(map[string]Value, len(vars))}
	for k, v := range vars {
		root.vars[k] = v
	}
	var w strings.Builder
	if err := s.exec(t.body, root, &w); err != nil {
		if errors.Is(err, errBreak) || errors.Is(err, errContinue) {
			return "", fmt.Errorf("loop control outside of a loop")
		}
		return "", err
	}
	return w.String(), nil
}

var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
)

type state struct {
	ctx     context.Context
	opts    Options
	steps   int
	written int
	depth   int
}

func (s *state) step() error {
	s.steps++
	if s.steps > s.opts.MaxSteps {
		return fmt.Errorf("template exceeded %d evaluation steps", s.opts.MaxSteps)
	}
	if s.steps&1023 == 0 && s.ctx != nil {
		if err := s.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) write(w *strings.Builder, text string) error {
	s.written += len(text)
	if s.written > s.opts.MaxOutput {
		return fmt.Errorf("template output exceeds %d bytes", s.opts.MaxOutput)
	}
	w.WriteString(text)
	return nil
}

// checkSize fails when a value being built would exceed the output cap.
func (s *state) checkSize(n int) error {
	if n > s.opts.MaxOutput || n < 0 {
		return fmt.Errorf("MemoryError: value of %d bytes or items exceeds the %d limit", n, s.opts.MaxOutput)
	}
	return nil
}

type scope struct {
	vars   map[string]Value
	parent *scope
}

func newScope(parent *scope) *scope { return &scope{vars: map[string]Value{}, parent: parent} }

func (sc *scope) lookup(name string) (Value, bool) {
	for c := sc; c != nil; c = c.parent {
		if v, ok := c.vars[name]; ok {
			return v, true
		}
	}
	if g, ok := globals[name]; ok {
		return g, true
	}
	return nil, false
}

func (s *state) exec(body []node, sc *scope, w *strings.Builder) error {
	for _, n := range body {
		if err := s.execNode(n, sc, w); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) execNode(n node, sc *scope, w *strings.Builder) error {
	switch n := n.(type) {
	case *textNode:
		return s.write(w, n.text)
	case *outputNode:
		if err := s.step(); err != nil {
			return err
		}
		for _, e := range n.exprs {
			v, err := s.eval(e, sc)
			if err != nil {
				return err
			}
			if err := s.write(w, toString(v)); err != nil {
				return err
			}
		}
		return nil
	case *ifNode:
		for i, c := range n.conds {
			v, err := s.eval(c, sc)
			if err != nil {
				return err
			}
			if truthy(v) {
				return s.exec(n.bodies[i], sc, w)
			}
		}
		return s.exec(n.els, sc, w)
	case *forNode:
		it, err := s.eval(n.iter, sc)
		if err != nil {
			return err
		}
		return s.runLoop(n, sc, w, it, 1)
	case *setNode:
		v, err := s.eval(n.value, sc)
		if err != nil {
			return err
		}
		return s.assign(n.target, v, sc)
	case *setBlockNode:
		var b strings.Builder
		if err := s.exec(n.body, newScope(sc), &b); err != nil {
			return err
		}
		v, err := s.applyFilterChain(n.filters, b.String(), sc)
		if err != nil {
			return err
		}
		return s.assign(n.target, v, sc)
	case *filterBlockNode:
		var b strings.Builder
		if err := s.exec(n.body, newScope(sc), &b); err != nil {
			return err
		}
		v, err := s.applyFilterChain(n.filters, b.String(), sc)
		if err != nil {
			return err
		}
		return s.write(w, toString(v))
	case *macroNode:
		sc.vars[n.name] = s.makeMacro(n, sc)
		return nil
	case *withNode:
		inner := newScope(sc)
		for i, t := range n.targets {
			v, err := s.eval(n.values[i], sc)
			if err != nil {
				return err
			}
			if err := s.assign(t, v, inner); err != nil {
				return err
			}
		}
		return s.exec(n.body, inner, w)
	case *bodyNode:
		return s.exec(n.body, sc, w)
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	}
	return fmt.Errorf("internal error: unknown node %T", n)
}

func (s *state) applyFilterChain(fs []*filterExpr, v Value, sc *scope) (Value, error) {
	for _, f := range fs {
		var err error
		if v, err = s.applyFilter(f, v, sc); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// assign binds a value to a target in scope sc.
func (s *state) assign(t target, v Value, sc *scope) error {
	switch t := t.(type) {
	case *nameTarget:
		sc.vars[t.name] = v
		return nil
	case *nsTarget:
		obj, ok := sc.lookup(t.name)
		ns, isNS := obj.(*Namespace)
		if !ok || !isNS {
			return fmt.Errorf("TemplateRuntimeError: cannot assign attribute on non-namespace object")
		}
		ns.attrs.SetString(t.attr, v)
		return nil
	case *tupleTarget:
		items, err := s.iterate(v)
		if err != nil {
			return err
		}
		if len(items) != len(t.items) {
			if len(items) < len(t.items) {
				return fmt.Errorf("ValueError: not enough values to unpack (expected %d, got %d)", len(t.items), len(items))
			}
			return fmt.Errorf("ValueError: too many values to unpack (expected %d)", len(t.items))
		}
		for i, sub := range t.items {
			if err := s.assign(sub, items[i], sc); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("internal error: unknown target %T", t)
}

// loopCtx is the "loop" variable of a for loop.
type loopCtx struct {
	items   []Value
	index   int
	depth   int
	changed *[]Value
	recurse func(Value) (Value, error)
}

func (s *state) runLoop(n *forNode, sc *scope, w *strings.Builder, iterVal Value, depth int) error {
	items, err := s.iterate(iterVal)
	if err != nil {
		return err
	}
	if n.cond != nil {
		kept := items[:0:0]
		for _, it := range items {
			if err := s.step(); err != nil {
				return err
			}
			tmp := newScope(sc)
			if err := s.assign(n.target, it, tmp); err != nil {
				return err
			}
			ok, err := s.eval(n.cond, tmp)
			if err != nil {
				return err
			}
			if truthy(ok) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return s.exec(n.els, newScope(sc), w)
	}
	var last []Value
	loop := &loopCtx{items: items, depth: depth, changed: &last}
	if n.recursive {
		loop.recurse = func(v Value) (Value, error) {
			if depth >= maxCallDepth {
				return nil, fmt.Errorf("RecursionError: recursive loop nested more than %d deep", maxCallDepth)
			}
			var b strings.Builder
			if err := s.runLoop(n, sc, &b, v, depth+1); err != nil {
				return nil, err
			}
			return b.String(), nil
		}
	}
	for i, it := range items {
		if err := s.step(); err != nil {
			return err
		}
		iter := newScope(sc)
		cur := *loop
		cur.index = i
		iter.vars["loop"] = &cur
		if err := s.assign(n.target, it, iter); err != nil {
			return err
		}
		err := s.exec(n.body, iter, w)
		if errors.Is(err, errBreak) {
			break
		}
		if err != nil && !errors.Is(err, errContinue) {
			return err
		}
	}
	return nil
}

func (l *loopCtx) attr(name string) (Value, bool) {
	n := len(l.items)
	switch name {
	case "index":
		return int64(l.index + 1), true
	case "index0":
		return int64(l.index), true
	case "revindex":
		return int64(n - l.index), true
	case "revindex0":
		return int64(n - l.index - 1), true
	case "first":
		return l.index == 0, true
	case "last":
		return l.index == n-1, true
	case "length":
		return int64(n), true
	case "depth":
		return int64(l.depth), true
	case "depth0":
		return int64(l.depth - 1), true
	case "previtem":
		if l.index == 0 {
			return Undefined{Hint: "there is no previous item"}, true
		}
		return l.items[l.index-1], true
	case "nextitem":
		if l.index == n-1 {
			return Undefined{Hint: "there is no next item"}, true
		}
		return l.items[l.index+1], true
	case "cycle":
		return &Func{Name: "loop.cycle", Fn: func(_ *state, args []Value, _ []kwarg) (Value, error) {
			if len(args) == 0 {
				return nil, fmt.Errorf("TypeError: no items for cycling given")
			}
			return args[l.index%len(args)], nil
		}}, true
	case "changed":
		return &Func{Name: "loop.changed", Fn: func(_ *state, args []Value, _ []kwarg) (Value, error) {
			val := NewList(args)
			if *l.changed != nil && equal(NewList(*l.changed), val) {
				return false, nil
			}
			*l.changed = append([]Value{}, args...)
			return true, nil
		}}, true
	}
	return nil, false
}

// makeMacro turns a macro definition into a callable closing over sc.
func (s *state) makeMacro(n *macroNode, sc *scope) *Func {
	return &Func{Name: n.name, kind: "Macro", Fn: func(s *state, args []Value, kwargs []kwarg) (Value, error) {
		if s.depth >= maxCallDepth {
			return nil, fmt.Errorf("RecursionError: macro calls nested more than %d deep", maxCallDepth)
		}
		s.depth++
		defer func() { s.depth-- }()
		inner := newScope(sc)
		nDefaultsFrom := len(n.params) - len(n.defaults)
		bound := make([]bool, len(n.params))
		for i, p := range n.params {
			if i < len(args) {
				inner.vars[p] = args[i]
				bound[i] = true
			}
		}
		var varargs []Value
		if len(args) > len(n.params) {
			if !n.usesVarargs {
				return nil, fmt.Errorf("TypeError: macro '%s' takes not more than %d argument(s)", n.name, len(n.params))
			}
			varargs = append(varargs, args[len(n.params):]...)
		}
		extra := NewDict()
		for _, kw := range kwargs {
			found := false
			for i, p := range n.params {
				if p == kw.name {
					if bound[i] {
						return nil, fmt.Errorf("TypeError: macro '%s' got multiple values for argument '%s'", n.name, p)
					}
					inner.vars[p] = kw.val
					bound[i] = true
					found = true
				}
			}
			if !found {
				if !n.usesKwargs {
					return nil, fmt.Errorf("TypeError: macro '%s' takes no keyword argument '%s'", n.name, kw.name)
				}
				extra.SetString(kw.name, kw.val)
			}
		}
		for i, p := range n.params {
			if bound[i] {
				continue
			}
			if i >= nDefaultsFrom {
				v, err := s.eval(n.defaults[i-nDefaultsFrom], inner)
				if err != nil {
					return nil, err
				}
				inner.vars[p] = v
			} else {
				inner.vars[p] = Undefined{Hint: fmt.Sprintf("parameter '%s' was not provided", p)}
			}
		}
		inner.vars["varargs"] = &List{Items: varargs, Tuple: true}
		inner.vars["kwargs"] = extra
		var b strings.Builder
		if err := s.exec(n.body, inner, &b); err != nil {
			return nil, err
		}
		return b.String(), nil
	}}
}

func (s *state) eval(e expr, sc *scope) (Value, error) {
	switch e := e.(type) {
	case *constExpr:
		return e.v, nil
	case *nameExpr:
		if v, ok := sc.lookup(e.name); ok {
			return v, nil
		}
		return Undefined{Hint: fmt.Sprintf("'%s' is undefined", e.name)}, nil
	case *listExpr:
		items, err := s.evalList(e.items, sc)
		return NewList(items), err
	case *tupleExpr:
		items, err := s.evalList(e.items, sc)
		return &List{Items: items, Tuple: true}, err
	case *dictExpr:
		d := NewDict()
		for i := range e.keys {
			k, err := s.eval(e.keys[i], sc)
			if err != nil {
				return nil, err
			}
			v, err := s.eval(e.vals[i], sc)
			if err != nil {
				return nil, err
			}
			if err := d.Set(k, v); err != nil {
				return nil, err
			}
		}
		return d, nil
	case *attrExpr:
		obj, err := s.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		return s.getattr(obj, e.name)
	case *itemExpr:
		obj, err := s.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		if sl, ok := e.key.(*sliceExpr); ok {
			return s.evalSlice(obj, sl, sc)
		}
		key, err := s.eval(e.key, sc)
		if err != nil {
			return nil, err
		}
		return s.getitem(obj, key)
	case *callExpr:
		fn, err := s.eval(e.fn, sc)
		if err != nil {
			return nil, err
		}
		args, kwargs, err := s.evalArgs(&e.callArgs, sc)
		if err != nil {
			return nil, err
		}
		return s.call(fn, args, kwargs)
	case *filterExpr:
		v, err := s.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		return s.applyFilter(e, v, sc)
	case *testExpr:
		v, err := s.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		args, kwargs, err := s.evalArgs(&e.callArgs, sc)
		if err != nil {
			return nil, err
		}
		return s.applyTest(e.name, v, args, kwargs)
	case *notExpr:
		v, err := s.eval(e.x, sc)
		if err != nil {
			return nil, err
		}
		return !truthy(v), nil
	case *unaryExpr:
		v, err := s.eval(e.x, sc)
		if err != nil {
			return nil, err
		}
		return unary(e.op, v)
	case *binExpr:
		l, err := s.eval(e.l, sc)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return s.eval(e.r, sc)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return s.eval(e.r, sc)
		}
		r, err := s.eval(e.r, sc)
		if err != nil {
			return nil, err
		}
		return s.binop(e.op, l, r)
	case *concatExpr:
		var b strings.Builder
		for _, it := range e.items {
			v, err := s.eval(it, sc)
			if err != nil {
				return nil, err
			}
			b.WriteString(toString(v))
			if err := s.checkSize(b.Len()); err != nil {
				return nil, err
			}
		}
		return b.String(), nil
	case *compareExpr:
		l, err := s.eval(e.first, sc)
		if err != nil {
			return nil, err
		}
		for i, op := range e.ops {
			r, err := s.eval(e.rest[i], sc)
			if err != nil {
				return nil, err
			}
			ok, err := compare(op, l, r)
			if err != nil || !ok {
				return false, err
			}
			l = r
		}
		return true, nil
	case *condExpr:
		t, err := s.eval(e.test, sc)
		if err != nil {
			return nil, err
		}
		if truthy(t) {
			return s.eval(e.yes, sc)
		}
		if e.no == nil {
			return Undefined{Hint: "the inline if-expression evaluated to false and no else section was defined."}, nil
		}
		return s.eval(e.no, sc)
	case *sliceExpr:
		return nil, fmt.Errorf("TypeError: slice outside of a subscript")
	}
	return nil, fmt.Errorf("internal error: unknown expression %T", e)
}

func (s *state) evalList(es []expr, sc *scope) ([]Value, error) {
	out := make([]Value, len(es))
	for i, e := range es {
		v, err := s.eval(e, sc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *state) evalArgs(a *callArgs, sc *scope) ([]Value, []kwarg, error) {
	args, err := s.evalList(a.args, sc)
	if err != nil {
		return nil, nil, err
	}
	var kwargs []kwarg
	for i, name := range a.kwNames {
		v, err := s.eval(a.kwVals[i], sc)
		if err != nil {
			return nil, nil, err
		}
		kwargs = append(kwargs, kwarg{name, v})
	}
	if a.dynArgs != nil {
		v, err := s.eval(a.dynArgs, sc)
		if err != nil {
			return nil, nil, err
		}
		more, err := s.iterate(v)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, more...)
	}
	if a.dynKwargs != nil {
		v, err := s.eval(a.dynKwargs, sc)
		if err != nil {
			return nil, nil, err
		}
		d, ok := v.(*Dict)
		if !ok {
			return nil, nil, fmt.Errorf("TypeError: argument after ** must be a mapping, not %s", typeName(v))
		}
		for i, k := range d.keys {
			ks, ok := k.(string)
			if !ok {
				return nil, nil, fmt.Errorf("TypeError: keywords must be strings")
			}
			kwargs = append(kwargs, kwarg{ks, d.vals[i]})
		}
	}
	return args, kwargs, nil
}

func (s *state) call(fn Value, args []Value, kwargs []kwarg) (Value, error) {
	if err := s.step(); err != nil {
		return nil, err
	}
	switch f := fn.(type) {
	case *Func:
		return f.Fn(s, args, kwargs)
	case *loopCtx:
		if f.recurse == nil {
			return nil, fmt.Errorf("TypeError: Tried to call non recursive loop.  Maybe you forgot the 'recursive' modifier.")
		}
		if len(args) != 1 || len(kwargs) != 0 {
			return nil, fmt.Errorf("TypeError: loop() takes exactly one argument")
		}
		return f.recurse(args[0])
	case Undefined:
		return nil, f.fail()
	}
	return nil, fmt.Errorf("TypeError: '%s' object is not callable", typeName(fn))
}

// iterate lists the items Python's iter() would yield.
func (s *state) iterate(v Value) ([]Value, error) {
	switch x := v.(type) {
	case *List:
		return append([]Value(nil), x.Items...), nil
	case *Dict:
		return append([]Value(nil), x.keys...), nil
	case string:
		out := make([]Value, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil
	case Undefined:
		return nil, nil
	}
	return nil, fmt.Errorf("TypeError: '%s' object is not iterable", typeName(v))
}
