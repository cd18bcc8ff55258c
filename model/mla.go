package model

import (
	"github.com/seekd/seekd/tensor"
)

// attention is Multi-head Latent Attention in its absorbed form: the cache
// holds, per token, the normalized latent c {C} and the rotated shared key
// k_pe {dr}; queries are moved into the latent space instead of expanding
// keys and values per head. Input cur {T, D}; returns {T, D}.
func (m *DeepSeek) attention(L *mlaLayer, l int, cur []float32, rows []tokenRow, ropeCS [][]float32, ws *scratch, tr Tracer) []float32 {
	c, pool := m.cfg, m.pool
	T := len(rows)
	H, dn, dr, dv, C := c.Heads, c.QKNope, c.QKRope, c.VHead, c.KVLoraRank
	dq := dn + dr

	// Queries and the latent KV read the same input: one parallel dispatch.
	q := ws.floats(T * H * dq)    // {T, H·dq}: per head [q_nope | q_pe]
	kv := ws.floats(T * (C + dr)) // {T, C+dr}
	if L.qA != nil {
		cq := ws.floats(T * c.QLoraRank) // {T, Qr}
		pool.MatMulMulti([][]float32{cq, kv}, []*tensor.Matrix{L.qA, L.kvA}, cur, T)
		rmsNormRows(cq, cq, L.qANorm, c.RMSEps, T)
		tr.put("q_a", l, T, cq)
		pool.MatMul(q, L.qB, cq, T)
	} else {
		pool.MatMulMulti([][]float32{q, kv}, []*tensor.Matrix{L.qB, L.kvA}, cur, T)
	}
	tr.put("q", l, T, q)

	// Latent KV: c = norm(kv[:C]), k_pe = rope(kv[C:]); both go to the cache.
	for t, r := range rows {
		row := kv[t*(C+dr) : (t+1)*(C+dr)]
		tensor.RMSNorm(row[:C], row[:C], L.kvANorm, c.RMSEps)
		m.rope.apply(row[C:], ropeCS[t])
		copy(r.seq.KV.Row(l, r.pos), row)
	}
	tr.put("kv_cache", l, T, kv)

	// Rotate q_pe and absorb W_UK into q_nope: q_abs_h = W_UK_hᵀ·q_nope_h,
	// every head's product in one dispatch.
	qAbs := ws.floats(T * H * C) // {T, H·C}
	qn := ws.floats(H * T * dn)  // {H, T, dn}: q_nope gathered per head
	qa := ws.floats(H * T * C)   // {H, T, C}
	ps := make([]tensor.Product, H)
	for h := 0; h < H; h++ {
		for t := 0; t < T; t++ {
			qh := q[(t*H+h)*dq : (t*H+h+1)*dq]
			m.rope.apply(qh[dn:], ropeCS[t])
			copy(qn[(h*T+t)*dn:(h*T+t+1)*dn], qh[:dn])
		}
		ps[h] = tensor.Product{Y: qa[h*T*C : (h+1)*T*C], W: L.kB[h], X: qn[h*T*dn : (h+1)*T*dn], N: T}
	}
	pool.MatMulBatch(ps)
	for h := 0; h < H; h++ {
		for t := 0; t < T; t++ {
			copy(qAbs[(t*H+h)*C:(t*H+h+1)*C], qa[(h*T+t)*C:(h*T+t+1)*C])
		}
	}
	tr.put("q_pe", l, T, q)
	tr.put("q_abs", l, T, qAbs)

	// Attention in the latent space: a_h = Σ_s softmax_s(score) · c_s, with
	// score = scale·[q_abs_h | q_pe_h]·[c_s | k_pe_s] against whole cache rows.
	lat := ws.floats(T * H * C) // {T, H·C}
	var jobs []attendJob
	for _, sp := range seqSpans(rows) {
		t0, t1 := sp[0], sp[1]
		n := (t1 - t0) * H
		qc := ws.floats(n * (C + dr)) // {n, C+dr}: rows (t, h)
		pos := make([]int, n)
		for t := t0; t < t1; t++ {
			for h := 0; h < H; h++ {
				i := (t-t0)*H + h
				copy(qc[i*(C+dr):], qAbs[(t*H+h)*C:(t*H+h+1)*C])
				copy(qc[i*(C+dr)+C:(i+1)*(C+dr)], q[(t*H+h)*dq+dn:(t*H+h+1)*dq])
				pos[i] = rows[t].pos
			}
		}
		jobs = append(jobs, attendJob{kv: rows[t0].seq.KV, q: qc, n: n, pos: pos, kw: window{0, C + dr}, vw: window{0, C}, out: lat[t0*H*C : t1*H*C]})
	}
	attendAll(pool, l, jobs, m.scale, ws)
	tr.put("attn_latent", l, T, lat)

	// Back to value space per head (o_h = W_UV_h·a_h, one dispatch), then
	// the output projection.
	o := ws.floats(T * H * dv)  // {T, H·dv}
	a := ws.floats(H * T * C)   // {H, T, C}
	ov := ws.floats(H * T * dv) // {H, T, dv}
	for h := 0; h < H; h++ {
		for t := 0; t < T; t++ {
			copy(a[(h*T+t)*C:(h*T+t+1)*C], lat[(t*H+h)*C:(t*H+h+1)*C])
		}
		ps[h] = tensor.Product{Y: ov[h*T*dv : (h+1)*T*dv], W: L.vB[h], X: a[h*T*C : (h+1)*T*C], N: T}
	}
	pool.MatMulBatch(ps)
	for h := 0; h < H; h++ {
		for t := 0; t < T; t++ {
			copy(o[(t*H+h)*dv:(t*H+h+1)*dv], ov[(h*T+t)*dv:(h*T+t+1)*dv])
		}
	}
	tr.put("kqv_out", l, T, o)
	out := ws.floats(T * c.Hidden) // {T, D}
	pool.MatMul(out, L.o, o, T)
	tr.put("attn_out", l, T, out)
	return out
}
