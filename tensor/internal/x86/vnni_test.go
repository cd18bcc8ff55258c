//go:build goexperiment.simd && amd64

package x86

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"simd/archsimd"
)

// The VNNI tile product against a float64 evaluation of the same packed
// integers and scales, written for ng activation rows and nr weight rows
// with a row stride, and nothing else.
func TestVNNITile(t *testing.T) {
	if !archsimd.X86.AVX512VNNI() {
		t.Skip("no AVX512-VNNI")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, nb := range []int{1, 3, 8} {
		w := make([]byte, nb*VNNITileBytes)
		ws := make([]float32, nb*VNNITileScales)
		x := make([]byte, nb*VNNIActBytes)
		xs := make([]float32, nb*VNNIActScales)
		for i := range w {
			w[i] = byte(rng.Uint32())
		}
		for i := range x {
			x[i] = byte(rng.Uint32())
		}
		for i := range ws {
			ws[i] = float32(rng.NormFloat64())
		}
		for i := range xs {
			xs[i] = float32(rng.NormFloat64())
		}
		for _, sh := range [][2]int{{8, 16}, {3, 11}} {
			ng, nr := sh[0], sh[1]
			const ys = 21
			y := make([]float32, 8*ys)
			for i := range y {
				y[i] = 42
			}
			tileQ8VNNI(w, ws, x, xs, nb, y, ys, ng, nr)
			for g := 0; g < 8; g++ {
				for r := 0; r < ys; r++ {
					got := float64(y[g*ys+r])
					if g >= ng || r >= nr {
						if got != 42 {
							t.Fatalf("nb=%d %dx%d: wrote y[%d][%d]", nb, ng, nr, g, r)
						}
						continue
					}
					var want, mag float64
					for b := 0; b < nb; b++ {
						var isum int64
						for k := 0; k < 32; k++ {
							u := int64(w[b*VNNITileBytes+64*(k/4)+4*r+k%4])
							q := int64(int8(x[b*VNNIActBytes+32*(k/4)+4*g+k%4]))
							isum += u * q
						}
						d, m := float64(ws[b*VNNITileScales+r]), float64(ws[b*VNNITileScales+16+r])
						dx, s := float64(xs[b*VNNIActScales+g]), float64(xs[b*VNNIActScales+8+g])
						want += d*dx*float64(isum) + m*s
						mag += math.Abs(d*dx*float64(isum)) + math.Abs(m*s)
					}
					if math.Abs(got-want) > 1e-5*mag {
						t.Fatalf("nb=%d g=%d r=%d: %g, want %g", nb, g, r, got, want)
					}
				}
			}
		}
	}
}

// Packing Q4_0 and Q8_0 rows gives weights d·u + m equal to the format's.
func TestVNNIPack(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range []struct {
		name  string
		bb    int
		pack  func(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int)
		value func(blk []byte, k int) float64
	}{
		{"Q4_0", 18, packQ4_0, func(blk []byte, k int) float64 {
			q := blk[2+k%16]
			if k >= 16 {
				q >>= 4
			}
			return float64(f16Scale(blk)) * float64(int(q&15)-8)
		}},
		{"Q8_0", 34, packQ8_0, func(blk []byte, k int) float64 { return float64(f16Scale(blk)) * float64(int8(blk[2+k])) }},
		{"Q4_K", 144, packQ4K, nil},
	} {
		for _, nr := range []int{11, 16} { // scalar and vector packing
			nbRow, b0, nb := 5, 1, 3
			if f.name == "Q4_K" {
				nbRow, b0, nb = 3, 8, 16                               // whole super-blocks: row of 3, tile of the last 2
				f.value = func(blk []byte, k int) float64 { return 0 } // see below
			}
			rowBytes := nbRow * f.bb
			if f.name == "Q4_K" {
				rowBytes = nbRow * 144
			}
			data := make([]byte, nr*rowBytes)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			for i := 0; i < len(data); i += f.bb {
				binary.LittleEndian.PutUint16(data[i:], 0x2c00+uint16(rng.IntN(0x800)))
				if f.name == "Q4_K" {
					binary.LittleEndian.PutUint16(data[i+2:], 0x2c00+uint16(rng.IntN(0x800)))
				}
			}
			w := make([]byte, nb*VNNITileBytes)
			ws := make([]float32, nb*VNNITileScales)
			f.pack(w, ws, data, rowBytes, nr, b0, nb)
			for r := 0; r < 16; r++ {
				for b := 0; b < nb; b++ {
					for k := 0; k < 32; k++ {
						u := float64(w[b*VNNITileBytes+64*(k/4)+4*r+k%4])
						got := float64(ws[b*VNNITileScales+r])*u + float64(ws[b*VNNITileScales+16+r])
						want := 0.0
						if r < nr && f.name == "Q4_K" {
							sb := data[r*rowBytes+(b0+b)/8*144:]
							fs := q4kFactorsScalar(sb[:144])
							j := (b0 + b) % 8
							q := sb[16+32*(j/2)+k]
							if j%2 == 1 {
								q >>= 4
							}
							want = float64(fs[j])*float64(q&15) - float64(fs[8+j])
						} else if r < nr {
							want = f.value(data[r*rowBytes+(b0+b)*f.bb:], k)
						}
						if math.Abs(got-want) > 1e-6*math.Abs(want) {
							t.Fatalf("%s row %d block %d col %d: %g, want %g", f.name, r, b, k, got, want)
						}
					}
				}
			}
		}
	}
}

// randomQ8Rows returns n activation rows of k values quantized by the
// AVX-512 quantizer.
func randomQ8Rows(rng *rand.Rand, n, k int) []Q8Row {
	rows := make([]Q8Row, n)
	x := make([]float32, k)
	for i := range rows {
		for j := range x {
			x[j] = float32(rng.NormFloat64())
		}
		rows[i] = Q8Row{Q: make([]int8, k), D: make([]float32, k/32), S: make([]float32, k/32), Sum16: make([]int16, k/16)}
		quantQ8_512(&rows[i], x)
	}
	return rows
}

// randomBlocks returns rows·nb blocks of bb bytes with f16 scales in
// [2^-9, 2^-8) at the front.
func randomBlocks(rng *rand.Rand, rows, nb, bb int) []byte {
	data := make([]byte, rows*nb*bb)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for i := 0; i < len(data); i += bb {
		binary.LittleEndian.PutUint16(data[i:], 0x1800+uint16(rng.IntN(0x400))|uint16(rng.IntN(2))<<15)
	}
	return data
}

// The 16-row decode kernels against a float64 evaluation of the same
// integers and scales, for ragged row counts (overlapping last groups,
// fewer than 16 rows) and 1 to 9 activation rows; and bit for bit against
// the VNNI tile product, so a row's result does not depend on the path.
func TestX16MatMul(t *testing.T) {
	if !archsimd.X86.AVX512VNNI() {
		t.Skip("no AVX512-VNNI")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, f := range []struct {
		name  string
		bb    int
		mm    func(y []float32, ys, rows int, w []byte, rowBytes int, x []Q8Row)
		pack  func(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int)
		value func(blk []byte, k int) int
		off   int // the kernels multiply value+off and subtract off·d·S
	}{
		{"Q4_0", 18, mmQ4_0q8x16, packQ4_0, func(blk []byte, k int) int { return int(blk[2+k%16]>>(4*(k/16))&15) - 8 }, 8},
		{"Q8_0", 34, mmQ8_0q8x16, packQ8_0, func(blk []byte, k int) int { return int(int8(blk[2+k])) }, 128},
	} {
		for _, sh := range [][2]int{{1, 1}, {5, 3}, {16, 2}, {17, 5}, {37, 7}, {48, 1}} {
			rows, nb := sh[0], sh[1]
			rb := nb * f.bb
			data := randomBlocks(rng, rows, nb, f.bb)
			for _, n := range []int{1, 2, 4, 5, 7, 8, 9, 17} {
				x := randomQ8Rows(rng, n, nb*32)
				ys := rows + 3
				y := make([]float32, (n-1)*ys+rows)
				f.mm(y, ys, rows, data, rb, x)
				for i := 0; i < n; i++ {
					for r := 0; r < rows; r++ {
						var want, mag float64
						for b := 0; b < nb; b++ {
							blk := data[r*rb+b*f.bb:]
							d := float64(f16Scale(blk))
							var isum int
							for k := 0; k < 32; k++ {
								isum += f.value(blk, k) * int(x[i].Q[b*32+k])
							}
							want += d * float64(x[i].D[b]) * float64(isum)
							// The kernels' terms, whose rounding errors count.
							var usum int
							for k := 0; k < 32; k++ {
								usum += (f.value(blk, k) + f.off) * int(x[i].Q[b*32+k])
							}
							mag += math.Abs(d*float64(x[i].D[b])*float64(usum)) + math.Abs(float64(f.off)*d*float64(x[i].S[b]))
						}
						if got := float64(y[i*ys+r]); math.Abs(got-want) > 1e-5*mag+1e-30 {
							t.Fatalf("%s %dx%d n=%d: y[%d][%d] = %g, want %g", f.name, rows, nb*32, n, i, r, got, want)
						}
					}
				}
				// The tile product of the first 16 rows (padded) and 8
				// activation rows gives the same bits.
				nr := min(rows, 16)
				w := make([]byte, nb*VNNITileBytes)
				ws := make([]float32, nb*VNNITileScales)
				f.pack(w, ws, data, rb, nr, 0, nb)
				xp := make([]byte, nb*VNNIActBytes)
				xsp := make([]float32, nb*VNNIActScales)
				packActs(xp, xsp, x[:min(n, VNNIActs)], 0, nb)
				out := make([]float32, VNNIActs*16)
				tileQ8VNNI(w, ws, xp, xsp, nb, out, 16, min(n, VNNIActs), nr)
				for i := 0; i < min(n, VNNIActs); i++ {
					for r := 0; r < nr; r++ {
						if out[i*16+r] != y[i*ys+r] {
							t.Fatalf("%s %dx%d n=%d: y[%d][%d] = %g, the tile gives %g", f.name, rows, nb*32, n, i, r, y[i*ys+r], out[i*16+r])
						}
					}
				}
			}
		}
	}
}
