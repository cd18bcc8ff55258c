package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// chatClient talks to a seekd (or any DeepSeek/OpenAI-compatible) server's
// streaming chat completions; `seekd run` uses it against an in-process
// server, so the terminal chat goes through exactly the API clients use.
type chatClient struct {
	base  string // e.g. http://127.0.0.1:PORT
	key   string
	model string
	http  *http.Client
}

type chatMsg struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatParams struct {
	Thinking    string   // "", "enabled" or "disabled"
	Temperature *float64 // nil: the server's default
	MaxTokens   int      // 0: no limit
	Seed        *int64   // nil: random
}

// chatDelta is what one streamed chunk adds.
type chatDelta struct {
	Reasoning, Content string
}

type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	CacheHit         int `json:"prompt_cache_hit_tokens"`
}

// stream sends one chat request and calls onDelta for every chunk. It
// returns the finish reason and usage.
func (c *chatClient) stream(ctx context.Context, msgs []chatMsg, p chatParams, onDelta func(chatDelta)) (string, chatUsage, error) {
	body := map[string]any{
		"model":          c.model,
		"messages":       msgs,
		"stream":         true,
		"stream_options": map[string]any{"include_usage": true},
	}
	if p.Thinking != "" {
		body["thinking"] = map[string]string{"type": p.Thinking}
	}
	if p.Temperature != nil {
		body["temperature"] = *p.Temperature
	}
	if p.MaxTokens > 0 {
		body["max_tokens"] = p.MaxTokens
	}
	if p.Seed != nil {
		body["seed"] = *p.Seed
	}
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/v1/chat/completions", bytes.NewReader(data))
	if err != nil {
		return "", chatUsage{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", chatUsage{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return "", chatUsage{}, fmt.Errorf("%s", e.Error.Message)
		}
		return "", chatUsage{}, fmt.Errorf("server: %s", resp.Status)
	}
	var finish string
	var usage chatUsage
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 32<<20)
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue // blank lines and ": keep-alive" comments
		}
		if data == "[DONE]" {
			break
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content          *string `json:"content"`
					ReasoningContent *string `json:"reasoning_content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *chatUsage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			return "", usage, fmt.Errorf("bad chunk from the server: %w", err)
		}
		if chunk.Usage != nil {
			usage = *chunk.Usage
		}
		for _, ch := range chunk.Choices {
			var d chatDelta
			if ch.Delta.ReasoningContent != nil {
				d.Reasoning = *ch.Delta.ReasoningContent
			}
			if ch.Delta.Content != nil {
				d.Content = *ch.Delta.Content
			}
			if d.Reasoning != "" || d.Content != "" {
				onDelta(d)
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	if err := sc.Err(); err != nil {
		return finish, usage, err
	}
	return finish, usage, nil
}
