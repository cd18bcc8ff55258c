package kvcache

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Disk is the prefix cache's disk tier: one file per block, named by its
// chain hash, under a folder per model digest, so entries are only ever used
// by the model and weights that made them. Files are written in the
// background (never on a request's critical path), atomically (temporary
// file, then rename), and carry a CRC-32C of everything they hold: a torn,
// truncated or corrupted file is detected, deleted and recomputed. Write
// errors (disk full) are logged and dropped.
type Disk struct {
	dir         string
	maxBytes    int64
	layout      Layout
	blockTokens int
	log         *slog.Logger

	bytes atomic.Int64
	jobs  chan diskJob
	wg    sync.WaitGroup
	mu    sync.Mutex // serializes eviction scans
	close sync.Once
}

type diskJob struct {
	hash    Hash
	key     string
	data    []float32
	release func()
}

const (
	diskMagic   = "SEEKDKV1"
	diskVersion = 1
	fileExt     = ".kv"
	labelFile   = "label"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// DiskOptions configure a disk tier.
type DiskOptions struct {
	Dir         string // the cache folder (shared by every model)
	ModelDigest string // identifies the model and weights
	MaxBytes    int64  // size cap; least recently used files go first
	Layout      Layout
	BlockTokens int
	Label       string // what the model is called, for `seekd cache ls`
	Logger      *slog.Logger
}

// OpenDisk opens (creating it if needed) the disk tier of one model, removes
// temporary files left by an interrupted write, and starts its writer.
func OpenDisk(o DiskOptions) (*Disk, error) {
	if o.ModelDigest == "" || strings.ContainsAny(o.ModelDigest, `/\.`) {
		return nil, fmt.Errorf("kvcache: bad model digest %q", o.ModelDigest)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &Disk{
		dir:         filepath.Join(o.Dir, o.ModelDigest),
		maxBytes:    o.MaxBytes,
		layout:      o.Layout,
		blockTokens: o.BlockTokens,
		log:         o.Logger,
		jobs:        make(chan diskJob, 64),
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return nil, fmt.Errorf("kvcache: %w", err)
	}
	if o.Label != "" {
		os.WriteFile(filepath.Join(d.dir, labelFile), []byte(o.Label+"\n"), 0o600)
	}
	var total int64
	filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if strings.HasSuffix(path, ".tmp") {
			os.Remove(path)
			return nil
		}
		if info, err := e.Info(); err == nil {
			total += info.Size()
		}
		return nil
	})
	d.bytes.Store(total)
	d.wg.Add(1)
	go d.writer()
	return d, nil
}

// Bytes returns the bytes the tier's files occupy.
func (d *Disk) Bytes() int64 { return d.bytes.Load() }

// Close waits for pending writes and stops the writer.
func (d *Disk) Close() {
	d.close.Do(func() {
		close(d.jobs)
		d.wg.Wait()
	})
}

func (d *Disk) path(h Hash) string {
	s := hex.EncodeToString(h[:])
	return filepath.Join(d.dir, s[:2], s+fileExt)
}

func (d *Disk) fileSize() int64 {
	return int64(8 + 4*4 + 4*d.blockTokens + 4*d.layout.Layers*d.layout.Width*d.blockTokens + 4)
}

// store queues a block for writing; release runs when the data is no longer
// needed. If the queue is full the block is not written (a later request
// simply recomputes it).
func (d *Disk) store(h Hash, key string, data []float32, release func()) {
	select {
	case d.jobs <- diskJob{h, key, data, release}:
	default:
		release()
	}
}

func (d *Disk) writer() {
	defer d.wg.Done()
	for j := range d.jobs {
		err := d.write(j)
		j.release()
		if err != nil {
			d.log.Warn("prefix cache: block not written to disk", "err", err)
		}
	}
}

// write encodes and writes one block file atomically.
func (d *Disk) write(j diskJob) error {
	final := d.path(j.hash)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	size := d.fileSize()
	buf := make([]byte, 0, size)
	buf = append(buf, diskMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, diskVersion)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(d.layout.Layers))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(d.layout.Width))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(d.blockTokens))
	buf = append(buf, j.key...)
	for _, v := range j.data {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, crcTable))
	if int64(len(buf)) != size {
		return fmt.Errorf("block encodes to %d bytes, want %d", len(buf), size)
	}
	d.makeRoom(size)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), "*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	d.bytes.Add(size)
	return nil
}

// Load reads the block of hash into dst. It returns false when the file is
// missing, or is corrupt or does not match (then the file is deleted).
func (d *Disk) Load(h Hash, key string, dst []float32) bool {
	p := d.path(h)
	data, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	if err := d.check(data, key, len(dst)); err != nil {
		d.log.Warn("prefix cache: dropping a bad block file", "file", p, "err", err)
		if os.Remove(p) == nil {
			d.bytes.Add(-int64(len(data)))
		}
		return false
	}
	off := 8 + 16 + len(key)
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[off+4*i:]))
	}
	now := time.Now()
	os.Chtimes(p, now, now) // recency for the size cap
	return true
}

func (d *Disk) check(data []byte, key string, n int) error {
	if int64(len(data)) != d.fileSize() || 4*n != 4*d.layout.Layers*d.layout.Width*d.blockTokens {
		return fmt.Errorf("size %d, want %d", len(data), d.fileSize())
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return errors.New("checksum mismatch")
	}
	if string(data[:8]) != diskMagic {
		return errors.New("bad magic")
	}
	hdr := data[8:24]
	if binary.LittleEndian.Uint32(hdr) != diskVersion ||
		binary.LittleEndian.Uint32(hdr[4:]) != uint32(d.layout.Layers) ||
		binary.LittleEndian.Uint32(hdr[8:]) != uint32(d.layout.Width) ||
		binary.LittleEndian.Uint32(hdr[12:]) != uint32(d.blockTokens) {
		return errors.New("layout mismatch")
	}
	if string(data[24:24+len(key)]) != key {
		return errors.New("tokens mismatch")
	}
	return nil
}

// makeRoom deletes least recently used files until need more bytes fit.
func (d *Disk) makeRoom(need int64) {
	if d.maxBytes <= 0 || d.bytes.Load()+need <= d.maxBytes {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(path, fileExt) {
			if info, err := e.Info(); err == nil {
				files = append(files, file{path, info.Size(), info.ModTime()})
			}
		}
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].mod.Before(files[j].mod) })
	for _, f := range files {
		if d.bytes.Load()+need <= d.maxBytes {
			break
		}
		if os.Remove(f.path) == nil {
			d.bytes.Add(-f.size)
		}
	}
}

// DiskEntry describes one model's disk cache.
type DiskEntry struct {
	Digest   string
	Label    string
	Blocks   int
	Bytes    int64
	LastUsed time.Time
}

// ListDisk describes every model's disk cache under dir.
func ListDisk(dir string) ([]DiskEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kvcache: %w", err)
	}
	var out []DiskEntry
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		de := DiskEntry{Digest: e.Name()}
		if b, err := os.ReadFile(filepath.Join(dir, e.Name(), labelFile)); err == nil {
			de.Label = strings.TrimSpace(string(b))
		}
		filepath.WalkDir(filepath.Join(dir, e.Name()), func(path string, f fs.DirEntry, err error) error {
			if err == nil && !f.IsDir() && strings.HasSuffix(path, fileExt) {
				if info, err := f.Info(); err == nil {
					de.Blocks++
					de.Bytes += info.Size()
					if info.ModTime().After(de.LastUsed) {
						de.LastUsed = info.ModTime()
					}
				}
			}
			return nil
		})
		out = append(out, de)
	}
	return out, nil
}

// ClearDisk deletes the disk cache of one model digest, or of every model
// when digest is empty. It only removes what the cache wrote.
func ClearDisk(dir, digest string) error {
	list, err := ListDisk(dir)
	if err != nil {
		return err
	}
	found := false
	for _, e := range list {
		if digest != "" && e.Digest != digest {
			continue
		}
		found = true
		if err := os.RemoveAll(filepath.Join(dir, e.Digest)); err != nil {
			return fmt.Errorf("kvcache: %w", err)
		}
	}
	if digest != "" && !found {
		return fmt.Errorf("kvcache: no cache for model %q in %s", digest, dir)
	}
	return nil
}
