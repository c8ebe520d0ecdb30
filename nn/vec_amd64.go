//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// adamAVX runs one Adam step on the first len(p)/8·8 elements (see
// vec_amd64.s); c holds β1, 1−β1, β2, 1−β2, the step size, 1/√(1−β2ᵗ)
// and ε.
//
//go:noescape
func adamAVX(p, g, m1, m2 []float32, c *[7]float32)

// haveAdamAVX reports whether adamAVX can run (256-bit AVX registers).
var haveAdamAVX = cpu.X86.HasAVX

// adamVector updates as many leading elements as the vector code handles
// and returns how many.
func adamVector(p, g, m1, m2 []float32, c *[7]float32) int {
	if !haveAdamAVX || len(p) < 8 {
		return 0
	}
	g, m1, m2 = g[:len(p)], m1[:len(p)], m2[:len(p)]
	adamAVX(p, g, m1, m2, c)
	return len(p) &^ 7
}

// scaleBytesAVX2 converts the first len(dst)/8·8 bytes of src to
// float32·(1/255) (see vec_amd64.s).
//
//go:noescape
func scaleBytesAVX2(dst []float32, src []byte)

var haveScaleAVX2 = cpu.X86.HasAVX2

// scaleVector converts as many leading bytes as the vector code handles
// and returns how many.
func scaleVector(dst []float32, src []byte) int {
	if !haveScaleAVX2 || len(dst) < 8 {
		return 0
	}
	src = src[:len(dst)]
	scaleBytesAVX2(dst, src)
	return len(dst) &^ 7
}

// reluMaskAVX2 zeroes dy[i] where y[i] ≤ 0 for the first len(dy)/8·8
// elements (see vec_amd64.s).
//
//go:noescape
func reluMaskAVX2(dy, y []float32)

// colSumsAVX2 sets dst[j] to the sum of m[r·ld+j] over r < rows, in order,
// for the first len(dst)/8·8 columns (see vec_amd64.s).
//
//go:noescape
func colSumsAVX2(dst, m []float32, rows, ld int)

// reluMaskVector masks as many leading elements as the vector code
// handles and returns how many.
func reluMaskVector(dy, y []float32) int {
	if !haveScaleAVX2 || len(dy) < 8 {
		return 0
	}
	reluMaskAVX2(dy, y[:len(dy)])
	return len(dy) &^ 7
}

// colSumsVector sums as many leading columns as the vector code handles
// and returns how many; m's column 0 is the first column summed.
func colSumsVector(dst, m []float32, rows, ld int) int {
	if !haveScaleAVX2 || len(dst) < 8 || rows == 0 {
		return 0
	}
	_ = m[(rows-1)*ld+len(dst)-1] // every row in bounds
	colSumsAVX2(dst, m, rows, ld)
	return len(dst) &^ 7
}
