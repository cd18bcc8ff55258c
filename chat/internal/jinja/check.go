package jinja

import "fmt"

// checkNames reports unknown filters and tests the way jinja2 3.x does:
// at compile time, except inside if statements and conditional
// expressions, where the error is deferred until the filter or test runs.
// Loops, macros, with blocks and block assignments open frames that are
// checked at compile time again.
func checkNames(body []node) error {
	c := &checker{}
	c.nodes(body, false)
	return c.err
}

type checker struct{ err error }

func (c *checker) fail(kind, name string, line int) {
	if c.err == nil {
		c.err = &SyntaxError{Line: line, Msg: fmt.Sprintf("no %s named '%s'", kind, name)}
	}
}

func (c *checker) nodes(body []node, soft bool) {
	for _, n := range body {
		c.node(n, soft)
	}
}

func (c *checker) node(n node, soft bool) {
	switch n := n.(type) {
	case *outputNode:
		for _, e := range n.exprs {
			c.expr(e, soft)
		}
	case *ifNode:
		for i, e := range n.conds {
			c.expr(e, true)
			c.nodes(n.bodies[i], true)
		}
		c.nodes(n.els, true)
	case *forNode:
		c.expr(n.iter, soft)
		if n.cond != nil {
			c.expr(n.cond, false)
		}
		c.nodes(n.body, false)
		c.nodes(n.els, false)
	case *setNode:
		c.expr(n.value, soft)
	case *setBlockNode:
		c.filters(n.filters, false)
		c.nodes(n.body, false)
	case *macroNode:
		for _, d := range n.defaults {
			c.expr(d, false)
		}
		c.nodes(n.body, false)
	case *filterBlockNode:
		c.filters(n.filters, false)
		c.nodes(n.body, false)
	case *withNode:
		for _, v := range n.values {
			c.expr(v, soft)
		}
		c.nodes(n.body, false)
	case *bodyNode:
		c.nodes(n.body, soft)
	}
}

func (c *checker) filters(fs []*filterExpr, soft bool) {
	for _, f := range fs {
		c.expr(f, soft)
	}
}

func (c *checker) args(a *callArgs, soft bool) {
	for _, e := range a.args {
		c.expr(e, soft)
	}
	for _, e := range a.kwVals {
		c.expr(e, soft)
	}
	c.expr(a.dynArgs, soft)
	c.expr(a.dynKwargs, soft)
}

func (c *checker) expr(e expr, soft bool) {
	switch e := e.(type) {
	case nil:
	case *listExpr:
		for _, it := range e.items {
			c.expr(it, soft)
		}
	case *tupleExpr:
		for _, it := range e.items {
			c.expr(it, soft)
		}
	case *dictExpr:
		for i := range e.keys {
			c.expr(e.keys[i], soft)
			c.expr(e.vals[i], soft)
		}
	case *attrExpr:
		c.expr(e.obj, soft)
	case *itemExpr:
		c.expr(e.obj, soft)
		c.expr(e.key, soft)
	case *sliceExpr:
		c.expr(e.start, soft)
		c.expr(e.stop, soft)
		c.expr(e.step, soft)
	case *callExpr:
		c.expr(e.fn, soft)
		c.args(&e.callArgs, soft)
	case *filterExpr:
		if _, ok := filters[e.name]; !ok && !soft {
			c.fail("filter", e.name, e.line)
		}
		c.expr(e.obj, soft)
		c.args(&e.callArgs, soft)
	case *testExpr:
		if _, ok := tests[e.name]; !ok && !soft {
			c.fail("test", e.name, e.line)
		}
		c.expr(e.obj, soft)
		c.args(&e.callArgs, soft)
	case *notExpr:
		c.expr(e.x, soft)
	case *unaryExpr:
		c.expr(e.x, soft)
	case *binExpr:
		c.expr(e.l, soft)
		c.expr(e.r, soft)
	case *concatExpr:
		for _, it := range e.items {
			c.expr(it, soft)
		}
	case *compareExpr:
		c.expr(e.first, soft)
		for _, r := range e.rest {
			c.expr(r, soft)
		}
	case *condExpr:
		c.expr(e.test, true)
		c.expr(e.yes, true)
		c.expr(e.no, true)
	}
}
