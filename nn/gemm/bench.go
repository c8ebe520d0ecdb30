package gemm

import (
	"math/rand/v2"
	"runtime"
	"sync"
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

// PeakGFLOPS measures the float32 fused multiply-add ceiling of the active
// path on threads goroutines (each locked to its own OS thread) for about
// d: independent FMAs on registers alone, no memory traffic, 2 flops per
// lane. It is the number that the GEMM figures of [Bench] are a fraction
// of; fluens bench prints that fraction. Each goroutine keeps its fastest
// 1 ms chunk and the rates are summed, as [Bench] keeps its fastest batch.
// It returns 0 where the active path has no assembly (the pure-Go path).
func PeakGFLOPS(threads int, d time.Duration) float64 {
	kn := active()
	if kn.peak == nil || threads < 1 {
		return 0
	}
	flopsPerTrip := float64(2 * peakChains * kn.peakLanes)
	// Calibrate a chunk of about 1 ms.
	trips := 1 << 16
	for {
		st := time.Now()
		kn.peak(trips)
		if el := time.Since(st); el >= time.Millisecond || trips >= 1<<30 {
			break
		}
		trips *= 2
	}
	rates := make([]float64, threads)
	var wg sync.WaitGroup
	for t := range rates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			deadline := time.Now().Add(d)
			for rates[t] == 0 || time.Now().Before(deadline) {
				st := time.Now()
				kn.peak(trips)
				if el := time.Since(st).Seconds(); el > 0 {
					rates[t] = max(rates[t], flopsPerTrip*float64(trips)/el/1e9)
				}
			}
		}()
	}
	wg.Wait()
	sum := 0.0
	for _, r := range rates {
		sum += r
	}
	return sum
}
