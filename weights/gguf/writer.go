package gguf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"

	"github.com/seekd/seekd/tensor"
)

// Writer builds a GGUF v3 file: the metadata in the order keys were first
// set, then the tensor infos and the tensor data, each tensor padded to the
// alignment, in the order tensors were added (the layout gguf-py's
// GGUFWriter produces).
type Writer struct {
	kvs     []wkv
	kvIndex map[string]int
	tensors []wtensor
	tIndex  map[string]int
}

type wkv struct {
	key string
	typ ValueType
	val []byte // encoded value, without the type tag
}

type wtensor struct {
	name  string
	typ   GGMLType
	dims  []int64
	size  int64
	data  []byte
	write func(io.Writer) error
}

// NewWriter returns an empty writer.
func NewWriter() *Writer {
	return &Writer{kvIndex: map[string]int{}, tIndex: map[string]int{}}
}

// Set stores a metadata value. The GGUF type follows the Go type: uint8,
// int8, uint16, int16, uint32, int32, float32, bool, string, uint64, int64,
// float64, a slice of one of those for an array, and a slice of slices (or
// []any whose elements share one type) for nested arrays. Plain int and uint
// are refused because their GGUF width would be a guess. Setting a key again
// replaces its value in place.
func (w *Writer) Set(key string, v any) error {
	var buf bytes.Buffer
	typ, err := encodeValue(&buf, reflect.ValueOf(v), 0)
	if err != nil {
		return fmt.Errorf("gguf: key %q: %w", key, err)
	}
	if key == KeyAlignment {
		a, ok := v.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: key %q must be a uint32 power of two, got %v", key, v)
		}
	}
	e := wkv{key: key, typ: typ, val: buf.Bytes()}
	if i, ok := w.kvIndex[key]; ok {
		w.kvs[i] = e
		return nil
	}
	w.kvIndex[key] = len(w.kvs)
	w.kvs = append(w.kvs, e)
	return nil
}

// Delete removes a metadata key if present.
func (w *Writer) Delete(key string) {
	i, ok := w.kvIndex[key]
	if !ok {
		return
	}
	w.kvs = append(w.kvs[:i], w.kvs[i+1:]...)
	delete(w.kvIndex, key)
	for j := i; j < len(w.kvs); j++ {
		w.kvIndex[w.kvs[j].key] = j
	}
}

// AddTensor adds a tensor whose data is already encoded; dims is ggml's ne
// (innermost first) and data must have exactly the size they call for.
func (w *Writer) AddTensor(name string, typ GGMLType, dims []int64, data []byte) error {
	size, err := w.checkTensor(name, typ, dims)
	if err != nil {
		return err
	}
	if int64(len(data)) != size {
		return fmt.Errorf("gguf: tensor %q: %d bytes of data, %v %v needs %d", name, len(data), typ, dims, size)
	}
	w.add(wtensor{name: name, typ: typ, dims: append([]int64(nil), dims...), size: size, data: data})
	return nil
}

// AddTensorFunc adds a tensor whose data is produced while the file is
// written (so a converter need not hold every tensor in memory); write must
// emit exactly the size typ and dims call for.
func (w *Writer) AddTensorFunc(name string, typ GGMLType, dims []int64, write func(io.Writer) error) error {
	size, err := w.checkTensor(name, typ, dims)
	if err != nil {
		return err
	}
	w.add(wtensor{name: name, typ: typ, dims: append([]int64(nil), dims...), size: size, write: write})
	return nil
}

// AddTensorOf adds a tensor.Tensor (shape outermost first), converting its
// dtype to the ggml type id and its shape to ne order.
func (w *Writer) AddTensorOf(t *tensor.Tensor) error {
	typ, ok := FromDType(t.DType)
	if !ok {
		return fmt.Errorf("gguf: tensor %q: dtype %v cannot be stored in GGUF", t.Name, t.DType)
	}
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[len(dims)-1-i] = int64(d)
	}
	return w.AddTensor(t.Name, typ, dims, t.Data)
}

func (w *Writer) checkTensor(name string, typ GGMLType, dims []int64) (int64, error) {
	if _, dup := w.tIndex[name]; dup {
		return 0, fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if !typ.Known() {
		return 0, fmt.Errorf("gguf: tensor %q: unknown type %v", name, typ)
	}
	if len(dims) > maxDims {
		return 0, fmt.Errorf("gguf: tensor %q: %d dimensions, at most %d", name, len(dims), maxDims)
	}
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("gguf: tensor %q: negative dimension in %v", name, dims)
		}
	}
	size, err := tensorBytes(typ, dims)
	if err != nil {
		return 0, fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	return size, nil
}

func (w *Writer) add(t wtensor) {
	w.tIndex[t.name] = len(w.tensors)
	w.tensors = append(w.tensors, t)
}

func (w *Writer) alignment() int64 {
	if i, ok := w.kvIndex[KeyAlignment]; ok {
		return int64(binary.LittleEndian.Uint32(w.kvs[i].val))
	}
	return DefaultAlignment
}

// header encodes everything before the data section, without the padding.
func (w *Writer) header() []byte {
	var b bytes.Buffer
	b.WriteString(Magic)
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, 3))
	b.Write(le.AppendUint64(nil, uint64(len(w.tensors))))
	b.Write(le.AppendUint64(nil, uint64(len(w.kvs))))
	for _, e := range w.kvs {
		writeString(&b, e.key)
		b.Write(le.AppendUint32(nil, uint32(e.typ)))
		b.Write(e.val)
	}
	align := w.alignment()
	off := int64(0)
	for _, t := range w.tensors {
		writeString(&b, t.name)
		b.Write(le.AppendUint32(nil, uint32(len(t.dims))))
		for _, d := range t.dims {
			b.Write(le.AppendUint64(nil, uint64(d)))
		}
		b.Write(le.AppendUint32(nil, uint32(t.typ)))
		b.Write(le.AppendUint64(nil, uint64(off)))
		off += alignUp(t.size, align)
	}
	return b.Bytes()
}

// Size returns the number of bytes WriteTo will write.
func (w *Writer) Size() int64 {
	align := w.alignment()
	n := alignUp(int64(len(w.header())), align)
	for _, t := range w.tensors {
		n += alignUp(t.size, align)
	}
	return n
}

// WriteTo writes the file.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(out, 1<<20)
	cw := &countWriter{w: bw}
	align := w.alignment()
	hdr := w.header()
	cw.Write(hdr)
	cw.Write(make([]byte, alignUp(int64(len(hdr)), align)-int64(len(hdr))))
	for _, t := range w.tensors {
		start := cw.n
		if t.write != nil {
			if err := t.write(cw); err != nil {
				return cw.n, fmt.Errorf("gguf: tensor %q: %w", t.name, err)
			}
		} else {
			cw.Write(t.data)
		}
		if got := cw.n - start; got != t.size && cw.err == nil {
			return cw.n, fmt.Errorf("gguf: tensor %q: wrote %d bytes, want %d", t.name, got, t.size)
		}
		cw.Write(make([]byte, alignUp(t.size, align)-t.size))
	}
	if cw.err != nil {
		return cw.n, fmt.Errorf("gguf: %w", cw.err)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("gguf: %w", err)
	}
	return cw.n, nil
}

// WriteFile writes the file atomically: to a temporary file in the same
// directory, synced, then renamed over path. On error nothing is left at path.
func (w *Writer) WriteFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := w.WriteTo(tmp); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gguf: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	ok = true
	return nil
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

func writeString(b *bytes.Buffer, s string) {
	b.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(s))))
	b.WriteString(s)
}

var errNoInt = errors.New("plain int/uint values are ambiguous: use a sized type such as uint32 or int64")

// encodeValue appends the encoding of v and returns its GGUF type.
func encodeValue(b *bytes.Buffer, v reflect.Value, depth int) (ValueType, error) {
	le := binary.LittleEndian
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Uint8:
		b.WriteByte(uint8(v.Uint()))
		return TypeUint8, nil
	case reflect.Int8:
		b.WriteByte(uint8(v.Int()))
		return TypeInt8, nil
	case reflect.Uint16:
		b.Write(le.AppendUint16(nil, uint16(v.Uint())))
		return TypeUint16, nil
	case reflect.Int16:
		b.Write(le.AppendUint16(nil, uint16(v.Int())))
		return TypeInt16, nil
	case reflect.Uint32:
		b.Write(le.AppendUint32(nil, uint32(v.Uint())))
		return TypeUint32, nil
	case reflect.Int32:
		b.Write(le.AppendUint32(nil, uint32(v.Int())))
		return TypeInt32, nil
	case reflect.Uint64:
		b.Write(le.AppendUint64(nil, v.Uint()))
		return TypeUint64, nil
	case reflect.Int64:
		b.Write(le.AppendUint64(nil, uint64(v.Int())))
		return TypeInt64, nil
	case reflect.Float32:
		b.Write(le.AppendUint32(nil, math.Float32bits(float32(v.Float()))))
		return TypeFloat32, nil
	case reflect.Float64:
		b.Write(le.AppendUint64(nil, math.Float64bits(v.Float())))
		return TypeFloat64, nil
	case reflect.Bool:
		if v.Bool() {
			b.WriteByte(1)
		} else {
			b.WriteByte(0)
		}
		return TypeBool, nil
	case reflect.String:
		writeString(b, v.String())
		return TypeString, nil
	case reflect.Int, reflect.Uint:
		return 0, errNoInt
	case reflect.Slice, reflect.Array:
		if depth >= DefaultLimits().MaxDepth {
			return 0, fmt.Errorf("arrays nested deeper than %d", DefaultLimits().MaxDepth)
		}
		return encodeArray(b, v, depth)
	}
	if !v.IsValid() {
		return 0, errors.New("nil value")
	}
	return 0, fmt.Errorf("unsupported value type %s", v.Type())
}

func encodeArray(b *bytes.Buffer, v reflect.Value, depth int) (ValueType, error) {
	elem, ok := elemTypeOf(v.Type().Elem())
	if !ok {
		if v.Len() == 0 {
			return 0, fmt.Errorf("cannot tell the element type of an empty %s", v.Type())
		}
		var probe bytes.Buffer
		t, err := encodeValue(&probe, v.Index(0), depth+1)
		if err != nil {
			return 0, err
		}
		elem = t
	}
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, uint32(elem)))
	b.Write(le.AppendUint64(nil, uint64(v.Len())))
	for i := 0; i < v.Len(); i++ {
		t, err := encodeValue(b, v.Index(i), depth+1)
		if err != nil {
			return 0, fmt.Errorf("element %d: %w", i, err)
		}
		if t != elem {
			return 0, fmt.Errorf("element %d has type %v in an array of %v", i, t, elem)
		}
	}
	return TypeArray, nil
}

// elemTypeOf maps a Go element type to its GGUF type when it is static.
func elemTypeOf(t reflect.Type) (ValueType, bool) {
	switch t.Kind() {
	case reflect.Uint8:
		return TypeUint8, true
	case reflect.Int8:
		return TypeInt8, true
	case reflect.Uint16:
		return TypeUint16, true
	case reflect.Int16:
		return TypeInt16, true
	case reflect.Uint32:
		return TypeUint32, true
	case reflect.Int32:
		return TypeInt32, true
	case reflect.Uint64:
		return TypeUint64, true
	case reflect.Int64:
		return TypeInt64, true
	case reflect.Float32:
		return TypeFloat32, true
	case reflect.Float64:
		return TypeFloat64, true
	case reflect.Bool:
		return TypeBool, true
	case reflect.String:
		return TypeString, true
	case reflect.Slice, reflect.Array:
		return TypeArray, true
	}
	return 0, false
}
