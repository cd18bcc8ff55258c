package server

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/seekd/seekd/sample"
)

// commonJSON holds the sampling and streaming fields chat and legacy
// completions share.
type commonJSON struct {
	Stream              *bool
	StreamOptions       *streamOptionsJSON
	MaxTokens           *int
	MaxCompletionTokens *int
	Temperature         *float64
	TopP                *float64
	TopK                *int
	MinP                *float64
	FrequencyPenalty    *float64
	PresencePenalty     *float64
	RepetitionPenalty   *float64
	Stop                json.RawMessage
	Seed                *int64
	N                   *int
	User                string
	UserID              string
}

// Limits of request fields.
const (
	maxStops   = 16
	maxStopLen = 256
	maxN       = 16
)

// decodeCommon validates the shared fields into g.
func decodeCommon(g *genRequest, c commonJSON) *apiError {
	if c.Stream != nil {
		g.Stream = *c.Stream
	}
	if c.StreamOptions != nil {
		if !g.Stream {
			return badRequest("stream_options", "stream_options is only allowed when stream is true")
		}
		g.IncludeUsage = c.StreamOptions.IncludeUsage
	}
	mt := c.MaxTokens
	if c.MaxCompletionTokens != nil {
		mt = c.MaxCompletionTokens
	}
	if mt != nil {
		if *mt < 1 {
			return invalidValue("max_tokens", "max_tokens must be at least 1, got %d", *mt)
		}
		g.MaxTokens = *mt
	}
	p := sample.Params{Temperature: 1, TopP: 1}
	rng := func(name string, v *float64, lo, hi float64) (float32, *apiError) {
		if math.IsNaN(*v) || *v < lo || *v > hi {
			return 0, invalidValue(name, "%s must be between %g and %g, got %g", name, lo, hi, *v)
		}
		return float32(*v), nil
	}
	var e *apiError
	if c.Temperature != nil {
		if p.Temperature, e = rng("temperature", c.Temperature, 0, 2); e != nil {
			return e
		}
	}
	if c.TopP != nil {
		if p.TopP, e = rng("top_p", c.TopP, 0, 1); e != nil {
			return e
		}
		if p.TopP == 0 { // OpenAI treats 0 as "only the top token"
			p.TopK = 1
		}
	}
	if c.TopK != nil {
		if *c.TopK < -1 {
			return invalidValue("top_k", "top_k must be -1, 0 (off) or positive, got %d", *c.TopK)
		}
		p.TopK = max(*c.TopK, 0)
	}
	if c.MinP != nil {
		if p.MinP, e = rng("min_p", c.MinP, 0, 1); e != nil {
			return e
		}
	}
	if c.FrequencyPenalty != nil {
		if p.FrequencyPenalty, e = rng("frequency_penalty", c.FrequencyPenalty, -2, 2); e != nil {
			return e
		}
	}
	if c.PresencePenalty != nil {
		if p.PresencePenalty, e = rng("presence_penalty", c.PresencePenalty, -2, 2); e != nil {
			return e
		}
	}
	if c.RepetitionPenalty != nil {
		if *c.RepetitionPenalty <= 0 || *c.RepetitionPenalty > 10 || math.IsNaN(*c.RepetitionPenalty) {
			return invalidValue("repetition_penalty", "repetition_penalty must be in (0, 10], got %g", *c.RepetitionPenalty)
		}
		p.RepetitionPenalty = float32(*c.RepetitionPenalty)
	}
	g.Sampling = p
	stops, e := decodeStop(c.Stop)
	if e != nil {
		return e
	}
	g.Stop = stops
	if c.Seed != nil {
		g.Seed, g.HasSeed = uint64(*c.Seed), true
	} else {
		g.Seed = rand.Uint64()
	}
	g.N = 1
	if c.N != nil {
		if *c.N < 1 || *c.N > maxN {
			return invalidValue("n", "n must be between 1 and %d, got %d", maxN, *c.N)
		}
		g.N = *c.N
	}
	for name, v := range map[string]string{"user": c.User, "user_id": c.UserID} {
		if len(v) > 512 {
			return invalidValue(name, "%s must be at most 512 characters", name)
		}
	}
	g.Scope = c.User + "\x00" + c.UserID
	return nil
}

// decodeStop reads stop: a string or an array of up to 16 strings.
func decodeStop(raw json.RawMessage) ([]string, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	var list []string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("stop", "stop must be a string or an array of strings")
	}
	if len(list) > maxStops {
		return nil, invalidValue("stop", "at most %d stop sequences are allowed, got %d", maxStops, len(list))
	}
	var out []string
	for i, s := range list {
		if len(s) > maxStopLen {
			return nil, invalidValue(fmt.Sprintf("stop[%d]", i), "stop sequences may be at most %d bytes", maxStopLen)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}
