package grammar

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrRejected is wrapped by the errors of Accept and Feed when the output
// does not fit the grammar.
var ErrRejected = errors.New("grammar: output rejected")

// Option configures a constraint.
type Option func(*options)

type options struct {
	marker  []byte
	prefill []byte
}

// After leaves the output free until it contains marker (e.g. "</think>"
// of a thinking model; the marker may be a control token's bytes) and
// constrains what follows it. EOS is not allowed before the marker, so the
// constrained part always comes.
func After(marker []byte) Option {
	return func(o *options) { o.marker = append([]byte(nil), marker...) }
}

// Prefill feeds text the output already holds (e.g. `{"` or tool-call
// markers the server put at the end of the prompt), as if generated.
func Prefill(text []byte) Option {
	return func(o *options) { o.prefill = append(o.prefill, text...) }
}

// Constraint constrains one generation to the grammar. It implements the
// engine's Constraint interface (Mask, Accept, Complete) and is used from
// one goroutine.
//
// Generation ends (Complete reports true) right after the byte that closes
// the value: a model cannot add trailing text, and EOS is only needed, and
// only allowed, after a top-level number or literal that could go on.
type Constraint struct {
	g    *Grammar
	v    *Vocab
	m    stepper
	st   state // the live parses
	tmp  state
	done bool // EOS was accepted
	out  int  // bytes accepted so far

	// Before the marker of After (gated): KMP over the output.
	gated  bool
	marker []byte
	fail   []int
	match  int

	// Mask scratch.
	allowed bitset
	tmpMask bitset
	walk    []state
	wstack  []walkFrame
	s1, s2  state
}

func newConstraint(g *Grammar) *Constraint {
	c := &Constraint{g: g, v: g.v, m: stepper{g: g}}
	g.initial(&c.st)
	c.allowed = newBitset(g.v.n)
	c.tmpMask = newBitset(g.v.n)
	c.walk = make([]state, g.v.maxLen+2)
	c.wstack = make([]walkFrame, g.v.maxLen+2)
	return c
}

func (c *Constraint) setGate(marker []byte) {
	c.gated, c.marker = true, marker
	c.fail = make([]int, len(marker)+1)
	c.fail[0] = -1
	k := -1
	for i := range marker {
		for k >= 0 && marker[k] != marker[i] {
			k = c.fail[k]
		}
		k++
		c.fail[i+1] = k
	}
}

// kmp advances the marker match j over b; it returns the new match
// length (len(marker): found).
func (c *Constraint) kmp(j int, b byte) int {
	if j == len(c.marker) {
		j = c.fail[j]
	}
	for j >= 0 && c.marker[j] != b {
		j = c.fail[j]
	}
	return j + 1
}

// markerEnd returns how far into t the marker completes from match j
// (-1: it does not).
func (c *Constraint) markerEnd(j int, t []byte) int {
	for i, b := range t {
		j = c.kmp(j, b)
		if j == len(c.marker) {
			return i + 1
		}
	}
	return -1
}

// Complete reports whether the output is complete: the JSON value is
// closed (or EOS ended a top-level number), so generation must stop.
func (c *Constraint) Complete() bool {
	return c.done || !c.gated && complete(&c.st)
}

// Accepting reports whether the output could end here (EOS is allowed).
func (c *Constraint) Accepting() bool {
	return c.done || !c.gated && c.g.accepting(&c.st)
}

// Accept advances the constraint past token id.
func (c *Constraint) Accept(id int) error {
	if c.done || !c.gated && complete(&c.st) {
		return fmt.Errorf("%w: token %d after the output is complete", ErrRejected, id)
	}
	if id < 0 || id >= c.v.n {
		return fmt.Errorf("%w: token %d is outside the vocabulary", ErrRejected, id)
	}
	if id == c.v.eos {
		if c.gated || !c.g.accepting(&c.st) {
			return fmt.Errorf("%w: end of sequence at output byte %d, before the JSON value is complete", ErrRejected, c.out)
		}
		c.done = true
		return nil
	}
	t := c.v.tokens[id]
	if len(t) == 0 {
		return fmt.Errorf("%w: token %d has no text", ErrRejected, id)
	}
	if err := c.feed(t, c.v.control[id]); err != nil {
		return fmt.Errorf("token %d (%s): %w", id, strconv.Quote(string(t)), err)
	}
	return nil
}

// Feed advances the constraint over text the output holds (as ordinary
// tokens would write it).
func (c *Constraint) Feed(text []byte) error {
	if c.done {
		return fmt.Errorf("%w: text after the output is complete", ErrRejected)
	}
	return c.feed(text, false)
}

func (c *Constraint) feed(t []byte, special bool) error {
	if c.gated {
		i := c.markerEnd(c.match, t)
		if i < 0 {
			for _, b := range t {
				c.match = c.kmp(c.match, b)
			}
			c.out += len(t)
			return nil
		}
		c.gated = false
		c.out += i
		t = t[i:]
		special = false
	}
	for _, b := range t {
		if complete(&c.st) {
			return fmt.Errorf("%w: %q at output byte %d, after the value is complete", ErrRejected, b, c.out)
		}
		if !c.m.step(&c.st, b, special, &c.tmp) {
			return fmt.Errorf("%w: %q at output byte %d is not allowed here", ErrRejected, b, c.out)
		}
		c.st, c.tmp = c.tmp, c.st
		c.out++
	}
	return nil
}
