package tokenizer

import (
	"testing"
)

func TestAddedTokens(t *testing.T) {
	added := []map[string]any{
		addedJSON(300, "<s>", true),
		addedJSON(301, "<a>", false),
		addedJSON(302, "<a><b>", false), // longest match wins
		addedJSON(303, "<L>", true, "lstrip"),
		addedJSON(304, "<R>", true, "rstrip"),
		addedJSON(305, "<W>", false, "single_word"),
		addedJSON(306, "\u00e9t\u00e9", false, "normalized"), // "été", matched after NFC
		addedJSON(307, "\u00e0", false),                      // "à", matched only as written
	}
	nfc := map[string]any{"type": "NFC"}
	tk, err := Parse(tinyJSON(t, nil, nil, added, nfc, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		want       []int
	}{
		{"special inside text", "x<s>y", concat(byteIDs("x"), []int{300}, byteIDs("y"))},
		{"non-special", "<a>", []int{301}},
		{"leftmost longest", "<a><b><a>", []int{302, 301}},
		{"partial", "<a<b>", byteIDs("<a<b>")},
		{"lstrip swallows spaces on the left", "x  \t<L> y", concat(byteIDs("x"), []int{303}, byteIDs(" y"))},
		{"lstrip at start", "  <L>", []int{303}},
		{"rstrip swallows spaces on the right", "x <R>  \ny", concat(byteIDs("x "), []int{304}, byteIDs("y"))},
		{"rstrip then lstrip", "<R>   <L>", []int{304, 303}},
		{"single word alone", "a <W> b", concat(byteIDs("a "), []int{305}, byteIDs(" b"))},
		{"single word inside a word", "a<W>b", byteIDs("a<W>b")},
		{"single word after a word", "a<W> b", byteIDs("a<W> b")},
		{"single word before punctuation", "(<W>)", concat(byteIDs("("), []int{305}, byteIDs(")"))},
		{"normalized token in decomposed text", "e\u0301te\u0301!", concat([]int{306}, byteIDs("!"))},
		{"not-normalized token only as written", "a\u0300|\u00e0", concat(byteIDs("\u00e0|"), []int{307})},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tk.Encode(tc.text)
			if !equalIDs(got, tc.want) {
				t.Errorf("Encode(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	tk := fixtureTokenizer(t, fixtures+"/deepseek_v3")
	for _, tc := range []struct {
		text    string
		id      int
		special bool
	}{
		{"<｜begin▁of▁sentence｜>", 0, true},
		{"<｜end▁of▁sentence｜>", 1, true},
		// DeepSeek-V3's role, FIM and tool tokens are added but not special;
		// 128798/128799 are placeholders (R1 has <think>, </think> there).
		{"<｜fim▁begin｜>", 128801, false},
		{"<｜User｜>", 128803, false},
		{"<｜tool▁sep｜>", 128814, false},
		{"<|EOT|>", 128805, true},
		{"<｜place▁holder▁no▁798｜>", 128798, true},
	} {
		id, ok := tk.TokenID(tc.text)
		if !ok || id != tc.id {
			t.Errorf("TokenID(%q) = %d, %v; want %d", tc.text, id, ok, tc.id)
		}
		if tk.IsSpecial(tc.id) != tc.special {
			t.Errorf("IsSpecial(%d) = %v, want %v", tc.id, !tc.special, tc.special)
		}
		if s, ok := tk.Token(tc.id); !ok || s != tc.text {
			t.Errorf("Token(%d) = %q, %v", tc.id, s, ok)
		}
		if got := tk.Encode(tc.text); len(got) != 1 || got[0] != tc.id {
			t.Errorf("Encode(%q) = %v", tc.text, got)
		}
	}
	if tk.BOS() != 0 || tk.EOS() != 1 || !tk.AddBOS() || tk.AddEOS() {
		t.Errorf("BOS %d EOS %d AddBOS %v AddEOS %v", tk.BOS(), tk.EOS(), tk.AddBOS(), tk.AddEOS())
	}
	if tk.BOSToken() != "<｜begin▁of▁sentence｜>" || tk.EOSToken() != "<｜end▁of▁sentence｜>" {
		t.Errorf("BOSToken %q EOSToken %q", tk.BOSToken(), tk.EOSToken())
	}
	if tk.VocabSize() != 128815 {
		t.Errorf("VocabSize = %d, want 128815", tk.VocabSize())
	}
	if n := len(tk.AddedTokens()); n != 818 {
		t.Errorf("%d added tokens, want 818", n)
	}
	if n := len(tk.SpecialTokens()); n != 804 {
		t.Errorf("%d special tokens, want 804", n)
	}
	if _, ok := tk.TokenID("<think>"); ok {
		t.Error("the V3 tokenizer has no <think> token")
	}
	// " hello" is one vocabulary token, spelled "Ġhello".
	id, ok := tk.TokenID(" hello")
	if !ok {
		t.Fatal(`TokenID(" hello") not found`)
	}
	if vid, ok := tk.VocabID("Ġhello"); !ok || vid != id {
		t.Errorf(`VocabID("Ġhello") = %d, %v; want %d`, vid, ok, id)
	}
	if b, ok := tk.TokenBytes(id); !ok || string(b) != " hello" {
		t.Errorf("TokenBytes(%d) = %q", id, b)
	}
	if got := tk.EncodeWithSpecial("hi"); got[0] != 0 || len(got) < 2 {
		t.Errorf("EncodeWithSpecial = %v, want BOS first", got)
	}
	for _, id := range []int{-1, 128815, 129279} {
		if tk.Valid(id) {
			t.Errorf("Valid(%d) = true", id)
		}
		if s := tk.Decode([]int{id}); s != "" {
			t.Errorf("Decode([%d]) = %q", id, s)
		}
	}
}

func TestConfigVariants(t *testing.T) {
	qwen := fixtureTokenizer(t, fixtures+"/qwen3")
	if qwen.BOS() != -1 || qwen.AddBOS() || qwen.EOSToken() != "<|im_end|>" {
		t.Errorf("qwen3: BOS %d AddBOS %v EOS %q", qwen.BOS(), qwen.AddBOS(), qwen.EOSToken())
	}
	if id, ok := qwen.TokenID("<think>"); !ok || id != 151667 || qwen.IsSpecial(id) {
		t.Errorf("qwen3: TokenID(<think>) = %d, %v, special %v", id, ok, qwen.IsSpecial(id))
	}
	if got := qwen.Encode("<think>\nx</think>"); len(got) < 3 || got[0] != 151667 || got[len(got)-1] != 151668 {
		t.Errorf("qwen3: Encode = %v", got)
	}
	llama := fixtureTokenizer(t, fixtures+"/llama3")
	if llama.BOSToken() != "<|begin_of_text|>" || llama.EOSToken() != "<|end_of_text|>" {
		t.Errorf("llama3: BOS %q EOS %q", llama.BOSToken(), llama.EOSToken())
	}
}
