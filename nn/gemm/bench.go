package gemm

import (
	"math/rand/v2"
	"time"
)

// Bench measures C = A·B for an m×k matrix A and a k×n matrix B (no
// transposes, beta 0) on threads goroutines for about d and returns the
// rate in GFLOP/s (2·m·n·k flops per product). It runs one warm-up product
// first. The fluens bench command reports these figures.
func Bench(m, k, n, threads int, d time.Duration) (gflops float64) {
	r := rand.New(rand.NewPCG(1, uint64(m*k*n)))
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = r.Float32()*2 - 1
	}
	for i := range b {
		b[i] = r.Float32()*2 - 1
	}
	g := Gemm{Threads: threads}
	g.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	runs := 0
	start := time.Now()
	var el time.Duration
	for runs == 0 || el < d {
		g.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		runs++
		el = time.Since(start)
	}
	return 2 * float64(m) * float64(n) * float64(k) * float64(runs) / el.Seconds() / 1e9
}
