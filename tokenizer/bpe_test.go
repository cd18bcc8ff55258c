package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestMergeHeapEqualsSmall checks that the heap merge (long words) gives the
// same ids as the array merge on words of every kind.
func TestMergeHeapEqualsSmall(t *testing.T) {
	for _, name := range []string{"deepseek_v3", "llama3"} {
		tk := fixtureTokenizer(t, fixtures+"/"+name)
		m := tk.model
		var words []string
		for _, l := range corpus(t)[:300] {
			words = append(words, tk.pre.run(l.Text, &[2][]string{})...)
		}
		r := rand.New(rand.NewPCG(5, 6))
		for range 300 {
			var b strings.Builder
			for range 1 + r.IntN(300) {
				b.WriteString([]string{"a", "b", "ab", " ", "e", "é", "中", "\n", "0", "xyz", "🦙"}[r.IntN(11)])
			}
			words = append(words, b.String())
		}
		words = append(words, strings.Repeat("a", 3000), strings.Repeat(" ", 1000), strings.Repeat("ab", 700))
		sc := new(scratch)
		for _, w := range words {
			initial := func() []int32 {
				var ids []int32
				for i := 0; i < len(w); i++ {
					ids = append(ids, m.byteIDs[w[i]])
				}
				return ids
			}
			small := append([]int32(nil), m.mergeSmall(initial(), sc)...)
			heap := m.mergeHeap(initial(), sc)
			if !equalIDs32(small, heap) {
				t.Fatalf("%s: word %q: array merge %v, heap merge %v", name, w, small, heap)
			}
		}
	}
}

func equalIDs32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestIgnoreMerges: with ignore_merges a word that is a vocabulary token is
// taken whole even where the merges would split it differently.
func TestIgnoreMerges(t *testing.T) {
	// Merges build "abc" as a+bc only if "bc" merges first; rank "a b" first
	// makes the merges produce ["ab", "c"]; "abc" is in the vocabulary.
	extra := []string{"ab", "bc", "abc"}
	merges := []string{"a b", "b c", "a bc"}
	j := tinyJSON(t, extra, merges, nil, nil, nil)
	tk, err := Parse(j, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("abc"); !equalIDs(got, []int{256, 'c'}) {
		t.Errorf("without ignore_merges: %v, want [ab c]", got)
	}
	j = []byte(strings.Replace(string(j), `"type":"BPE"`, `"type":"BPE","ignore_merges":true`, 1))
	tk, err = Parse(j, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("abc"); !equalIDs(got, []int{258}) {
		t.Errorf("with ignore_merges: %v, want [abc]", got)
	}
	if got := tk.Encode("abcc"); !equalIDs(got, []int{256, 'c', 'c'}) {
		t.Errorf("with ignore_merges, a word not in the vocabulary: %v", got)
	}
}

// TestMergeFormsAndCache: "a b" and ["a", "b"] merges load alike, and the
// word cache gives the same ids as a fresh encoding.
func TestMergeForms(t *testing.T) {
	extra := []string{"ab", "abab"}
	str := tinyJSON(t, extra, []string{"a b", "ab ab"}, nil, nil, nil)
	arr := []byte(strings.Replace(string(str), `"merges":["a b","ab ab"]`, `"merges":[["a","b"],["ab","ab"]]`, 1))
	if string(arr) == string(str) {
		t.Fatal("merges not rewritten")
	}
	for _, j := range [][]byte{str, arr} {
		tk, err := Parse(j, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second time comes from the word cache
			if got := tk.Encode("ababab"); !equalIDs(got, []int{257, 256}) {
				t.Errorf("Encode(ababab) = %v, want [abab ab]", got)
			}
		}
	}
}
