package model

import (
	"context"
	"fmt"

	"github.com/seekd/seekd/tensor"
)

// DeepSeek is a DeepSeek V2/V3 model: Multi-head Latent Attention over a
// latent KV cache and DeepSeekMoE feed-forward layers.
//
// Notation (shapes are written {rows, cols}, row-major, one row per token):
// D hidden, H heads, dn/dr/dv the nope/rope/value head widths, dq = dn+dr,
// C kv_lora_rank, Qr q_lora_rank, E routed experts, T tokens in the step.
type DeepSeek struct {
	cfg    *Config
	pool   *tensor.Pool
	closer interface{ Close() error }

	embed  embedTable     // {V, D}
	norm   []float32      // {D}
	output *tensor.Matrix // {V, D}
	layers []mlaLayer
	rope   *rope
	scale  float32 // softmax scale: dq^-0.5 · mscale²
	ws     scratchCache
}

type mlaLayer struct {
	attnNorm []float32        // {D}
	qA       *tensor.Matrix   // {Qr, D}; nil without q-LoRA
	qANorm   []float32        // {Qr}
	qB       *tensor.Matrix   // {H·dq, Qr}, or q_proj {H·dq, D} without q-LoRA
	kvA      *tensor.Matrix   // {C+dr, D}: latent rows, then the shared rope key
	kvANorm  []float32        // {C}
	kB       []*tensor.Matrix // per head {C, dn}: W_UKᵀ, absorbed into the query
	vB       []*tensor.Matrix // per head {dv, C}: W_UV
	o        *tensor.Matrix   // {D, H·dv}
	ffnNorm  []float32        // {D}
	mlp      *mlp             // dense layers
	moe      *moe             // MoE layers
}

// mlp is a SwiGLU feed-forward: down(silu(gate·x) ⊙ up·x).
type mlp struct {
	gate, up *tensor.Matrix // {I, D}
	down     *tensor.Matrix // {D, I}
}

// moe is a routed mixture of experts plus always-on shared experts.
type moe struct {
	router  *tensor.Matrix // {E, D}
	bias    []float32      // {E}: e_score_correction_bias (selection only), or nil
	experts []mlp
	shared  *mlp
}

// Config returns the model's hyper-parameters.
func (m *DeepSeek) Config() *Config { return m.cfg }

// Close releases the weights.
func (m *DeepSeek) Close() error {
	m.ws.close()
	return m.closer.Close()
}

// Forward runs one step over a batch of sequences.
func (m *DeepSeek) Forward(ctx context.Context, b *Batch) error {
	c := m.cfg
	T, err := tokensIn(b, c.Vocab)
	if err != nil {
		return err
	}
	tr := b.Trace
	D := c.Hidden

	// Token rows: which sequence and position each of the T rows belongs to,
	// and the rope table of its position.
	rows := make([]tokenRow, 0, T)
	for _, s := range b.Seqs {
		for i := range s.Tokens {
			rows = append(rows, tokenRow{seq: s, pos: s.Pos + i, id: s.Tokens[i]})
		}
	}
	ropeCS := make([][]float32, T) // {T, dr}: cos/sin pairs per position
	for t := range rows {
		ropeCS[t] = m.rope.table(rows[t].pos, make([]float32, 0, c.QKRope))
	}

	x := make([]float32, T*D) // {T, D}: the residual stream
	m.embed.lookup(x, rows)
	tr.put("inp_embd", -1, T, x)

	cur := make([]float32, T*D) // {T, D}
	ws := m.ws.get()            // the intermediates of each stage below
	defer m.ws.put(ws)
	for l := range m.layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		L := &m.layers[l]
		ws.reset()
		rmsNormRows(cur, x, L.attnNorm, c.RMSEps, T)
		tr.put("attn_norm", l, T, cur)
		attn := m.attention(L, l, cur, rows, ropeCS, ws, tr) // {T, D}
		tensor.Add(x, attn)
		tr.put("ffn_inp", l, T, x)
		ws.reset()

		rmsNormRows(cur, x, L.ffnNorm, c.RMSEps, T)
		tr.put("ffn_norm", l, T, cur)
		var ffn []float32
		if L.moe != nil {
			ffn = m.moeForward(L.moe, l, cur, T, ws, tr)
		} else {
			ffn = swiglu(m.pool, L.mlp, cur, T, ws)
		}
		tr.put("ffn_out", l, T, ffn)
		tensor.Add(x, ffn)
		tr.put("l_out", l, T, x)
	}
	return m.logits(b, x, rows, tr)
}

// tokenRow ties one activation row to its sequence and position.
type tokenRow struct {
	seq *Seq
	pos int
	id  int
}

// seqSpans returns the ranges [t0, t1) of consecutive rows that belong to
// one sequence, in order.
func seqSpans(rows []tokenRow) [][2]int {
	var spans [][2]int
	for t0 := 0; t0 < len(rows); {
		t1 := t0 + 1
		for t1 < len(rows) && rows[t1].seq == rows[t0].seq {
			t1++
		}
		spans = append(spans, [2]int{t0, t1})
		t0 = t1
	}
	return spans
}

// logits applies the final norm and the output head to the rows whose
// logits were asked for.
func (m *DeepSeek) logits(b *Batch, x []float32, rows []tokenRow, tr Tracer) error {
	return outputLogits(m.pool, m.cfg, b, x, m.norm, m.output, tr)
}

// outputLogits is the shared tail of every architecture: final RMSNorm and
// lm_head on the rows that need logits, written into each Seq.Logits.
func outputLogits(pool *tensor.Pool, c *Config, b *Batch, x, norm []float32, output *tensor.Matrix, tr Tracer) error {
	D, V := c.Hidden, c.Vocab
	var want []int // row indices needing logits
	t := 0
	for _, s := range b.Seqs {
		switch {
		case s.NoLogits:
		case s.AllLogits:
			for i := range s.Tokens {
				want = append(want, t+i)
			}
		default:
			want = append(want, t+len(s.Tokens)-1)
		}
		t += len(s.Tokens)
	}
	if len(want) == 0 {
		return nil
	}
	h := make([]float32, len(want)*D) // {N, D}
	for i, r := range want {
		tensor.RMSNorm(h[i*D:(i+1)*D], x[r*D:(r+1)*D], norm, c.RMSEps)
	}
	tr.put("result_norm", -1, len(want), h)
	out := make([]float32, len(want)*V) // {N, V}
	pool.MatMul(out, output, h, len(want))
	tr.put("result_output", -1, len(want), out)
	i := 0
	for _, s := range b.Seqs {
		n := 1
		if s.NoLogits {
			s.Logits = s.Logits[:0]
			continue
		}
		if s.AllLogits {
			n = len(s.Tokens)
		}
		if cap(s.Logits) < n*V {
			s.Logits = make([]float32, n*V)
		}
		s.Logits = s.Logits[:n*V]
		copy(s.Logits, out[i*V:(i+n)*V])
		i += n
	}
	return nil
}

// rmsNormRows normalizes each of the n rows of x into dst.
func rmsNormRows(dst, x, w []float32, eps float32, n int) {
	d := len(x) / n
	for t := 0; t < n; t++ {
		tensor.RMSNorm(dst[t*d:(t+1)*d], x[t*d:(t+1)*d], w, eps)
	}
}

// swiglu runs a SwiGLU MLP on n rows of x ({n, D} → {n, D}), its
// intermediates and result in ws.
func swiglu(pool *tensor.Pool, f *mlp, x []float32, n int, ws *scratch) []float32 {
	I := f.gate.Rows
	g := ws.floats(n * I) // {n, I}
	u := ws.floats(n * I) // {n, I}
	pool.MatMulMulti([][]float32{g, u}, []*tensor.Matrix{f.gate, f.up}, x, n)
	tensor.SiLUMul(g, g, u)
	y := ws.floats(n * f.down.Rows) // {n, D}
	pool.MatMul(y, f.down, g, n)
	return y
}

func (m *DeepSeek) String() string {
	c := m.cfg
	return fmt.Sprintf("%s: %d layers, hidden %d, %d heads, kv_lora %d, %d experts (top %d)", c.Arch, c.Layers, c.Hidden, c.Heads, c.KVLoraRank, c.Experts, c.ExpertsPerTok)
}
