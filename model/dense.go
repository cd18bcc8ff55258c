package model

import (
	"context"
	"fmt"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
)

// Dense is a Qwen2 or Llama decoder (the R1-Distill models): grouped-query
// attention with rotary embeddings and SwiGLU MLPs.
//
// Notation: D hidden, H query heads, G KV heads (query head h reads KV head
// h/(H/G)), hd head width, T tokens in the step. The cache row of a token
// is [K {G·hd} | V {G·hd}].
type Dense struct {
	cfg    *Config
	pool   *tensor.Pool
	closer interface{ Close() error }

	embed  embedTable     // {V, D}
	norm   []float32      // {D}
	output *tensor.Matrix // {V, D}
	layers []denseLayer
	rope   *rope
	ws     scratchCache
}

type denseLayer struct {
	attnNorm   []float32      // {D}
	q, k, v    *tensor.Matrix // {H·hd, D}, {G·hd, D}, {G·hd, D}
	qb, kb, vb []float32      // biases (Qwen2), or nil
	o          *tensor.Matrix // {D, H·hd}
	ffnNorm    []float32      // {D}
	mlp        mlp
}

// Config returns the model's hyper-parameters.
func (m *Dense) Config() *Config { return m.cfg }

// Close releases the weights.
func (m *Dense) Close() error {
	m.ws.close()
	return m.closer.Close()
}

func loadDenseHF(c *Config, ck *weights.Checkpoint, pool *tensor.Pool) (Model, error) {
	D, H, G, hd := c.Hidden, c.Heads, c.KVHeads, c.HeadDim
	h, closer := weightsLoader(hfSource{ck}, fileBytes(ck.Dir()), ck)
	m := &Dense{
		cfg:    c,
		pool:   pool,
		closer: closer,
		embed:  h.embedding("model.embed_tokens.weight", c.Vocab, D, c.TieEmbed),
		norm:   h.floats("model.norm.weight", D),
		rope:   newRope(c, hd, true),
	}
	if c.TieEmbed {
		m.output = m.embed.Matrix
	} else {
		m.output = h.matrix("lm_head.weight", c.Vocab, D)
	}
	m.layers = make([]denseLayer, c.Layers)
	for l := range m.layers {
		p := fmt.Sprintf("model.layers.%d.", l)
		L := &m.layers[l]
		L.attnNorm = h.floats(p+"input_layernorm.weight", D)
		L.q = h.matrix(p+"self_attn.q_proj.weight", H*hd, D)
		L.k = h.matrix(p+"self_attn.k_proj.weight", G*hd, D)
		L.v = h.matrix(p+"self_attn.v_proj.weight", G*hd, D)
		if c.QKVBias {
			L.qb = h.floats(p+"self_attn.q_proj.bias", H*hd)
			L.kb = h.floats(p+"self_attn.k_proj.bias", G*hd)
			L.vb = h.floats(p+"self_attn.v_proj.bias", G*hd)
		}
		L.o = h.matrix(p+"self_attn.o_proj.weight", D, H*hd)
		L.ffnNorm = h.floats(p+"post_attention_layernorm.weight", D)
		L.mlp = *h.hfMLP(p+"mlp", c.Intermediate, D)
		if h.err != nil {
			return nil, h.err
		}
	}
	if h.err != nil {
		return nil, h.err
	}
	return m, nil
}

// Forward runs one step over a batch of sequences.
func (m *Dense) Forward(ctx context.Context, b *Batch) error {
	c, pool := m.cfg, m.pool
	T, err := tokensIn(b, c.Vocab)
	if err != nil {
		return err
	}
	tr := b.Trace
	D, H, G, hd := c.Hidden, c.Heads, c.KVHeads, c.HeadDim
	rows := make([]tokenRow, 0, T)
	for _, s := range b.Seqs {
		for i := range s.Tokens {
			rows = append(rows, tokenRow{seq: s, pos: s.Pos + i, id: s.Tokens[i]})
		}
	}
	ropeCS := make([][]float32, T)
	for t := range rows {
		ropeCS[t] = m.rope.table(rows[t].pos, make([]float32, 0, hd))
	}

	x := make([]float32, T*D) // {T, D}
	m.embed.lookup(x, rows)
	tr.put("inp_embd", -1, T, x)
	cur := make([]float32, T*D)    // {T, D}
	q := make([]float32, T*H*hd)   // {T, H·hd}
	k := make([]float32, T*G*hd)   // {T, G·hd}
	v := make([]float32, T*G*hd)   // {T, G·hd}
	att := make([]float32, T*H*hd) // {T, H·hd}
	out := make([]float32, T*D)    // {T, D}
	scale := float32(1 / sqrt64(float64(hd)))
	ws := m.ws.get() // each layer's other intermediates
	defer m.ws.put(ws)
	for l := range m.layers {
		if err := ctx.Err(); err != nil {
			return err
		}
		L := &m.layers[l]
		ws.reset()
		rmsNormRows(cur, x, L.attnNorm, c.RMSEps, T)
		tr.put("attn_norm", l, T, cur)
		pool.MatMulMulti([][]float32{q, k, v}, []*tensor.Matrix{L.q, L.k, L.v}, cur, T)
		addBias(q, L.qb, T)
		addBias(k, L.kb, T)
		addBias(v, L.vb, T)
		for t, r := range rows {
			for h := 0; h < H; h++ {
				m.rope.apply(q[(t*H+h)*hd:(t*H+h+1)*hd], ropeCS[t])
			}
			for g := 0; g < G; g++ {
				m.rope.apply(k[(t*G+g)*hd:(t*G+g+1)*hd], ropeCS[t])
			}
			row := r.seq.KV.Row(l, r.pos)
			copy(row[:G*hd], k[t*G*hd:(t+1)*G*hd])
			copy(row[G*hd:], v[t*G*hd:(t+1)*G*hd])
		}
		tr.put("Qcur", l, T, q)
		tr.put("Kcur", l, T, k)

		// softmax(q·Kᵀ·scale)·V per query head over the causal prefix: per
		// sequence and KV head, the query heads that share it read its keys
		// and values together.
		per := H / G
		spans := seqSpans(rows)
		var jobs []attendJob
		for _, sp := range spans {
			t0, t1 := sp[0], sp[1]
			n := (t1 - t0) * per
			for g := 0; g < G; g++ {
				qg := ws.floats(n * hd) // {n, hd}: rows (t, head of the group)
				pos := make([]int, n)
				for t := t0; t < t1; t++ {
					i := (t - t0) * per
					copy(qg[i*hd:(i+per)*hd], q[(t*H+g*per)*hd:(t*H+(g+1)*per)*hd])
					for j := 0; j < per; j++ {
						pos[i+j] = rows[t].pos
					}
				}
				jobs = append(jobs, attendJob{kv: rows[t0].seq.KV, q: qg, n: n, pos: pos,
					kw: window{g * hd, hd}, vw: window{(G + g) * hd, hd}, out: ws.floats(n * hd)})
			}
		}
		attendAll(pool, l, jobs, scale, ws)
		for si, sp := range spans { // jobs are (sequence, KV head) in order
			for g := 0; g < G; g++ {
				og := jobs[si*G+g].out
				for t := sp[0]; t < sp[1]; t++ {
					i := (t - sp[0]) * per
					copy(att[(t*H+g*per)*hd:(t*H+(g+1)*per)*hd], og[i*hd:(i+per)*hd])
				}
			}
		}
		tr.put("kqv_out", l, T, att)
		pool.MatMul(out, L.o, att, T)
		tr.put("attn_out", l, T, out)
		tensor.Add(x, out)
		tr.put("ffn_inp", l, T, x)
		rmsNormRows(cur, x, L.ffnNorm, c.RMSEps, T)
		ffn := swiglu(pool, &L.mlp, cur, T, ws)
		tr.put("ffn_out", l, T, ffn)
		tensor.Add(x, ffn)
		tr.put("l_out", l, T, x)
	}
	return outputLogits(pool, c, b, x, m.norm, m.output, tr)
}

// addBias adds a bias row to each of n rows of y (no-op for a nil bias).
func addBias(y, bias []float32, n int) {
	if bias == nil {
		return
	}
	w := len(bias)
	for t := 0; t < n; t++ {
		tensor.Add(y[t*w:(t+1)*w], bias)
	}
}
