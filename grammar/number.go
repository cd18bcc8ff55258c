package grammar

import (
	"fmt"
	"math/big"
	"math/bits"
	"strings"
)

// numberNode is a number or integer schema. A bounded one (minimum,
// maximum, exclusive bounds, multipleOf) is written without exponent, and
// every prefix is checked exactly: some number of at most MaxNumberLength
// bytes that starts with it must satisfy the bounds. Bounds are exact
// decimals; the arithmetic is on 128-bit integers (a number of 32 bytes has
// at most 31 digits), without allocation.
type numberNode struct {
	integer bool
	bounded bool
	maxLen  int    // bytes (MaxNumberLength; smaller in tests)
	lo, hi  bound  // of the value
	mult    uint64 // integers only: a multiple of this (0: any)
	pos     magRange
	neg     magRange // of the magnitude of negative values
}

// decimal is an exact decimal: digits without leading zeros in ip,
// without trailing zeros in fp ("" and "" is zero, never negative).
type decimal struct {
	neg    bool
	ip, fp string
}

type bound struct {
	set bool
	d   decimal
	ex  bool // exclusive
}

// magRange bounds a magnitude (lo is at least 0); empty: none fits.
type magRange struct {
	lo, hi bound
	empty  bool
}

const maxExponent = 10000

// parseDecimal parses a JSON number.
func parseDecimal(s string) (decimal, error) {
	var d decimal
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		d.neg, s = true, s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e := s[i+1:]
		sign := 1
		if e != "" && (e[0] == '+' || e[0] == '-') {
			if e[0] == '-' {
				sign = -1
			}
			e = e[1:]
		}
		if e == "" {
			return d, fmt.Errorf("bad number")
		}
		for _, c := range e {
			if c < '0' || c > '9' {
				return d, fmt.Errorf("bad number")
			}
			if exp = exp*10 + int(c-'0'); exp > maxExponent {
				return d, fmt.Errorf("exponent out of range")
			}
		}
		exp *= sign
		s = s[:i]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" || strings.Trim(ip+fp, "0123456789") != "" {
		return d, fmt.Errorf("bad number")
	}
	digits := ip + fp
	point := len(ip) + exp
	switch {
	case point <= 0:
		d.fp = strings.Repeat("0", -point) + digits
	case point >= len(digits):
		d.ip = digits + strings.Repeat("0", point-len(digits))
	default:
		d.ip, d.fp = digits[:point], digits[point:]
	}
	d.ip = strings.TrimLeft(d.ip, "0")
	d.fp = strings.TrimRight(d.fp, "0")
	if d.ip == "" && d.fp == "" {
		d.neg = false
	}
	return d, nil
}

// cmpMag compares magnitudes.
func cmpMag(a, b decimal) int {
	if len(a.ip) != len(b.ip) {
		return cmpInt(len(a.ip), len(b.ip))
	}
	if c := strings.Compare(a.ip, b.ip); c != 0 {
		return c
	}
	return strings.Compare(a.fp, b.fp)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpDec(a, b decimal) int {
	switch {
	case a.neg && !b.neg:
		return -1
	case !a.neg && b.neg:
		return 1
	case a.neg:
		return -cmpMag(a, b)
	}
	return cmpMag(a, b)
}

// setup derives the magnitude ranges from the bounds.
func (n *numberNode) setup() {
	n.bounded = n.lo.set || n.hi.set || n.mult > 0
	zero := bound{set: true}
	mag := func(lo, hi bound) magRange {
		r := magRange{lo: lo, hi: hi}
		if !lo.set || lo.d.neg {
			r.lo = zero
		}
		if hi.set && hi.d.neg {
			r.empty = true
		}
		return r
	}
	n.pos = mag(n.lo, n.hi)
	flip := func(b bound) bound {
		if b.set && (b.d.ip != "" || b.d.fp != "") {
			b.d.neg = !b.d.neg
		}
		return b
	}
	n.neg = mag(flip(n.hi), flip(n.lo))
}

func (n *numberNode) inBounds(v decimal) bool {
	if n.lo.set {
		if c := cmpDec(v, n.lo.d); c < 0 || c == 0 && n.lo.ex {
			return false
		}
	}
	if n.hi.set {
		if c := cmpDec(v, n.hi.d); c > 0 || c == 0 && n.hi.ex {
			return false
		}
	}
	if n.mult > 0 {
		if v.fp != "" {
			return false
		}
		k, _ := u128Digits(v.ip, "", 0)
		return k.mod(n.mult) == 0
	}
	return true
}

// feasible reports whether a number that starts with text (a prefix the
// number automaton accepted; complete: text is the whole number) can
// satisfy n's bounds.
func (n *numberNode) feasible(text []byte, complete bool) bool {
	if !n.bounded {
		return true
	}
	if complete {
		d, err := parseDecimal(string(text))
		return err == nil && n.inBounds(d)
	}
	if len(text) == 0 {
		return n.feasible([]byte{'-'}, false) || !n.pos.empty && n.magFeasible(&n.pos, nil, n.maxLen)
	}
	r := &n.pos
	mag := text
	if text[0] == '-' {
		r, mag = &n.neg, text[1:]
	}
	if r.empty {
		return false
	}
	return n.magFeasible(r, mag, n.maxLen-len(text))
}

// magFeasible: the magnitude's digits so far are mag (digits, maybe a
// point and more digits), rem more bytes may follow.
func (n *numberNode) magFeasible(r *magRange, mag []byte, rem int) bool {
	if len(mag) == 0 {
		for d := byte('0'); d <= '9' && rem > 0; d++ {
			if n.intFeasible(r, []byte{d}, rem-1) {
				return true
			}
		}
		return false
	}
	for i, c := range mag {
		if c == '.' {
			f := len(mag) - i - 1 + rem
			if f == 0 {
				return false
			}
			k, _ := u128Digits(string(mag[:i]), string(mag[i+1:]), f)
			return n.grid(r, k, k.add(pow10u(rem)).sub1(), f)
		}
	}
	return n.intFeasible(r, mag, rem)
}

// intFeasible: the integer digits so far are ip, rem bytes may follow.
func (n *numberNode) intFeasible(r *magRange, ip []byte, rem int) bool {
	if len(ip) == 1 && ip[0] == '0' {
		f := 0
		if !n.integer && rem >= 2 {
			f = rem - 1
		}
		return n.grid(r, u128{}, pow10u(f).sub1(), f)
	}
	for L := 0; L <= rem; L++ {
		digits := len(ip) + L // of the integer part
		if r.hi.set && digits > len(r.hi.d.ip) {
			break // above hi from here on
		}
		if digits < len(r.lo.d.ip) {
			continue // below lo
		}
		f := 0
		if !n.integer && rem-L-1 >= 1 {
			f = rem - L - 1
		}
		k, _ := u128Digits(string(ip), "", L+f)
		top, _ := u128Digits(string(ip), "", 0)
		top = top.add(u128{lo: 1}).mul(pow10u(L + f)).sub1()
		if n.grid(r, k, top, f) {
			return true
		}
	}
	return false
}

// grid reports whether some k in [kmin, kmax] (the magnitude times 10^f)
// lies in r, and is a multiple of n.mult for integers.
func (n *numberNode) grid(r *magRange, kmin, kmax u128, f int) bool {
	if r.lo.set {
		c, exact := u128Digits(r.lo.d.ip, r.lo.d.fp, f)
		if !exact || r.lo.ex {
			c = c.add(u128{lo: 1}) // ceiling, or the next one
		}
		kmin = maxU(kmin, c)
	}
	if r.hi.set {
		c, exact := u128Digits(r.hi.d.ip, r.hi.d.fp, f)
		if exact && r.hi.ex {
			if c.isZero() {
				return false
			}
			c = c.sub1()
		}
		kmax = minU(kmax, c)
	}
	if n.mult > 0 && f == 0 {
		if m := kmin.mod(n.mult); m != 0 {
			kmin = kmin.add(u128{lo: n.mult - m})
		}
	}
	return kmin.cmp(kmax) <= 0
}

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

func pow10u(k int) u128 {
	x := u128{lo: 1}
	for range k {
		x = x.mul10()
	}
	return x
}

func (a u128) mul10() u128 {
	h, l := bits.Mul64(a.lo, 10)
	return u128{hi: a.hi*10 + h, lo: l}
}

func (a u128) add(b u128) u128 {
	l, c := bits.Add64(a.lo, b.lo, 0)
	return u128{hi: a.hi + b.hi + c, lo: l}
}

func (a u128) sub1() u128 {
	l, b := bits.Sub64(a.lo, 1, 0)
	return u128{hi: a.hi - b, lo: l}
}

// mul multiplies by a power of ten (b < 10^38).
func (a u128) mul(b u128) u128 {
	h, l := bits.Mul64(a.lo, b.lo)
	return u128{hi: h + a.hi*b.lo + a.lo*b.hi, lo: l}
}

func (a u128) cmp(b u128) int {
	switch {
	case a.hi != b.hi:
		return cmpU(a.hi, b.hi)
	}
	return cmpU(a.lo, b.lo)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (a u128) isZero() bool { return a.hi == 0 && a.lo == 0 }

func (a u128) mod(m uint64) uint64 {
	_, r := bits.Div64(a.hi%m, a.lo, m)
	return r
}

func maxU(a, b u128) u128 {
	if a.cmp(b) >= 0 {
		return a
	}
	return b
}

func minU(a, b u128) u128 {
	if a.cmp(b) <= 0 {
		return a
	}
	return b
}

// u128Digits returns floor(ip.fp × 10^f) and whether it is exact,
// saturating at satU.
func u128Digits(ip, fp string, f int) (u128, bool) {
	var x u128
	n := 0 // significant digits
	digit := func(c byte) {
		if n > 36 || n == 0 && c == '0' {
			return
		}
		x = x.mul10().add(u128{lo: uint64(c - '0')})
		n++
	}
	for i := range len(ip) {
		digit(ip[i])
	}
	exact := true
	for i := range f {
		if i < len(fp) {
			digit(fp[i])
		} else {
			digit('0')
		}
	}
	if len(fp) > f && strings.Trim(fp[f:], "0") != "" {
		exact = false
	}
	if n > 36 {
		return pow10u(36), exact // beyond any scaled number of 32 bytes
	}
	return x, exact
}

// multiple returns the integer p such that the integers that are
// multiples of the decimal m (= p/q in lowest terms) are the multiples of
// p (0 when every integer is).
func multiple(m decimal) (uint64, error) {
	if m.neg || m.ip == "" && m.fp == "" {
		return 0, fmt.Errorf("multipleOf must be positive")
	}
	num, _ := new(big.Int).SetString(m.ip+m.fp, 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(m.fp))), nil)
	g := new(big.Int).GCD(nil, nil, num, den)
	p := num.Quo(num, g)
	if !p.IsUint64() {
		return 0, fmt.Errorf("multipleOf is too large")
	}
	if p.Uint64() == 1 {
		return 0, nil
	}
	return p.Uint64(), nil
}
