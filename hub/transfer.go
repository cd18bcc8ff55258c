package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// int64Counter is an atomic byte counter; a nil counter counts nothing.
type int64Counter struct{ n atomic.Int64 }

func (c *int64Counter) add(n int64) {
	if c != nil {
		c.n.Add(n)
	}
}

func (c *int64Counter) load() int64 {
	if c == nil {
		return 0
	}
	return c.n.Load()
}

// digest is how a blob's contents are checked.
type digest struct {
	// kind is "sha256" (LFS oid), "gitsha1" (git blob id of a small file) or
	// "" (nothing to check but the size).
	kind string
	hex  string
}

func (d digest) String() string {
	if d.kind == "" {
		return ""
	}
	return d.kind + ":" + d.hex
}

// newHash returns a hash computing the digest of a file of the given size.
func (d digest) newHash(size int64) hash.Hash {
	switch d.kind {
	case "sha256":
		return sha256.New()
	case "gitsha1":
		h := sha1.New()
		io.WriteString(h, "blob "+strconv.FormatInt(size, 10)+"\x00")
		return h
	}
	return nil
}

// digestFor chooses how to verify a file: the LFS sha256 when the listing has
// it, else the git blob id, else whatever the etag looks like.
func digestFor(lfsSHA256, blobID, etag string) digest {
	switch {
	case isHexLen(lfsSHA256, 64):
		return digest{"sha256", lfsSHA256}
	case isHexLen(blobID, 40):
		return digest{"gitsha1", blobID}
	case isHexLen(etag, 64):
		return digest{"sha256", etag}
	case isHexLen(etag, 40):
		return digest{"gitsha1", etag}
	}
	return digest{}
}

func isHexLen(s string, n int) bool { return len(s) == n && isHex(s) }

// appender writes a blob's .incomplete file strictly in order, hashing what
// it writes, so the file is always a valid prefix of the blob: an interrupted
// download resumes from its size, as huggingface_hub's do.
type appender struct {
	f    *os.File
	d    digest
	size int64
	h    hash.Hash
	n    int64
}

// openAppender opens (or creates) path and hashes the prefix already there.
// A file longer than size is started over.
func openAppender(path string, d digest, size int64) (*appender, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	a := &appender{f: f, d: d, size: size}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	if info.Size() > size {
		if err := a.reset(); err != nil {
			f.Close()
			return nil, err
		}
		return a, nil
	}
	a.h = d.newHash(size)
	if a.h != nil && info.Size() > 0 {
		if _, err := io.Copy(a.h, io.NewSectionReader(f, 0, info.Size())); err != nil {
			f.Close()
			return nil, fmt.Errorf("hub: reading %s: %w", path, err)
		}
	}
	if _, err := f.Seek(info.Size(), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	a.n = info.Size()
	return a, nil
}

func (a *appender) Write(p []byte) (int, error) {
	if a.n+int64(len(p)) > a.size {
		return 0, fmt.Errorf("the server sent more than the %d bytes expected", a.size)
	}
	n, err := a.f.Write(p)
	if a.h != nil {
		a.h.Write(p[:n])
	}
	a.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("hub: writing %s: %w", a.f.Name(), err)
	}
	return n, nil
}

// reset empties the file (the server ignored a range and sends it all again).
func (a *appender) reset() error {
	if err := a.f.Truncate(0); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if _, err := a.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	a.h, a.n = a.d.newHash(a.size), 0
	return nil
}

// verify checks size and digest of what was written.
func (a *appender) verify() error {
	if a.n != a.size {
		return fmt.Errorf("%w: got %d bytes, expected %d", errChecksum, a.n, a.size)
	}
	if a.h == nil {
		return nil
	}
	if got := hex.EncodeToString(a.h.Sum(nil)); got != a.d.hex {
		return fmt.Errorf("%w: %s is %s, expected %s", errChecksum, a.d.kind, got, a.d.hex)
	}
	return nil
}

// errChecksum: the downloaded bytes are not the blob the Hub listed.
var errChecksum = errors.New("digest mismatch")

// transferTuning are the knobs of one blob transfer.
type transferTuning struct {
	rangeWorkers int
	chunkSize    int64
	parallelMin  int64
	netRetries   int
}

// transfer fills a up to its size from src: in parallel ranges for large
// remainders (falling back to one stream if the server ignores ranges),
// else in one stream; transient failures resume where they stopped.
func (c *Client) transfer(ctx context.Context, src *source, a *appender, t transferTuning, received *atomic.Int64) error {
	if a.n == a.size {
		return nil
	}
	if t.rangeWorkers > 1 && a.size-a.n >= t.parallelMin && t.chunkSize > 0 {
		err := c.transferParallel(ctx, src, a, t, received)
		if !errors.Is(err, errNoRanges) {
			return err
		}
		c.logger().Debug("hub: server ignores ranges; downloading in one stream", "file", src.file)
		received.Store(a.n)
	}
	return c.transferSerial(ctx, src, a, t, received)
}

// transferSerial downloads the rest of the file in one stream, resuming with
// a Range request after each transient failure.
func (c *Client) transferSerial(ctx context.Context, src *source, a *appender, t transferTuning, received *atomic.Int64) error {
	buf := make([]byte, 256<<10)
	failures := 0
	for a.n < a.size {
		before := a.n
		err := c.streamOnce(ctx, src, a, buf, received)
		if err == nil {
			if a.n == a.size {
				return nil
			}
			err = fmt.Errorf("%w after %d of %d bytes", io.ErrUnexpectedEOF, a.n, a.size)
		}
		if !retryable(ctx, err) {
			return err
		}
		if a.n > before {
			failures = 0
		}
		failures++
		if failures > t.netRetries {
			return err
		}
		c.logger().Debug("hub: transfer interrupted; resuming", "file", src.file, "at", a.n, "err", err)
		src.retried(err)
		if err := sleepCtx(ctx, backoff(c.RetryWait, failures)); err != nil {
			return err
		}
	}
	return nil
}

// streamOnce makes one request for the bytes from a.n on and copies them into a.
func (c *Client) streamOnce(ctx context.Context, src *source, a *appender, buf []byte, received *atomic.Int64) error {
	body, err := src.openRange(ctx, a.n, -1)
	if errors.Is(err, errNoRanges) {
		if err := a.reset(); err != nil {
			return permanent(err)
		}
		received.Store(0)
		body, err = src.openRange(ctx, 0, -1)
	}
	if err != nil {
		return err
	}
	defer body.Close()
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, err := a.Write(buf[:n]); err != nil {
				return permanent(err)
			}
			received.Add(int64(n))
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// transferParallel downloads the rest of the file as fixed-size chunks over
// several connections. Chunks are written to the file in order (a window of
// buffers lets workers run ahead of the slowest one), so the file stays a
// valid prefix and an interruption loses at most the chunks in memory.
func (c *Client) transferParallel(ctx context.Context, src *source, a *appender, t transferTuning, received *atomic.Int64) error {
	start := a.n
	nChunks := int((a.size - start + t.chunkSize - 1) / t.chunkSize)
	workers := min(t.rangeWorkers, nChunks)
	window := min(workers+2, nChunks)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type result struct {
		idx int
		buf []byte
		err error
	}
	slots := make(chan []byte, window)
	for range window {
		slots <- nil
	}
	results := make(chan result, window)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var buf []byte
				select {
				case <-ctx.Done():
					return
				case buf = <-slots:
				}
				idx := int(next.Add(1) - 1)
				if idx >= nChunks {
					return
				}
				if buf == nil {
					buf = make([]byte, t.chunkSize)
				}
				off := start + int64(idx)*t.chunkSize
				n := min(t.chunkSize, a.size-off)
				err := c.fetchChunk(ctx, src, off, buf[:n], t, received)
				results <- result{idx, buf[:n], err}
				if err != nil {
					return
				}
			}
		}()
	}
	pending := map[int][]byte{}
	var err error
	for w := 0; w < nChunks && err == nil; {
		var r result
		select {
		case r = <-results:
		case <-ctx.Done():
			err = context.Cause(ctx)
			continue
		}
		if r.err != nil {
			err = r.err
			break
		}
		pending[r.idx] = r.buf
		for buf, ok := pending[w]; ok; buf, ok = pending[w] {
			if _, werr := a.Write(buf); werr != nil {
				err = permanent(werr)
				break
			}
			delete(pending, w)
			slots <- buf[:cap(buf)]
			w++
		}
	}
	cancel(err)
	wg.Wait()
	if err != nil {
		// Keep what already arrived: chunks in memory that continue the
		// file are written (an interrupted pull resumes after them); the
		// others are lost.
		var perm permanentError
		if !errors.As(err, &perm) {
		drain:
			for {
				select {
				case r := <-results:
					if r.err == nil {
						pending[r.idx] = r.buf
					}
				default:
					break drain
				}
			}
			for w := int((a.n - start) / t.chunkSize); ; w++ {
				buf, ok := pending[w]
				if !ok || a.n != start+int64(w)*t.chunkSize {
					break
				}
				if _, werr := a.Write(buf); werr != nil {
					break
				}
			}
		}
		received.Store(a.n)
	}
	return err
}

// fetchChunk fills buf with the bytes at off, resuming within the chunk after
// transient failures.
func (c *Client) fetchChunk(ctx context.Context, src *source, off int64, buf []byte, t transferTuning, received *atomic.Int64) error {
	got, failures := 0, 0
	for got < len(buf) {
		before := got
		err := func() error {
			body, err := src.openRange(ctx, off+int64(got), off+int64(len(buf))-1)
			if err != nil {
				return err
			}
			defer body.Close()
			for got < len(buf) {
				n, rerr := body.Read(buf[got:])
				got += n
				received.Add(int64(n))
				if rerr == io.EOF {
					if got < len(buf) {
						return fmt.Errorf("%w in bytes %d-%d", io.ErrUnexpectedEOF, off, off+int64(len(buf))-1)
					}
					return nil
				}
				if rerr != nil {
					return rerr
				}
			}
			return nil
		}()
		if err == nil {
			return nil
		}
		if errors.Is(err, errNoRanges) || !retryable(ctx, err) {
			return err
		}
		if got > before {
			failures = 0
		}
		failures++
		if failures > t.netRetries {
			return err
		}
		src.retried(err)
		if err := sleepCtx(ctx, backoff(c.RetryWait, failures)); err != nil {
			return err
		}
	}
	return nil
}
