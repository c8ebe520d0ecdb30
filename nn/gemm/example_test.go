package gemm_test

import (
	"fmt"

	"github.com/fluens-lab/fluens/nn/gemm"
)

// A dense layer's forward pass: Y = ReLU(X·Wᵀ + b) for a batch of 2 inputs
// of 3 features and a layer of 2 units whose weights are stored out×in.
func ExampleGemm_SgemmBias() {
	x := []float32{
		1, 2, 3,
		-1, 0, 1,
	}
	w := []float32{
		1, 0, -1, // unit 0
		0.5, 0.5, 0.5, // unit 1
	}
	b := []float32{0.5, -1}
	y := make([]float32, 2*2)
	g := gemm.Gemm{Threads: 2}
	g.SgemmBias(false, true, 2, 2, 3, x, 3, w, 3, b, true, y, 2)
	fmt.Println(y)
	// Output: [0 2 0 0]
}

// C = A·B for 2×3 by 3×2 matrices.
func ExampleGemm_Sgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	c := make([]float32, 4)
	gemm.Gemm{}.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [58 64 139 154]
}
