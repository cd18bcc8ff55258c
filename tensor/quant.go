package tensor

import "encoding/binary"

// Reference decoders of the GGUF block formats, written from the format
// definitions (ggml-common.h / gguf-py quants.py). Every product is exact in
// float32 except Q4_K's final subtraction, which is computed as ggml does.

func f16At(b []byte) float32 { return F16ToF32(binary.LittleEndian.Uint16(b)) }

// Q8_0: f16 d, int8 q[32]; y = d*q.
func dequantQ8_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*34:]
		d := f16At(blk)
		for j := 0; j < 32; j++ {
			dst[b*32+j] = d * float32(int8(blk[2+j]))
		}
	}
}

// Q4_0: f16 d, u8 qs[16]; element j is the low nibble of qs[j], element j+16
// the high nibble; y = d*(q-8).
func dequantQ4_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*18:]
		d := f16At(blk)
		for j := 0; j < 16; j++ {
			q := blk[2+j]
			dst[b*32+j] = d * float32(int(q&15)-8)
			dst[b*32+j+16] = d * float32(int(q>>4)-8)
		}
	}
}

// Q5_0: f16 d, u32 qh, u8 qs[16]; bit 4 of element j is bit j of qh;
// y = d*(q-16).
func dequantQ5_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk := src[b*22:]
		d := f16At(blk)
		qh := binary.LittleEndian.Uint32(blk[2:])
		for j := 0; j < 16; j++ {
			q := blk[6+j]
			lo := int(q&15) | int((qh>>j)&1)<<4
			hi := int(q>>4) | int((qh>>(j+16))&1)<<4
			dst[b*32+j] = d * float32(lo-16)
			dst[b*32+j+16] = d * float32(hi-16)
		}
	}
}

// q4kScaleMin returns the 6-bit scale and min of sub-block j of a Q4_K block.
func q4kScaleMin(s []byte, j int) (sc, m uint8) {
	if j < 4 {
		return s[j] & 63, s[j+4] & 63
	}
	sc = s[j+4]&15 | (s[j-4]>>6)<<4
	m = s[j+4]>>4 | (s[j]>>6)<<4
	return sc, m
}

// Q4_K: f16 d, f16 dmin, u8 scales[12], u8 qs[128] per 256 values;
// qs[32c+l] holds element 64c+l (low nibble) and 64c+32+l (high nibble);
// y = d*sc*q - dmin*m.
func dequantQ4K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/256; b++ {
		blk := src[b*144:]
		d := f16At(blk)
		dmin := f16At(blk[2:])
		scales := blk[4:16]
		qs := blk[16:144]
		out := dst[b*256:]
		for c := 0; c < 4; c++ {
			sc1, m1 := q4kScaleMin(scales, 2*c)
			sc2, m2 := q4kScaleMin(scales, 2*c+1)
			d1, min1 := d*float32(sc1), dmin*float32(m1)
			d2, min2 := d*float32(sc2), dmin*float32(m2)
			for l := 0; l < 32; l++ {
				q := qs[32*c+l]
				out[64*c+l] = d1*float32(q&15) - min1
				out[64*c+32+l] = d2*float32(q>>4) - min2
			}
		}
	}
}

// Q6_K: u8 ql[128], u8 qh[64], i8 scales[16], f16 d per 256 values;
// y = d*scales[e/16]*(q-32).
func dequantQ6K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/256; b++ {
		blk := src[b*210:]
		ql := blk[0:128]
		qh := blk[128:192]
		sc := blk[192:208]
		d := f16At(blk[208:])
		out := dst[b*256:]
		for h := 0; h < 2; h++ {
			for k := 0; k < 32; k++ {
				l0 := ql[64*h+k]
				l1 := ql[64*h+32+k]
				hb := qh[32*h+k]
				q1 := int(l0&15|(hb&3)<<4) - 32
				q2 := int(l1&15|((hb>>2)&3)<<4) - 32
				q3 := int(l0>>4|((hb>>4)&3)<<4) - 32
				q4 := int(l1>>4|((hb>>6)&3)<<4) - 32
				base := 128 * h
				out[base+k] = d * float32(int8(sc[8*h+k/16])) * float32(q1)
				out[base+32+k] = d * float32(int8(sc[8*h+2+k/16])) * float32(q2)
				out[base+64+k] = d * float32(int8(sc[8*h+4+k/16])) * float32(q3)
				out[base+96+k] = d * float32(int8(sc[8*h+6+k/16])) * float32(q4)
			}
		}
	}
}
