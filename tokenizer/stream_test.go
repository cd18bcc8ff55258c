package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLossyUTF8(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "abc"},
		{"\xe4\xb8\xad", "中"},
		{"\xe4\xb8", "\uFFFD"},                 // a truncated character is one U+FFFD
		{"\xf0\x9f\xa6", "\uFFFD"},             // likewise for four bytes
		{"\xff\xfe", "\uFFFD\uFFFD"},           // each invalid byte is one
		{"\xe0\x80", "\uFFFD\uFFFD"},           // E0 80 is not a valid prefix
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // a surrogate
		{"a\xc3(b", "a\uFFFD(b"},
	} {
		if got := lossyString([]byte(tc.in)); got != tc.want {
			t.Errorf("lossy(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDetokenizerCorpus streams the reference ids of every corpus text: the
// pieces are valid UTF-8, each a prefix of what remains, and together they
// are the text.
func TestDetokenizerCorpus(t *testing.T) {
	tk := fixtureTokenizer(t, fixtures+"/deepseek_v3")
	for i, l := range corpus(t) {
		d := tk.NewDetokenizer()
		var b strings.Builder
		for _, id := range l.DeepSeekV3 {
			piece := d.Add(id)
			if !utf8.ValidString(piece) {
				t.Fatalf("line %d: invalid UTF-8 piece %q", i+1, piece)
			}
			b.WriteString(piece)
			if !strings.HasPrefix(l.Text, b.String()) {
				t.Fatalf("line %d: streamed text is not a prefix of the text", i+1)
			}
		}
		b.WriteString(d.Flush())
		if b.String() != l.Text {
			t.Fatalf("line %d: streamed text differs", i+1)
		}
	}
}

// TestDetokenizerRandom feeds random ids, byte tokens included, and checks
// that the stream equals Decode of all the ids.
func TestDetokenizerRandom(t *testing.T) {
	tk := fixtureTokenizer(t, fixtures+"/deepseek_v3")
	var byteTokens []int
	for b := range 256 {
		byteTokens = append(byteTokens, int(tk.model.byteIDs[b]))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := r.IntN(12)
		ids := make([]int, n)
		for i := range ids {
			switch r.IntN(4) {
			case 0:
				ids[i] = r.IntN(tk.VocabSize() + 10) // a few invalid ids too
			default:
				ids[i] = byteTokens[r.IntN(len(byteTokens))]
			}
		}
		d := tk.NewDetokenizer()
		var b strings.Builder
		for _, id := range ids {
			b.WriteString(d.Add(id))
		}
		b.WriteString(d.Flush())
		if want := tk.Decode(ids); b.String() != want {
			t.Fatalf("ids %v: streamed %q, Decode %q", ids, b.String(), want)
		}
	}
}

func TestDetokenizerHoldsPartialCharacter(t *testing.T) {
	tk := fixtureTokenizer(t, fixtures+"/deepseek_v3")
	d := tk.NewDetokenizer()
	emoji := "🦙" // four bytes, fed one byte token at a time
	for i := 0; i < 3; i++ {
		if s := d.Add(int(tk.model.byteIDs[emoji[i]])); s != "" {
			t.Fatalf("byte %d: got %q before the character was complete", i, s)
		}
	}
	if s := d.Add(int(tk.model.byteIDs[emoji[3]])); s != emoji {
		t.Fatalf("got %q, want %q", s, emoji)
	}
	d.Add(int(tk.model.byteIDs[0xe4]))
	if s := d.Flush(); s != "\uFFFD" {
		t.Fatalf("Flush of a truncated character = %q", s)
	}
	if s := d.Flush(); s != "" {
		t.Fatalf("second Flush = %q", s)
	}
}
