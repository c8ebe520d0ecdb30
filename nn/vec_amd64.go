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
