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
	full := cols / w
	for q := 0; q < kc; q++ {
		row := src[q*ld : q*ld+cols]
		if alpha == 1 {
			switch w {
			case 6:
				for p := 0; p < full; p++ {
					*(*[6]float32)(dst[p*6*kc+q*6:]) = *(*[6]float32)(row[p*6:])
				}
			case 14:
				for p := 0; p < full; p++ {
					*(*[14]float32)(dst[p*14*kc+q*14:]) = *(*[14]float32)(row[p*14:])
				}
			case 16:
				for p := 0; p < full; p++ {
					*(*[16]float32)(dst[p*16*kc+q*16:]) = *(*[16]float32)(row[p*16:])
				}
			case 32:
				for p := 0; p < full; p++ {
					*(*[32]float32)(dst[p*32*kc+q*32:]) = *(*[32]float32)(row[p*32:])
				}
			default:
				for p := 0; p < full; p++ {
					copy(dst[p*w*kc+q*w:p*w*kc+q*w+w], row[p*w:p*w+w])
				}
			}
		} else {
			for p := 0; p < full; p++ {
				d := dst[p*w*kc+q*w : p*w*kc+q*w+w]
				for i, v := range row[p*w : p*w+w] {
					d[i] = alpha * v
				}
			}
		}
		if h := cols - full*w; h > 0 {
			d := dst[full*w*kc+q*w : full*w*kc+q*w+w]
			for i, v := range row[full*w:] {
				d[i] = alpha * v
			}
			clear(d[h:])
		}
	}
}

// interleave writes kc steps of width w into dst, value i of step q being
// src[i*ld+q] for i < h (scaled by alpha), zero for h ≤ i < w.
func interleave(dst, src []float32, ld, kc, h, w int, alpha float32) {
	dst = dst[:kc*w]
	i := 0
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
