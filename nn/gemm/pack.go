package gemm

// Packing: the micro-kernels read op(A) as mr-row panels (each step q holds
// the mr values of column q of the panel, contiguous) and op(B) as nr-column
// panels (each step q holds nr values of row q). Two cases arise for each
// operand: the values of one step are contiguous in the source (A
// transposed, B not) and are copied, or they are spread over w source rows
// (A not transposed, B transposed) and are interleaved.

// copyPanels packs the cols ≤ panels·w columns of a kc-row slice of a
// row-major matrix (row q at src[q*ld:]) into panels of width w: panel p
// holds kc steps of w values (columns p·w …), scaled by alpha, zero-padded.
// It walks the source row by row, so reads are sequential.
func copyPanels(dst, src []float32, ld, kc, cols, w int, alpha float32) {
	// Steps are taken qb at a time for all panels: walking all panels for
	// one step would write to addresses panels·w·kc·4 bytes apart, which
	// fall in the same few L1 sets.
	const qb = 8
	full := cols / w
	start := 0 // panels below start are done
	if f := copyPanel(w); f != nil && alpha == 1 && kc > 0 && full > 0 {
		// In assembly, qb steps of all full panels at a time.
		_ = src[(kc-1)*ld+full*w-1]
		_ = dst[full*w*kc-1]
		for q0 := 0; q0 < kc; q0 += qb {
			f(min(qb, kc-q0), full, &src[q0*ld], ld, &dst[q0*w], w*kc)
		}
		start = full
	}
	for q0 := 0; q0 < kc; q0 += qb {
		q1 := min(q0+qb, kc)
		for p := start; p < full; p++ {
			d := dst[p*w*kc : (p+1)*w*kc]
			if alpha == 1 {
				switch w {
				case 6:
					for q := q0; q < q1; q++ {
						dd, ss := (*[6]float32)(d[q*6:]), (*[6]float32)(src[q*ld+p*6:])
						dd[0], dd[1], dd[2], dd[3], dd[4], dd[5] = ss[0], ss[1], ss[2], ss[3], ss[4], ss[5]
					}
					continue
				case 14:
					for q := q0; q < q1; q++ {
						*(*[14]float32)(d[q*14:]) = *(*[14]float32)(src[q*ld+p*14:])
					}
					continue
				case 16:
					for q := q0; q < q1; q++ {
						dd, ss := d[q*16:q*16+16], src[q*ld+p*16:q*ld+p*16+16]
						for c := 0; c < 16; c += 4 {
							*(*[4]float32)(dd[c:]) = *(*[4]float32)(ss[c:])
						}
					}
					continue
				case 32:
					for q := q0; q < q1; q++ {
						dd, ss := d[q*32:q*32+32], src[q*ld+p*32:q*ld+p*32+32]
						for c := 0; c < 32; c += 4 {
							*(*[4]float32)(dd[c:]) = *(*[4]float32)(ss[c:])
						}
					}
					continue
				}
			}
			for q := q0; q < q1; q++ {
				dd := d[q*w : q*w+w]
				for i, v := range src[q*ld+p*w : q*ld+p*w+w] {
					dd[i] = alpha * v
				}
			}
		}
		if h := cols - full*w; h > 0 {
			d := dst[full*w*kc : (full+1)*w*kc]
			for q := q0; q < q1; q++ {
				dd := d[q*w : q*w+w]
				for i, v := range src[q*ld+full*w : q*ld+cols] {
					dd[i] = alpha * v
				}
				clear(dd[h:])
			}
		}
	}
}

// copy6, copy16 are copy6AVX and copy16AVX where the CPU has AVX (set by
// kernel_amd64.go), else nil.
var copy6, copy16 func(n, panels int, src *float32, ld int, dst *float32, pstride int)

// copyPanel returns the assembly routine that copies one panel of width w,
// or nil.
func copyPanel(w int) func(n, panels int, src *float32, ld int, dst *float32, pstride int) {
	switch w {
	case 6:
		return copy6
	case 16:
		return copy16
	}
	return nil
}

// pack6 is pack6AVX2 where the CPU has AVX2 (set by kernel_amd64.go), else
// nil; interleave uses it for full six-row panels.
var pack6 func(n int, src *float32, lda int, dst *float32)

// interleave writes kc steps of width w into dst, value i of step q being
// src[i*ld+q] for i < h (scaled by alpha), zero for h ≤ i < w.
func interleave(dst, src []float32, ld, kc, h, w int, alpha float32) {
	dst = dst[:kc*w]
	i := 0
	if h == 6 && w == 6 && alpha == 1 {
		if pack6 != nil && kc >= 8 {
			_ = src[5*ld+kc-1] // the six rows are in bounds
			n := kc / 8
			pack6(n, &src[0], ld, &dst[0])
			if n*8 == kc {
				return
			}
			// The last kc mod 8 steps in Go.
			src, dst, kc = src[n*8:], dst[n*8*6:], kc-n*8
		}
		r0 := src[0:kc]
		r1 := src[ld : ld+kc][:len(r0)]
		r2 := src[2*ld : 2*ld+kc][:len(r0)]
		r3 := src[3*ld : 3*ld+kc][:len(r0)]
		r4 := src[4*ld : 4*ld+kc][:len(r0)]
		r5 := src[5*ld : 5*ld+kc][:len(r0)]
		for q := range r0 {
			d := (*[6]float32)(dst[q*6:])
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[q], r1[q], r2[q], r3[q], r4[q], r5[q]
		}
		return
	}
	for ; i+4 <= h; i += 4 {
		r0 := src[i*ld : i*ld+kc]
		r1 := src[(i+1)*ld : (i+1)*ld+kc]
		r2 := src[(i+2)*ld : (i+2)*ld+kc]
		r3 := src[(i+3)*ld : (i+3)*ld+kc]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		if alpha == 1 {
			for q := range r0 {
				d := (*[4]float32)(dst[q*w+i:])
				d[0], d[1], d[2], d[3] = r0[q], r1[q], r2[q], r3[q]
			}
		} else {
			for q := range r0 {
				d := (*[4]float32)(dst[q*w+i:])
				d[0], d[1], d[2], d[3] = alpha*r0[q], alpha*r1[q], alpha*r2[q], alpha*r3[q]
			}
		}
	}
	for ; i+2 <= h; i += 2 {
		r0 := src[i*ld : i*ld+kc]
		r1 := src[(i+1)*ld : (i+1)*ld+kc][:len(r0)]
		for q := range r0 {
			d := (*[2]float32)(dst[q*w+i:])
			d[0], d[1] = alpha*r0[q], alpha*r1[q]
		}
	}
	for ; i < h; i++ {
		r := src[i*ld : i*ld+kc]
		for q, v := range r {
			dst[q*w+i] = alpha * v
		}
	}
	if h < w {
		for q := 0; q < kc; q++ {
			clear(dst[q*w+h : q*w+w])
		}
	}
}
