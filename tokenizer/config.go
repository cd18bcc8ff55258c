package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// parsePreTokenizer reads tokenizer.json's "pre_tokenizer" and reports
// whether it contains a ByteLevel step.
func parsePreTokenizer(raw json.RawMessage) (*preTokenizer, bool, error) {
	p := &preTokenizer{}
	if len(raw) == 0 || string(raw) == "null" {
		return p, false, nil
	}
	byteLevel, err := p.add(raw)
	return newPreTokenizer(p.stages), byteLevel, err
}

type preTokenizerJSON struct {
	Type          string            `json:"type"`
	PreTokenizers []json.RawMessage `json:"pretokenizers"`
	Pattern       struct {
		Regex  *string `json:"Regex"`
		String *string `json:"String"`
	} `json:"pattern"`
	Behavior         string `json:"behavior"`
	Invert           bool   `json:"invert"`
	AddPrefixSpace   bool   `json:"add_prefix_space"`
	UseRegex         *bool  `json:"use_regex"`
	IndividualDigits bool   `json:"individual_digits"`
}

func (p *preTokenizer) add(raw json.RawMessage) (byteLevel bool, err error) {
	var j preTokenizerJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return false, err
	}
	switch j.Type {
	case "Sequence":
		for i, r := range j.PreTokenizers {
			bl, err := p.add(r)
			if err != nil {
				return false, fmt.Errorf("pretokenizers[%d]: %w", i, err)
			}
			byteLevel = byteLevel || bl
		}
		return byteLevel, nil
	case "Split":
		b, err := parseBehavior(j.Behavior)
		if err != nil {
			return false, err
		}
		switch {
		case j.Pattern.Regex != nil:
			st, err := newRegexStage(*j.Pattern.Regex, b, j.Invert)
			if err != nil {
				return false, err
			}
			p.stages = append(p.stages, st)
		case j.Pattern.String != nil:
			p.stages = append(p.stages, &splitStage{tab: bmpClasses(), literal: j.Pattern.String, behavior: b, invert: j.Invert})
		default:
			return false, errors.New("Split without a Regex or String pattern")
		}
		return false, nil
	case "ByteLevel":
		if j.AddPrefixSpace {
			p.stages = append(p.stages, prefixSpaceStage{})
		}
		if j.UseRegex == nil || *j.UseRegex { // Hugging Face's default is true
			st, err := newRegexStage(reGPT2, behaviorIsolated, false)
			if err != nil {
				return false, err
			}
			p.stages = append(p.stages, st)
		}
		return true, nil
	case "Digits":
		b := behaviorContiguous
		if j.IndividualDigits {
			b = behaviorIsolated
		}
		st, err := newRegexStage(reDigits1, b, false)
		if err != nil {
			return false, err
		}
		p.stages = append(p.stages, st)
		return false, nil
	}
	return false, fmt.Errorf("unsupported pre-tokenizer type %q", j.Type)
}

// isByteLevelDecoder reports whether tokenizer.json's "decoder" is ByteLevel
// (alone or in a Sequence). Other decoders are not supported.
func isByteLevelDecoder(raw json.RawMessage) (bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	var d struct {
		Type     string            `json:"type"`
		Decoders []json.RawMessage `json:"decoders"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return false, err
	}
	switch d.Type {
	case "ByteLevel":
		return true, nil
	case "Sequence":
		found := false
		for _, r := range d.Decoders {
			bl, err := isByteLevelDecoder(r)
			if err != nil {
				return false, err
			}
			found = found || bl
		}
		if !found {
			return false, errors.New("a Sequence without ByteLevel is not supported")
		}
		return true, nil
	}
	return false, fmt.Errorf("unsupported decoder type %q", d.Type)
}

// templateSpecials reads a TemplateProcessing post-processor and returns the
// ids of the special tokens it puts before and after a single sequence
// (-1 if none).
func templateSpecials(raw json.RawMessage) (before, after int) {
	before, after = -1, -1
	var pp struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &pp) != nil || pp.Type != "TemplateProcessing" || len(pp.Single) == 0 {
		return
	}
	idOf := func(i int) int {
		st := pp.Single[i].SpecialToken
		if st == nil {
			return -1
		}
		if ids := pp.SpecialTokens[st.ID].IDs; len(ids) == 1 {
			return ids[0]
		}
		return -1
	}
	before = idOf(0)
	if len(pp.Single) > 1 {
		after = idOf(len(pp.Single) - 1)
	}
	return
}

// applyConfig sets BOS, EOS and whether to add them, from
// tokenizer_config.json (cfg, may be nil) or else from the post-processor.
func applyConfig(sp *buildSpec, cfg []byte, postProcessor json.RawMessage) error {
	before, after := templateSpecials(postProcessor)
	sp.bos, sp.addBOS = before, before >= 0
	sp.eos, sp.addEOS = -1, after >= 0
	if after >= 0 {
		sp.eos = after
	}
	if cfg == nil {
		return nil
	}
	var c struct {
		AddBOS   *bool           `json:"add_bos_token"`
		AddEOS   *bool           `json:"add_eos_token"`
		BOSToken json.RawMessage `json:"bos_token"`
		EOSToken json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return err
	}
	var err error
	if sp.bos, err = resolveSpecial(sp, "bos_token", c.BOSToken, sp.bos); err != nil {
		return err
	}
	if sp.eos, err = resolveSpecial(sp, "eos_token", c.EOSToken, sp.eos); err != nil {
		return err
	}
	if c.AddBOS != nil {
		sp.addBOS = *c.AddBOS
	}
	if c.AddEOS != nil {
		sp.addEOS = *c.AddEOS
	}
	if sp.addBOS && sp.bos < 0 {
		return errors.New("add_bos_token is true but there is no bos_token")
	}
	if sp.addEOS && sp.eos < 0 {
		return errors.New("add_eos_token is true but there is no eos_token")
	}
	return nil
}

// resolveSpecial finds the id of a configured special token: a string, an
// object with "content", or null (then def stands).
func resolveSpecial(sp *buildSpec, field string, raw json.RawMessage, def int) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	var content string
	if err := json.Unmarshal(raw, &content); err != nil {
		var obj struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
			return -1, fmt.Errorf("%s: want a string or an object with content", field)
		}
		content = *obj.Content
	}
	for _, a := range sp.added {
		if a.Content == content {
			return a.ID, nil
		}
	}
	if id, ok := sp.model.vocab[content]; ok {
		return int(id), nil
	}
	return -1, fmt.Errorf("%s %q is not in the vocabulary", field, content)
}
