package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantizers: the inverse of DequantizeRow, written to reproduce ggml's
// reference encoders bit for bit.
//
//   - Q8_0, Q4_0 and Q5_0 follow quantize_row_q*_ref in ggml-quants.c: Q8_0
//     rounds half away from zero (roundf); Q4_0/Q5_0 compute x*id + 8.5
//     (16.5) with each operation rounded to float32 and truncate (see
//     fmaTrunc for how the fixtures decide this).
//     The scale d is rounded to f16 to nearest, ties to even.
//   - Q4_K and Q6_K follow quantize_row_q4_K_ref / quantize_row_q6_K_ref
//     (make_qkx2_quants / make_qx_quants). Every float32 operation is rounded
//     on its own (no fused multiply-add), as a build of ggml without FMA
//     contraction computes them; a -march=native build of llama.cpp may fuse
//     a few of the sums and then pick a different scale for a rare block.
//
// Every product that feeds an addition is wrapped in float32(...) so that
// the Go compiler cannot fuse it either.

// Quantize encodes src (a whole number of dt blocks) as dt.
func Quantize(dt DType, src []float32) ([]byte, error) {
	n, err := dt.RowBytes(len(src))
	if err != nil {
		return nil, err
	}
	dst := make([]byte, n)
	if err := QuantizeRow(dt, src, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// QuantizeRow encodes len(src) values into dst as dt. len(src) must be a
// whole number of blocks and dst at least dt.RowBytes(len(src)) long.
// Supported: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K.
func QuantizeRow(dt DType, src []float32, dst []byte) error {
	need, err := dt.RowBytes(len(src))
	if err != nil {
		return err
	}
	if len(dst) < need {
		return fmt.Errorf("tensor: %d bytes for %d %v elements, need %d", len(dst), len(src), dt, need)
	}
	le := binary.LittleEndian
	switch dt {
	case F32:
		for i, v := range src {
			le.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToF16(v))
		}
	case BF16:
		for i, v := range src {
			le.PutUint16(dst[2*i:], F32ToBF16(v))
		}
	case Q8_0:
		for b := 0; b < len(src)/32; b++ {
			quantQ8_0(src[32*b:32*b+32], dst[34*b:34*b+34])
		}
	case Q4_0:
		for b := 0; b < len(src)/32; b++ {
			quantQ4_0(src[32*b:32*b+32], dst[18*b:18*b+18])
		}
	case Q5_0:
		for b := 0; b < len(src)/32; b++ {
			quantQ5_0(src[32*b:32*b+32], dst[22*b:22*b+22])
		}
	case Q4_K:
		for b := 0; b < len(src)/256; b++ {
			quantQ4K(src[256*b:256*b+256], dst[144*b:144*b+144])
		}
	case Q6_K:
		for b := 0; b < len(src)/256; b++ {
			quantQ6K(src[256*b:256*b+256], dst[210*b:210*b+210])
		}
	default:
		return fmt.Errorf("tensor: cannot quantize to %v", dt)
	}
	return nil
}

func putF16(b []byte, v float32) { binary.LittleEndian.PutUint16(b, F32ToF16(v)) }

// roundAway rounds half away from zero, as C's roundf.
func roundAway(v float32) float32 { return float32(math.Round(float64(v))) }

// nearestInt is ggml's nearest_int: the float32 addition of 1.5*2^23 rounds
// to the nearest integer, ties to even. Valid for |v| < 2^22.
func nearestInt(v float32) int {
	f := float32(v) + 12582912
	return int(int32(math.Float32bits(f)&0x007fffff) - 0x00400000)
}

func quantQ8_0(x []float32, out []byte) {
	var amax float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax = a
		}
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out, d)
	for j, v := range x {
		out[2+j] = byte(int8(roundAway(v * id)))
	}
}

// absMaxSigned returns the element of largest magnitude (the first one on
// ties), with its sign.
func absMaxSigned(x []float32) float32 {
	var amax, m float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, m = a, v
		}
	}
	return m
}

// fmaTrunc returns trunc(x*id + bias) with the product and the sum each
// rounded to float32, as ggml's quantize_row_q4_0_ref / q5_0_ref compute
// it in a build without FMA contraction. This is what the published GGUF
// fixtures hold: with a fused product, model.py's goldens on tiny-v3-Q4_0
// are missed by 0.06; rounded separately they match to 2e-6. (The fixtures'
// weights_rel_rms_error cannot tell the two apart.)
func fmaTrunc(x, id float32, bias float64) int {
	p := float32(x * id)
	return int(float32(p + float32(bias)))
}

func quantQ4_0(x []float32, out []byte) {
	d := absMaxSigned(x) / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out, d)
	for j := 0; j < 16; j++ {
		q0 := min(15, max(0, fmaTrunc(x[j], id, 8.5)))
		q1 := min(15, max(0, fmaTrunc(x[j+16], id, 8.5)))
		out[2+j] = byte(q0) | byte(q1)<<4
	}
}

func quantQ5_0(x []float32, out []byte) {
	d := absMaxSigned(x) / -16
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(out, d)
	var qh uint32
	for j := 0; j < 16; j++ {
		q0 := min(31, max(0, fmaTrunc(x[j], id, 16.5)))
		q1 := min(31, max(0, fmaTrunc(x[j+16], id, 16.5)))
		out[6+j] = byte(q0&15) | byte(q1&15)<<4
		qh |= uint32(q0>>4) << j
		qh |= uint32(q1>>4) << (j + 16)
	}
	binary.LittleEndian.PutUint32(out[2:], qh)
}

// makeQKX2Quants is ggml's make_qkx2_quants (with use_mad false): it fits
// x ≈ scale*L - theMin with L in [0, nmax], searching nstep+1 candidate
// scales around nmax/(max-min) for the least weighted squared error.
func makeQKX2Quants(nmax int, x, weights []float32, L, laux []uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
	n := len(x)
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		for i := range L[:n] {
			L[i] = 0
		}
		return 0, -mn
	}
	iscale := float32(nmax) / (mx - mn)
	scale = 1 / iscale
	var bestErr float32
	for i := 0; i < n; i++ {
		l := min(nmax, max(0, nearestInt(float32(iscale*(x[i]-mn)))))
		L[i] = uint8(l)
		diff := float32(float32(scale*float32(l))+mn) - x[i]
		bestErr += float32(weights[i] * float32(diff*diff))
	}
	for is := 0; is <= nstep; is++ {
		iscale = float32(float32(rmin+float32(rdelta*float32(is)))+float32(nmax)) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := 0; i < n; i++ {
			l := min(nmax, max(0, nearestInt(float32(iscale*(x[i]-mn)))))
			laux[i] = uint8(l)
			w := weights[i]
			wl := float32(w * float32(l))
			sumL += wl
			sumL2 += float32(wl * float32(l))
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i := 0; i < n; i++ {
				diff := float32(float32(thisScale*float32(laux[i]))+thisMin) - x[i]
				curErr += float32(weights[i] * float32(diff*diff))
			}
			if curErr < bestErr {
				copy(L[:n], laux[:n])
				bestErr, scale, mn = curErr, thisScale, thisMin
			}
		}
	}
	return scale, -mn
}

func quantQ4K(x []float32, out []byte) {
	var L [256]uint8
	var laux [32]uint8
	var weights [32]float32
	var scales, mins [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for l, v := range xs {
			weights[l] = avX + float32(math.Abs(float64(v)))
		}
		scales[j], mins[j] = makeQKX2Quants(15, xs, weights[:], L[32*j:32*j+32], laux[:], -1, 0.1, 20)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := out[4:16]
	for j := 0; j < 8; j++ {
		ls := min(63, uint8(nearestInt(invScale*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&15 | (lm&15)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putF16(out[0:], maxScale/63)
	putF16(out[2:], maxMin/63)
	d16 := F16ToF32(binary.LittleEndian.Uint16(out[0:]))
	m16 := F16ToF32(binary.LittleEndian.Uint16(out[2:]))
	for j := 0; j < 8; j++ {
		s, m := q4kScaleMin(sc, j)
		d := d16 * float32(s)
		if d == 0 {
			continue
		}
		dm := m16 * float32(m)
		for i := 0; i < 32; i++ {
			L[32*j+i] = uint8(min(15, max(0, nearestInt((x[32*j+i]+dm)/d))))
		}
	}
	qs := out[16:144]
	for c := 0; c < 4; c++ {
		for l := 0; l < 32; l++ {
			qs[32*c+l] = L[64*c+l] | L[64*c+32+l]<<4
		}
	}
}

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 (weights x²) and
// no importance matrix: symmetric quantization to [-nmax, nmax-1] with a
// search over 18 candidate scales. L receives l+nmax.
func makeQXQuants(nmax int, x []float32, L []int8) float32 {
	var mx, amax float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, mx = a, v
		}
	}
	if amax < 1e-15 {
		for i := range L[:len(x)] {
			L[i] = 0
		}
		return 0
	}
	iscale := float32(-nmax) / mx
	var sumLX, sumL2 float32
	for i, v := range x {
		l := max(-nmax, min(nmax-1, nearestInt(iscale*v)))
		L[i] = int8(l + nmax)
		w := float32(v * v)
		sumLX += float32(float32(w*v) * float32(l))
		sumL2 += float32(float32(w*float32(l)) * float32(l))
	}
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := scale * sumLX
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(float32(nmax) + float32(0.1*float32(is))) / mx
		sumLX, sumL2 = 0, 0
		for _, v := range x {
			l := max(-nmax, min(nmax-1, nearestInt(iscale*v)))
			w := float32(v * v)
			sumLX += float32(float32(w*v) * float32(l))
			sumL2 += float32(float32(w*float32(l)) * float32(l))
		}
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			for i, v := range x {
				l := max(-nmax, min(nmax-1, nearestInt(iscale*v)))
				L[i] = int8(l + nmax)
			}
			scale = sumLX / sumL2
			best = scale * sumLX
		}
	}
	return scale
}

func quantQ6K(x []float32, out []byte) {
	var L [256]int8
	var scales [16]float32
	var maxScale, maxAbsScale float32
	for ib := 0; ib < 16; ib++ {
		s := makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		scales[ib] = s
		if a := float32(math.Abs(float64(s))); a > maxAbsScale {
			maxAbsScale, maxScale = a, s
		}
	}
	if maxAbsScale < 1e-15 {
		clear(out[:210])
		return
	}
	iscale := -128 / maxScale
	putF16(out[208:], 1/iscale)
	sc := out[192:208]
	for ib := 0; ib < 16; ib++ {
		sc[ib] = byte(int8(min(127, nearestInt(iscale*scales[ib]))))
	}
	d16 := F16ToF32(binary.LittleEndian.Uint16(out[208:]))
	for j := 0; j < 16; j++ {
		d := d16 * float32(int8(sc[j]))
		if d == 0 {
			continue
		}
		for i := 0; i < 16; i++ {
			l := max(-32, min(31, nearestInt(x[16*j+i]/d)))
			L[16*j+i] = int8(l + 32)
		}
	}
	ql, qh := out[0:128], out[128:192]
	for h := 0; h < 2; h++ {
		base := 128 * h
		for l := 0; l < 32; l++ {
			q1 := uint8(L[base+l])
			q2 := uint8(L[base+l+32])
			q3 := uint8(L[base+l+64])
			q4 := uint8(L[base+l+96])
			ql[64*h+l] = q1&15 | (q3&15)<<4
			ql[64*h+l+32] = q2&15 | (q4&15)<<4
			qh[32*h+l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
}
