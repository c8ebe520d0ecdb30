package gemm

import (
	"math/rand/v2"
	"time"
)

// Bench measures C = A·B for an m×k matrix A and a k×n matrix B (no
// transposes, beta 0) on threads goroutines for about d and returns the
// best rate seen, in GFLOP/s (2·m·n·k flops per product): after one warm-up
// product it times batches of products (at least about 2 ms each) and keeps
// the fastest batch, which makes the figure robust to other load on the
// machine; bench/torch_ref.py measures torch.mm the same way. The fluens
// bench command reports these figures.
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
	flops := 2 * float64(m) * float64(n) * float64(k)
	st := time.Now()
	g.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	one := time.Since(st)
	batch := 1
	if one > 0 && one < 2*time.Millisecond {
		batch = int(2*time.Millisecond/one) + 1
	}
	best := 0.0
	deadline := time.Now().Add(d)
	for best == 0 || time.Now().Before(deadline) {
		st := time.Now()
		for i := 0; i < batch; i++ {
			g.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}
		if el := time.Since(st).Seconds(); el > 0 {
			best = max(best, flops*float64(batch)/el/1e9)
		}
	}
	return best
}
