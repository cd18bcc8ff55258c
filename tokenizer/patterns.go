package tokenizer

// Hand-coded matchers for the pre-tokenizer regexes of the models seekd
// serves. Each one returns where the regex's match starting at byte i of s
// ends, or -1 if the regex has no match starting at i. The alternatives are
// tried in the regex's order with its backtracking semantics, so scanning
// with them gives exactly the matches a backtracking engine finds. They are
// picked by the exact regex string (knownMatcher); any other regex goes to
// regexp2.

// matchFunc reports the end of the match starting at i, or -1.
type matchFunc func(tab *[0x10000]uint8, s string, i int) int

// Regex strings recognized by knownMatcher.
const (
	reDigits1   = `\p{N}`
	reDigits3   = `\p{N}{1,3}`
	reDigitsAll = `\p{N}+`
	reNewline   = "[\r\n]"
	// reCJKDeepSeek is DeepSeek-V3's CJK split: U+4E00-U+9FA5, Hiragana, Katakana.
	reCJKDeepSeek = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
	// reDeepSeekV3 is DeepSeek-V3's third split (words, punctuation, spaces).
	reDeepSeekV3 = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
	// reLlama3 is Llama 3's split (Qwen2 is the same with single digits).
	reLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// llama.cpp spells the contractions without the (?i:) group.
	reLlama3CPP = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reQwen2CPP  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// reGPT2 is the ByteLevel pre-tokenizer's own regex (use_regex: true);
	// reGPT2CPP is llama.cpp's spelling, without the final \s+.
	reGPT2    = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	reGPT2CPP = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
)

// knownMatcher returns the hand-coded matcher for regex, if there is one.
func knownMatcher(regex string) (matchFunc, bool) {
	switch regex {
	case reDigits1:
		return func(t *[0x10000]uint8, s string, i int) int { return matchRun(t, s, i, clsN, 1) }, true
	case reDigits3:
		return func(t *[0x10000]uint8, s string, i int) int { return matchRun(t, s, i, clsN, 3) }, true
	case reDigitsAll:
		return func(t *[0x10000]uint8, s string, i int) int { return matchRun(t, s, i, clsN, -1) }, true
	case reNewline:
		return matchNewline, true
	case reCJKDeepSeek:
		return matchCJKDeepSeek, true
	case reDeepSeekV3:
		return matchDeepSeekV3, true
	case reLlama3, reLlama3CPP:
		return func(t *[0x10000]uint8, s string, i int) int { return matchLlama3(t, s, i, 3) }, true
	case reQwen2, reQwen2CPP:
		return func(t *[0x10000]uint8, s string, i int) int { return matchLlama3(t, s, i, 1) }, true
	case reGPT2:
		return func(t *[0x10000]uint8, s string, i int) int { return matchGPT2(t, s, i, true) }, true
	case reGPT2CPP:
		return func(t *[0x10000]uint8, s string, i int) int { return matchGPT2(t, s, i, false) }, true
	}
	return nil, false
}

// matchRun matches 1..max (max < 0: unbounded) runes of class cls.
func matchRun(t *[0x10000]uint8, s string, i int, cls uint8, max int) int {
	j, k := i, 0
	for j < len(s) && k != max {
		_, n, c := runeAt(t, s, j)
		if c&cls == 0 {
			break
		}
		j += n
		k++
	}
	if k == 0 {
		return -1
	}
	return j
}

// runOf returns the end of the run of runes of class cls starting at j.
func runOf(t *[0x10000]uint8, s string, j int, cls uint8) int {
	for j < len(s) {
		_, n, c := runeAt(t, s, j)
		if c&cls == 0 {
			break
		}
		j += n
	}
	return j
}

// runNotOf returns the end of the run of runes with none of the bits in cls.
func runNotOf(t *[0x10000]uint8, s string, j int, cls uint8) int {
	for j < len(s) {
		_, n, c := runeAt(t, s, j)
		if c&cls != 0 {
			break
		}
		j += n
	}
	return j
}

// runNewlines returns the end of the run of '\r' and '\n' starting at j.
func runNewlines(s string, j int) int {
	for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
		j++
	}
	return j
}

func matchNewline(_ *[0x10000]uint8, s string, i int) int {
	if s[i] == '\r' || s[i] == '\n' {
		return i + 1
	}
	return -1
}

func isCJKDeepSeek(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FA5) || (r >= 0x3040 && r <= 0x30FF)
}

func matchCJKDeepSeek(t *[0x10000]uint8, s string, i int) int {
	j := i
	for j < len(s) && s[j] >= 0xE3 { // every rune in the ranges starts with 0xE3..0xE9
		r, n, _ := runeAt(t, s, j)
		if !isCJKDeepSeek(r) {
			break
		}
		j += n
	}
	if j == i {
		return -1
	}
	return j
}

// matchSpaces handles the whitespace tail shared by these regexes:
// `\s*[\r\n]+|\s+(?!\S)|\s+`, for a rune of class c at i. With lastRun
// false the final `\s+` alternative is absent.
func matchSpaces(t *[0x10000]uint8, s string, i int, c uint8, newlines, lastRun bool) int {
	if c&clsW == 0 {
		return -1
	}
	// The whitespace run [i, e); last is the start of its last rune and nl
	// the end of its last '\r' or '\n'.
	e, last, nl := i, i, -1
	for e < len(s) {
		r, n, c := runeAt(t, s, e)
		if c&clsW == 0 {
			break
		}
		if r == '\r' || r == '\n' {
			nl = e + 1
		}
		last = e
		e += n
	}
	if newlines && nl >= 0 {
		return nl // \s*[\r\n]+ backtracks to the last newline of the run
	}
	if e == len(s) {
		return e // \s+(?!\S) at the end of the text
	}
	if last > i {
		return last // \s+(?!\S) leaves the last space before a non-space
	}
	if lastRun {
		return e // \s+
	}
	return -1
}

// matchDeepSeekV3 matches reDeepSeekV3:
//
//	[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+
//	|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
//	| ?[\p{P}\p{S}]+[\r\n]*
//	|\s*[\r\n]+|\s+(?!\S)|\s+
func matchDeepSeekV3(t *[0x10000]uint8, s string, i int) int {
	r, n, c := runeAt(t, s, i)
	if r < 0x80 && isASCIIPunct(byte(r)) && i+1 < len(s) && isASCIIAlpha(s[i+1]) {
		j := i + 2
		for j < len(s) && isASCIIAlpha(s[j]) {
			j++
		}
		return j
	}
	if c&(clsL|clsM) != 0 {
		return runOf(t, s, i+n, clsL|clsM)
	}
	if r != '\r' && r != '\n' && c&(clsP|clsS) == 0 && i+n < len(s) {
		if _, n2, c2 := runeAt(t, s, i+n); c2&(clsL|clsM) != 0 {
			return runOf(t, s, i+n+n2, clsL|clsM)
		}
	}
	if j := i + n; r == ' ' && j < len(s) {
		if _, n2, c2 := runeAt(t, s, j); c2&(clsP|clsS) != 0 {
			return runNewlines(s, runOf(t, s, j+n2, clsP|clsS))
		}
	}
	if c&(clsP|clsS) != 0 {
		return runNewlines(s, runOf(t, s, i+n, clsP|clsS))
	}
	return matchSpaces(t, s, i, c, true, true)
}

// matchLlama3 matches reLlama3 (digits 3) and reQwen2 (digits 1):
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,digits}
//	| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func matchLlama3(t *[0x10000]uint8, s string, i int, digits int) int {
	r, n, c := runeAt(t, s, i)
	if r == '\'' {
		if e := matchContraction(s, i+1, true); e > 0 {
			return e
		}
	}
	if c&clsL != 0 {
		return runOf(t, s, i+n, clsL)
	}
	if r != '\r' && r != '\n' && c&clsN == 0 && i+n < len(s) {
		if _, n2, c2 := runeAt(t, s, i+n); c2&clsL != 0 {
			return runOf(t, s, i+n+n2, clsL)
		}
	}
	if c&clsN != 0 {
		return matchRun(t, s, i, clsN, digits)
	}
	if j := i + n; r == ' ' && j < len(s) {
		if _, n2, c2 := runeAt(t, s, j); c2&(clsW|clsL|clsN) == 0 {
			return runNewlines(s, runNotOf(t, s, j+n2, clsW|clsL|clsN))
		}
	}
	if c&(clsW|clsL|clsN) == 0 {
		return runNewlines(s, runNotOf(t, s, i+n, clsW|clsL|clsN))
	}
	return matchSpaces(t, s, i, c, true, true)
}

// matchGPT2 matches reGPT2 (lastRun true) or reGPT2CPP (lastRun false):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func matchGPT2(t *[0x10000]uint8, s string, i int, lastRun bool) int {
	r, _, c := runeAt(t, s, i)
	if r == '\'' {
		if e := matchContraction(s, i+1, false); e > 0 {
			return e
		}
	}
	j, cj := i, c
	if r == ' ' && i+1 < len(s) {
		_, _, cj = runeAt(t, s, i+1)
		if cj&clsW == 0 {
			j = i + 1 // the optional space; no class below starts with \s
		} else {
			cj = c
		}
	}
	switch {
	case cj&clsL != 0:
		return runOf(t, s, j, clsL)
	case cj&clsN != 0:
		return runOf(t, s, j, clsN)
	case cj&clsW == 0:
		return runNotOf(t, s, j, clsW|clsL|clsN)
	}
	return matchSpaces(t, s, i, c, false, lastRun)
}

// matchContraction matches the contraction suffixes s, t, re, ve, m, ll, d
// at j (just after an apostrophe), ASCII case-insensitively if fold is set.
func matchContraction(s string, j int, fold bool) int {
	if j >= len(s) {
		return -1
	}
	lower := func(b byte) byte {
		if fold && b >= 'A' && b <= 'Z' {
			return b + 'a' - 'A'
		}
		return b
	}
	switch lower(s[j]) {
	case 's', 't', 'm', 'd':
		return j + 1
	case 'r', 'v':
		if j+1 < len(s) && lower(s[j+1]) == 'e' {
			return j + 2
		}
	case 'l':
		if j+1 < len(s) && lower(s[j+1]) == 'l' {
			return j + 2
		}
	}
	return -1
}

func isASCIIAlpha(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func isASCIIPunct(b byte) bool {
	return (b >= '!' && b <= '/') || (b >= ':' && b <= '@') || (b >= '[' && b <= '`') || (b >= '{' && b <= '~')
}
