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
// integers and scales.
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
		var out [8][16]float32
		out[3][5] = 1 // accumulates onto out
		tileQ8VNNI(w, ws, x, xs, nb, &out)
		for g := 0; g < 8; g++ {
			for r := 0; r < 16; r++ {
				var want, mag float64
				if g == 3 && r == 5 {
					want, mag = 1, 1
				}
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
				if math.Abs(float64(out[g][r])-want) > 1e-5*mag {
					t.Fatalf("nb=%d g=%d r=%d: %g, want %g", nb, g, r, out[g][r], want)
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
		nbRow, nr, b0, nb := 5, 11, 1, 3
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
