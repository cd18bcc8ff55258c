package gguf

import (
	"fmt"
	"strings"

	"github.com/seekd/seekd/tensor"
)

// ValueType is the type tag of a metadata value (gguf_type in ggml's gguf.h).
type ValueType uint32

// Metadata value types, with the numbers GGUF files use.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{
	TypeUint8: "uint8", TypeInt8: "int8", TypeUint16: "uint16", TypeInt16: "int16",
	TypeUint32: "uint32", TypeInt32: "int32", TypeFloat32: "float32", TypeBool: "bool",
	TypeString: "string", TypeArray: "array", TypeUint64: "uint64", TypeInt64: "int64",
	TypeFloat64: "float64",
}

// String returns the type's name ("uint32", "string", "array", ...).
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// Valid reports whether t is one of the thirteen GGUF value types.
func (t ValueType) Valid() bool { return t <= TypeFloat64 }

// fixedSize returns the encoded size of a scalar of type t, or 0 for strings
// and arrays (variable size) and invalid types.
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

func (t ValueType) isUnsigned() bool {
	return t == TypeUint8 || t == TypeUint16 || t == TypeUint32 || t == TypeUint64
}

func (t ValueType) isSigned() bool {
	return t == TypeInt8 || t == TypeInt16 || t == TypeInt32 || t == TypeInt64
}

func (t ValueType) isInteger() bool { return t.isUnsigned() || t.isSigned() }

func (t ValueType) isFloat() bool { return t == TypeFloat32 || t == TypeFloat64 }

// GGMLType is a tensor element type id as stored in a GGUF tensor info
// (enum ggml_type in ggml.h).
type GGMLType uint32

// The ggml tensor types. Ids 4, 5 and 31-33, 36-38 were removed from ggml
// and are rejected as unknown.
const (
	GGMLF32     GGMLType = 0
	GGMLF16     GGMLType = 1
	GGMLQ4_0    GGMLType = 2
	GGMLQ4_1    GGMLType = 3
	GGMLQ5_0    GGMLType = 6
	GGMLQ5_1    GGMLType = 7
	GGMLQ8_0    GGMLType = 8
	GGMLQ8_1    GGMLType = 9
	GGMLQ2_K    GGMLType = 10
	GGMLQ3_K    GGMLType = 11
	GGMLQ4_K    GGMLType = 12
	GGMLQ5_K    GGMLType = 13
	GGMLQ6_K    GGMLType = 14
	GGMLQ8_K    GGMLType = 15
	GGMLIQ2_XXS GGMLType = 16
	GGMLIQ2_XS  GGMLType = 17
	GGMLIQ3_XXS GGMLType = 18
	GGMLIQ1_S   GGMLType = 19
	GGMLIQ4_NL  GGMLType = 20
	GGMLIQ3_S   GGMLType = 21
	GGMLIQ2_S   GGMLType = 22
	GGMLIQ4_XS  GGMLType = 23
	GGMLI8      GGMLType = 24
	GGMLI16     GGMLType = 25
	GGMLI32     GGMLType = 26
	GGMLI64     GGMLType = 27
	GGMLF64     GGMLType = 28
	GGMLIQ1_M   GGMLType = 29
	GGMLBF16    GGMLType = 30
	GGMLTQ1_0   GGMLType = 34
	GGMLTQ2_0   GGMLType = 35
	GGMLMXFP4   GGMLType = 39
	GGMLNVFP4   GGMLType = 40
	GGMLQ1_0    GGMLType = 41
	GGMLQ2_0    GGMLType = 42
)

type ggmlTypeInfo struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
	dtype     tensor.DType
}

// ggmlTypes holds the block geometry of every type ggml defines (from
// ggml.c's type_traits / gguf-py's GGML_QUANT_SIZES), so that files holding
// types seekd cannot compute with still parse and validate. dtype is
// tensor.Invalid for those.
var ggmlTypes = map[GGMLType]ggmlTypeInfo{
	GGMLF32:     {"F32", 1, 4, tensor.F32},
	GGMLF16:     {"F16", 1, 2, tensor.F16},
	GGMLQ4_0:    {"Q4_0", 32, 18, tensor.Q4_0},
	GGMLQ4_1:    {"Q4_1", 32, 20, tensor.Invalid},
	GGMLQ5_0:    {"Q5_0", 32, 22, tensor.Q5_0},
	GGMLQ5_1:    {"Q5_1", 32, 24, tensor.Invalid},
	GGMLQ8_0:    {"Q8_0", 32, 34, tensor.Q8_0},
	GGMLQ8_1:    {"Q8_1", 32, 40, tensor.Invalid},
	GGMLQ2_K:    {"Q2_K", 256, 84, tensor.Invalid},
	GGMLQ3_K:    {"Q3_K", 256, 110, tensor.Invalid},
	GGMLQ4_K:    {"Q4_K", 256, 144, tensor.Q4_K},
	GGMLQ5_K:    {"Q5_K", 256, 176, tensor.Invalid},
	GGMLQ6_K:    {"Q6_K", 256, 210, tensor.Q6_K},
	GGMLQ8_K:    {"Q8_K", 256, 292, tensor.Invalid},
	GGMLIQ2_XXS: {"IQ2_XXS", 256, 66, tensor.Invalid},
	GGMLIQ2_XS:  {"IQ2_XS", 256, 74, tensor.Invalid},
	GGMLIQ3_XXS: {"IQ3_XXS", 256, 98, tensor.Invalid},
	GGMLIQ1_S:   {"IQ1_S", 256, 50, tensor.Invalid},
	GGMLIQ4_NL:  {"IQ4_NL", 32, 18, tensor.Invalid},
	GGMLIQ3_S:   {"IQ3_S", 256, 110, tensor.Invalid},
	GGMLIQ2_S:   {"IQ2_S", 256, 82, tensor.Invalid},
	GGMLIQ4_XS:  {"IQ4_XS", 256, 136, tensor.Invalid},
	GGMLI8:      {"I8", 1, 1, tensor.Invalid},
	GGMLI16:     {"I16", 1, 2, tensor.Invalid},
	GGMLI32:     {"I32", 1, 4, tensor.I32},
	GGMLI64:     {"I64", 1, 8, tensor.I64},
	GGMLF64:     {"F64", 1, 8, tensor.Invalid},
	GGMLIQ1_M:   {"IQ1_M", 256, 56, tensor.Invalid},
	GGMLBF16:    {"BF16", 1, 2, tensor.BF16},
	GGMLTQ1_0:   {"TQ1_0", 256, 54, tensor.Invalid},
	GGMLTQ2_0:   {"TQ2_0", 256, 66, tensor.Invalid},
	GGMLMXFP4:   {"MXFP4", 32, 17, tensor.Invalid},
	GGMLNVFP4:   {"NVFP4", 64, 36, tensor.Invalid},
	GGMLQ1_0:    {"Q1_0", 128, 18, tensor.Invalid},
	GGMLQ2_0:    {"Q2_0", 64, 18, tensor.Invalid},
}

// String returns ggml's name for the type ("Q4_K", "BF16", ...).
func (t GGMLType) String() string {
	if info, ok := ggmlTypes[t]; ok {
		return info.name
	}
	return fmt.Sprintf("GGMLType(%d)", uint32(t))
}

// Known reports whether t is a type id ggml defines.
func (t GGMLType) Known() bool {
	_, ok := ggmlTypes[t]
	return ok
}

// BlockSize returns the number of elements per block (0 for unknown types).
func (t GGMLType) BlockSize() int { return ggmlTypes[t].blockSize }

// TypeSize returns the number of bytes per block (0 for unknown types).
func (t GGMLType) TypeSize() int { return ggmlTypes[t].typeSize }

// DType returns the seekd element type for t; ok is false for the ggml types
// seekd does not compute with (Q4_1, Q3_K, IQ*, ...).
func (t GGMLType) DType() (d tensor.DType, ok bool) {
	d = ggmlTypes[t].dtype
	return d, d != tensor.Invalid
}

// FromDType returns the ggml type id that stores d (false for types GGUF
// cannot hold, such as FP8).
func FromDType(d tensor.DType) (GGMLType, bool) {
	for id, info := range ggmlTypes {
		if info.dtype == d && d != tensor.Invalid {
			return id, true
		}
	}
	return 0, false
}

// ParseGGMLType maps a type name ("Q8_0", "bf16") to its id.
func ParseGGMLType(name string) (GGMLType, bool) {
	for id, info := range ggmlTypes {
		if strings.EqualFold(info.name, name) {
			return id, true
		}
	}
	return 0, false
}
