package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Well-known metadata keys.
const (
	KeyArchitecture        = "general.architecture"
	KeyName                = "general.name"
	KeyFileType            = "general.file_type"
	KeyQuantizationVersion = "general.quantization_version"
)

// ErrKeyNotFound is wrapped by the accessors' error for a missing key.
var ErrKeyNotFound = errors.New("key not found")

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string {
	keys := make([]string, len(f.kvs))
	for i, e := range f.kvs {
		keys[i] = e.key
	}
	return keys
}

// Has reports whether the file has the metadata key.
func (f *File) Has(key string) bool {
	_, ok := f.kvIndex[key]
	return ok
}

// Type returns the value type of key.
func (f *File) Type(key string) (ValueType, bool) {
	e, ok := f.entry(key)
	if !ok {
		return 0, false
	}
	return e.typ, true
}

// Arch returns general.architecture ("deepseek2", "qwen2", "llama"), or ""
// when it is missing or not a string.
func (f *File) Arch() string {
	s, _ := f.String(KeyArchitecture)
	return s
}

// ArchKey returns the architecture-scoped key "<arch>.<suffix>", such as
// ArchKey("block_count") = "deepseek2.block_count".
func (f *File) ArchKey(suffix string) string { return f.Arch() + "." + suffix }

func (f *File) entry(key string) (kv, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return kv{}, false
	}
	return f.kvs[i], true
}

func (f *File) lookup(key string) (kv, error) {
	e, ok := f.entry(key)
	if !ok {
		return kv{}, fmt.Errorf("gguf: %s: key %q: %w", f.path, key, ErrKeyNotFound)
	}
	return e, nil
}

func (f *File) wrongType(key string, got ValueType, want string) error {
	return fmt.Errorf("gguf: %s: key %q has type %v, want %s", f.path, key, got, want)
}

// String returns the string value of key.
func (f *File) String(key string) (string, error) {
	e, err := f.lookup(key)
	if err != nil {
		return "", err
	}
	if e.typ != TypeString {
		return "", f.wrongType(key, e.typ, "string")
	}
	s, _ := f.readString(e.off)
	return s, nil
}

// Uint returns the value of an integer key as uint64. Any integer type is
// accepted; negative values are an error.
func (f *File) Uint(key string) (uint64, error) {
	e, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if !e.typ.isInteger() {
		return 0, f.wrongType(key, e.typ, "an integer")
	}
	u, neg := f.scalarInt(e.typ, e.off)
	if neg {
		return 0, fmt.Errorf("gguf: %s: key %q is negative (%d)", f.path, key, int64(u))
	}
	return u, nil
}

// Int returns the value of an integer key as int64. Any integer type is
// accepted; uint64 values above MaxInt64 are an error.
func (f *File) Int(key string) (int64, error) {
	e, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if !e.typ.isInteger() {
		return 0, f.wrongType(key, e.typ, "an integer")
	}
	u, neg := f.scalarInt(e.typ, e.off)
	if !neg && u > math.MaxInt64 {
		return 0, fmt.Errorf("gguf: %s: key %q: %d overflows int64", f.path, key, u)
	}
	return int64(u), nil
}

// Float returns the value of a float32 or float64 key.
func (f *File) Float(key string) (float64, error) {
	e, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if !e.typ.isFloat() {
		return 0, f.wrongType(key, e.typ, "a float")
	}
	return f.scalarFloat(e.typ, e.off), nil
}

// Bool returns the value of a bool key.
func (f *File) Bool(key string) (bool, error) {
	e, err := f.lookup(key)
	if err != nil {
		return false, err
	}
	if e.typ != TypeBool {
		return false, f.wrongType(key, e.typ, "bool")
	}
	return f.data[e.off] != 0, nil
}

// UintOr is Uint with a default for a missing key (a key of the wrong type
// is still an error).
func (f *File) UintOr(key string, def uint64) (uint64, error) {
	if !f.Has(key) {
		return def, nil
	}
	return f.Uint(key)
}

// FloatOr is Float with a default for a missing key.
func (f *File) FloatOr(key string, def float64) (float64, error) {
	if !f.Has(key) {
		return def, nil
	}
	return f.Float(key)
}

// BoolOr is Bool with a default for a missing key.
func (f *File) BoolOr(key string, def bool) (bool, error) {
	if !f.Has(key) {
		return def, nil
	}
	return f.Bool(key)
}

// StringOr is String with a default for a missing key.
func (f *File) StringOr(key, def string) (string, error) {
	if !f.Has(key) {
		return def, nil
	}
	return f.String(key)
}

// ArrayInfo returns the element type and length of an array key.
func (f *File) ArrayInfo(key string) (elem ValueType, n int, err error) {
	e, err := f.lookup(key)
	if err != nil {
		return 0, 0, err
	}
	if e.typ != TypeArray {
		return 0, 0, f.wrongType(key, e.typ, "array")
	}
	elem, n, _ = f.arrayHeader(e.off)
	return elem, n, nil
}

// array returns the element type, length and first-element offset of an
// array key, checking the element type with accept.
func (f *File) array(key string, want string, accept func(ValueType) bool) (ValueType, int, int, error) {
	elem, n, err := f.ArrayInfo(key)
	if err != nil {
		return 0, 0, 0, err
	}
	if !accept(elem) {
		return 0, 0, 0, fmt.Errorf("gguf: %s: key %q is an array of %v, want an array of %s", f.path, key, elem, want)
	}
	return elem, n, f.kvs[f.kvIndex[key]].off + 12, nil
}

// Strings returns the value of a string-array key (a vocabulary, merges).
func (f *File) Strings(key string) ([]string, error) {
	_, n, off, err := f.array(key, "string", func(t ValueType) bool { return t == TypeString })
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		out[i], off = f.readString(off)
	}
	return out, nil
}

// Ints returns the value of an integer-array key (any integer element type)
// as int64s; uint64 elements above MaxInt64 are an error.
func (f *File) Ints(key string) ([]int64, error) {
	elem, n, off, err := f.array(key, "integers", ValueType.isInteger)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	sz := elem.fixedSize()
	for i := range out {
		u, neg := f.scalarInt(elem, off+i*sz)
		if !neg && u > math.MaxInt64 {
			return nil, fmt.Errorf("gguf: %s: key %q: element %d overflows int64", f.path, key, i)
		}
		out[i] = int64(u)
	}
	return out, nil
}

// Floats returns the value of a float32- or float64-array key.
func (f *File) Floats(key string) ([]float64, error) {
	elem, n, off, err := f.array(key, "floats", ValueType.isFloat)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	sz := elem.fixedSize()
	for i := range out {
		out[i] = f.scalarFloat(elem, off+i*sz)
	}
	return out, nil
}

// Bools returns the value of a bool-array key.
func (f *File) Bools(key string) ([]bool, error) {
	_, n, off, err := f.array(key, "bools", func(t ValueType) bool { return t == TypeBool })
	if err != nil {
		return nil, err
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = f.data[off+i] != 0
	}
	return out, nil
}

// Value decodes the value of key into a Go value: uint8, int8, uint16,
// int16, uint32, int32, float32, bool, string, uint64, int64, float64, a
// slice of one of those for an array, or []any for an array of arrays.
func (f *File) Value(key string) (any, error) {
	e, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	v, _ := f.decode(e.typ, e.off)
	return v, nil
}

// The readers below run only on values validated by parse, so they do no
// bounds checks of their own.

func (f *File) readString(off int) (string, int) {
	n := int(binary.LittleEndian.Uint64(f.data[off:]))
	return string(f.data[off+8 : off+8+n]), off + 8 + n
}

func (f *File) arrayHeader(off int) (ValueType, int, int) {
	elem := ValueType(binary.LittleEndian.Uint32(f.data[off:]))
	n := int(binary.LittleEndian.Uint64(f.data[off+4:]))
	return elem, n, off + 12
}

// scalarInt reads an integer of type t; neg reports a negative signed value
// (whose two's-complement bits are returned).
func (f *File) scalarInt(t ValueType, off int) (u uint64, neg bool) {
	b := f.data[off:]
	var s int64
	switch t {
	case TypeUint8:
		return uint64(b[0]), false
	case TypeUint16:
		return uint64(binary.LittleEndian.Uint16(b)), false
	case TypeUint32:
		return uint64(binary.LittleEndian.Uint32(b)), false
	case TypeUint64:
		return binary.LittleEndian.Uint64(b), false
	case TypeInt8:
		s = int64(int8(b[0]))
	case TypeInt16:
		s = int64(int16(binary.LittleEndian.Uint16(b)))
	case TypeInt32:
		s = int64(int32(binary.LittleEndian.Uint32(b)))
	case TypeInt64:
		s = int64(binary.LittleEndian.Uint64(b))
	}
	return uint64(s), s < 0
}

func (f *File) scalarFloat(t ValueType, off int) float64 {
	if t == TypeFloat32 {
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(f.data[off:])))
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(f.data[off:]))
}

// decode returns the value of type t at off and the offset after it.
func (f *File) decode(t ValueType, off int) (any, int) {
	b := f.data[off:]
	switch t {
	case TypeUint8:
		return b[0], off + 1
	case TypeInt8:
		return int8(b[0]), off + 1
	case TypeUint16:
		return binary.LittleEndian.Uint16(b), off + 2
	case TypeInt16:
		return int16(binary.LittleEndian.Uint16(b)), off + 2
	case TypeUint32:
		return binary.LittleEndian.Uint32(b), off + 4
	case TypeInt32:
		return int32(binary.LittleEndian.Uint32(b)), off + 4
	case TypeFloat32:
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), off + 4
	case TypeBool:
		return b[0] != 0, off + 1
	case TypeString:
		return f.readString(off)
	case TypeUint64:
		return binary.LittleEndian.Uint64(b), off + 8
	case TypeInt64:
		return int64(binary.LittleEndian.Uint64(b)), off + 8
	case TypeFloat64:
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), off + 8
	case TypeArray:
		return f.decodeArray(off)
	}
	return nil, off
}

func (f *File) decodeArray(off int) (any, int) {
	elem, n, off := f.arrayHeader(off)
	switch elem {
	case TypeUint8:
		return decodeSlice[uint8](f, elem, n, off)
	case TypeInt8:
		return decodeSlice[int8](f, elem, n, off)
	case TypeUint16:
		return decodeSlice[uint16](f, elem, n, off)
	case TypeInt16:
		return decodeSlice[int16](f, elem, n, off)
	case TypeUint32:
		return decodeSlice[uint32](f, elem, n, off)
	case TypeInt32:
		return decodeSlice[int32](f, elem, n, off)
	case TypeFloat32:
		return decodeSlice[float32](f, elem, n, off)
	case TypeBool:
		return decodeSlice[bool](f, elem, n, off)
	case TypeString:
		return decodeSlice[string](f, elem, n, off)
	case TypeUint64:
		return decodeSlice[uint64](f, elem, n, off)
	case TypeInt64:
		return decodeSlice[int64](f, elem, n, off)
	case TypeFloat64:
		return decodeSlice[float64](f, elem, n, off)
	}
	return decodeSlice[any](f, elem, n, off)
}

func decodeSlice[T any](f *File, elem ValueType, n, off int) ([]T, int) {
	out := make([]T, n)
	for i := range out {
		var v any
		v, off = f.decode(elem, off)
		out[i] = v.(T)
	}
	return out, off
}
