package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seekd/seekd/tensor"
)

// IndexFile is the name of the shard index of a sharded checkpoint.
const IndexFile = "model.safetensors.index.json"

// Checkpoint is an opened safetensors checkpoint: one or more memory-mapped
// files and the tensors they hold, addressed by name.
type Checkpoint struct {
	dir     string
	files   []*stFile
	tensors map[string]tensorRef
}

type stFile struct {
	path   string
	data   []byte
	header *Header
	unmap  func() error
}

type tensorRef struct {
	file *stFile
	info TensorInfo
}

// Open opens the checkpoint in dir: model.safetensors.index.json and its
// shards, or model.safetensors, or else every *.safetensors file in the
// folder. path may also name a single .safetensors file.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	c := &Checkpoint{dir: path, tensors: map[string]tensorRef{}}
	if !st.IsDir() {
		c.dir = filepath.Dir(path)
		if err := c.addFile(path, nil); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	if err := c.openDir(path); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Checkpoint) openDir(dir string) error {
	indexPath := filepath.Join(dir, IndexFile)
	if raw, err := os.ReadFile(indexPath); err == nil {
		var idx struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(raw, &idx); err != nil {
			return fmt.Errorf("weights: %s: bad JSON: %w", indexPath, err)
		}
		if len(idx.WeightMap) == 0 {
			return fmt.Errorf("weights: %s: empty weight_map", indexPath)
		}
		byFile := map[string][]string{}
		for name, file := range idx.WeightMap {
			if file == "" || strings.ContainsAny(file, `/\`) || file == ".." {
				return fmt.Errorf("weights: %s: tensor %q maps to bad file name %q", indexPath, name, file)
			}
			byFile[file] = append(byFile[file], name)
		}
		files := make([]string, 0, len(byFile))
		for f := range byFile {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			if err := c.addFile(filepath.Join(dir, f), byFile[f]); err != nil {
				return err
			}
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("weights: %w", err)
	}
	single := filepath.Join(dir, "model.safetensors")
	if _, err := os.Stat(single); err == nil {
		return c.addFile(single, nil)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(matches) == 0 {
		return fmt.Errorf("weights: %s: no model.safetensors, %s or *.safetensors files", dir, IndexFile)
	}
	sort.Strings(matches)
	for _, m := range matches {
		if err := c.addFile(m, nil); err != nil {
			return err
		}
	}
	return nil
}

// addFile maps one file. When want is non-nil (from the index), every listed
// tensor must be in the file and only those are taken from it.
func (c *Checkpoint) addFile(path string, want []string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	sf := &stFile{path: path, data: data, unmap: unmap}
	c.files = append(c.files, sf)
	h, err := ParseHeader(data)
	if err != nil {
		return fmt.Errorf("weights: %s: %w", path, err)
	}
	sf.header = h
	add := func(name string, info TensorInfo) error {
		if prev, dup := c.tensors[name]; dup {
			return fmt.Errorf("weights: tensor %q is in both %s and %s", name, filepath.Base(prev.file.path), filepath.Base(path))
		}
		c.tensors[name] = tensorRef{file: sf, info: info}
		return nil
	}
	if want == nil {
		for name, info := range h.Tensors {
			if err := add(name, info); err != nil {
				return err
			}
		}
		return nil
	}
	for _, name := range want {
		info, ok := h.Tensors[name]
		if !ok {
			return fmt.Errorf("weights: %s: the index places tensor %q in this file, but it is not there", path, name)
		}
		if err := add(name, info); err != nil {
			return err
		}
	}
	return nil
}

// Dir returns the checkpoint's folder.
func (c *Checkpoint) Dir() string { return c.dir }

// Names returns every tensor name, sorted.
func (c *Checkpoint) Names() []string {
	names := make([]string, 0, len(c.tensors))
	for n := range c.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Has reports whether the checkpoint holds a tensor of that name.
func (c *Checkpoint) Has(name string) bool { _, ok := c.tensors[name]; return ok }

// Info returns a tensor's description and the file it is in.
func (c *Checkpoint) Info(name string) (TensorInfo, string, bool) {
	r, ok := c.tensors[name]
	if !ok {
		return TensorInfo{}, "", false
	}
	return r.info, r.file.path, true
}

// Tensor returns a tensor as a view of the mapped file. It fails for a
// missing tensor or a dtype seekd cannot compute with.
func (c *Checkpoint) Tensor(name string) (*tensor.Tensor, error) {
	r, ok := c.tensors[name]
	if !ok {
		return nil, fmt.Errorf("weights: %s: missing tensor %q", c.dir, name)
	}
	dt := stDTypes[r.info.DType].dtype
	if dt == tensor.Invalid {
		return nil, fmt.Errorf("weights: %s: tensor %q has unsupported dtype %s", filepath.Base(r.file.path), name, r.info.DType)
	}
	off := r.file.header.DataOffset
	return &tensor.Tensor{
		Name:  name,
		DType: dt,
		Shape: append([]int(nil), r.info.Shape...),
		Data:  r.file.data[off+r.info.Begin : off+r.info.End : off+r.info.End],
	}, nil
}

// FileOf returns the base name of the file holding a tensor ("" if missing).
func (c *Checkpoint) FileOf(name string) string {
	if r, ok := c.tensors[name]; ok {
		return filepath.Base(r.file.path)
	}
	return ""
}

// Close unmaps every file. Tensors obtained from the checkpoint must not be
// used afterwards.
func (c *Checkpoint) Close() error {
	var first error
	for _, f := range c.files {
		if f.unmap != nil {
			if err := f.unmap(); err != nil && first == nil {
				first = err
			}
		}
	}
	c.files = nil
	c.tensors = nil
	return first
}

// ScaleSuffix is appended to an FP8 weight's name to name its block scales
// (DeepSeek's "x.weight" → "x.weight_scale_inv").
const ScaleSuffix = "_scale_inv"

// Matrix returns a weight matrix ready for the kernels. An F8_E4M3 weight is
// paired with its weight_scale_inv, which may live in another shard.
func (c *Checkpoint) Matrix(name string) (*tensor.Matrix, error) {
	t, err := c.Tensor(name)
	if err != nil {
		return nil, err
	}
	var m *tensor.Matrix
	if t.DType == tensor.F8E4M3 {
		s, err := c.Tensor(name + ScaleSuffix)
		if err != nil {
			return nil, fmt.Errorf("weights: FP8 tensor %q (%s) has no usable scale: %w", name, c.FileOf(name), err)
		}
		m, err = tensor.NewFP8Matrix(t, s)
		if err != nil {
			return nil, fmt.Errorf("weights: %s: %w", c.FileOf(name), err)
		}
	} else {
		m, err = tensor.NewMatrix(t)
		if err != nil {
			return nil, fmt.Errorf("weights: %s: %w", c.FileOf(name), err)
		}
	}
	return m, nil
}
