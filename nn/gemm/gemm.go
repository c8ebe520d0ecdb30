package gemm

// Gemm runs float32 matrix products on a fixed number of goroutines.
// The zero value uses one goroutine. A Gemm is safe for concurrent use.
//
// All matrices are row-major. op(A) is m×k (A is k×m when transA), op(B) is
// k×n (B is n×k when transB), C is m×n; lda, ldb and ldc are row strides.
type Gemm struct {
	// Threads is the number of goroutines one call may use (≤ 0 means 1).
	Threads int
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C.
// When beta is 0, C is not read (NaNs in C do not propagate).
func (g Gemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	active().do(g.Threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, false)
}

// SgemmBias computes C = op(A)·op(B) + bias, adding bias[j] to every
// element of column j, then, if relu, replaces negative results by zero.
// bias may be nil (no bias). This is the fused epilogue of a dense or
// convolution layer's forward pass.
func (g Gemm) SgemmBias(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, bias []float32, relu bool, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if bias != nil && len(bias) < n {
		panic("gemm: bias shorter than n")
	}
	active().do(g.Threads, transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, bias, relu)
}

func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("gemm: negative dimension")
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic("gemm: leading dimension of " + name + " too small")
	}
	if len(s) < (rows-1)*ld+cols {
		panic("gemm: " + name + " too short")
	}
}

// naive is the reference product, used by tests to check every kernel.
func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				sum += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * sum
			} else {
				c[i*ldc+j] = alpha*sum + beta*c[i*ldc+j]
			}
		}
	}
}
