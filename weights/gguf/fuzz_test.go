package gguf

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must return an error or
// a File whose every key and tensor can be read, and never panic, hang or
// allocate far beyond the input size. Run with
// `go test -fuzz=FuzzParse ./weights/gguf`.
func FuzzParse(f *testing.F) {
	full, _ := sampleFile(f)
	f.Add(full)
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	lim := DefaultLimits()
	lim.MaxArrayLen = 1 << 16
	lim.MaxStringLen = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse("fuzz.gguf", data, lim)
		if err != nil {
			return
		}
		for _, k := range g.Keys() {
			if _, err := g.Value(k); err != nil {
				t.Fatalf("key %q listed but unreadable: %v", k, err)
			}
			g.String(k)
			g.Uint(k)
			g.Int(k)
			g.Float(k)
			g.Bool(k)
			g.Strings(k)
			g.Ints(k)
			g.Floats(k)
			g.Bools(k)
		}
		for _, ti := range g.Tensors() {
			tt, err := g.Tensor(ti.Name)
			if err != nil {
				continue
			}
			if int64(len(tt.Data)) != ti.Size {
				t.Fatalf("tensor %q: %d bytes, info says %d", ti.Name, len(tt.Data), ti.Size)
			}
		}
	})
}

// fuzzSeeds returns small valid files of different shapes.
func fuzzSeeds(t testing.TB) [][]byte {
	var out [][]byte
	build := func(fill func(w *Writer) error) {
		w := NewWriter()
		if err := fill(w); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	build(func(w *Writer) error { return nil })
	build(func(w *Writer) error {
		if err := w.Set(KeyArchitecture, "llama"); err != nil {
			return err
		}
		return w.Set("tokenizer.ggml.tokens", []string{"a", "b"})
	})
	build(func(w *Writer) error {
		if err := w.Set(KeyAlignment, uint32(8)); err != nil {
			return err
		}
		if err := w.AddTensor("a", GGMLF16, []int64{3}, make([]byte, 6)); err != nil {
			return err
		}
		return w.AddTensor("b", GGMLQ8_0, []int64{32, 2}, make([]byte, 68))
	})
	build(func(w *Writer) error { return w.Set("n", [][]uint8{{1}, {2, 3}}) })
	return out
}
