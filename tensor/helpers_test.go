package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// Helpers shared by the kernel tests and benchmarks: random weights of
// every type (with finite block scales and no FP8 NaN codes, as real files
// have) and the reference product, computed in float64 from the reference
// decoder.

// weightTypes are the types kernels multiply.
var weightTypes = []DType{F32, F16, BF16, F8E4M3, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K}

// randomRow fills row (the bytes of cols elements of dt) with random
// values.
func randomRow(rng *rand.Rand, dt DType, row []byte) {
	for i := range row {
		row[i] = byte(rng.Uint32())
	}
	putF16 := func(b []byte, lo, hi float64) {
		binary.LittleEndian.PutUint16(b, F32ToF16(float32(lo+(hi-lo)*rng.Float64())))
	}
	switch dt {
	case F32:
		for i := 0; i+4 <= len(row); i += 4 {
			binary.LittleEndian.PutUint32(row[i:], math.Float32bits(float32(rng.NormFloat64())))
		}
	case F16:
		for i := 0; i+2 <= len(row); i += 2 {
			binary.LittleEndian.PutUint16(row[i:], F32ToF16(float32(rng.NormFloat64())))
		}
	case BF16:
		for i := 0; i+2 <= len(row); i += 2 {
			binary.LittleEndian.PutUint16(row[i:], F32ToBF16(float32(rng.NormFloat64())))
		}
	case F8E4M3:
		for i := range row {
			if row[i]&0x7f == 0x7f {
				row[i] &^= 1 // no NaN codes
			}
		}
	case Q8_0, Q4_0, Q5_0:
		bb := dt.BlockBytes()
		for b := 0; b+bb <= len(row); b += bb {
			putF16(row[b:], -0.02, 0.05)
		}
	case Q4_K:
		for b := 0; b+144 <= len(row); b += 144 {
			putF16(row[b:], 0.001, 0.01)
			putF16(row[b+2:], 0.001, 0.01)
		}
	case Q6_K:
		for b := 0; b+210 <= len(row); b += 210 {
			putF16(row[b+208:], -0.002, 0.005)
		}
	}
}

// randomMatrix returns a rows×cols matrix of dt (FP8 with random block
// scales).
func randomMatrix(t testing.TB, rng *rand.Rand, dt DType, rows, cols int) *Matrix {
	t.Helper()
	rb, err := dt.RowBytes(cols)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, rows*rb)
	for r := 0; r < rows; r++ {
		randomRow(rng, dt, data[r*rb:(r+1)*rb])
	}
	w := &Tensor{Name: "w", DType: dt, Shape: []int{rows, cols}, Data: data}
	if dt != F8E4M3 {
		m, err := NewMatrix(w)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	sr, sc := ceilDiv(rows, FP8Block), ceilDiv(cols, FP8Block)
	sb := make([]byte, 4*sr*sc)
	for i := 0; i < sr*sc; i++ {
		binary.LittleEndian.PutUint32(sb[4*i:], math.Float32bits(float32(0.0005+0.002*rng.Float64())))
	}
	m, err := NewFP8Matrix(w, &Tensor{Name: "s", DType: F32, Shape: []int{sr, sc}, Data: sb})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refRow decodes row r of m with the reference decoder.
func refRow(t testing.TB, m *Matrix, r int) []float32 {
	t.Helper()
	out := make([]float32, m.Cols)
	if err := DequantizeRow(m.DType, m.RowData(r), out); err != nil {
		t.Fatal(err)
	}
	if m.DType == F8E4M3 {
		s := m.scaleRow(r)
		for c := range out {
			out[c] *= s[c/FP8Block]
		}
	}
	return out
}

// refMatMul returns the float64 product of the reference rows with x, and
// Σ|w·x| per output (the scale of float32 rounding errors).
func refMatMul(t testing.TB, m *Matrix, x []float32, n int) (want, mag []float64) {
	t.Helper()
	want, mag = make([]float64, n*m.Rows), make([]float64, n*m.Rows)
	for r := 0; r < m.Rows; r++ {
		row := refRow(t, m, r)
		for i := 0; i < n; i++ {
			var s, a float64
			for c, w := range row {
				v := float64(w) * float64(x[i*m.Cols+c])
				s += v
				a += math.Abs(v)
			}
			want[i*m.Rows+r], mag[i*m.Rows+r] = s, a
		}
	}
	return want, mag
}

func randomVec(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// forEachSet runs f as a subtest per kernel set available here.
func forEachSet(t *testing.T, f func(t *testing.T, k *kernels)) {
	for _, k := range builtKernels {
		t.Run(k.set.String(), func(t *testing.T) { f(t, k) })
	}
}
