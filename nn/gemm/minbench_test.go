package gemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Throwaway: best-of timing, robust to a loaded machine.
func TestMinBench(t *testing.T) {
	if os.Getenv("MINBENCH") == "" {
		t.Skip()
	}
	for _, kn := range []*kernel{amd64Kernels[0]} {
		const k = 256
		r := rand.New(rand.NewPCG(1, 2))
		a, y, c := randSlice(r, k*kn.mr), randSlice(r, k*kn.nr), make([]float32, kn.mr*kn.nr)
		best := time.Hour
		for rep := 0; rep < 2000; rep++ {
			st := time.Now()
			for i := 0; i < 20; i++ {
				kn.fn(k, &a[0], &y[0], &c[0], kn.nr, nil, 0)
			}
			best = min(best, time.Since(st))
		}
		fmt.Printf("kernel %s: %.1f GFLOP/s\n", kn.name, 2*float64(k*kn.mr*kn.nr)*20/best.Seconds()/1e9)
	}
	if v := os.Getenv("KC"); v != "" {
		fmt.Sscan(v, &amd64Kernels[0].kc)
	}
	if v := os.Getenv("MC"); v != "" {
		fmt.Sscan(v, &amd64Kernels[0].mc)
	}
	for _, s := range [][4]int{{512, 784, 512, 1}, {512, 512, 256, 1}, {1024, 1024, 1024, 1}} {
		m, k, n, th := s[0], s[1], s[2], s[3]
		r := rand.New(rand.NewPCG(1, 2))
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		g := Gemm{Threads: th}
		best := time.Hour
		runtime.LockOSThread()
		st := cpuNow()
		for rep := 0; rep < 40; rep++ {
			g.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		}
		best = (cpuNow() - st) / 40
		runtime.UnlockOSThread()
		fmt.Printf("%dx%dx%d threads=%d: %.1f GFLOP/s\n", m, k, n, th, 2*float64(m*n*k)/best.Seconds()/1e9)
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
