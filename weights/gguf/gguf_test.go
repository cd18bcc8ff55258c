package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seekd/seekd/tensor"
)

// sampleMetadata has one key of every value type, including nested arrays.
func sampleMetadata() []struct {
	key string
	val any
} {
	return []struct {
		key string
		val any
	}{
		{KeyArchitecture, "deepseek2"},
		{"t.u8", uint8(200)},
		{"t.i8", int8(-100)},
		{"t.u16", uint16(60000)},
		{"t.i16", int16(-30000)},
		{"t.u32", uint32(4000000000)},
		{"t.i32", int32(-2000000000)},
		{"t.f32", float32(0.1)},
		{"t.bool", true},
		{"t.str", "héllo\x00world"},
		{"t.u64", uint64(math.MaxUint64)},
		{"t.i64", int64(math.MinInt64)},
		{"t.f64", math.Pi},
		{"t.empty", ""},
		{"a.u8", []uint8{1, 2, 3}},
		{"a.i8", []int8{-1, 2}},
		{"a.u16", []uint16{1, 65535}},
		{"a.i16", []int16{-5}},
		{"a.u32", []uint32{7, 8, 9}},
		{"a.i32", []int32{-1, 0, 1}},
		{"a.f32", []float32{1.5, -2.25}},
		{"a.bool", []bool{true, false, true}},
		{"a.str", []string{"a", "", "ccc"}},
		{"a.u64", []uint64{1 << 40}},
		{"a.i64", []int64{-1 << 40}},
		{"a.f64", []float64{1e300}},
		{"a.empty", []int32{}},
		{"a.nested", [][]int32{{1, 2}, {}, {3}}},
		{"a.nested2", [][]string{{"x"}, {"y", "z"}}},
		{"a.deep", [][][]float32{{{1}, {2, 3}}, {}}},
	}
}

// sampleFile writes a small valid file with every metadata type and one
// tensor of each supported type.
func sampleFile(t testing.TB) ([]byte, map[string]*tensor.Tensor) {
	t.Helper()
	w := NewWriter()
	for _, kv := range sampleMetadata() {
		if err := w.Set(kv.key, kv.val); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]*tensor.Tensor{}
	for i, dt := range []tensor.DType{tensor.F32, tensor.F16, tensor.BF16, tensor.Q8_0, tensor.Q4_0, tensor.Q5_0, tensor.Q4_K, tensor.Q6_K} {
		shape := []int{3, 2 * dt.BlockSize()}
		if i == 0 {
			shape = []int{5} // 1-D, and a size that needs padding
		}
		n, _ := tensor.ByteSize(dt, shape)
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(j*7 + i)
		}
		tt := &tensor.Tensor{Name: fmt.Sprintf("blk.%d.%s.weight", i, dt), DType: dt, Shape: shape, Data: data}
		if err := w.AddTensorOf(tt); err != nil {
			t.Fatal(err)
		}
		want[tt.Name] = tt
	}
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n != w.Size() {
		t.Fatalf("WriteTo reported %d bytes, buffer has %d, Size says %d", n, buf.Len(), w.Size())
	}
	return buf.Bytes(), want
}

func TestRoundTrip(t *testing.T) {
	data, want := sampleFile(t)
	path := filepath.Join(t.TempDir(), "x.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Version() != 3 || f.Alignment() != 32 || f.DataOffset()%32 != 0 {
		t.Fatalf("version %d alignment %d data offset %d", f.Version(), f.Alignment(), f.DataOffset())
	}
	meta := sampleMetadata()
	if got := f.Keys(); len(got) != len(meta) {
		t.Fatalf("%d keys, want %d", len(got), len(meta))
	}
	for i, kv := range meta {
		if f.Keys()[i] != kv.key {
			t.Errorf("key %d is %q, want %q (order kept)", i, f.Keys()[i], kv.key)
		}
		got, err := f.Value(kv.key)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(kv.val)) {
			t.Errorf("%s = %#v, want %#v", kv.key, got, kv.val)
		}
	}
	if f.Arch() != "deepseek2" || f.ArchKey("block_count") != "deepseek2.block_count" {
		t.Errorf("Arch %q", f.Arch())
	}
	if f.NumTensors() != len(want) {
		t.Fatalf("%d tensors, want %d", f.NumTensors(), len(want))
	}
	for _, ti := range f.Tensors() {
		if ti.Offset%32 != 0 {
			t.Errorf("%s: offset %d not aligned", ti.Name, ti.Offset)
		}
		got, err := f.Tensor(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		w := want[ti.Name]
		if got.DType != w.DType || !reflect.DeepEqual(got.Shape, w.Shape) || !bytes.Equal(got.Data, w.Data) {
			t.Errorf("%s: got %v %v, want %v %v", ti.Name, got.DType, got.Shape, w.DType, w.Shape)
		}
		if ti.Dims[0] != int64(w.Shape[len(w.Shape)-1]) {
			t.Errorf("%s: ne0 %d is not the innermost dimension of %v", ti.Name, ti.Dims[0], w.Shape)
		}
	}
}

// normalize turns []any holding slices into a comparable form.
func normalize(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return v
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = normalize(rv.Index(i).Interface())
	}
	return out
}

func TestAccessors(t *testing.T) {
	data, _ := sampleFile(t)
	f, err := Parse("mem.gguf", data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.Uint("t.u32")
	if err != nil || u != 4000000000 {
		t.Errorf("Uint(t.u32) = %d, %v", u, err)
	}
	if u, err := f.Uint("t.u8"); err != nil || u != 200 {
		t.Errorf("Uint(t.u8) = %d, %v", u, err)
	}
	if _, err := f.Uint("t.i8"); err == nil {
		t.Error("Uint of a negative value should fail")
	}
	if i, err := f.Int("t.i64"); err != nil || i != math.MinInt64 {
		t.Errorf("Int(t.i64) = %d, %v", i, err)
	}
	if _, err := f.Int("t.u64"); err == nil {
		t.Error("Int of MaxUint64 should fail")
	}
	if v, err := f.Float("t.f32"); err != nil || v != float64(float32(0.1)) {
		t.Errorf("Float(t.f32) = %v, %v", v, err)
	}
	if b, err := f.Bool("t.bool"); err != nil || !b {
		t.Errorf("Bool = %v, %v", b, err)
	}
	if s, err := f.String("t.str"); err != nil || s != "héllo\x00world" {
		t.Errorf("String = %q, %v", s, err)
	}
	if ss, err := f.Strings("a.str"); err != nil || !reflect.DeepEqual(ss, []string{"a", "", "ccc"}) {
		t.Errorf("Strings = %q, %v", ss, err)
	}
	if is, err := f.Ints("a.i32"); err != nil || !reflect.DeepEqual(is, []int64{-1, 0, 1}) {
		t.Errorf("Ints = %v, %v", is, err)
	}
	if fs, err := f.Floats("a.f32"); err != nil || !reflect.DeepEqual(fs, []float64{1.5, -2.25}) {
		t.Errorf("Floats = %v, %v", fs, err)
	}
	if bs, err := f.Bools("a.bool"); err != nil || !reflect.DeepEqual(bs, []bool{true, false, true}) {
		t.Errorf("Bools = %v, %v", bs, err)
	}
	if et, n, err := f.ArrayInfo("a.nested"); err != nil || et != TypeArray || n != 3 {
		t.Errorf("ArrayInfo = %v %d %v", et, n, err)
	}
	if v, err := f.UintOr("missing", 7); err != nil || v != 7 {
		t.Errorf("UintOr = %d, %v", v, err)
	}
	if _, err := f.UintOr("t.str", 7); err == nil {
		t.Error("UintOr of a string key should fail")
	}
	wrong := []struct {
		name string
		call func() error
		msg  string
	}{
		{"String of uint32", func() error { _, err := f.String("t.u32"); return err }, `key "t.u32" has type uint32, want string`},
		{"Uint of float", func() error { _, err := f.Uint("t.f32"); return err }, "want an integer"},
		{"Float of int", func() error { _, err := f.Float("t.i32"); return err }, "want a float"},
		{"Bool of u8", func() error { _, err := f.Bool("t.u8"); return err }, "want bool"},
		{"Strings of ints", func() error { _, err := f.Strings("a.i32"); return err }, "array of int32, want an array of string"},
		{"Ints of floats", func() error { _, err := f.Ints("a.f32"); return err }, "want an array of integers"},
		{"Floats of scalar", func() error { _, err := f.Floats("t.f32"); return err }, "want array"},
	}
	for _, tc := range wrong {
		err := tc.call()
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "mem.gguf") {
			t.Errorf("%s: error %v, want one naming the file and %q", tc.name, err, tc.msg)
		}
	}
	if _, err := f.String("nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := f.Tensor("nope"); err == nil {
		t.Error("missing tensor: no error")
	}
}

func TestWriterRefuses(t *testing.T) {
	w := NewWriter()
	for _, v := range []any{1, uint(2), nil, map[string]int{}, []any{}, []any{int32(1), "x"}, struct{}{}} {
		if err := w.Set("k", v); err == nil {
			t.Errorf("Set(%#v) accepted", v)
		}
	}
	if err := w.Set(KeyAlignment, uint32(48)); err == nil {
		t.Error("alignment 48 accepted")
	}
	if err := w.AddTensor("x", GGMLQ4_K, []int64{128, 2}, make([]byte, 144)); err == nil {
		t.Error("Q4_K row of 128 accepted")
	}
	if err := w.AddTensor("x", GGMLF32, []int64{4}, make([]byte, 15)); err == nil {
		t.Error("wrong data size accepted")
	}
	if err := w.AddTensor("x", GGMLF32, []int64{4}, make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("x", GGMLF32, []int64{4}, make([]byte, 16)); err == nil {
		t.Error("duplicate tensor accepted")
	}
}

func TestAlignmentAndReplace(t *testing.T) {
	w := NewWriter()
	must(t, w.Set("a", uint32(1)))
	must(t, w.Set(KeyAlignment, uint32(64)))
	must(t, w.Set("a", "replaced"))
	must(t, w.AddTensor("t1", GGMLF32, []int64{3}, make([]byte, 12)))
	must(t, w.AddTensorFunc("t2", GGMLF16, []int64{5, 1}, func(out io.Writer) error {
		_, err := out.Write([]byte("0123456789"))
		return err
	}))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("a.gguf", buf.Bytes(), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if f.Alignment() != 64 || f.DataOffset()%64 != 0 {
		t.Errorf("alignment %d, data at %d", f.Alignment(), f.DataOffset())
	}
	if s, _ := f.String("a"); s != "replaced" || f.Keys()[0] != "a" {
		t.Errorf("replaced key: %q, keys %v", s, f.Keys())
	}
	ti, _ := f.TensorInfo("t2")
	if ti.Offset != 64 {
		t.Errorf("t2 at %d, want 64", ti.Offset)
	}
	d, _ := f.TensorData("t2")
	if string(d) != "0123456789" {
		t.Errorf("t2 data %q", d)
	}
	w.Delete("a")
	if w.Size()%64 != 0 {
		t.Errorf("size %d not aligned", w.Size())
	}

	bad := NewWriter()
	must(t, bad.AddTensorFunc("t", GGMLF32, []int64{2}, func(out io.Writer) error {
		_, err := out.Write([]byte{1, 2, 3})
		return err
	}))
	if _, err := bad.WriteTo(io.Discard); err == nil {
		t.Error("short tensor write not reported")
	}
	path := filepath.Join(t.TempDir(), "bad.gguf")
	if err := bad.WriteFile(path); err == nil {
		t.Error("WriteFile succeeded")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Errorf("failed WriteFile left %v", entries)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLargeVocabulary checks the default caps admit a real vocabulary
// (DeepSeek-V3 has 129,280 tokens and 127,741 merges).
func TestLargeVocabulary(t *testing.T) {
	tokens := make([]string, 129280)
	types := make([]int32, len(tokens))
	for i := range tokens {
		tokens[i] = fmt.Sprintf("tok%06d", i)
		types[i] = 1
	}
	w := NewWriter()
	must(t, w.Set("tokenizer.ggml.tokens", tokens))
	must(t, w.Set("tokenizer.ggml.token_type", types))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("vocab.gguf", buf.Bytes(), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil || len(got) != len(tokens) || got[129279] != "tok129279" {
		t.Fatalf("tokens: %d, %v", len(got), err)
	}
	lim := DefaultLimits()
	lim.MaxArrayLen = 1000
	if _, err := Parse("vocab.gguf", buf.Bytes(), lim); err == nil || !strings.Contains(err.Error(), "exceeds the cap") {
		t.Errorf("array cap not enforced: %v", err)
	}
}

// raw builds GGUF bytes field by field, for malformed files.
type raw struct{ bytes.Buffer }

func (r *raw) u32(v uint32) *raw { r.Write(binary.LittleEndian.AppendUint32(nil, v)); return r }
func (r *raw) u64(v uint64) *raw { r.Write(binary.LittleEndian.AppendUint64(nil, v)); return r }
func (r *raw) str(s string) *raw { r.u64(uint64(len(s))); r.WriteString(s); return r }
func (r *raw) pad(a int) *raw {
	for r.Len()%a != 0 {
		r.WriteByte(0)
	}
	return r
}

// header starts a file with the given counts.
func header(version uint32, nTensors, nKV uint64) *raw {
	r := &raw{}
	r.WriteString("GGUF")
	return r.u32(version).u64(nTensors).u64(nKV)
}

// tinfo appends a tensor info.
func (r *raw) tinfo(name string, typ uint32, off uint64, dims ...uint64) *raw {
	r.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	return r.u32(typ).u64(off)
}

func TestMalformed(t *testing.T) {
	f32x4 := func(r *raw) *raw { return r.pad(32).u64(0).u64(0) } // 16 data bytes
	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "truncated"},
		{"bad magic", []byte("GGML\x03\x00\x00\x00"), "not a GGUF file"},
		{"version 1", header(1, 0, 0).Bytes(), "version 1 is not supported"},
		{"big endian", append([]byte("GGUF"), 0, 0, 0, 3), "big-endian"},
		{"version 9", header(9, 0, 0).Bytes(), "unsupported GGUF version 9"},
		{"huge kv count", header(3, 0, 1<<40).Bytes(), "metadata count"},
		{"huge tensor count", header(3, 1<<40, 0).Bytes(), "tensor count"},
		{"truncated key", header(3, 0, 1).u64(100).u64(0).Bytes(), `key of metadata entry 0`},
		{"too short for counts", header(3, 10, 10).Bytes(), "cannot fit"},
		{"unknown value type", header(3, 0, 1).str("k").u32(13).u64(0).Bytes(), `key "k": unknown value type 13`},
		{"duplicate key", header(3, 0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).Bytes(), `duplicate metadata key "k"`},
		{"string past end", header(3, 0, 1).str("k").u32(8).u64(1000).Bytes(), `key "k"`},
		{"string over cap", header(3, 0, 1).str("k").u32(8).u64(1 << 40).Bytes(), "exceeds the cap"},
		{"array over size", header(3, 0, 1).str("k").u32(9).u32(4).u64(1 << 30).Bytes(), `key "k": array of 1073741824 uint32`},
		{"array bad elem", header(3, 0, 1).str("k").u32(9).u32(77).u64(0).Bytes(), "unknown array element type 77"},
		{"alignment type", header(3, 0, 1).str(KeyAlignment).u32(5).u32(32).Bytes(), "want uint32"},
		{"alignment value", header(3, 0, 1).str(KeyAlignment).u32(4).u32(48).Bytes(), "not a power of two"},
		{"unknown tensor type", header(3, 1, 0).tinfo("w", 4, 0, 4).Bytes(), `tensor "w": unknown tensor type id 4`},
		{"too many dims", header(3, 1, 0).tinfo("w", 0, 0, 1, 1, 1, 1, 1).Bytes(), "5 dimensions"},
		{"negative dim", header(3, 1, 0).tinfo("w", 0, 0, 1<<63).Bytes(), "negative"},
		{"dims overflow", header(3, 1, 0).tinfo("w", 0, 0, 1<<40, 1<<40).Bytes(), "overflow"},
		{"partial block", header(3, 1, 0).tinfo("w", 12, 0, 128, 2).Bytes(), "not a multiple of the Q4_K block size 256"},
		{"duplicate tensor", header(3, 2, 0).tinfo("w", 0, 0, 4).tinfo("w", 0, 32, 4).Bytes(), `duplicate tensor name "w"`},
		{"misaligned", f32x4(header(3, 1, 0).tinfo("w", 0, 8, 2)).Bytes(), "not a multiple of the alignment"},
		{"past end", f32x4(header(3, 1, 0).tinfo("w", 0, 0, 5)).Bytes(), "past the end of the file"},
		{"offset past end", f32x4(header(3, 1, 0).tinfo("w", 0, 1<<62, 1)).Bytes(), "past the end"},
		{"overlap", f32x4(header(3, 2, 0).tinfo("a", 0, 0, 4).tinfo("b", 0, 0, 1)).u64(0).u64(0).Bytes(), "overlaps"},
		{"truncated tensor info", header(3, 1, 0).str("w").u32(3).u64(4).u64(1).u32(0).Bytes(), `tensor "w": dimension 2`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.gguf", tc.data, DefaultLimits())
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "bad.gguf") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want ErrFormat naming the file and %q", err, tc.msg)
			}
		})
	}
}

// TestTruncatedEverywhere cuts a valid file at every length: each prefix
// must fail cleanly (or, past the last tensor's data, succeed).
func TestTruncatedEverywhere(t *testing.T) {
	data, _ := sampleFile(t)
	f, err := Parse("x", data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	for _, ti := range f.Tensors() {
		end = max(end, f.DataOffset()+ti.Offset+ti.Size)
	}
	for n := 0; n < len(data); n++ {
		_, err := Parse("x", data[:n], DefaultLimits())
		if (err == nil) != (int64(n) >= end) {
			t.Fatalf("prefix of %d bytes (data ends at %d): err %v", n, end, err)
		}
	}
}

func TestUnsupportedTensorType(t *testing.T) {
	w := NewWriter()
	must(t, w.AddTensor("blk.0.ffn_down.weight", GGMLQ3_K, []int64{256, 1}, make([]byte, 110)))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("q3.gguf", buf.Bytes(), DefaultLimits())
	if err != nil {
		t.Fatalf("a file with Q3_K tensors must open: %v", err)
	}
	_, err = f.Tensor("blk.0.ffn_down.weight")
	if err == nil || !strings.Contains(err.Error(), `unsupported tensor type Q3_K in tensor "blk.0.ffn_down.weight"`) {
		t.Errorf("error %v", err)
	}
}

func TestVersion2(t *testing.T) {
	data, _ := sampleFile(t)
	v2 := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(v2[4:], 2)
	f, err := Parse("v2.gguf", v2, DefaultLimits())
	if err != nil || f.Version() != 2 {
		t.Fatalf("v2: %v", err)
	}
}

func TestGGMLTypes(t *testing.T) {
	for _, tc := range []struct {
		typ        GGMLType
		name       string
		bs, ts     int
		dt         tensor.DType
		supported  bool
		fromDTypes bool
	}{
		{GGMLF32, "F32", 1, 4, tensor.F32, true, true},
		{GGMLF16, "F16", 1, 2, tensor.F16, true, true},
		{GGMLBF16, "BF16", 1, 2, tensor.BF16, true, true},
		{GGMLQ8_0, "Q8_0", 32, 34, tensor.Q8_0, true, true},
		{GGMLQ4_0, "Q4_0", 32, 18, tensor.Q4_0, true, true},
		{GGMLQ5_0, "Q5_0", 32, 22, tensor.Q5_0, true, true},
		{GGMLQ4_K, "Q4_K", 256, 144, tensor.Q4_K, true, true},
		{GGMLQ6_K, "Q6_K", 256, 210, tensor.Q6_K, true, true},
		{GGMLQ3_K, "Q3_K", 256, 110, tensor.Invalid, false, false},
		{GGMLQ8_K, "Q8_K", 256, 292, tensor.Invalid, false, false},
	} {
		if tc.typ.String() != tc.name || tc.typ.BlockSize() != tc.bs || tc.typ.TypeSize() != tc.ts {
			t.Errorf("%d: %s %d %d", tc.typ, tc.typ, tc.typ.BlockSize(), tc.typ.TypeSize())
		}
		dt, ok := tc.typ.DType()
		if dt != tc.dt || ok != tc.supported {
			t.Errorf("%s: DType %v %v", tc.name, dt, ok)
		}
		if ok {
			if dt.BlockSize() != tc.bs || dt.BlockBytes() != tc.ts {
				t.Errorf("%s: tensor package disagrees on geometry", tc.name)
			}
			back, ok := FromDType(dt)
			if !ok || back != tc.typ {
				t.Errorf("FromDType(%v) = %v", dt, back)
			}
		}
		if p, ok := ParseGGMLType(strings.ToLower(tc.name)); !ok || p != tc.typ {
			t.Errorf("ParseGGMLType(%s) = %v", tc.name, p)
		}
	}
	if _, ok := FromDType(tensor.F8E4M3); ok {
		t.Error("FP8 has no GGUF type")
	}
}
