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
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/tensor"
)

// engineSettings are the engine knobs `serve` and `run` share.
type engineSettings struct {
	ctx        int
	cacheBytes int64
	maxBatch   int
	maxQueue   int
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
	eng, err := engine.New(b.Model, engine.Options{
		MaxBatch: es.maxBatch, MaxQueue: es.maxQueue, Context: ctxLen,
		CacheBytes: es.cacheBytes, PrefixCache: true, Logger: log.With("model", name),
	})
	if err != nil {
		b.Close()
		return server.Model{}, fmt.Errorf("model %s: %w", name, err)
	}
	return server.Model{Name: name, Bundle: b, Engine: eng}, nil
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
