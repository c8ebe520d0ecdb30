// Package gemm holds the float32 matrix products that the nn package trains
// with: C = alpha·op(A)·op(B) + beta·C, and a fused bias + ReLU epilogue.
package gemm
