package weights

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// OutTensor is one tensor to write: its data is produced by Write, which
// must write exactly Bytes bytes.
type OutTensor struct {
	Name  string
	DType string // safetensors name: "BF16", "F32", "F8_E4M3", ...
	Shape []int
	Write func(w io.Writer) error
}

// Bytes returns the tensor's data size from its dtype and shape.
func (t OutTensor) Bytes() (int64, error) {
	dt, ok := stDTypes[t.DType]
	if !ok {
		return 0, fmt.Errorf("unknown dtype %q", t.DType)
	}
	n := int64(dt.size)
	for _, d := range t.Shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in %v", t.Shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// WriteFile writes tensors as one safetensors file, streaming their data,
// atomically (a temporary file renamed into place). Tensors are stored in
// name order.
func WriteFile(path string, tensors []OutTensor, metadata map[string]string) error {
	ts := append([]OutTensor(nil), tensors...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	header := map[string]any{}
	if metadata != nil {
		header["__metadata__"] = metadata
	}
	var off int64
	sizes := make([]int64, len(ts))
	for i, t := range ts {
		n, err := t.Bytes()
		if err != nil {
			return fmt.Errorf("weights: tensor %q: %w", t.Name, err)
		}
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("weights: tensor %q written twice", t.Name)
		}
		header[t.Name] = map[string]any{"dtype": t.DType, "shape": t.Shape, "data_offsets": []int64{off, off + n}}
		sizes[i] = n
		off += n
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(hj)%8 != 0 {
		hj = append(hj, ' ')
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".seekd-*.tmp")
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(hj)))
	w.Write(lenb[:])
	w.Write(hj)
	for i, t := range ts {
		cw := &countWriter{w: w}
		if err := t.Write(cw); err != nil {
			tmp.Close()
			return fmt.Errorf("weights: tensor %q: %w", t.Name, err)
		}
		if cw.n != sizes[i] {
			tmp.Close()
			return fmt.Errorf("weights: tensor %q: wrote %d bytes, shape %v of %s needs %d", t.Name, cw.n, t.Shape, t.DType, sizes[i])
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("weights: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("weights: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
