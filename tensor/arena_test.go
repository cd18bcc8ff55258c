//go:build linux

package tensor

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestArenaAdopt(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	a := NewArena()
	small := randomMatrix(t, rng, Q4_0, 3, 64)
	if got, err := a.Adopt(small); err != nil || got != small {
		t.Fatalf("a small matrix is kept in place: %v, %v", got == small, err)
	}
	for _, dt := range []DType{Q4_0, F8E4M3} {
		m := randomMatrix(t, rng, dt, 2100, 2048) // more than a huge page
		want := append([]byte(nil), m.Data...)
		got, err := a.Adopt(m)
		if err != nil {
			t.Fatal(err)
		}
		checkAdopted(t, m, got, want)
	}
	// From a file mapping, releasing the source pages.
	m := randomMatrix(t, rng, Q8_0, 2100, 2048)
	path := filepath.Join(t.TempDir(), "w")
	if err := os.WriteFile(path, m.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := unix.Mmap(int(f.Fd()), 0, len(m.Data), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Skip("no mmap:", err)
	}
	defer unix.Munmap(data)
	want := m.Data
	mm := *m
	mm.Data = data
	got, err := a.AdoptMapped(&mm)
	if err != nil {
		t.Fatal(err)
	}
	checkAdopted(t, &mm, got, want)
	if a.Bytes() < 2100*2048 {
		t.Fatalf("arena holds %d bytes", a.Bytes())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Adopt(randomMatrix(t, rng, Q4_0, 2100, 2048)); err == nil {
		t.Fatal("adopting into a closed arena did not fail")
	}
}

func checkAdopted(t *testing.T, m, got *Matrix, want []byte) {
	t.Helper()
	if !slices.Equal(got.Data, want) || !slices.Equal(m.Data, want) {
		t.Fatalf("%v: adopted data differs", m.DType)
	}
	if got.Rows != m.Rows || got.Cols != m.Cols || got.DType != m.DType || !slices.Equal(got.Scales, m.Scales) {
		t.Fatalf("%v: adopted matrix %+v", m.DType, got)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := randomVec(rng, m.Cols)
	y0, y1 := make([]float32, m.Rows), make([]float32, m.Rows)
	var pool *Pool
	pool.MatVec(y0, m, x)
	pool.MatVec(y1, got.Slice(0, m.Rows), x)
	if !slices.Equal(y0, y1) {
		t.Fatalf("%v: products differ", m.DType)
	}
}

func TestArenaPolicy(t *testing.T) {
	var none *Arena
	m := randomMatrix(t, rand.New(rand.NewPCG(23, 24)), Q4_0, 2100, 2048)
	if got, err := none.AdoptMapped(m); err != nil || got != m || none.Bytes() != 0 || none.Close() != nil {
		t.Fatal("a nil arena must adopt nothing")
	}
	t.Setenv(WeightsEnv, "mapped")
	if NewArenaFor(1) != nil {
		t.Fatalf("%s=mapped gave an arena", WeightsEnv)
	}
	t.Setenv(WeightsEnv, "resident")
	if NewArenaFor(1<<50) == nil {
		t.Fatalf("%s=resident gave no arena", WeightsEnv)
	}
	t.Setenv(WeightsEnv, "auto")
	if NewArenaFor(1<<50) != nil {
		t.Fatal("an arena for more than the machine's memory")
	}
	const mib, gib = 1 << 20, 1 << 30
	for _, c := range []struct {
		weights, avail int64
		want           bool
	}{
		{16077 * mib, 23 * gib, true}, // V2-Lite Q8_0 on a 24 GiB machine
		{18 * gib, 23 * gib, false},   // less than a quarter left
		{1 * gib, 2560 * mib, false},  // less than 2 GiB left
		{512 * mib, 2560 * mib, true}, // 2 GiB left
		{1 * gib, 0, false},           // MemAvailable unknown
		{0, 23 * gib, false},          // size unknown
	} {
		if got := residentFits(c.weights, c.avail); got != c.want {
			t.Errorf("residentFits(%d, %d) = %v, want %v", c.weights, c.avail, got, c.want)
		}
	}
}

// Matrices a little over a huge page (a checkpoint's per-expert tensors)
// share the arena's chunks instead of each rounding up to whole huge pages.
func TestArenaPacksMatrices(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	a := NewArena()
	defer a.Close()
	var ms, got []*Matrix
	var wants [][]byte
	for range 12 {
		m := randomMatrix(t, rng, Q8_0, 1100, 2048) // 2.3 MB
		ms, wants = append(ms, m), append(wants, append([]byte(nil), m.Data...))
		g, err := a.Adopt(m)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	for i := range ms {
		checkAdopted(t, ms[i], got[i], wants[i])
	}
	if a.Bytes() != arenaChunk {
		t.Fatalf("12 matrices of %d bytes took %d bytes of arena, want one chunk of %d", len(ms[0].Data), a.Bytes(), arenaChunk)
	}
}
