package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/kvcache"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/tensor"
)

// cacheBlockTokens is the KV cache block size: the prefix cache's unit.
const cacheBlockTokens = 64

// engineSettings are the engine knobs `serve` and `run` share.
type engineSettings struct {
	ctx        int
	cacheBytes int64
	maxBatch   int
	maxQueue   int
	// diskDir, if set, keeps the prefix cache on disk there too (under the
	// model's digest), up to diskBytes.
	diskDir   string
	diskBytes int64
}

// loadServed opens a model with its tokenizer and template and starts its
// engine.
func loadServed(name, path string, pool *tensor.Pool, es engineSettings, log *slog.Logger) (server.Model, error) {
	b, err := bundle.Open(path, bundle.Options{Model: model.Options{Pool: pool}})
	if err != nil {
		return server.Model{}, fmt.Errorf("model %s: %w", name, err)
	}
	ctxLen := b.Context()
	if es.ctx > 0 {
		ctxLen = es.ctx
	}
	var disk *kvcache.Disk
	if es.diskDir != "" {
		if disk, err = openDiskCache(name, path, b.Model.Config(), es, log); err != nil {
			b.Close()
			return server.Model{}, err
		}
	}
	eng, err := engine.New(b.Model, engine.Options{
		MaxBatch: es.maxBatch, MaxQueue: es.maxQueue, Context: ctxLen,
		CacheBytes: es.cacheBytes, BlockTokens: cacheBlockTokens, PrefixCache: true, Disk: disk, Logger: log.With("model", name),
	})
	if err != nil {
		if disk != nil {
			disk.Close()
		}
		b.Close()
		return server.Model{}, fmt.Errorf("model %s: %w", name, err)
	}
	return server.Model{Name: name, Bundle: b, Engine: eng}, nil
}

// openDiskCache opens the prefix cache's disk tier of one model, keyed by a
// digest of its files so entries are only used with the weights that made
// them.
func openDiskCache(name, path string, c *model.Config, es engineSettings, log *slog.Logger) (*kvcache.Disk, error) {
	digest, err := model.Digest(path)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	d, err := kvcache.OpenDisk(kvcache.DiskOptions{
		Dir: es.diskDir, ModelDigest: digest, MaxBytes: es.diskBytes,
		Layout: kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, BlockTokens: cacheBlockTokens,
		Label: name, Logger: log.With("model", name),
	})
	if err != nil {
		return nil, fmt.Errorf("model %s: prefix cache: %w", name, err)
	}
	return d, nil
}

// localServer is an in-process API server on a random loopback port with a
// random key: `seekd run` chats through it like any client would.
type localServer struct {
	url, key, model string
	hs              *http.Server
	srv             *server.Server
	m               server.Model
	pool            *tensor.Pool
}

func startLocal(name, path string, threads int, activations string, es engineSettings) (*localServer, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool, err := newComputePool(threads, activations)
	if err != nil {
		return nil, err
	}
	m, err := loadServed(name, path, pool, es, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	var kb [16]byte
	rand.Read(kb[:])
	key := hex.EncodeToString(kb[:])
	srv, err := server.New(server.Options{Models: []server.Model{m}, APIKeys: []string{key}, Logger: log})
	if err != nil {
		m.Engine.Close()
		m.Bundle.Close()
		pool.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		m.Engine.Close()
		m.Bundle.Close()
		pool.Close()
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return &localServer{url: "http://" + ln.Addr().String(), key: key, model: name, hs: hs, srv: srv, m: m, pool: pool}, nil
}

func (l *localServer) client() *chatClient {
	return &chatClient{base: l.url, key: l.key, model: l.model, http: &http.Client{}}
}

func (l *localServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.srv.Shutdown(ctx)
	l.hs.Shutdown(ctx)
	l.m.Engine.Close()
	l.m.Bundle.Close()
	l.pool.Close()
}
