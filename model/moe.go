package model

import (
	"math"
	"sort"

	"github.com/seekd/seekd/tensor"
)

// route picks each token's experts as DeepSeek's Gate does (model.py):
// scores = sigmoid or softmax of the router logits; selection on scores plus
// the correction bias; with groups, keep the topk_group best groups (score =
// sum of the top two biased scores with a bias, the max without) and mask
// the rest to -inf; take the top k. Weights are the unbiased scores,
// renormalized for sigmoid scoring (or norm_topk_prob), times
// routed_scaling_factor. ids and w are {T, k}, best first.
func route(c *Config, logits []float32, bias []float32, T int) (ids []int, w []float32) {
	E, k := c.Experts, c.ExpertsPerTok
	ids = make([]int, T*k)
	w = make([]float32, T*k)
	scores := make([]float32, E)
	sel := make([]float32, E)
	order := make([]int, E)
	groupSize := E / c.Groups
	gscore := make([]float32, c.Groups)
	gorder := make([]int, c.Groups)
	for t := 0; t < T; t++ {
		copy(scores, logits[t*E:(t+1)*E])
		if c.Scoring == "sigmoid" {
			for e := range scores {
				scores[e] = tensor.Sigmoid(scores[e])
			}
		} else {
			tensor.Softmax(scores)
		}
		copy(sel, scores)
		if bias != nil {
			tensor.Add(sel, bias)
		}
		if c.Groups > 1 {
			for g := 0; g < c.Groups; g++ {
				grp := sel[g*groupSize : (g+1)*groupSize]
				if bias != nil {
					a, b := top2(grp)
					gscore[g] = a + b
				} else {
					gscore[g] = maxOf(grp)
				}
				gorder[g] = g
			}
			sort.SliceStable(gorder, func(i, j int) bool { return gscore[gorder[i]] > gscore[gorder[j]] })
			for _, g := range gorder[c.TopKGroups:] {
				for e := g * groupSize; e < (g+1)*groupSize; e++ {
					sel[e] = float32(math.Inf(-1))
				}
			}
		}
		for e := range order {
			order[e] = e
		}
		sort.SliceStable(order, func(i, j int) bool { return sel[order[i]] > sel[order[j]] })
		var sum float32
		for j := 0; j < k; j++ {
			e := order[j]
			ids[t*k+j] = e
			w[t*k+j] = scores[e]
			sum += scores[e]
		}
		norm := float32(1)
		if c.Scoring == "sigmoid" || c.NormTopK {
			norm = 1 / sum
		}
		for j := 0; j < k; j++ {
			w[t*k+j] *= norm * c.RoutedScale
		}
	}
	return ids, w
}

func top2(v []float32) (a, b float32) {
	a, b = float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, x := range v {
		if x > a {
			a, b = x, a
		} else if x > b {
			b = x
		}
	}
	if len(v) < 2 {
		b = 0
	}
	return a, b
}

func maxOf(v []float32) float32 {
	m := v[0]
	for _, x := range v[1:] {
		if x > m {
			m = x
		}
	}
	return m
}

// moeForward runs the routed and shared experts on x {T, D}. Tokens routed
// to the same expert are gathered and multiplied together, so each expert's
// weights are read once per step and unselected experts are not touched.
func (m *DeepSeek) moeForward(f *moe, l int, x []float32, T int, ws *scratch, tr Tracer) []float32 {
	c, pool := m.cfg, m.pool
	D, E, k := c.Hidden, c.Experts, c.ExpertsPerTok
	logits := ws.floats(T * E) // {T, E}
	pool.MatMul(logits, f.router, x, T)
	tr.put("ffn_moe_logits", l, T, logits)
	ids, w := route(c, logits, f.bias, T)
	if tr != nil {
		fid := make([]float32, len(ids))
		for i, id := range ids {
			fid[i] = float32(id)
		}
		tr.put("ffn_moe_topk", l, T, fid)
		tr.put("ffn_moe_weights", l, T, w)
	}

	// Group (token, weight) pairs by expert; every selected expert's gate
	// and up products (and the shared experts') run in one dispatch, then
	// every down product in another.
	byExpert := make([][]int, E) // expert → indices into ids/w
	for i, e := range ids {
		byExpert[e] = append(byExpert[e], i)
	}
	type job struct {
		f          *mlp
		n          int
		x, g, u, y []float32
		sel        []int // nil for the shared experts (every token, weight 1)
	}
	var jobs []job
	for e, sel := range byExpert {
		if len(sel) == 0 {
			continue
		}
		n := len(sel)
		xe := ws.floats(n * D) // {n, D}: the tokens routed to e
		for j, i := range sel {
			t := i / k
			copy(xe[j*D:(j+1)*D], x[t*D:(t+1)*D])
		}
		jobs = append(jobs, job{f: &f.experts[e], n: n, x: xe, sel: sel})
	}
	if f.shared != nil {
		jobs = append(jobs, job{f: f.shared, n: T, x: x})
	}
	ps := make([]tensor.Product, 0, 2*len(jobs))
	for i := range jobs {
		j := &jobs[i]
		I := j.f.gate.Rows
		j.g, j.u, j.y = ws.floats(j.n*I), ws.floats(j.n*I), ws.floats(j.n*D)
		ps = append(ps, tensor.Product{Y: j.g, W: j.f.gate, X: j.x, N: j.n}, tensor.Product{Y: j.u, W: j.f.up, X: j.x, N: j.n})
	}
	pool.MatMulBatch(ps)
	ps = ps[:0]
	for i := range jobs {
		j := &jobs[i]
		tensor.SiLUMul(j.g, j.g, j.u)
		ps = append(ps, tensor.Product{Y: j.y, W: j.f.down, X: j.g, N: j.n})
	}
	pool.MatMulBatch(ps)
	y := ws.floats(T * D) // {T, D}
	for _, j := range jobs {
		if j.sel == nil {
			tensor.Add(y, j.y)
			continue
		}
		for r, i := range j.sel {
			t := i / k
			tensor.Axpy(y[t*D:(t+1)*D], w[i], j.y[r*D:(r+1)*D])
		}
	}
	return y
}
