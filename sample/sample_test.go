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
