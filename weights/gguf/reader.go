// Package gguf reads and writes GGUF files, the single-file model format of
// llama.cpp/ggml: typed key-value metadata followed by tensor infos and
// aligned tensor data.
//
// The reader memory-maps the file and is lazy and bounded: metadata values
// are validated when the file is opened but decoded only when asked for,
// tensors are views of the mapping, and caps (Limits) on counts and lengths
// keep a hostile file from exhausting memory. The writer produces GGUF v3
// files as gguf-py's GGUFWriter does, for tests and for the converter.
package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"sort"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the data alignment used when general.alignment is absent.
const DefaultAlignment = 32

// KeyAlignment is the metadata key that overrides the data alignment.
const KeyAlignment = "general.alignment"

// maxDims is ggml's GGML_MAX_DIMS.
const maxDims = 4

// ErrFormat is wrapped by every error about a malformed or inconsistent file.
var ErrFormat = errors.New("malformed GGUF file")

// Limits caps what a file may declare. Every count is also checked against
// the bytes actually present, so a file can never make the reader allocate
// much more than its own size; the caps bound the work on top of that.
type Limits struct {
	MaxKeys      int // metadata key-value pairs
	MaxTensors   int // tensor infos
	MaxKeyLen    int // bytes in a metadata key
	MaxNameLen   int // bytes in a tensor name
	MaxStringLen int // bytes in one string value
	MaxArrayLen  int // elements in one array
	MaxDepth     int // nesting of arrays inside arrays
}

// DefaultLimits returns caps that admit every real model file (vocabularies
// of a few hundred thousand tokens, tens of thousands of tensors, long chat
// templates) while refusing absurd declarations.
func DefaultLimits() Limits {
	return Limits{
		MaxKeys:      1 << 16,
		MaxTensors:   1 << 20,
		MaxKeyLen:    1 << 16,
		MaxNameLen:   1 << 12,
		MaxStringLen: 64 << 20,
		MaxArrayLen:  1 << 26,
		MaxDepth:     8,
	}
}

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name string
	Type GGMLType
	// Dims is ggml's ne: Dims[0] is the contiguous (innermost) dimension.
	Dims []int64
	// Offset is the position of the data relative to the data section.
	Offset int64
	// Size is the number of bytes the data occupies.
	Size int64
}

// Shape returns the dimensions outermost first (numpy/PyTorch order, the
// reverse of Dims).
func (ti TensorInfo) Shape() []int {
	s := make([]int, len(ti.Dims))
	for i, d := range ti.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// NumElements returns the product of the dimensions.
func (ti TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range ti.Dims {
		n *= d
	}
	return n
}

// kv is one metadata entry; its value is decoded on demand from data[off:end].
type kv struct {
	key string
	typ ValueType
	off int
	end int
}

// File is an open GGUF file. Tensor data returned by Tensor is a view of the
// file's memory mapping and is valid until Close.
type File struct {
	path      string
	version   uint32
	alignment int
	data      []byte
	dataStart int64
	kvs       []kv
	kvIndex   map[string]int
	tensors   []TensorInfo
	tIndex    map[string]int
	unmap     func() error
}

// Open memory-maps and parses the GGUF file at path with DefaultLimits.
func Open(path string) (*File, error) { return OpenWithLimits(path, DefaultLimits()) }

// OpenWithLimits is Open with explicit caps.
func OpenWithLimits(path string, lim Limits) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	if st.Size() < 24 {
		return nil, fmt.Errorf("gguf: %s: %d bytes is too short for a GGUF header: %w", path, st.Size(), ErrFormat)
	}
	if st.Size() > math.MaxInt {
		return nil, fmt.Errorf("gguf: %s: %d bytes cannot be mapped on this platform", path, st.Size())
	}
	data, unmap, err := mapFile(fh, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	f, err := Parse(path, data, lim)
	if err != nil {
		unmap()
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// Parse reads a GGUF image held in memory; name is used in error messages.
// The File refers to data, which must stay unchanged while it is used.
func Parse(name string, data []byte, lim Limits) (*File, error) {
	f := &File{path: name, data: data, alignment: DefaultAlignment}
	d := &decoder{b: data, file: name}
	if err := f.parse(d, lim); err != nil {
		return nil, err
	}
	return f, nil
}

// Close releases the memory mapping. Tensor data obtained from the file must
// not be used afterwards.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	err := f.unmap()
	f.unmap, f.data = nil, nil
	return err
}

// Path returns the file name given to Open or Parse.
func (f *File) Path() string { return f.path }

// Version returns the GGUF format version (2 or 3).
func (f *File) Version() uint32 { return f.version }

// Alignment returns the data alignment in bytes.
func (f *File) Alignment() int { return f.alignment }

// DataOffset returns the file position of the tensor data section.
func (f *File) DataOffset() int64 { return f.dataStart }

func (f *File) parse(d *decoder, lim Limits) error {
	magic, err := d.bytes(4, "magic")
	if err != nil {
		return err
	}
	if string(magic) != Magic {
		return d.errorf("not a GGUF file (magic %q)", magic)
	}
	if f.version, err = d.u32("version"); err != nil {
		return err
	}
	switch {
	case f.version == 2 || f.version == 3:
	case f.version == 1:
		return d.errorf("GGUF version 1 is not supported (32-bit counts; re-convert the model)")
	case f.version&0xffff == 0:
		return d.errorf("GGUF version %#x: a big-endian file, which is not supported", f.version)
	default:
		return d.errorf("unsupported GGUF version %d", f.version)
	}
	nTensors, err := d.u64("tensor count")
	if err != nil {
		return err
	}
	nKV, err := d.u64("metadata count")
	if err != nil {
		return err
	}
	// Each key-value pair needs at least 8+1+4+1 bytes, each tensor info 8+1+4+8+4+8.
	if nKV > uint64(lim.MaxKeys) {
		return d.errorf("metadata count %d exceeds the cap %d", nKV, lim.MaxKeys)
	}
	if nTensors > uint64(lim.MaxTensors) {
		return d.errorf("tensor count %d exceeds the cap %d", nTensors, lim.MaxTensors)
	}
	if nKV*14+nTensors*33 > uint64(d.remaining()) {
		return d.errorf("truncated file: %d metadata entries and %d tensor infos cannot fit in %d bytes", nKV, nTensors, d.remaining())
	}
	if err := f.parseKVs(d, int(nKV), lim); err != nil {
		return err
	}
	if err := f.parseTensorInfos(d, int(nTensors), lim); err != nil {
		return err
	}
	return f.placeTensors(d)
}

func (f *File) parseKVs(d *decoder, n int, lim Limits) error {
	f.kvs = make([]kv, 0, n)
	f.kvIndex = make(map[string]int, n)
	for i := 0; i < n; i++ {
		key, err := d.str(lim.MaxKeyLen, fmt.Sprintf("key of metadata entry %d", i))
		if err != nil {
			return err
		}
		if _, dup := f.kvIndex[key]; dup {
			return d.errorf("duplicate metadata key %q", key)
		}
		t, err := d.u32(fmt.Sprintf("type of key %q", key))
		if err != nil {
			return err
		}
		typ := ValueType(t)
		if !typ.Valid() {
			return d.errorf("key %q: unknown value type %d", key, t)
		}
		off := d.off
		if err := d.skipValue(typ, key, lim, 0); err != nil {
			return err
		}
		f.kvIndex[key] = len(f.kvs)
		f.kvs = append(f.kvs, kv{key: key, typ: typ, off: off, end: d.off})
	}
	if i, ok := f.kvIndex[KeyAlignment]; ok {
		e := f.kvs[i]
		if e.typ != TypeUint32 {
			return d.errorf("key %q has type %v, want uint32", KeyAlignment, e.typ)
		}
		a := binary.LittleEndian.Uint32(f.data[e.off:])
		if a == 0 || a&(a-1) != 0 || a > 1<<30 {
			return d.errorf("key %q: alignment %d is not a power of two", KeyAlignment, a)
		}
		f.alignment = int(a)
	}
	return nil
}

func (f *File) parseTensorInfos(d *decoder, n int, lim Limits) error {
	f.tensors = make([]TensorInfo, 0, n)
	f.tIndex = make(map[string]int, n)
	for i := 0; i < n; i++ {
		name, err := d.str(lim.MaxNameLen, fmt.Sprintf("name of tensor %d", i))
		if err != nil {
			return err
		}
		if _, dup := f.tIndex[name]; dup {
			return d.errorf("duplicate tensor name %q", name)
		}
		nd, err := d.u32(fmt.Sprintf("tensor %q: dimension count", name))
		if err != nil {
			return err
		}
		if nd > maxDims {
			return d.errorf("tensor %q: %d dimensions, at most %d allowed", name, nd, maxDims)
		}
		dims := make([]int64, nd)
		for j := range dims {
			v, err := d.u64(fmt.Sprintf("tensor %q: dimension %d", name, j))
			if err != nil {
				return err
			}
			if v > math.MaxInt64 {
				return d.errorf("tensor %q: dimension %d is negative", name, j)
			}
			dims[j] = int64(v)
		}
		t, err := d.u32(fmt.Sprintf("tensor %q: type", name))
		if err != nil {
			return err
		}
		typ := GGMLType(t)
		if !typ.Known() {
			return d.errorf("tensor %q: unknown tensor type id %d", name, t)
		}
		off, err := d.u64(fmt.Sprintf("tensor %q: offset", name))
		if err != nil {
			return err
		}
		size, err := tensorBytes(typ, dims)
		if err != nil {
			return d.errorf("tensor %q: %v", name, err)
		}
		if off > math.MaxInt64 {
			return d.errorf("tensor %q: offset %d out of range", name, off)
		}
		f.tIndex[name] = len(f.tensors)
		f.tensors = append(f.tensors, TensorInfo{Name: name, Type: typ, Dims: dims, Offset: int64(off), Size: size})
	}
	return nil
}

// tensorBytes returns the data size of a tensor, checking the row is a whole
// number of blocks and that nothing overflows.
func tensorBytes(typ GGMLType, dims []int64) (int64, error) {
	bs, ts := int64(typ.BlockSize()), int64(typ.TypeSize())
	row := int64(1)
	if len(dims) > 0 {
		row = dims[0]
	}
	if row%bs != 0 {
		return 0, fmt.Errorf("row of %d elements is not a multiple of the %v block size %d", row, typ, bs)
	}
	size := uint64(row / bs * ts)
	for _, d := range dims[min(1, len(dims)):] {
		hi, lo := bits.Mul64(size, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("dimensions %v overflow", dims)
		}
		size = lo
	}
	// ggml also requires the element count itself to fit in int64.
	n := uint64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("dimensions %v overflow", dims)
		}
		n = lo
	}
	return int64(size), nil
}

// placeTensors finds the data section and checks every tensor lies inside
// the file, aligned, without overlapping another.
func (f *File) placeTensors(d *decoder) error {
	start := alignUp(int64(d.off), int64(f.alignment))
	f.dataStart = start
	if len(f.tensors) == 0 {
		return nil
	}
	fileSize := int64(len(f.data))
	order := make([]int, len(f.tensors))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return f.tensors[order[a]].Offset < f.tensors[order[b]].Offset })
	prevEnd, prev := int64(0), -1
	for _, i := range order {
		ti := f.tensors[i]
		if ti.Offset%int64(f.alignment) != 0 {
			return d.errorf("tensor %q: offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, f.alignment)
		}
		if ti.Offset > fileSize || ti.Size > fileSize-start-ti.Offset {
			return d.errorf("tensor %q: data [%d, %d) past the end of the file (%d bytes of data)", ti.Name, ti.Offset, ti.Offset+ti.Size, max(0, fileSize-start))
		}
		if ti.Offset < prevEnd {
			return d.errorf("tensor %q: data at offset %d overlaps tensor %q (ends at %d)", ti.Name, ti.Offset, f.tensors[prev].Name, prevEnd)
		}
		prevEnd, prev = ti.Offset+ti.Size, i
	}
	return nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// decoder reads little-endian GGUF fields from a byte slice.
type decoder struct {
	b    []byte
	off  int
	file string
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("gguf: %s: %s: %w", d.file, fmt.Sprintf(format, args...), ErrFormat)
}

func (d *decoder) truncated(what string, need int) error {
	return d.errorf("truncated file: %s needs %d bytes at offset %d, %d left", what, need, d.off, d.remaining())
}

func (d *decoder) bytes(n int, what string) ([]byte, error) {
	if n < 0 || n > d.remaining() {
		return nil, d.truncated(what, n)
	}
	b := d.b[d.off : d.off+n]
	d.off += n
	return b, nil
}

func (d *decoder) u32(what string) (uint32, error) {
	b, err := d.bytes(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64(what string) (uint64, error) {
	b, err := d.bytes(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// strLen reads a string's length prefix and checks it against the cap and
// the bytes left.
func (d *decoder) strLen(limit int, what string) (int, error) {
	n, err := d.u64(what)
	if err != nil {
		return 0, err
	}
	if n > uint64(limit) {
		return 0, d.errorf("%s: string length %d exceeds the cap %d", what, n, limit)
	}
	if n > uint64(d.remaining()) {
		return 0, d.truncated(what, int(n))
	}
	return int(n), nil
}

func (d *decoder) str(limit int, what string) (string, error) {
	n, err := d.strLen(limit, what)
	if err != nil {
		return "", err
	}
	b, _ := d.bytes(n, what)
	return string(b), nil
}

// skipValue validates the value of type t at the cursor and moves past it.
func (d *decoder) skipValue(t ValueType, key string, lim Limits, depth int) error {
	if sz := t.fixedSize(); sz > 0 {
		_, err := d.bytes(sz, fmt.Sprintf("value of key %q", key))
		return err
	}
	switch t {
	case TypeString:
		n, err := d.strLen(lim.MaxStringLen, fmt.Sprintf("key %q", key))
		if err != nil {
			return err
		}
		d.off += n
		return nil
	case TypeArray:
		if depth >= lim.MaxDepth {
			return d.errorf("key %q: arrays nested deeper than %d", key, lim.MaxDepth)
		}
		et, err := d.u32(fmt.Sprintf("key %q: array element type", key))
		if err != nil {
			return err
		}
		elem := ValueType(et)
		if !elem.Valid() {
			return d.errorf("key %q: unknown array element type %d", key, et)
		}
		n, err := d.u64(fmt.Sprintf("key %q: array length", key))
		if err != nil {
			return err
		}
		minSize := uint64(elem.fixedSize())
		if elem == TypeString || elem == TypeArray {
			minSize = 8 // a length (or type + length) at least
		}
		if n > uint64(lim.MaxArrayLen) || n > uint64(d.remaining())/minSize {
			return d.errorf("key %q: array of %d %v exceeds the cap %d or the file size", key, n, elem, lim.MaxArrayLen)
		}
		if sz := elem.fixedSize(); sz > 0 {
			d.off += int(n) * sz
			return nil
		}
		for i := uint64(0); i < n; i++ {
			if err := d.skipValue(elem, key, lim, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return d.errorf("key %q: unknown value type %d", key, uint32(t))
}
