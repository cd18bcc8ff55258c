package sample

import "testing"

func TestGreedyAndSeeded(t *testing.T) {
	logits := []float32{0.1, 2, 1.9, -1}
	if got := New(Params{}, 1).Next(append([]float32(nil), logits...)); got != 1 {
		t.Fatalf("greedy picked %d", got)
	}
	draw := func(seed uint64) []int {
		s := New(Params{Temperature: 1}, seed)
		var out []int
		for i := 0; i < 50; i++ {
			out = append(out, s.Next(append([]float32(nil), logits...)))
		}
		return out
	}
	a, b := draw(7), draw(7)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different draws at %d", i)
		}
	}
	// top-k 1 is greedy whatever the temperature.
	if got := New(Params{Temperature: 5, TopK: 1}, 3).Next(append([]float32(nil), logits...)); got != 1 {
		t.Fatalf("top-k 1 picked %d", got)
	}
	// min-p 0.9 keeps only tokens nearly as likely as the best.
	s := New(Params{Temperature: 1, MinP: 0.95}, 3)
	for i := 0; i < 20; i++ {
		if got := s.Next(append([]float32(nil), logits...)); got != 1 && got != 2 {
			t.Fatalf("min-p let through %d", got)
		}
	}
}

func TestPenaltiesAndTopN(t *testing.T) {
	s := New(Params{FrequencyPenalty: 1, PresencePenalty: 0.5}, 0)
	s.Accept(1)
	s.Accept(1)
	logits := []float32{0, 3, 1}
	if got := s.Next(logits); got != 2 {
		t.Fatalf("penalized greedy picked %d (logits %v)", got, logits)
	}
	if logits[1] != 3-2-0.5 {
		t.Fatalf("penalty gave %v", logits[1])
	}
	r := New(Params{RepetitionPenalty: 2}, 0)
	r.Observe([]int{0, 1})
	l2 := []float32{-1, 4, 3}
	r.Penalize(l2)
	if l2[0] != -2 || l2[1] != 2 || l2[2] != 3 {
		t.Fatalf("repetition penalty gave %v", l2)
	}
	if got := TopN([]float32{1, 5, 3, 5, 0}, 3); len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 2 {
		t.Fatalf("TopN = %v", got)
	}
	lp := make([]float32, 2)
	LogSoftmax(lp, []float32{0, 0})
	if lp[0] > -0.69 || lp[0] < -0.7 {
		t.Fatalf("log softmax %v", lp)
	}
}
