package parse

import (
	"strings"
	"testing"
)

// refSplit is an independent, whole-text statement of the reasoning rules,
// which the streaming splitter must agree with under every chunking.
func refSplit(s string, o Options) (reasoning, content string) {
	in := o.StartInReasoning
	if o.LeadingThink {
		t := s
		if o.TrimSpace {
			t = strings.TrimLeft(s, " \t\r\n")
			if len(s)-len(t) > maxGap { // whitespace beyond the cap: no opening
				t = s
			}
		}
		if strings.HasPrefix(t, thinkOpen) {
			s, in = t[len(thinkOpen):], true
		}
	}
	if !in {
		return "", s
	}
	i := strings.Index(s, thinkClose)
	if i < 0 {
		reasoning = s
	} else {
		reasoning, content = s[:i], s[i+len(thinkClose):]
	}
	if o.TrimSpace {
		reasoning = strings.Trim(reasoning, " \t\r\n")
		if i >= 0 {
			content = strings.TrimLeft(content, " \t\r\n")
		}
	}
	return reasoning, content
}

func TestReasoning(t *testing.T) {
	r1 := Options{StartInReasoning: true}                      // R1 / R1-Distill: prompt ends "<think>\n"
	r1Trim := Options{StartInReasoning: true, TrimSpace: true} // as DeepSeek's API returns it
	v31Think := Options{StartInReasoning: true}                // V3.1 thinking: prompt ends "<think>"
	v31Chat := Options{}                                       // V3.1 non-thinking: prompt ends "</think>"
	leading := Options{LeadingThink: true}                     // first R1 template, R1-0528
	leadingTrim := Options{LeadingThink: true, TrimSpace: true}
	cases := []struct {
		name               string
		opts               Options
		text               string
		reasoning, content string
	}{
		{"r1", r1, "Okay, 9.11 vs 9.8.\n</think>\n\n9.8 is greater.", "Okay, 9.11 vs 9.8.\n", "\n\n9.8 is greater."},
		{"r1 trimmed", r1Trim, "\nOkay, 9.11 vs 9.8.\n</think>\n\n9.8 is greater.", "Okay, 9.11 vs 9.8.", "9.8 is greater."},
		{"r1 empty reasoning", r1Trim, "\n\n</think>\n\nHi!", "", "Hi!"},
		{"r1 never closed", r1, "still thinking <th", "still thinking <th", ""},
		{"r1 never closed trimmed", r1Trim, " thinking \n", "thinking", ""},
		{"r1 second think is content", r1, "a</think>b<think>c</think>d", "a", "b<think>c</think>d"},
		{"r1 leading think swallowed", Options{StartInReasoning: true, LeadingThink: true}, "<think>\nx</think>y", "\nx", "y"},
		{"v3.1 thinking", v31Think, "Let me think.</think>Answer.", "Let me think.", "Answer."},
		{"v3.1 chat", v31Chat, "Answer.", "", "Answer."},
		{"v3.1 chat stray close", v31Chat, "a</think>b", "", "a</think>b"},
		{"v3.1 chat stray open", v31Chat, "<think>a</think>b", "", "<think>a</think>b"},
		{"leading think", leading, "<think>\nhmm\n</think>\n\nHello", "\nhmm\n", "\n\nHello"},
		{"leading think trimmed", leadingTrim, "\n<think>\nhmm\n</think>\n\nHello", "hmm", "Hello"},
		{"leading think absent", leading, "Hello <think>x</think>", "", "Hello <think>x</think>"},
		{"leading think prefix only", leading, "<thin", "", "<thin"},
		{"leading whitespace untrimmed", leading, " <think>x</think>", "", " <think>x</think>"},
		{"lookalike close", r1, "a</thinking> b</think", "a</thinking> b</think", ""},
		{"lookalike close then close", r1, "a</thin</think>b", "a</thin", "b"},
		{"cjk and emoji", r1Trim, "思考一下🚀\n</think>\n\n答案：世界", "思考一下🚀", "答案：世界"},
		{"empty", r1, "", "", ""},
		{"only close", r1, "</think>", "", ""},
		{"trim inner whitespace kept", r1Trim, "a \n b\n\n</think>  c d ", "a \n b", "c d "},
		{"long whitespace trimmed", r1Trim, strings.Repeat(" ", 3000) + "a" + strings.Repeat("\n", 3000) + "</think>" + strings.Repeat(" ", 3000) + "b", "a", "b"},
		{"whitespace before think within cap", leadingTrim, strings.Repeat("\n", maxGap) + "<think>a</think>b", "a", "b"},
		{"whitespace before think beyond cap", leadingTrim, strings.Repeat("\n", maxGap+1) + "<think>a</think>b", "", strings.Repeat("\n", maxGap+1) + "<think>a</think>b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := check(t, FormatNone, c.opts, c.text)
			got := result(evs)
			if got.Reasoning != c.reasoning || got.Content != c.content {
				t.Errorf("got reasoning %q content %q, want %q %q", got.Reasoning, got.Content, c.reasoning, c.content)
			}
			r, ct := refSplit(c.text, c.opts)
			if r != c.reasoning || ct != c.content {
				t.Errorf("reference split disagrees with the table: %q %q", r, ct)
			}
		})
	}
}

// TestReasoningHoldsOnlyWhatItMust checks that text is released as soon as
// it cannot be part of a marker.
func TestReasoningHoldsOnlyWhatItMust(t *testing.T) {
	p, err := New(FormatNone, Options{StartInReasoning: true})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ in, out string }{
		{"abc<", "abc"},      // "<" may start "</think>"
		{"/thi", ""},         // still may
		{"s", "</this"},      // no longer: released at once
		{" x</think", " x"},  // held again
		{">", ""},            // the marker: nothing emitted
		{"answer", "answer"}, // content flows through
	}
	for _, s := range steps {
		var got strings.Builder
		for _, e := range p.Feed(nil, s.in) {
			got.WriteString(e.Text)
		}
		if got.String() != s.out {
			t.Fatalf("feed %q: emitted %q, want %q", s.in, got.String(), s.out)
		}
	}
}

func TestPromptOpensReasoning(t *testing.T) {
	cases := map[string]bool{
		"<｜User｜>hi<｜Assistant｜><think>\n": true,  // R1, R1-Distill
		"<｜User｜>hi<｜Assistant｜><think>":   true,  // V3.1 / V3.2 thinking
		"<｜User｜>hi<｜Assistant｜></think>":  false, // V3.1 / V3.2 chat
		"<｜User｜>hi<｜Assistant｜>":          false, // V3
		"":                                 false,
	}
	for prompt, want := range cases {
		if got := PromptOpensReasoning(prompt); got != want {
			t.Errorf("PromptOpensReasoning(%q) = %v, want %v", prompt, got, want)
		}
	}
}
