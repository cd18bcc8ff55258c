package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"

	"github.com/seekd/seekd/kvcache"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/sample"
)

// Options configure an engine.
type Options struct {
	MaxBatch     int   // most sequences in one step (default 32)
	MaxQueue     int   // most requests waiting for a slot (default 256)
	PrefillChunk int   // most prompt tokens per step (default 512)
	Context      int   // context length (default: the model's, capped at 32768)
	CacheBytes   int64 // KV cache budget (default 1 GiB)
	BlockTokens  int   // positions per cache block (default 64)
	// PrefixCache turns on prefix caching: a request reuses the longest
	// cached prefix of whole blocks (made by earlier requests in the same
	// CacheScope) and computes only the rest. Disk, if set, is its disk tier;
	// the engine closes it (after its pending writes) on Close.
	PrefixCache bool
	Disk        *kvcache.Disk
	// UnitBlocks makes a prefix-cache unit every that many blocks inside
	// long prompts, so a long shared document hits on its second use
	// (default 2: 128 tokens with 64-token blocks, the unit measured on
	// DeepSeek's API; negative: only at request boundaries and detected
	// common prefixes, as DeepSeek's guide describes).
	UnitBlocks int
	Logger     *slog.Logger
}

// Engine schedules requests on one model. Its methods are safe for
// concurrent use; forward passes run on the engine's own goroutine.
type Engine struct {
	m    model.Model
	opt  Options
	kv   *kvcache.Pool
	wake chan struct{}

	mu       sync.Mutex
	waiting  []*seqState
	running  []*seqState
	closed   bool
	loopDone chan struct{}

	stats Stats
}

// Stats is a snapshot of the engine's state and counters.
type Stats struct {
	Waiting, Running        int
	CacheBlocksUsed         int
	CacheBlocksTotal        int
	CacheBlockBytes         int64
	Prefix                  kvcache.PrefixStats
	Steps                   uint64
	PromptTokens, GenTokens uint64
	Preemptions             uint64
}

// seqState is one request inside the engine.
type seqState struct {
	req     *Request
	ctx     context.Context
	stream  *Stream
	kv      *kvcache.Seq
	sampler *sample.Sampler
	tokens  []int // prompt then generated tokens
	done    int   // tokens already in the cache
	prompt  int   // prompt length
	gen     int   // generated tokens
	cached  int   // prompt tokens served from the prefix cache
	limit   int   // total tokens allowed (prompt + max generated)
	// admitted is set once the request first joins the batch (its prefix
	// cache hit is counted then, not again after a preemption).
	admitted bool
}

// New starts an engine for m.
func New(m model.Model, opt Options) (*Engine, error) {
	c := m.Config()
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 32
	}
	if opt.MaxQueue <= 0 {
		opt.MaxQueue = 256
	}
	if opt.PrefillChunk <= 0 {
		opt.PrefillChunk = 512
	}
	if opt.Context <= 0 || opt.Context > c.MaxPos {
		opt.Context = min(c.MaxPos, 32768)
	}
	if opt.CacheBytes <= 0 {
		opt.CacheBytes = 1 << 30
	}
	if opt.BlockTokens <= 0 {
		opt.BlockTokens = 64
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	kv, err := kvcache.NewPool(kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, opt.BlockTokens, opt.CacheBytes)
	if err != nil {
		return nil, err
	}
	if opt.PrefixCache {
		if opt.UnitBlocks == 0 {
			opt.UnitBlocks = 2
		}
		kv.EnablePrefixCache(opt.Disk, max(opt.UnitBlocks, 0))
	}
	e := &Engine{m: m, opt: opt, kv: kv, wake: make(chan struct{}, 1), loopDone: make(chan struct{})}
	go e.loop()
	return e, nil
}

// Model returns the engine's model.
func (e *Engine) Model() model.Model { return e.m }

// Context returns the context length requests must fit in.
func (e *Engine) Context() int { return e.opt.Context }

// Submit queues a request. The stream delivers its tokens; cancelling ctx
// or closing the stream stops the generation within one step.
func (e *Engine) Submit(ctx context.Context, r *Request) (*Stream, error) {
	c := e.m.Config()
	if len(r.Prompt) == 0 {
		return nil, errors.New("engine: empty prompt")
	}
	for _, id := range r.Prompt {
		if id < 0 || id >= c.Vocab {
			return nil, fmt.Errorf("engine: token id %d is out of range [0, %d)", id, c.Vocab)
		}
	}
	// Like OpenAI and vLLM: the prompt plus max_tokens must fit the context;
	// without max_tokens the output may fill what the prompt leaves.
	limit := e.opt.Context
	if len(r.Prompt) >= limit || (r.MaxTokens > 0 && len(r.Prompt)+r.MaxTokens > limit) {
		return nil, &PromptTooLongError{Prompt: len(r.Prompt), Max: r.MaxTokens, Context: limit}
	}
	if r.MaxTokens > 0 {
		limit = len(r.Prompt) + r.MaxTokens
	}
	s := &seqState{
		req:     r,
		ctx:     ctx,
		stream:  newStream(),
		sampler: sample.New(r.Sampling, r.Seed),
		tokens:  slices.Clone(r.Prompt),
		prompt:  len(r.Prompt),
		limit:   limit,
	}
	s.sampler.Observe(r.Prompt)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if len(e.waiting) >= e.opt.MaxQueue {
		return nil, ErrQueueFull
	}
	e.waiting = append(e.waiting, s)
	e.signal()
	return s.stream, nil
}

func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the engine's state.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.stats
	st.Waiting = len(e.waiting)
	st.Running = len(e.running)
	st.CacheBlocksUsed = e.kv.InUse()
	st.CacheBlocksTotal = e.kv.Capacity()
	st.CacheBlockBytes = e.kv.BlockBytes()
	st.Prefix = e.kv.PrefixStats()
	return st
}

// Close stops accepting requests, ends every queued and running one with
// FinishCancelled, and waits for the engine's goroutine to stop.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		<-e.loopDone
		return
	}
	e.closed = true
	e.signal()
	e.mu.Unlock()
	<-e.loopDone
	if e.opt.Disk != nil {
		e.opt.Disk.Close()
	}
}

// loop is the scheduler: admit, step, repeat.
func (e *Engine) loop() {
	defer close(e.loopDone)
	for {
		e.mu.Lock()
		if e.closed {
			all := append(e.waiting, e.running...)
			e.waiting, e.running = nil, nil
			e.mu.Unlock()
			for _, s := range all {
				e.finish(s, FinishCancelled, nil)
			}
			return
		}
		idle := len(e.waiting) == 0 && len(e.running) == 0
		e.mu.Unlock()
		if idle {
			<-e.wake
			continue
		}
		e.dropCancelled()
		e.admit()
		e.step()
	}
}

// dropCancelled ends requests whose caller went away.
func (e *Engine) dropCancelled() {
	e.mu.Lock()
	var gone []*seqState
	keep := func(list []*seqState) []*seqState {
		out := list[:0]
		for _, s := range list {
			if s.ctx.Err() != nil || s.stream.isClosed() {
				gone = append(gone, s)
			} else {
				out = append(out, s)
			}
		}
		return out
	}
	e.waiting = keep(e.waiting)
	e.running = keep(e.running)
	e.mu.Unlock()
	for _, s := range gone {
		e.finish(s, FinishCancelled, nil)
	}
}

// admit moves waiting requests into the running batch while there is room
// for them in the batch and in the cache.
func (e *Engine) admit() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.waiting) > 0 && len(e.running) < e.opt.MaxBatch {
		s := e.waiting[0]
		if s.kv == nil {
			s.kv = e.kv.NewSeq()
			s.done = s.kv.Lookup(s.req.CacheScope, s.tokens)
			if !s.admitted {
				s.cached = s.done
			}
		}
		s.admitted = true
		// Room for the first prefill chunk (or the whole prompt if short).
		need := min(len(s.tokens), s.done+e.opt.PrefillChunk)
		if err := s.kv.Reserve(need); err != nil {
			if len(e.running) == 0 {
				// Nothing will free blocks: the request can never run.
				e.waiting = e.waiting[1:]
				e.finish(s, FinishError, fmt.Errorf("engine: the KV cache is too small for this request: %w", err))
				continue
			}
			break
		}
		e.waiting = e.waiting[1:]
		e.running = append(e.running, s)
	}
}

// step runs one forward pass over the running sequences: one token for
// each decoding sequence and up to PrefillChunk prompt tokens shared by the
// prefilling ones.
func (e *Engine) step() {
	e.mu.Lock()
	run := slices.Clone(e.running)
	e.mu.Unlock()
	if len(run) == 0 {
		return
	}
	budget := e.opt.PrefillChunk
	var batch []*model.Seq
	var owners []*seqState
	inBatch := map[*seqState]bool{}
	for _, s := range run {
		if s.kv == nil {
			continue // preempted during this step
		}
		n := len(s.tokens) - s.done // tokens not yet in the cache
		if n > 1 {                  // prefilling: share the chunk budget
			if budget <= 0 {
				continue
			}
			n = min(n, budget)
			budget -= n
		}
		if !e.reserve(s, s.done+n, inBatch) {
			continue
		}
		batch = append(batch, &model.Seq{
			Tokens:   s.tokens[s.done : s.done+n],
			Pos:      s.done,
			KV:       s.kv,
			NoLogits: s.done+n < len(s.tokens),
		})
		owners = append(owners, s)
		inBatch[s] = true
	}
	if len(batch) == 0 {
		return
	}
	if err := e.m.Forward(context.Background(), &model.Batch{Seqs: batch}); err != nil {
		for _, s := range owners {
			e.remove(s)
			e.finish(s, FinishError, err)
		}
		return
	}
	e.mu.Lock()
	e.stats.Steps++
	e.mu.Unlock()
	for i, s := range owners {
		ms := batch[i]
		if s.done < s.prompt {
			e.mu.Lock()
			e.stats.PromptTokens += uint64(min(len(ms.Tokens), s.prompt-s.done))
			e.mu.Unlock()
		}
		prefilled := s.done < s.prompt
		s.done += len(ms.Tokens)
		if prefilled && s.done >= s.prompt {
			s.kv.Publish(s.req.CacheScope, s.tokens[:s.done])
		}
		if !ms.NoLogits {
			e.emit(s, ms.Logits)
		}
	}
}

// reserve makes room in s's cache for n positions. When the pool is
// exhausted it preempts the most recently admitted sequence that is not in
// this step's batch (recompute preemption: its cache is dropped and it is
// queued again first, to resume from its prompt plus what it generated). It
// reports false when s must sit this step out; a sequence that can never
// grow (it alone fills the cache) is finished with FinishLength.
func (e *Engine) reserve(s *seqState, n int, inBatch map[*seqState]bool) bool {
	for {
		if s.kv.Reserve(n) == nil {
			return true
		}
		e.mu.Lock()
		var victim *seqState
		for i := len(e.running) - 1; i >= 0; i-- {
			if v := e.running[i]; v != s && !inBatch[v] {
				victim = v
				break
			}
		}
		if victim == nil {
			alone := len(e.running) == 1
			e.mu.Unlock()
			if alone {
				e.remove(s)
				e.finish(s, FinishLength, nil)
			}
			return false
		}
		e.running = slices.DeleteFunc(e.running, func(x *seqState) bool { return x == victim })
		victim.kv.Release()
		victim.kv = nil
		victim.done = 0
		e.waiting = append([]*seqState{victim}, e.waiting...)
		e.stats.Preemptions++
		e.mu.Unlock()
	}
}

// emit samples s's next token from logits and delivers it.
func (e *Engine) emit(s *seqState, logits []float32) {
	r := s.req
	var lp []float32
	if r.Logprobs || r.TopLogprobs > 0 {
		lp = make([]float32, len(logits))
		sample.LogSoftmax(lp, logits)
	}
	if r.Constraint != nil {
		r.Constraint.Mask(logits)
	}
	tok := s.sampler.Next(logits)
	if r.Constraint != nil && math.IsInf(float64(logits[tok]), -1) {
		e.remove(s)
		e.finish(s, FinishError, errors.New("engine: the output constraint allows no token"))
		return
	}
	s.sampler.Accept(tok)
	s.tokens = append(s.tokens, tok)
	s.gen++
	e.mu.Lock()
	e.stats.GenTokens++
	e.mu.Unlock()
	if slices.Contains(r.StopTokens, tok) {
		e.remove(s)
		e.finish(s, FinishStop, nil)
		return
	}
	t := &Token{ID: tok}
	if lp != nil {
		t.Logprob = lp[tok]
		for _, id := range sample.TopN(lp, r.TopLogprobs) {
			t.Top = append(t.Top, TokenLogprob{ID: id, Logprob: lp[id]})
		}
	}
	s.stream.push(Event{Token: t})
	if r.Constraint != nil {
		if err := r.Constraint.Accept(tok); err != nil {
			e.remove(s)
			e.finish(s, FinishError, err)
			return
		}
		if r.Constraint.Complete() {
			e.remove(s)
			e.finish(s, FinishStop, nil)
			return
		}
	}
	if len(s.tokens) >= s.limit {
		e.remove(s)
		e.finish(s, FinishLength, nil)
	}
}

// remove takes s out of the running batch.
func (e *Engine) remove(s *seqState) {
	e.mu.Lock()
	e.running = slices.DeleteFunc(e.running, func(x *seqState) bool { return x == s })
	e.mu.Unlock()
}

// finish frees s's cache and delivers the final event.
func (e *Engine) finish(s *seqState, reason string, err error) {
	if s.kv != nil {
		if err == nil {
			s.kv.Publish(s.req.CacheScope, s.tokens[:s.done])
		}
		s.kv.Release()
		s.kv = nil
	}
	if err != nil {
		e.opt.Logger.Debug("request failed", "err", err)
	}
	s.stream.push(Event{Done: true, Finish: reason, Err: err, Usage: Usage{
		PromptTokens:     s.prompt,
		CachedTokens:     s.cached,
		CompletionTokens: s.gen,
	}})
}
