// Package convert turns a Hugging Face safetensors folder into a GGUF file
// the way llama.cpp's convert_hf_to_gguf.py followed by
// `llama-quantize --pure` writes it: the same metadata keys, tensor names,
// ne order and per-tensor type choices, for the deepseek2 (DeepSeek V2/V3/R1),
// qwen2 and llama (R1-Distill) architectures.
package convert

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
	"github.com/seekd/seekd/weights/gguf"
)

// Options choose what ToGGUF writes.
type Options struct {
	// Type is the target tensor type: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K
	// or Q6_K. 1-D tensors, norms and the MoE router stay F32; a matrix whose
	// rows do not fit the block size falls back as llama-quantize does.
	Type tensor.DType
	// LegacyMLA writes DeepSeek attention in the pre-April-2025 layout: one
	// unsplit attn_kv_b tensor and head_count_kv = n_heads.
	LegacyMLA bool
	// TokenizerDir holds tokenizer.json and tokenizer_config.json (default:
	// the model folder). Without a tokenizer.json no tokenizer is written.
	TokenizerDir string
	// TokenizerPre overrides tokenizer.ggml.pre, which is otherwise inferred
	// from the pre-tokenizer's regular expressions.
	TokenizerPre string
	// Name is general.name, written only when set. (convert_hf_to_gguf.py
	// derives one from the folder name; the published fixtures carry none.)
	Name string
}

// Targets returns the tensor types ToGGUF accepts.
func Targets() []tensor.DType {
	return []tensor.DType{tensor.F32, tensor.F16, tensor.BF16, tensor.Q8_0, tensor.Q4_0, tensor.Q5_0, tensor.Q4_K, tensor.Q6_K}
}

// fileType maps a target to llama.cpp's general.file_type (enum
// llama_ftype); Q4_K is written as Q4_K_M, as llama-quantize names it.
func fileType(t tensor.DType) (uint32, bool) {
	switch t {
	case tensor.F32:
		return 0, true
	case tensor.F16:
		return 1, true
	case tensor.Q4_0:
		return 2, true
	case tensor.Q8_0:
		return 7, true
	case tensor.Q5_0:
		return 8, true
	case tensor.Q4_K:
		return 15, true
	case tensor.Q6_K:
		return 18, true
	case tensor.BF16:
		return 32, true
	}
	return 0, false
}

// ToGGUF converts the checkpoint in srcDir into a GGUF file at dstPath. The
// file is written to a temporary name and renamed into place, so dstPath is
// either the complete file or untouched.
func ToGGUF(ctx context.Context, srcDir, dstPath string, opt Options) error {
	p, err := newPlan(srcDir, opt)
	if err != nil {
		return err
	}
	defer p.close()
	w, err := p.writer(ctx)
	if err != nil {
		return err
	}
	if err := w.WriteFile(dstPath); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	return ctx.Err()
}

// outTensor is one tensor of the output file.
type outTensor struct {
	name  string
	shape []int        // outermost first; ne is the reverse
	typ   tensor.DType // storage type in the file
	// rows yields the float32 values in order, in chunks of whole rows.
	rows func(yield func([]float32) error) error
}

// plan is a conversion ready to be written: the metadata and the tensors.
type plan struct {
	src     string
	cfg     *hfConfig
	opt     Options
	ckpt    *weights.Checkpoint
	arch    string
	meta    *gguf.Writer // metadata only; tensors are added by writer()
	tensors []outTensor
}

func newPlan(srcDir string, opt Options) (*plan, error) {
	if opt.Type == tensor.Invalid {
		opt.Type = tensor.F32
	}
	if _, ok := fileType(opt.Type); !ok {
		return nil, fmt.Errorf("convert: unsupported target type %v (want one of %v)", opt.Type, Targets())
	}
	if opt.TokenizerDir == "" {
		opt.TokenizerDir = srcDir
	}
	cfg, err := readConfig(srcDir)
	if err != nil {
		return nil, err
	}
	ckpt, err := weights.Open(srcDir)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	p := &plan{src: srcDir, cfg: cfg, opt: opt, ckpt: ckpt, meta: gguf.NewWriter()}
	if err := p.build(); err != nil {
		ckpt.Close()
		return nil, err
	}
	return p, nil
}

func (p *plan) close() { p.ckpt.Close() }

func (p *plan) build() error {
	switch hf := p.cfg.Architectures[0]; hf {
	case "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM":
		p.arch = "deepseek2"
	case "Qwen2ForCausalLM":
		p.arch = "qwen2"
	case "LlamaForCausalLM":
		p.arch = "llama"
	default:
		return fmt.Errorf("convert: %s: architecture %q is not supported (want DeepseekV2/V3, Qwen2 or Llama)", p.src, hf)
	}
	m := &metaSet{w: p.meta, arch: p.arch}
	m.set(gguf.KeyArchitecture, p.arch)
	m.set("general.type", "model")
	if p.opt.Name != "" {
		m.set(gguf.KeyName, p.opt.Name)
	}
	var err error
	if p.arch == "deepseek2" {
		err = p.deepseek(m)
	} else {
		err = p.dense(m)
	}
	if err != nil {
		return err
	}
	m.set(gguf.KeyQuantizationVersion, uint32(2))
	if err := addTokenizer(m, p.opt, p.cfg); err != nil {
		return err
	}
	if m.err != nil {
		return m.err
	}
	for i := range p.tensors {
		t := &p.tensors[i]
		t.typ = chooseType(t.name, t.shape, p.opt.Type)
	}
	sortTensors(p.tensors)
	return nil
}

// baseParams writes the keys convert_hf_to_gguf.py's TextModel writes for
// every architecture, in its order. nKV is the head_count_kv to record.
func (p *plan) baseParams(m *metaSet, nKV int) {
	c := p.cfg
	m.setArch("block_count", uint32(c.NumHiddenLayers))
	if c.MaxPositionEmbeddings != nil {
		m.setArch("context_length", uint32(*c.MaxPositionEmbeddings))
	}
	m.setArch("embedding_length", uint32(c.HiddenSize))
	if c.IntermediateSize != nil {
		m.setArch("feed_forward_length", uint32(*c.IntermediateSize))
	}
	m.setArch("attention.head_count", uint32(c.NumAttentionHeads))
	m.setArch("attention.head_count_kv", uint32(nKV))
	if rs := c.RopeScaling; rs != nil && rs.Factor != nil {
		switch rs.kind() {
		case "linear":
			m.setArch("rope.scaling.type", "linear")
			m.setArch("rope.scaling.factor", float32(*rs.Factor))
		case "yarn":
			m.setArch("rope.scaling.type", "yarn")
			m.setArch("rope.scaling.factor", float32(*rs.Factor))
			if rs.OriginalMaxPositionEmbeddings != nil {
				m.setArch("rope.scaling.original_context_length", uint32(*rs.OriginalMaxPositionEmbeddings))
			}
			if rs.ExtrapolationFactor != nil {
				m.setArch("rope.scaling.yarn_ext_factor", float32(*rs.ExtrapolationFactor))
			}
			if rs.AttentionFactor != nil {
				m.setArch("rope.scaling.yarn_attn_factor", float32(*rs.AttentionFactor))
			}
			if rs.BetaFast != nil {
				m.setArch("rope.scaling.yarn_beta_fast", float32(*rs.BetaFast))
			}
			if rs.BetaSlow != nil {
				m.setArch("rope.scaling.yarn_beta_slow", float32(*rs.BetaSlow))
			}
		}
	}
	if c.RopeTheta != nil {
		m.setArch("rope.freq_base", float32(*c.RopeTheta))
	}
	if c.RMSNormEps != nil {
		m.setArch("attention.layer_norm_rms_epsilon", float32(*c.RMSNormEps))
	}
	if c.NRoutedExperts != nil {
		m.setArch("expert_count", uint32(*c.NRoutedExperts))
	}
	if c.NumExpertsPerTok != nil {
		m.setArch("expert_used_count", uint32(*c.NumExpertsPerTok))
	}
	if c.NGroup != nil {
		m.setArch("expert_group_count", uint32(*c.NGroup))
	}
	if c.TopkGroup != nil {
		m.setArch("expert_group_used_count", uint32(*c.TopkGroup))
	}
	if c.ScoringFunc != nil {
		switch *c.ScoringFunc {
		case "softmax":
			m.setArch("expert_gating_func", uint32(1))
		case "sigmoid":
			m.setArch("expert_gating_func", uint32(2))
		default:
			m.fail(fmt.Errorf("convert: %s: unsupported scoring_func %q", p.src, *c.ScoringFunc))
		}
	}
	if c.HeadDim != nil {
		m.setArch("attention.key_length", uint32(*c.HeadDim))
		m.setArch("attention.value_length", uint32(*c.HeadDim))
	}
	ft, _ := fileType(p.opt.Type)
	m.set(gguf.KeyFileType, ft)
}

// writer returns a gguf.Writer holding the metadata and every tensor, the
// tensor data produced while the file is written.
func (p *plan) writer(ctx context.Context) (*gguf.Writer, error) {
	w := p.meta
	for _, t := range p.tensors {
		t := t
		gt, ok := gguf.FromDType(t.typ)
		if !ok {
			return nil, fmt.Errorf("convert: tensor %q: no GGUF type for %v", t.name, t.typ)
		}
		err := w.AddTensorFunc(t.name, gt, neOf(t.shape), func(out io.Writer) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return t.rows(func(vals []float32) error {
				enc, err := tensor.Quantize(t.typ, vals)
				if err != nil {
					return fmt.Errorf("convert: tensor %q: %w", t.name, err)
				}
				_, err = out.Write(enc)
				return err
			})
		})
		if err != nil {
			return nil, fmt.Errorf("convert: %w", err)
		}
	}
	return w, nil
}

func neOf(shape []int) []int64 {
	ne := make([]int64, len(shape))
	for i, d := range shape {
		ne[len(ne)-1-i] = int64(d)
	}
	return ne
}

// chooseType applies llama.cpp's per-tensor type rules for target: 1-D
// tensors, *_norm.weight and ffn_gate_inp.weight stay F32, every other
// matrix gets the target, and a matrix whose rows (ne0) are not a whole
// number of blocks falls back (Q4_K to Q5_0, Q6_K to Q8_0, and to F16 when
// even a 32-block does not fit).
func chooseType(name string, shape []int, target tensor.DType) tensor.DType {
	if len(shape) < 2 || strings.HasSuffix(name, "_norm.weight") || strings.HasSuffix(name, "ffn_gate_inp.weight") || !strings.HasSuffix(name, "weight") {
		return tensor.F32
	}
	ne0 := shape[len(shape)-1]
	typ := target
	if ne0%typ.BlockSize() != 0 {
		switch typ {
		case tensor.Q4_K:
			typ = tensor.Q5_0
		case tensor.Q6_K:
			typ = tensor.Q8_0
		}
		if ne0%typ.BlockSize() != 0 {
			typ = tensor.F16
		}
	}
	return typ
}

// sortTensors puts the tensors in a stable, readable order: token_embd and
// other global inputs, then each block's tensors by name, then output_norm
// and output.
func sortTensors(ts []outTensor) {
	rank := func(name string) (int, int) {
		if rest, ok := strings.CutPrefix(name, "blk."); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest+".", '.')])
			return 1, n
		}
		switch {
		case strings.HasPrefix(name, "output_norm."):
			return 2, 0
		case strings.HasPrefix(name, "output."):
			return 2, 1
		}
		return 0, 0
	}
	sort.SliceStable(ts, func(i, j int) bool {
		gi, ni := rank(ts[i].name)
		gj, nj := rank(ts[j].name)
		if gi != gj || ni != nj {
			return gi < gj || (gi == gj && ni < nj)
		}
		if gi == 1 {
			return ts[i].name < ts[j].name
		}
		return false
	})
}

// metaSet records metadata, keeping the first error.
type metaSet struct {
	w    *gguf.Writer
	arch string
	err  error
}

func (m *metaSet) set(key string, v any) {
	if m.err == nil {
		m.err = m.w.Set(key, v)
	}
}

func (m *metaSet) setArch(suffix string, v any) { m.set(m.arch+"."+suffix, v) }

func (m *metaSet) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}
