package weights

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seekd/seekd/tensor"
)

// stFileBytes builds a safetensors file from a header map and a data section.
func stFileBytes(t testing.TB, header map[string]any, data []byte) []byte {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 8, 8+len(h)+len(data))
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	return append(out, data...)
}

func entry(dtype string, shape []int, b, e int) map[string]any {
	return map[string]any{"dtype": dtype, "shape": shape, "data_offsets": []int{b, e}}
}

func TestParseHeaderErrors(t *testing.T) {
	good := map[string]any{"a": entry("F32", []int{2, 2}, 0, 16), "__metadata__": map[string]string{"format": "pt"}}
	goodFile := stFileBytes(t, good, make([]byte, 16))
	if _, err := ParseHeader(goodFile); err != nil {
		t.Fatalf("good file: %v", err)
	}
	hugeLen := append([]byte(nil), goodFile...)
	binary.LittleEndian.PutUint64(hugeLen, 1<<40)
	longLen := append([]byte(nil), goodFile...)
	binary.LittleEndian.PutUint64(longLen, uint64(len(goodFile)))
	badJSON := append([]byte(nil), goodFile...)
	badJSON[8] = '['

	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short", []byte{1, 2, 3}, "truncated"},
		{"header over limit", hugeLen, "exceeds"},
		{"header longer than file", longLen, "larger than the file"},
		{"bad json", badJSON, "bad JSON"},
		{"not object", stFileBytes(t, map[string]any{"a": 3}, nil), "bad entry"},
		{"unknown dtype", stFileBytes(t, map[string]any{"a": entry("Q9", []int{1}, 0, 1)}, make([]byte, 1)), "unknown dtype"},
		{"missing fields", stFileBytes(t, map[string]any{"a": map[string]any{"dtype": "F32"}}, nil), "needs dtype"},
		{"out of range", stFileBytes(t, map[string]any{"a": entry("F32", []int{4}, 0, 16)}, make([]byte, 8)), "out of range"},
		{"reversed offsets", stFileBytes(t, map[string]any{"a": entry("F32", []int{1}, 8, 4)}, make([]byte, 8)), "out of range"},
		{"size mismatch", stFileBytes(t, map[string]any{"a": entry("F32", []int{3}, 0, 8)}, make([]byte, 8)), "needs 12 bytes"},
		{"negative dim", stFileBytes(t, map[string]any{"a": entry("F32", []int{-1}, 0, 4)}, make([]byte, 4)), "out of range"},
		{"fractional dim", stFileBytes(t, map[string]any{"a": map[string]any{"dtype": "F32", "shape": []float64{1.5}, "data_offsets": []int{0, 4}}}, make([]byte, 4)), "not an integer"},
		{"overlap", stFileBytes(t, map[string]any{
			"a": entry("F32", []int{2}, 0, 8),
			"b": entry("F32", []int{2}, 4, 12),
		}, make([]byte, 12)), "overlap"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHeader(tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(stFileBytes(f, map[string]any{"a": entry("BF16", []int{2, 3}, 0, 12)}, make([]byte, 12)))
	f.Add(stFileBytes(f, map[string]any{"a": entry("F8_E4M3", []int{4}, 0, 4), "b": entry("F32", []int{1}, 4, 8)}, make([]byte, 8)))
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			return
		}
		// Whatever parses must describe tensors inside the file.
		for name, ti := range h.Tensors {
			if ti.Begin < 0 || ti.End < ti.Begin || h.DataOffset+ti.End > len(data) {
				t.Fatalf("tensor %q: offsets [%d,%d) escape the file", name, ti.Begin, ti.End)
			}
		}
	})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir    string
		tensor string
		dtype  tensor.DType
		shape  []int
	}{
		{"../testdata/deepseek/tiny-v3", "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", tensor.BF16, nil},
		{"../testdata/deepseek/tiny-v2", "lm_head.weight", tensor.BF16, nil},
		{"../testdata/deepseek/tiny-v3-fp8", "model.layers.1.mlp.shared_experts.down_proj.weight", tensor.F8E4M3, nil},
	} {
		c, err := Open(tc.dir)
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		tt, err := c.Tensor(tc.tensor)
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		if tt.DType != tc.dtype {
			t.Errorf("%s %s: dtype %v, want %v", tc.dir, tc.tensor, tt.DType, tc.dtype)
		}
		if _, err := c.Matrix(tc.tensor); err != nil {
			t.Errorf("%s: Matrix: %v", tc.dir, err)
		}
		c.Close()
	}
}

// The FP8 fixture keeps one scale in the other shard than its weight.
func TestFP8ScaleInOtherShard(t *testing.T) {
	c, err := Open("../testdata/deepseek/tiny-v3-fp8")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := "model.layers.1.mlp.shared_experts.down_proj.weight"
	if c.FileOf(w) == c.FileOf(w+ScaleSuffix) {
		t.Fatalf("fixture changed: weight and scale are both in %s", c.FileOf(w))
	}
	m, err := c.Matrix(w)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := c.Tensor(w)
	sc, _ := c.Tensor(w + ScaleSuffix)
	scales, _ := sc.Floats()
	row := make([]float32, m.Cols)
	for _, r := range []int{0, m.Rows - 1} {
		m.Row(r, row)
		for col := 0; col < m.Cols; col++ {
			want := tensor.FP8E4M3ToF32(raw.Data[r*m.Cols+col]) * scales[(r/128)*sc.Shape[1]+col/128]
			if row[col] != want {
				t.Fatalf("row %d col %d: %v, want %v", r, col, row[col], want)
			}
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	// A sharded folder whose index names a tensor that the shard lacks.
	sub := filepath.Join(dir, "missing")
	os.Mkdir(sub, 0o755)
	writeFile(t, sub, "a.safetensors", stFileBytes(t, map[string]any{"x": entry("F32", []int{1}, 0, 4)}, make([]byte, 4)))
	writeFile(t, sub, IndexFile, []byte(`{"weight_map": {"x": "a.safetensors", "y": "a.safetensors"}}`))
	if _, err := Open(sub); err == nil || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("missing tensor: %v", err)
	}
	// An index pointing at a shard that does not exist.
	sub2 := filepath.Join(dir, "noshard")
	os.Mkdir(sub2, 0o755)
	writeFile(t, sub2, IndexFile, []byte(`{"weight_map": {"x": "b.safetensors"}}`))
	if _, err := Open(sub2); err == nil || !strings.Contains(err.Error(), "b.safetensors") {
		t.Errorf("missing shard: %v", err)
	}
	// A truncated file names the file.
	sub3 := filepath.Join(dir, "trunc")
	os.Mkdir(sub3, 0o755)
	full := stFileBytes(t, map[string]any{"x": entry("F32", []int{4}, 0, 16)}, make([]byte, 16))
	writeFile(t, sub3, "model.safetensors", full[:len(full)-3])
	if _, err := Open(sub3); err == nil || !strings.Contains(err.Error(), "model.safetensors") || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("truncated: %v", err)
	}
	// Empty folder.
	if _, err := Open(t.TempDir()); err == nil {
		t.Error("empty folder opened")
	}
	// Unsupported dtype is an error when used, naming the tensor.
	sub4 := filepath.Join(dir, "f64")
	os.Mkdir(sub4, 0o755)
	writeFile(t, sub4, "model.safetensors", stFileBytes(t, map[string]any{"x": entry("F64", []int{1}, 0, 8)}, make([]byte, 8)))
	c, err := Open(sub4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tensor("x"); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("F64: %v", err)
	}
	if _, err := c.Tensor("nope"); err == nil || !strings.Contains(err.Error(), "missing tensor") {
		t.Errorf("missing: %v", err)
	}
	c.Close()
	// An FP8 weight without its scale.
	sub5 := filepath.Join(dir, "noscale")
	os.Mkdir(sub5, 0o755)
	writeFile(t, sub5, "model.safetensors", stFileBytes(t, map[string]any{"w.weight": entry("F8_E4M3", []int{2, 2}, 0, 4)}, make([]byte, 4)))
	c, err = Open(sub5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Matrix("w.weight"); err == nil || !strings.Contains(err.Error(), "scale") {
		t.Errorf("fp8 without scale: %v", err)
	}
	c.Close()
}

func TestWriteFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.safetensors")
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	err := WriteFile(p, []OutTensor{
		{Name: "b", DType: "F8_E4M3", Shape: []int{2, 4}, Write: func(w io.Writer) error { _, err := w.Write(data); return err }},
		{Name: "a", DType: "F32", Shape: []int{1}, Write: func(w io.Writer) error { _, err := w.Write([]byte{0, 0, 128, 63}); return err }},
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, _ := c.Tensor("a")
	if v, _ := a.Floats(); v[0] != 1 {
		t.Fatalf("a = %v", v)
	}
	b, _ := c.Tensor("b")
	if string(b.Data) != string(data) {
		t.Fatalf("b = %v", b.Data)
	}
	// A writer that writes the wrong amount fails and leaves nothing behind.
	bad := filepath.Join(dir, "bad.safetensors")
	err = WriteFile(bad, []OutTensor{{Name: "x", DType: "F32", Shape: []int{2}, Write: func(w io.Writer) error { _, err := w.Write([]byte{1}); return err }}}, nil)
	if err == nil {
		t.Fatal("short tensor written")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatal("half-written file left behind")
	}
}
