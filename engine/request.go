// Package engine runs generation requests against one model with
// continuous batching: requests join and leave a running batch between
// decode steps, one forward step advances every running sequence together
// (weights are read once per step, not once per sequence), and prompts are
// prefilled in chunks so a long prompt never stalls running streams for more
// than one chunk.
package engine

import (
	"errors"
	"fmt"

	"github.com/seekd/seekd/sample"
)

// Errors returned by Submit.
var (
	// ErrQueueFull means the waiting queue is at capacity (HTTP 429).
	ErrQueueFull = errors.New("engine: request queue is full")
	// ErrClosed means the engine has been shut down (HTTP 503).
	ErrClosed = errors.New("engine: shut down")
)

// PromptTooLongError reports a prompt that does not fit the context.
type PromptTooLongError struct {
	Prompt, Max, Context int
}

func (e *PromptTooLongError) Error() string {
	return fmt.Sprintf("engine: the prompt has %d tokens, more than this model's context of %d tokens allows with %d tokens to generate", e.Prompt, e.Context, e.Max)
}

// Constraint restricts which tokens may come next (constrained decoding,
// e.g. a JSON grammar). It is called from the engine's goroutine only.
type Constraint interface {
	// Mask sets the logits of tokens that may not come next to -Inf.
	Mask(logits []float32)
	// Accept advances the constraint past the chosen token.
	Accept(token int) error
	// Complete reports whether the output is complete, so generation must stop.
	Complete() bool
}

// Request is one generation.
type Request struct {
	Prompt      []int
	MaxTokens   int // tokens to generate at most; <= 0 means up to the context length
	Sampling    sample.Params
	Seed        uint64
	StopTokens  []int      // tokens that end the generation (emitted, finish reason "stop")
	TopLogprobs int        // with Logprobs: also the N most likely alternatives (0-20)
	Logprobs    bool       // report the log-probability of each token
	Constraint  Constraint // optional
	// CacheScope isolates prefix-cache entries (e.g. a digest of the API key
	// and user); requests only share cached prefixes within one scope.
	CacheScope string
}

// TokenLogprob is a token and its log-probability.
type TokenLogprob struct {
	ID      int
	Logprob float32
}

// Token is one generated token.
type Token struct {
	ID      int
	Logprob float32        // when Request.Logprobs
	Top     []TokenLogprob // when Request.TopLogprobs > 0, most likely first
}

// Finish reasons.
const (
	FinishStop      = "stop"      // a stop token, or the constraint completed
	FinishLength    = "length"    // MaxTokens or the context length
	FinishCancelled = "cancelled" // the caller cancelled or closed the stream
	FinishError     = "error"
)

// Usage counts a request's tokens.
type Usage struct {
	PromptTokens     int
	CachedTokens     int // prompt tokens served from the prefix cache
	CompletionTokens int
}

// Event is what a stream delivers: a generated token, or the end.
type Event struct {
	Token  *Token // nil on the final event
	Done   bool
	Finish string // on the final event
	Err    error  // with FinishError
	Usage  Usage  // on the final event
}
