package server

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// completionRequestJSON is the body of POST /completions (legacy text
// completions, and DeepSeek's fill-in-the-middle on /beta/completions).
type completionRequestJSON struct {
	Model             string             `json:"model"`
	Prompt            json.RawMessage    `json:"prompt"`
	Suffix            *string            `json:"suffix"`
	Echo              bool               `json:"echo"`
	Stream            *bool              `json:"stream"`
	StreamOptions     *streamOptionsJSON `json:"stream_options"`
	MaxTokens         *int               `json:"max_tokens"`
	Temperature       *float64           `json:"temperature"`
	TopP              *float64           `json:"top_p"`
	TopK              *int               `json:"top_k"`
	MinP              *float64           `json:"min_p"`
	FrequencyPenalty  *float64           `json:"frequency_penalty"`
	PresencePenalty   *float64           `json:"presence_penalty"`
	RepetitionPenalty *float64           `json:"repetition_penalty"`
	Stop              json.RawMessage    `json:"stop"`
	Seed              *int64             `json:"seed"`
	N                 *int               `json:"n"`
	BestOf            *int               `json:"best_of"`
	Logprobs          *int               `json:"logprobs"`
	User              string             `json:"user"`
	UserID            string             `json:"user_id"`
}

// maxPrompts caps the prompts of one completions request.
const maxPrompts = 16

// handleCompletions serves POST /completions; fill-in-the-middle (suffix)
// is a beta feature, as in DeepSeek's API.
func (s *Server) handleCompletions(beta bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, e := s.decodeCompletion(r.Body, beta)
		if e != nil {
			writeError(w, e)
			return
		}
		g.Scope = cacheScope(r, g.Scope)
		s.generate(w, r, g, s.openai, newCompletionEncoder)
	}
}

func (s *Server) decodeCompletion(body io.Reader, beta bool) (*genRequest, *apiError) {
	var j completionRequestJSON
	if e := decodeJSON(body, &j); e != nil {
		return nil, e
	}
	m, alias, _, e := s.lookupModel(j.Model)
	if e != nil {
		return nil, e
	}
	g := &genRequest{Model: m, Alias: alias}
	if e := decodeCommon(g, commonJSON{
		Stream: j.Stream, StreamOptions: j.StreamOptions, MaxTokens: j.MaxTokens,
		Temperature: j.Temperature, TopP: j.TopP, TopK: j.TopK, MinP: j.MinP,
		FrequencyPenalty: j.FrequencyPenalty, PresencePenalty: j.PresencePenalty, RepetitionPenalty: j.RepetitionPenalty,
		Stop: j.Stop, Seed: j.Seed, N: j.N, User: j.User, UserID: j.UserID,
	}); e != nil {
		return nil, e
	}
	if j.BestOf != nil && *j.BestOf != g.N {
		return nil, invalidValue("best_of", "best_of is not supported (it must equal n)")
	}
	if j.Logprobs != nil {
		if *j.Logprobs < 0 || *j.Logprobs > 20 {
			return nil, invalidValue("logprobs", "logprobs must be between 0 and 20, got %d", *j.Logprobs)
		}
		g.Logprobs, g.TopLogprobs = true, *j.Logprobs
	}
	ci := &completionInput{Suffix: j.Suffix, Echo: j.Echo}
	if j.Suffix != nil && !beta {
		return nil, badRequest("suffix", "fill-in-the-middle (suffix) is a beta feature: send the request to /beta/completions")
	}
	if j.Echo && g.Logprobs {
		return nil, badRequest("echo", "echo together with logprobs is not supported")
	}
	if j.Echo && j.Suffix != nil {
		return nil, badRequest("echo", "echo is not supported with suffix")
	}
	prompts, e := decodePrompts(j.Prompt)
	if e != nil {
		return nil, e
	}
	if j.Suffix != nil {
		for _, p := range prompts {
			if p.IDs != nil {
				return nil, badRequest("prompt", "fill-in-the-middle needs a text prompt")
			}
		}
	}
	ci.Prompts = prompts
	g.Completion = ci
	return g, nil
}

// decodePrompts reads prompt: a string, an array of strings, an array of
// token ids, or an array of arrays of token ids.
func decodePrompts(raw json.RawMessage) ([]promptInput, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest("prompt", "Failed to deserialize the JSON body into the target type: missing field `prompt`")
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []promptInput{{Text: one}}, nil
	}
	var texts []string
	if json.Unmarshal(raw, &texts) == nil && len(texts) > 0 {
		if len(texts) > maxPrompts {
			return nil, invalidValue("prompt", "at most %d prompts are allowed", maxPrompts)
		}
		out := make([]promptInput, len(texts))
		for i, t := range texts {
			out[i] = promptInput{Text: t}
		}
		return out, nil
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil && len(ids) > 0 {
		return []promptInput{{IDs: ids}}, nil
	}
	var idLists [][]int
	if json.Unmarshal(raw, &idLists) == nil && len(idLists) > 0 {
		if len(idLists) > maxPrompts {
			return nil, invalidValue("prompt", "at most %d prompts are allowed", maxPrompts)
		}
		out := make([]promptInput, len(idLists))
		for i, l := range idLists {
			if len(l) == 0 {
				return nil, badRequest("prompt", "prompt %d is empty", i)
			}
			out[i] = promptInput{IDs: l}
		}
		return out, nil
	}
	return nil, badRequest("prompt", "prompt must be a string, an array of strings, or token ids")
}

// completionJSON is a text_completion object (whole or a chunk).
type completionJSON struct {
	ID                string                 `json:"id"`
	Object            string                 `json:"object"`
	Created           int64                  `json:"created"`
	Model             string                 `json:"model"`
	SystemFingerprint string                 `json:"system_fingerprint"`
	Choices           []completionChoiceJSON `json:"choices"`
	Usage             *usageJSON             `json:"usage"`
}

type completionChoiceJSON struct {
	Text         string              `json:"text"`
	Index        int                 `json:"index"`
	Logprobs     *legacyLogprobsJSON `json:"logprobs"`
	FinishReason *string             `json:"finish_reason"`
}

// legacyLogprobsJSON is the completions API's logprobs shape.
type legacyLogprobsJSON struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float32            `json:"token_logprobs"`
	TopLogprobs   []map[string]float32 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

// completionEncoder writes text_completion objects.
type completionEncoder struct {
	g       *genRequest
	p       *prepared
	id      string
	created int64
	started map[int]bool
	texts   map[int]string
	offsets map[int]int
	lps     map[int]*legacyLogprobsJSON
	finish  map[int]string
	done    int
	usage   choiceUsage
}

func newCompletionEncoder(g *genRequest, p *prepared) encoder {
	return &completionEncoder{g: g, p: p, id: newID(), created: time.Now().Unix(), started: map[int]bool{}, texts: map[int]string{}, offsets: map[int]int{}, lps: map[int]*legacyLogprobsJSON{}, finish: map[int]string{}}
}

func (c *completionEncoder) object(choices []completionChoiceJSON) *completionJSON {
	if choices == nil {
		choices = []completionChoiceJSON{}
	}
	return &completionJSON{ID: c.id, Object: "text_completion", Created: c.created, Model: c.g.Alias, SystemFingerprint: c.g.Model.fingerprint, Choices: choices}
}

// text returns an event's text, with the prompt first when echo is on.
func (c *completionEncoder) text(ev outEvent) string {
	var s string
	if !c.started[ev.Choice] {
		c.started[ev.Choice] = true
		if c.g.Completion.Echo {
			s = c.p.prompts[c.p.choices[ev.Choice].promptIndex]
		}
	}
	for _, e := range ev.Parsed {
		s += e.Text
	}
	return s
}

func (c *completionEncoder) logprobs(ev outEvent, into *legacyLogprobsJSON) *legacyLogprobsJSON {
	if !c.g.Logprobs {
		return nil
	}
	if into == nil {
		into = &legacyLogprobsJSON{Tokens: []string{}, TokenLogprobs: []float32{}, TopLogprobs: []map[string]float32{}, TextOffset: []int{}}
	}
	for _, lp := range ev.Logprobs {
		into.Tokens = append(into.Tokens, lp.Token)
		into.TokenLogprobs = append(into.TokenLogprobs, lp.Logprob)
		top := map[string]float32{}
		for _, t := range lp.Top {
			top[t.Token] = t.Logprob
		}
		into.TopLogprobs = append(into.TopLogprobs, top)
		into.TextOffset = append(into.TextOffset, c.offsets[ev.Choice])
		c.offsets[ev.Choice] += len(lp.Bytes)
	}
	return into
}

func (c *completionEncoder) streamEvent(ev outEvent) []any {
	ch := completionChoiceJSON{Index: ev.Choice, Text: c.text(ev), Logprobs: c.logprobs(ev, nil)}
	if ev.Done {
		c.done++
		c.addUsage(ev.Usage)
		f := ev.Finish
		ch.FinishReason = &f
	}
	obj := c.object([]completionChoiceJSON{ch})
	if ev.Done && !c.g.IncludeUsage && c.done == len(c.p.choices) {
		obj.Usage = makeUsage(c.usage)
	}
	return []any{obj}
}

func (c *completionEncoder) addUsage(u choiceUsage) {
	c.usage.Prompt += u.Prompt
	c.usage.Cached += u.Cached
	c.usage.Completion += u.Completion
}

func (c *completionEncoder) streamStart() []any { return nil }

func (c *completionEncoder) streamEnd() []any {
	if !c.g.IncludeUsage {
		return nil
	}
	obj := c.object(nil)
	obj.Usage = makeUsage(c.usage)
	return []any{obj}
}

func (c *completionEncoder) add(ev outEvent) {
	c.texts[ev.Choice] += c.text(ev)
	c.lps[ev.Choice] = c.logprobs(ev, c.lps[ev.Choice])
	if ev.Done {
		c.finish[ev.Choice] = ev.Finish
		c.addUsage(ev.Usage)
	}
}

func (c *completionEncoder) result() any {
	obj := c.object(nil)
	for i := range c.p.choices {
		f := c.finish[i]
		ch := completionChoiceJSON{Index: i, Text: c.texts[i], FinishReason: &f}
		if c.g.Logprobs {
			ch.Logprobs = c.lps[i]
			if ch.Logprobs == nil {
				ch.Logprobs = &legacyLogprobsJSON{Tokens: []string{}, TokenLogprobs: []float32{}, TopLogprobs: []map[string]float32{}, TextOffset: []int{}}
			}
		}
		obj.Choices = append(obj.Choices, ch)
	}
	obj.Usage = makeUsage(c.usage)
	return obj
}
