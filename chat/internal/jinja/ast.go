package jinja

// Statement nodes.
type (
	node interface{ isNode() }

	textNode   struct{ text string }
	outputNode struct{ exprs []expr }
	ifNode     struct {
		conds  []expr
		bodies [][]node
		els    []node
	}
	forNode struct {
		target    target
		iter      expr
		cond      expr // optional loop filter
		body, els []node
		recursive bool
		line      int
	}
	setNode struct {
		target target
		value  expr
	}
	setBlockNode struct {
		target  target
		filters []*filterExpr // applied to the captured text, innermost first
		body    []node
	}
	macroNode struct {
		name     string
		params   []string
		defaults []expr // aligned to the end of params
		body     []node
		// whether the body reads varargs / kwargs, which lets callers pass
		// extra positional / keyword arguments
		usesVarargs, usesKwargs bool
	}
	filterBlockNode struct {
		filters []*filterExpr
		body    []node
	}
	withNode struct {
		targets []target
		values  []expr
		body    []node
	}
	// scopeless body (generation blocks, named blocks)
	bodyNode     struct{ body []node }
	breakNode    struct{}
	continueNode struct{}
)

func (*textNode) isNode()        {}
func (*outputNode) isNode()      {}
func (*ifNode) isNode()          {}
func (*forNode) isNode()         {}
func (*setNode) isNode()         {}
func (*setBlockNode) isNode()    {}
func (*macroNode) isNode()       {}
func (*filterBlockNode) isNode() {}
func (*withNode) isNode()        {}
func (*bodyNode) isNode()        {}
func (*breakNode) isNode()       {}
func (*continueNode) isNode()    {}

// Assignment targets.
type (
	target interface{ isTarget() }

	nameTarget  struct{ name string }
	tupleTarget struct{ items []target }
	nsTarget    struct{ name, attr string }
)

func (*nameTarget) isTarget()  {}
func (*tupleTarget) isTarget() {}
func (*nsTarget) isTarget()    {}

// Expression nodes.
type (
	expr interface{ isExpr() }

	constExpr struct{ v Value }
	nameExpr  struct {
		name string
		line int
	}
	listExpr  struct{ items []expr }
	tupleExpr struct{ items []expr }
	dictExpr  struct{ keys, vals []expr }
	attrExpr  struct {
		obj  expr
		name string
	}
	itemExpr struct {
		obj, key expr
	}
	sliceExpr struct{ start, stop, step expr }
	callArgs  struct {
		args      []expr
		kwNames   []string
		kwVals    []expr
		dynArgs   expr
		dynKwargs expr
	}
	callExpr struct {
		fn expr
		callArgs
	}
	filterExpr struct {
		obj  expr // nil inside filter blocks and block sets
		name string
		callArgs
		line int
	}
	testExpr struct {
		obj  expr
		name string
		callArgs
		line int
	}
	notExpr   struct{ x expr }
	unaryExpr struct {
		op string // "-" or "+"
		x  expr
	}
	binExpr struct {
		op   string // + - * / // % ** and or
		l, r expr
	}
	concatExpr  struct{ items []expr }
	compareExpr struct {
		first expr
		ops   []string // == != < <= > >= in notin
		rest  []expr
	}
	condExpr struct {
		test, yes, no expr // no may be nil
	}
)

func (*constExpr) isExpr()   {}
func (*nameExpr) isExpr()    {}
func (*listExpr) isExpr()    {}
func (*tupleExpr) isExpr()   {}
func (*dictExpr) isExpr()    {}
func (*attrExpr) isExpr()    {}
func (*itemExpr) isExpr()    {}
func (*sliceExpr) isExpr()   {}
func (*callExpr) isExpr()    {}
func (*filterExpr) isExpr()  {}
func (*testExpr) isExpr()    {}
func (*notExpr) isExpr()     {}
func (*unaryExpr) isExpr()   {}
func (*binExpr) isExpr()     {}
func (*concatExpr) isExpr()  {}
func (*compareExpr) isExpr() {}
func (*condExpr) isExpr()    {}
