package tensor

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"
)

// testInput returns deterministic pseudo-normal values (a sum of four
// uniforms) built with exact float32 arithmetic only, so that every platform
// gets the same bits. Each 256-value stretch has its own scale, and one in
// four is mostly zeros.
func testInput(n int, seed uint64) []float32 {
	s := seed
	next := func() float32 {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		return float32(s>>40) / (1 << 24)
	}
	out := make([]float32, n)
	for i := range out {
		v := next() + next() + next() + next() - 2
		scale := float32(1)
		switch (i / 256) % 4 {
		case 1:
			scale = 1.0 / 64
		case 2:
			scale = 8
		case 3:
			if i%7 != 0 {
				v = 0
			}
		}
		out[i] = v * scale
	}
	return out
}

// TestQuantizeMatchesGGML compares the encoders with ggml's reference
// quantizers on 16,384 values. The digests are of the bytes produced by
// quantize_row_{q8_0,q4_0,q5_0,q4_K,q6_K}_ref from ggml-quants.c (llama.cpp
// build 5b4ebc5, compiled with gcc -O2 -ffp-contract=off) on testInput(16384,
// 0x9E3779B97F4A7C15); for Q8_0/Q4_0/Q5_0 they are also what gguf-py's
// quants.py and an FMA build produce on this input.
func TestQuantizeMatchesGGML(t *testing.T) {
	x := testInput(256*64, 0x9E3779B97F4A7C15)
	for _, tc := range []struct {
		dt   DType
		hash string
	}{
		{Q8_0, "f8e5867b5eece45b51ae60f7ac10f495770a72c8130e93af6c606f37814f1197"},
		{Q4_0, "af2b983bd875a498c4720ac9f45fad457e7941bc15ae70439960b6ab83bfc840"},
		{Q5_0, "797fc70b45feb1e51b79f3006f43a9c53cbea98183162cc830cb049e30df658e"},
		{Q4_K, "95ad90eafd06b7ad07f4da637e41234999a6740c60764c7588078e4d4f8852b4"},
		{Q6_K, "5f0429e0272b83f5983600b0275008255989bf157569ab99238db86c12e870f0"},
	} {
		q, err := Quantize(tc.dt, x)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(q)
		if got := hex.EncodeToString(sum[:]); got != tc.hash {
			t.Errorf("%v: sha256 %s, ggml gives %s", tc.dt, got, tc.hash)
		}
	}
}

// TestQuantizeRoundTrip bounds the reconstruction error of every type and
// checks the plain types are exact where they should be.
func TestQuantizeRoundTrip(t *testing.T) {
	x := testInput(256*32, 42)
	for _, tc := range []struct {
		dt     DType
		maxRel float64 // relative RMS error over the whole input
	}{
		{F32, 0},
		{BF16, 0.004},
		{F16, 0.001},
		{Q8_0, 0.006},
		{Q6_K, 0.02},
		{Q5_0, 0.05},
		{Q4_K, 0.08},
		{Q4_0, 0.1},
	} {
		q, err := Quantize(tc.dt, x)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]float32, len(x))
		if err := DequantizeRow(tc.dt, q, y); err != nil {
			t.Fatal(err)
		}
		var se, ss float64
		for i := range x {
			d := float64(y[i]) - float64(x[i])
			se += d * d
			ss += float64(x[i]) * float64(x[i])
		}
		rel := math.Sqrt(se / ss)
		if rel > tc.maxRel {
			t.Errorf("%v: relative RMS error %.4g, want <= %g", tc.dt, rel, tc.maxRel)
		}
		t.Logf("%v: relative RMS error %.4g", tc.dt, rel)
		// Quantizing the reconstruction again must be stable for the
		// symmetric 32-blocks (its values are exact multiples of d).
		if tc.dt == Q8_0 || tc.dt == Q4_0 || tc.dt == Q5_0 {
			q2, _ := Quantize(tc.dt, y)
			y2 := make([]float32, len(y))
			DequantizeRow(tc.dt, q2, y2)
			for i := range y {
				if math.Abs(float64(y2[i]-y[i])) > 1e-6*math.Abs(float64(y[i]))+1e-30 {
					t.Fatalf("%v: requantizing moved element %d from %g to %g", tc.dt, i, y[i], y2[i])
				}
			}
		}
	}
}

// TestQuantizeKnownBlocks checks hand-computed encodings: the rounding
// rules (half away from zero for Q8_0, +8.5/+16.5 then truncation for
// Q4_0/Q5_0), the f16 scale, and the nibble/high-bit layout.
func TestQuantizeKnownBlocks(t *testing.T) {
	t.Run("Q8_0", func(t *testing.T) {
		x := make([]float32, 32)
		x[0] = 127 // amax 127: d = 1, id = 1
		x[1], x[2], x[3], x[4] = 2.5, -2.5, 0.49999997, -126.5
		q, _ := Quantize(Q8_0, x)
		if d := binary.LittleEndian.Uint16(q); d != 0x3c00 {
			t.Errorf("d = %#04x, want f16 1.0", d)
		}
		want := []int8{127, 3, -3, 0, -127}
		for i, w := range want {
			if got := int8(q[2+i]); got != w {
				t.Errorf("q[%d] = %d, want %d", i, got, w)
			}
		}
		// d = 1/127 is not an f16: it is stored rounded to nearest.
		x[0] = 1
		for i := 1; i < 32; i++ {
			x[i] = 0
		}
		q, _ = Quantize(Q8_0, x)
		if d := binary.LittleEndian.Uint16(q); d != F32ToF16(float32(1)/127) {
			t.Errorf("d = %#04x, want %#04x", d, F32ToF16(float32(1)/127))
		}
	})
	t.Run("Q4_0", func(t *testing.T) {
		x := make([]float32, 32)
		x[0] = -8 // the signed extreme: d = -8/-8 = 1
		x[1], x[2], x[3], x[16], x[17] = 0.5, -0.5, 7.5, 3, -1.75
		q, _ := Quantize(Q4_0, x)
		if d := binary.LittleEndian.Uint16(q); d != 0x3c00 {
			t.Errorf("d = %#04x, want 1.0", d)
		}
		// q = min(15, trunc(x + 8.5)): -8→0, 0.5→9, -0.5→8, 7.5→15 (clipped 16), 3→11, -1.75→6.
		nib := func(j int) int {
			if j < 16 {
				return int(q[2+j] & 15)
			}
			return int(q[2+j-16] >> 4)
		}
		for j, w := range map[int]int{0: 0, 1: 9, 2: 8, 3: 15, 16: 11, 17: 6, 4: 8} {
			if got := nib(j); got != w {
				t.Errorf("element %d: nibble %d, want %d", j, got, w)
			}
		}
	})
	t.Run("Q5_0", func(t *testing.T) {
		x := make([]float32, 32)
		x[0] = 16 // d = 16/-16 = -1, id = -1
		x[1], x[20], x[31] = -15, 0.5, -0.5
		q, _ := Quantize(Q5_0, x)
		if d := binary.LittleEndian.Uint16(q); d != 0xbc00 {
			t.Errorf("d = %#04x, want -1.0", d)
		}
		qh := binary.LittleEndian.Uint32(q[2:])
		val := func(j int) int {
			lo := int(q[6+j%16] & 15)
			if j >= 16 {
				lo = int(q[6+j%16] >> 4)
			}
			return lo | int(qh>>j&1)<<4
		}
		// q = trunc(-x + 16.5): 16→0, -15→31, 0.5→16, -0.5→17, 0→16.
		for j, w := range map[int]int{0: 0, 1: 31, 20: 16, 31: 17, 5: 16} {
			if got := val(j); got != w {
				t.Errorf("element %d: q %d, want %d", j, got, w)
			}
		}
	})
	t.Run("zero blocks", func(t *testing.T) {
		for _, dt := range []DType{Q8_0, Q4_0, Q5_0, Q4_K, Q6_K} {
			x := make([]float32, dt.BlockSize())
			q, _ := Quantize(dt, x)
			y := make([]float32, len(x))
			DequantizeRow(dt, q, y)
			for i, v := range y {
				if v != 0 {
					t.Errorf("%v: zero block decodes to %g at %d", dt, v, i)
					break
				}
			}
		}
	})
}

func TestQuantizeErrors(t *testing.T) {
	if _, err := Quantize(Q4_K, make([]float32, 128)); err == nil {
		t.Error("Q4_K of 128 values accepted")
	}
	if err := QuantizeRow(Q8_0, make([]float32, 32), make([]byte, 33)); err == nil {
		t.Error("short destination accepted")
	}
	if _, err := Quantize(F8E4M3, make([]float32, 4)); err == nil {
		t.Error("FP8 quantization accepted")
	}
}

// TestDecodeFormatDefinitions builds blocks by hand from the format
// definitions in testdata/gguf/README.md (not from the encoders above) and
// checks the reference decoders read every field from the right place.
func TestDecodeFormatDefinitions(t *testing.T) {
	le := binary.LittleEndian
	check := func(t *testing.T, dt DType, blk []byte, want []float32) {
		t.Helper()
		got := make([]float32, len(want))
		if err := DequantizeRow(dt, blk, got); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%v element %d: got %g, want %g", dt, i, got[i], want[i])
			}
		}
	}
	t.Run("Q8_0", func(t *testing.T) {
		blk := make([]byte, 34)
		le.PutUint16(blk, 0x3800) // d = 0.5
		want := make([]float32, 32)
		for j := range 32 {
			q := int8(j*9 - 128)
			blk[2+j] = byte(q)
			want[j] = 0.5 * float32(q)
		}
		check(t, Q8_0, blk, want)
	})
	t.Run("Q4_0", func(t *testing.T) {
		blk := make([]byte, 18)
		le.PutUint16(blk, 0xc000) // d = -2
		want := make([]float32, 32)
		for j := range 32 {
			q := (j*7 + 3) % 16
			if j < 16 {
				blk[2+j] |= byte(q)
			} else {
				blk[2+j-16] |= byte(q) << 4
			}
			want[j] = -2 * float32(q-8)
		}
		check(t, Q4_0, blk, want)
	})
	t.Run("Q5_0", func(t *testing.T) {
		blk := make([]byte, 22)
		le.PutUint16(blk, 0x3400) // d = 0.25
		var qh uint32
		want := make([]float32, 32)
		for j := range 32 {
			q := (j*13 + 5) % 32
			if j < 16 {
				blk[6+j] |= byte(q & 15)
			} else {
				blk[6+j-16] |= byte(q&15) << 4
			}
			qh |= uint32(q>>4) << j
			want[j] = 0.25 * float32(q-16)
		}
		le.PutUint32(blk[2:], qh)
		check(t, Q5_0, blk, want)
	})
	t.Run("Q4_K", func(t *testing.T) {
		blk := make([]byte, 144)
		le.PutUint16(blk[0:], 0x3800) // d = 0.5
		le.PutUint16(blk[2:], 0x3400) // dmin = 0.25
		sc := [8]uint8{1, 17, 33, 63, 5, 40, 22, 61}
		m := [8]uint8{0, 9, 63, 31, 48, 2, 35, 17}
		s := blk[4:16]
		for j := range 8 {
			if j < 4 {
				s[j] |= sc[j]
				s[j+4] |= m[j]
			} else {
				s[j+4] = sc[j]&15 | (m[j]&15)<<4
				s[j-4] |= (sc[j] >> 4) << 6
				s[j] |= (m[j] >> 4) << 6
			}
		}
		qs := blk[16:]
		want := make([]float32, 256)
		for e := range 256 {
			q := (e*5 + 3) % 16
			c, r := e/64, e%64
			if r < 32 {
				qs[32*c+r] |= byte(q)
			} else {
				qs[32*c+r-32] |= byte(q) << 4
			}
			j := e / 32
			want[e] = 0.5*float32(sc[j])*float32(q) - 0.25*float32(m[j])
		}
		check(t, Q4_K, blk, want)
	})
	t.Run("Q6_K", func(t *testing.T) {
		blk := make([]byte, 210)
		ql, qh, scales := blk[0:128], blk[128:192], blk[192:208]
		le.PutUint16(blk[208:], 0x3000) // d = 0.125
		for i := range 16 {
			scales[i] = byte(int8(i*17 - 128))
		}
		want := make([]float32, 256)
		for e := range 256 {
			q := (e*11 + 7) % 64
			h, r := e/128, e%128
			if r < 64 {
				ql[64*h+r] |= byte(q & 15)
			} else {
				ql[64*h+r-64] |= byte(q&15) << 4
			}
			tt, k := r/32, r%32
			qh[32*h+k] |= byte(q>>4) << (2 * tt)
			want[e] = 0.125 * float32(int8(scales[e/16])) * float32(q-32)
		}
		check(t, Q6_K, blk, want)
	})
}
