package grammar

import (
	"encoding/binary"
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A dfa recognizes the content of a string, character by character. The
// code points are split at bounds into ranges, and ranges that every
// transition treats alike share a class; a transition is -1 when no
// accepted string continues that way (the DFA is trimmed), so a live state
// can always be completed.
type dfa struct {
	bounds    []rune   // range i is [bounds[i], bounds[i+1]) (the last up to MaxRune)
	classOf   []uint16 // class of each range
	ascii     [128]uint16
	nc        int
	trans     []int32 // state*nc + class
	acceptEnd []bool  // the string may end in this state
	start     int32   // -1: no string is accepted
}

const (
	maxDFAStates = 1 << 14
	maxDFATrans  = 1 << 20
	maxDFAWork   = 1 << 23 // instruction visits while determinizing
)

// rangeOf returns the index of the range holding r.
func (d *dfa) rangeOf(r rune) int {
	i, found := slices.BinarySearch(d.bounds, r)
	if !found {
		i--
	}
	return i
}

func (d *dfa) class(r rune) int {
	if r >= 0 && r < 128 {
		return int(d.ascii[r])
	}
	return int(d.classOf[d.rangeOf(r)])
}

func (d *dfa) next(s int32, r rune) int32 {
	if s < 0 {
		return -1
	}
	return d.trans[int(s)*d.nc+d.class(r)]
}

// rangeAlive reports whether some character in [lo, hi] (not a surrogate)
// has a transition from s.
func (d *dfa) rangeAlive(s int32, lo, hi rune) bool {
	if s < 0 || lo > hi {
		return false
	}
	row := d.trans[int(s)*d.nc : int(s+1)*d.nc]
	for i := d.rangeOf(lo); i < len(d.bounds) && d.bounds[i] <= hi; i++ {
		if d.bounds[i] >= 0xD800 && d.bounds[i] < 0xE000 {
			continue // ranges never straddle the surrogates
		}
		if row[d.classOf[i]] >= 0 {
			return true
		}
	}
	return false
}

// newDFA makes a DFA over ranges split at bounds, with the classes given
// by sig: ranges with equal signatures share a class. It returns the
// representative range of each class.
func newDFA(bounds []rune, sig func(r rune) string) (*dfa, []rune) {
	d := &dfa{bounds: bounds, classOf: make([]uint16, len(bounds))}
	ids := map[string]uint16{}
	var reps []rune
	for i, r := range bounds {
		k := sig(r)
		id, ok := ids[k]
		if !ok {
			id = uint16(len(reps))
			ids[k] = id
			reps = append(reps, r)
		}
		d.classOf[i] = id
	}
	d.nc = len(reps)
	for r := range rune(128) {
		d.ascii[r] = d.classOf[d.rangeOf(r)]
	}
	return d, reps
}

// normBounds sorts and dedupes class boundaries, always splitting off
// ASCII and the surrogates.
func normBounds(b []rune) []rune {
	b = append(b, 0, 0x80, 0xD800, 0xE000)
	b = slices.DeleteFunc(b, func(r rune) bool { return r < 0 || r > utf8.MaxRune })
	slices.Sort(b)
	return slices.Compact(b)
}

// regexDFA compiles a JSON Schema pattern (an ECMA-262 regex, matched
// anywhere in the string unless anchored) in the syntax Go's regexp
// shares with it.
func regexDFA(pattern string) (*dfa, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	if err := checkRegexp(re); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	anyStar := func() *syntax.Regexp {
		return &syntax.Regexp{Op: syntax.OpStar, Sub: []*syntax.Regexp{{Op: syntax.OpAnyChar}}}
	}
	whole := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{anyStar(), re, anyStar()}}
	prog, err := syntax.Compile(whole.Simplify())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	d, err := progDFA(prog)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return d, nil
}

func checkRegexp(re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return fmt.Errorf("word boundaries (\\b, \\B) are not supported")
	case syntax.OpBeginLine, syntax.OpEndLine:
		return fmt.Errorf("multi-line anchors are not supported")
	case syntax.OpLiteral, syntax.OpCharClass:
		if re.Flags&syntax.FoldCase != 0 {
			return fmt.Errorf("case-insensitive matching is not supported")
		}
	}
	for _, s := range re.Sub {
		if err := checkRegexp(s); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether rune instruction in takes r.
func matches(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRune, syntax.InstRune1:
		return in.MatchRune(r)
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return r != '\n'
	}
	return false
}

// progDFA determinizes a compiled regexp (subset construction). A state is
// the set of instructions the threads wait at: rune instructions, Match,
// and end-of-text assertions not yet satisfied.
func progDFA(prog *syntax.Prog) (*dfa, error) {
	for _, in := range prog.Inst {
		if in.Op == syntax.InstRune && syntax.Flags(in.Arg)&syntax.FoldCase != 0 {
			return nil, fmt.Errorf("case-insensitive matching is not supported")
		}
	}
	// The distinct rune matchers (repeats copy the same class).
	var runeInsts []*syntax.Inst
	seen := map[string]bool{}
	for i := range prog.Inst {
		in := &prog.Inst[i]
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			kb := []byte{byte(in.Op)}
			for _, r := range in.Rune {
				kb = binary.LittleEndian.AppendUint32(kb, uint32(r))
			}
			k := string(kb)
			if !seen[k] {
				seen[k] = true
				runeInsts = append(runeInsts, in)
			}
		}
	}
	var bounds []rune
	for _, in := range runeInsts {
		switch in.Op {
		case syntax.InstRune:
			if len(in.Rune) == 1 {
				bounds = append(bounds, in.Rune[0], in.Rune[0]+1)
			}
			for i := 0; i+1 < len(in.Rune); i += 2 {
				bounds = append(bounds, in.Rune[i], in.Rune[i+1]+1)
			}
		case syntax.InstRune1:
			bounds = append(bounds, in.Rune[0], in.Rune[0]+1)
		case syntax.InstRuneAnyNotNL:
			bounds = append(bounds, '\n', '\n'+1)
		}
	}
	d, reps := newDFA(normBounds(bounds), func(r rune) string {
		sig := make([]byte, len(runeInsts))
		for i, in := range runeInsts {
			if matches(in, r) {
				sig[i] = 1
			}
		}
		return string(sig)
	})
	mark := make([]int, len(prog.Inst))
	gen := 0
	work := 0
	closure := func(pcs []uint32, flag syntax.EmptyOp) []uint32 {
		gen++
		work += len(pcs)
		var out []uint32
		stack := slices.Clone(pcs)
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if mark[pc] == gen {
				continue
			}
			mark[pc] = gen
			work++
			in := &prog.Inst[pc]
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, in.Arg, in.Out)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, in.Out)
			case syntax.InstEmptyWidth:
				if syntax.EmptyOp(in.Arg)&^flag == 0 {
					stack = append(stack, in.Out)
				} else {
					out = append(out, pc)
				}
			case syntax.InstFail:
			default:
				out = append(out, pc)
			}
		}
		slices.Sort(out)
		return out
	}
	key := func(s []uint32) string {
		var b strings.Builder
		for _, pc := range s {
			b.WriteString(strconv.FormatUint(uint64(pc), 36))
			b.WriteByte(',')
		}
		return b.String()
	}
	ids := map[string]int32{}
	var sets [][]uint32
	add := func(s []uint32) (int32, error) {
		k := key(s)
		if id, ok := ids[k]; ok {
			return id, nil
		}
		if len(sets) >= maxDFAStates || (len(sets)+1)*d.nc > maxDFATrans {
			return 0, fmt.Errorf("too complex to enforce (over %d DFA states)", len(sets))
		}
		id := int32(len(sets))
		ids[k] = id
		sets = append(sets, s)
		return id, nil
	}
	start := closure([]uint32{uint32(prog.Start)}, syntax.EmptyBeginText|syntax.EmptyBeginLine)
	if _, err := add(start); err != nil {
		return nil, err
	}
	for i := 0; i < len(sets); i++ {
		set := sets[i]
		accept := false
		var ends []uint32
		for _, pc := range set {
			switch prog.Inst[pc].Op {
			case syntax.InstMatch:
				accept = true
			case syntax.InstEmptyWidth:
				ends = append(ends, pc)
			}
		}
		if !accept && len(ends) > 0 {
			for _, pc := range closure(ends, syntax.EmptyEndText|syntax.EmptyEndLine) {
				if prog.Inst[pc].Op == syntax.InstMatch {
					accept = true
				}
			}
		}
		d.acceptEnd = append(d.acceptEnd, accept)
		for c := range d.nc {
			if work > maxDFAWork {
				return nil, fmt.Errorf("too complex to enforce")
			}
			r := reps[c]
			work += len(set)
			var next []uint32
			for _, pc := range set {
				if in := &prog.Inst[pc]; matches(in, r) {
					next = append(next, in.Out)
				}
			}
			t := int32(-1)
			if len(next) > 0 {
				if s := closure(next, 0); len(s) > 0 {
					id, err := add(s)
					if err != nil {
						return nil, err
					}
					t = id
				}
			}
			d.trans = append(d.trans, t)
		}
	}
	d.start = 0
	d.trim()
	return d, nil
}

// trim cuts every transition into a state from which no string can be
// accepted.
func (d *dfa) trim() {
	n := len(d.acceptEnd)
	rev := make([][]int32, n)
	for s := range n {
		for c := range d.nc {
			if t := d.trans[s*d.nc+c]; t >= 0 {
				rev[t] = append(rev[t], int32(s))
			}
		}
	}
	live := make([]bool, n)
	var queue []int32
	for s := range n {
		if d.acceptEnd[s] {
			live[s] = true
			queue = append(queue, int32(s))
		}
	}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		for _, s := range rev[t] {
			if !live[s] {
				live[s] = true
				queue = append(queue, s)
			}
		}
	}
	for i, t := range d.trans {
		if t >= 0 && !live[t] {
			d.trans[i] = -1
		}
	}
	if d.start >= 0 && !live[d.start] {
		d.start = -1
	}
}

// lengthDFA accepts strings of min to max characters (max -1: no limit).
func lengthDFA(lo, hi int32) (*dfa, error) {
	top := hi
	if hi < 0 {
		top = lo
	}
	if top >= maxDFAStates {
		return nil, fmt.Errorf("a length bound of %d is too large to enforce with a pattern or format", top)
	}
	d, _ := newDFA(normBounds(nil), func(rune) string { return "" })
	for k := int32(0); k <= top; k++ {
		d.acceptEnd = append(d.acceptEnd, k >= lo)
		next := k + 1
		if hi < 0 && k == top {
			next = k
		} else if k == top {
			next = -1
		}
		for c := 0; c < d.nc; c++ {
			d.trans = append(d.trans, next)
		}
	}
	d.start = 0
	d.trim()
	return d, nil
}

// intersect returns a DFA accepting what both accept.
func intersect(a, b *dfa) (*dfa, error) {
	d, reps := newDFA(normBounds(slices.Concat(a.bounds, b.bounds)), func(r rune) string {
		return string(rune(a.class(r))) + string(rune(b.class(r)))
	})
	ca := make([]int, d.nc)
	cb := make([]int, d.nc)
	for k, r := range reps {
		ca[k], cb[k] = a.class(r), b.class(r)
	}
	d.start = -1
	if a.start < 0 || b.start < 0 {
		d.acceptEnd = []bool{false}
		d.trans = make([]int32, d.nc)
		return d, nil
	}
	type pair struct{ s, t int32 }
	ids := map[pair]int32{}
	var pairs []pair
	add := func(p pair) (int32, error) {
		if id, ok := ids[p]; ok {
			return id, nil
		}
		if len(pairs) >= maxDFAStates || (len(pairs)+1)*d.nc > maxDFATrans {
			return 0, fmt.Errorf("too complex to enforce (over %d DFA states)", len(pairs))
		}
		id := int32(len(pairs))
		ids[p] = id
		pairs = append(pairs, p)
		return id, nil
	}
	if _, err := add(pair{a.start, b.start}); err != nil {
		return nil, err
	}
	for i := 0; i < len(pairs); i++ {
		p := pairs[i]
		d.acceptEnd = append(d.acceptEnd, a.acceptEnd[p.s] && b.acceptEnd[p.t])
		for k := range d.nc {
			s := a.trans[int(p.s)*a.nc+ca[k]]
			t := b.trans[int(p.t)*b.nc+cb[k]]
			next := int32(-1)
			if s >= 0 && t >= 0 {
				id, err := add(pair{s, t})
				if err != nil {
					return nil, err
				}
				next = id
			}
			d.trans = append(d.trans, next)
		}
	}
	d.start = 0
	d.trim()
	return d, nil
}

// formatPattern returns a regex for the formats cheap to enforce exactly
// (what it accepts is valid; some valid values, such as leap days and
// leap seconds, are left out). Other formats are not enforced.
func formatPattern(format string) (string, bool) {
	const (
		date = `[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))`
		tim  = `(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])`
		oct  = `(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`
		lab  = `[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`
		hex  = `[0-9a-fA-F]`
	)
	switch format {
	case "date":
		return "^" + date + "$", true
	case "time":
		return "^" + tim + "$", true
	case "date-time":
		return "^" + date + "T" + tim + "$", true
	case "ipv4":
		return `^(?:` + oct + `\.){3}` + oct + `$`, true
	case "uuid":
		return `^` + hex + `{8}-` + hex + `{4}-` + hex + `{4}-` + hex + `{4}-` + hex + `{12}$`, true
	case "hostname":
		return `^` + lab + `(?:\.` + lab + `)*$`, true
	case "email":
		return `^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@` + lab + `(?:\.` + lab + `)+$`, true
	}
	return "", false
}
