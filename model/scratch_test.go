package model

import "testing"

// A scratch hands out zeroed, non-overlapping slices; a stage that asks for
// more than its chunk holds gets a new chunk, and after the reset one chunk
// of the stage's size serves that stage from then on.
func TestScratch(t *testing.T) {
	s := new(scratch)
	defer s.free()
	stage := func(step int) {
		x, y := s.floats(minChunk), s.floats(10)
		for _, b := range [][]float32{x, y} {
			for i := range b {
				if b[i] != 0 {
					t.Fatalf("step %d: slice not zeroed", step)
				}
				b[i] = 1
			}
		}
		x = append(x, 9) // a full slice must not grow into its neighbour
		if y[0] != 1 {
			t.Fatalf("step %d: append wrote into the next slice", step)
		}
	}
	stage(0)
	if len(s.chunks) != 2 {
		t.Fatalf("%d chunks after outgrowing the first", len(s.chunks))
	}
	s.reset()
	if len(s.chunks) != 1 || len(s.chunks[0].f) < minChunk+10 {
		t.Fatalf("after reset: %d chunks", len(s.chunks))
	}
	first := &s.chunks[0].f[0]
	for step := 1; step < 4; step++ {
		stage(step)
		s.reset()
	}
	if len(s.chunks) != 1 || &s.chunks[0].f[0] != first {
		t.Fatal("the chunk was replaced although every stage fitted")
	}
	var none *scratch
	if b := none.floats(3); len(b) != 3 {
		t.Fatal("a nil scratch must allocate")
	}

	var c scratchCache
	defer c.close()
	s1 := c.get()
	s2 := c.get() // held by another step: a new one
	if s1 == s2 {
		t.Fatal("two steps share a scratch")
	}
	s1.floats(5)
	s2.floats(5)
	c.put(s1)
	c.put(s2) // one is kept already: s2 is freed
	if s2.chunks != nil {
		t.Fatal("a second scratch was kept")
	}
	if c.get() != s1 {
		t.Fatal("the cached scratch was not reused")
	}
}
