package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Limits on what a tokenizer file may hold, so that a hostile or corrupt file
// gives an error rather than exhausting memory.
const (
	maxFileSize = 256 << 20 // bytes of tokenizer.json
	maxVocab    = 1 << 22   // ids
	maxTokenLen = 1 << 16   // bytes of one token
)

// Load reads a tokenizer from a model folder (its tokenizer.json and
// tokenizer_config.json) or from a tokenizer.json file (with the
// tokenizer_config.json beside it, if there is one).
func Load(path string) (*Tokenizer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	tokPath := path
	if fi.IsDir() {
		tokPath = filepath.Join(path, "tokenizer.json")
	} else if strings.HasSuffix(strings.ToLower(path), ".gguf") {
		return nil, fmt.Errorf("tokenizer: %s: reading the tokenizer of a GGUF file is not supported yet", path)
	}
	tok, err := readCapped(tokPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	cfgPath := filepath.Join(filepath.Dir(tokPath), "tokenizer_config.json")
	cfg, err := readCapped(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		cfg, cfgPath = nil, ""
	} else if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := parse(tok, cfg, tokPath, cfgPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFileSize)
	}
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead) // one read call, no regrowth
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if buf.Len() > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFileSize)
	}
	return buf.Bytes(), nil
}

// Parse builds a tokenizer from the contents of a tokenizer.json and of its
// tokenizer_config.json (nil if there is none).
func Parse(tokenizerJSON, configJSON []byte) (*Tokenizer, error) {
	t, err := parse(tokenizerJSON, configJSON, "tokenizer.json", "tokenizer_config.json")
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

// tokenizerFile holds the parts of tokenizer.json that seekd reads.
type tokenizerFile struct {
	modelType     string
	model         *bpeModel // made when model.vocab is read
	tokens        []string  // model.vocab by id
	mergesRaw     []byte    // model.merges, when it comes before model.vocab
	ignoreMerges  bool
	byteFallback  bool
	unk           *string
	prefix        *string // continuing_subword_prefix
	suffix        *string // end_of_word_suffix
	dropout       *float64
	addedTokens   []addedTokenJSON
	normalizer    json.RawMessage
	preTokenizer  json.RawMessage
	decoder       json.RawMessage
	postProcessor json.RawMessage
}

type addedTokenJSON struct {
	ID         *int   `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

func parse(tok, cfg []byte, tokName, cfgName string) (*Tokenizer, error) {
	f, err := scanTokenizerFile(tok)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tokName, err)
	}
	sp, err := f.spec()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tokName, err)
	}
	if err := applyConfig(&sp, cfg, f.postProcessor); err != nil {
		name := cfgName
		if cfg == nil {
			name = tokName
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t, err := build(sp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tokName, err)
	}
	return t, nil
}

// scanTokenizerFile reads the top level of tokenizer.json.
func scanTokenizerFile(b []byte) (*tokenizerFile, error) {
	f := &tokenizerFile{}
	s := &jsonScanner{b: b}
	rawField := func(dst *json.RawMessage) error {
		r, err := s.raw()
		*dst = r
		return err
	}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "model":
			return f.scanModel(s)
		case "added_tokens":
			r, err := s.raw()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(r, &f.addedTokens); err != nil {
				return fmt.Errorf("added_tokens: %w", err)
			}
			return nil
		case "normalizer":
			return rawField(&f.normalizer)
		case "pre_tokenizer":
			return rawField(&f.preTokenizer)
		case "decoder":
			return rawField(&f.decoder)
		case "post_processor":
			return rawField(&f.postProcessor)
		}
		return s.skip()
	})
	if err != nil {
		return nil, err
	}
	if s.peek() != 0 {
		return nil, s.errorf("data after the top-level object")
	}
	if f.model == nil {
		return nil, errors.New("model.vocab missing")
	}
	return f, nil
}

func (f *tokenizerFile) scanModel(s *jsonScanner) error {
	return s.object(func(key []byte) error {
		var dst any
		switch string(key) {
		case "vocab":
			if f.model != nil {
				return errors.New("model.vocab given twice")
			}
			vocab, tokens, err := scanVocab(s)
			if err != nil {
				return fmt.Errorf("model.vocab: %w", err)
			}
			f.tokens = tokens
			f.model = newBPEModel(vocab, 0)
			f.model.tokens = tokens // scanVocab rejects duplicates
			if f.mergesRaw != nil {
				return scanMerges(f.model, &jsonScanner{b: f.mergesRaw})
			}
			return nil
		case "merges":
			if f.model != nil {
				return scanMerges(f.model, s)
			}
			r, err := s.raw()
			f.mergesRaw = r
			return err
		case "type":
			dst = &f.modelType
		case "ignore_merges":
			dst = &f.ignoreMerges
		case "byte_fallback":
			dst = &f.byteFallback
		case "unk_token":
			dst = &f.unk
		case "continuing_subword_prefix":
			dst = &f.prefix
		case "end_of_word_suffix":
			dst = &f.suffix
		case "dropout":
			dst = &f.dropout
		default:
			return s.skip()
		}
		r, err := s.raw()
		if err != nil {
			return err
		}
		if err := json.Unmarshal(r, dst); err != nil {
			return fmt.Errorf("model.%s: %w", key, err)
		}
		return nil
	})
}

// spec checks what the file asks for and builds the model and pre-tokenizer.
func (f *tokenizerFile) spec() (buildSpec, error) {
	var sp buildSpec
	switch {
	case f.modelType != "" && f.modelType != "BPE":
		return sp, fmt.Errorf("model.type %q: only BPE models are supported", f.modelType)
	case f.byteFallback:
		return sp, errors.New("model.byte_fallback: only byte-level BPE is supported")
	case f.prefix != nil && *f.prefix != "":
		return sp, fmt.Errorf("model.continuing_subword_prefix %q is not supported", *f.prefix)
	case f.suffix != nil && *f.suffix != "":
		return sp, fmt.Errorf("model.end_of_word_suffix %q is not supported", *f.suffix)
	case f.dropout != nil && *f.dropout > 0:
		return sp, errors.New("model.dropout: BPE dropout is not supported")
	}
	m, tokens := f.model, f.tokens
	m.ignoreMerges = f.ignoreMerges
	if f.unk != nil {
		id, ok := m.vocab[*f.unk]
		if !ok {
			return sp, fmt.Errorf("model.unk_token %q is not in the vocabulary", *f.unk)
		}
		m.unk = id
	}
	pre, preByteLevel, err := parsePreTokenizer(f.preTokenizer)
	if err != nil {
		return sp, fmt.Errorf("pre_tokenizer: %w", err)
	}
	decByteLevel, err := isByteLevelDecoder(f.decoder)
	if err != nil {
		return sp, fmt.Errorf("decoder: %w", err)
	}
	if !preByteLevel && !decByteLevel {
		return sp, errors.New("not a byte-level BPE tokenizer (no ByteLevel pre-tokenizer or decoder)")
	}
	norm, err := parseNormalizer(f.normalizer)
	if err != nil {
		return sp, err
	}
	added := make([]AddedToken, 0, len(f.addedTokens))
	for i, a := range f.addedTokens {
		if a.ID == nil {
			return sp, fmt.Errorf("added_tokens[%d]: no id", i)
		}
		if len(a.Content) > maxTokenLen {
			return sp, fmt.Errorf("added_tokens[%d]: content longer than %d bytes", i, maxTokenLen)
		}
		added = append(added, AddedToken{
			ID: *a.ID, Content: a.Content, Special: a.Special,
			LStrip: a.LStrip, RStrip: a.RStrip, SingleWord: a.SingleWord, Normalized: a.Normalized,
		})
	}
	sp = buildSpec{model: m, vocabTokens: tokens, added: added, pre: pre, norm: norm, bos: -1, eos: -1}
	return sp, nil
}

// scanVocab reads model.vocab, an object of token -> id. The token strings
// share one allocation (the garbage collector then has one object to mark
// instead of one per token).
func scanVocab(s *jsonScanner) (map[string]int32, []string, error) {
	type entry struct {
		off, n uint32
		id     int32
	}
	var arena []byte
	var entries []entry
	maxID := -1
	err := s.object(func(key []byte) error {
		if len(key) == 0 || len(key) > maxTokenLen {
			return s.errorf("token of %d bytes", len(key))
		}
		id, err := s.int()
		if err != nil {
			return fmt.Errorf("token %q: %w", key, err)
		}
		if id >= maxVocab {
			return fmt.Errorf("token %q: id %d out of range", key, id)
		}
		if len(arena)+len(key) > maxFileSize {
			return s.errorf("vocabulary too large")
		}
		entries = append(entries, entry{uint32(len(arena)), uint32(len(key)), int32(id)})
		arena = append(arena, key...)
		maxID = max(maxID, id)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	all := string(arena)
	vocab := make(map[string]int32, len(entries))
	tokens := make([]string, maxID+1)
	for _, e := range entries {
		k := all[e.off : e.off+e.n]
		n := len(vocab)
		vocab[k] = e.id
		if len(vocab) == n {
			return nil, nil, fmt.Errorf("token %q listed twice", k)
		}
		if tokens[e.id] != "" {
			return nil, nil, fmt.Errorf("id %d given to %q and %q", e.id, tokens[e.id], k)
		}
		tokens[e.id] = k
	}
	return vocab, tokens, nil
}

// scanMerges reads model.merges: "a b" strings or [a, b] pairs.
func scanMerges(m *bpeModel, s *jsonScanner) error {
	if len(m.merges) > 0 {
		return errors.New("model.merges given twice")
	}
	// Size the merge map from a count of the commas left in the document.
	hint := bytes.Count(s.b[s.i:], []byte{','})
	if k := bytes.IndexByte(s.b[s.i:], '['); k >= 0 && s.i+k+1 < len(s.b) {
		if bytes.IndexByte(s.b[s.i+k+1:min(len(s.b), s.i+k+64)], '[') >= 0 {
			hint /= 2 // [a, b] pairs have two commas each
		}
	}
	m.merges = make(map[uint64]uint64, min(hint, maxVocab))
	var abuf, bbuf, scratch []byte
	rank := 0
	err := s.array(func() error {
		var a, b []byte
		var err error
		switch s.peek() {
		case '"':
			var line []byte
			if line, err = s.str(&abuf); err != nil {
				return err
			}
			sp := -1
			for i, c := range line {
				if c == ' ' {
					if sp >= 0 {
						sp = -2
						break
					}
					sp = i
				}
			}
			if sp < 0 {
				return fmt.Errorf("merge %d: %q is not two tokens separated by a space", rank, line)
			}
			a, b = line[:sp], line[sp+1:]
		case '[':
			n := 0
			err = s.array(func() error {
				var e error
				switch n {
				case 0:
					a, e = s.str(&abuf)
				case 1:
					b, e = s.str(&bbuf)
				default:
					e = fmt.Errorf("merge %d: more than two tokens", rank)
				}
				n++
				return e
			})
			if err != nil {
				return err
			}
			if n != 2 {
				return fmt.Errorf("merge %d: want two tokens", rank)
			}
		default:
			return s.errorf("merge %d: want a string or a pair", rank)
		}
		scratch, err = addMerge(m, a, b, rank, scratch)
		rank++
		return err
	})
	if err != nil {
		return fmt.Errorf("model.merges: %w", err)
	}
	return nil
}
