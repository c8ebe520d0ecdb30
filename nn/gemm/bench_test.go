package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemm times the sizes of the speed targets and the shapes that
// training the study's networks uses (batch 512). Names are M×K×N; a "T"
// marks a transposed operand as the layer uses it.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range []struct {
		name    string
		ta, tb  bool
		m, k, n int
	}{
		{"512x784x512", false, false, 512, 784, 512},
		{"512x512x256", false, false, 512, 512, 256},
		{"1024x1024x1024", false, false, 1024, 1024, 1024},
		{"512x784x10", false, false, 512, 784, 10},            // W1 forward
		{"512x10x784_BT", false, true, 512, 10, 784},          // W1 input gradient
		{"784x512x10_AT", true, false, 784, 512, 10},          // W1 weight gradient
		{"512x784x512_BT", false, true, 512, 784, 512},        // W2 forward, weights out×in
		{"401408x9x32", false, false, 512 * 784, 9, 32},       // W3 conv1, im2col
		{"100352x288x64", false, false, 512 * 196, 288, 64},   // W3 conv2, im2col
		{"288x100352x64_AT", true, false, 288, 512 * 196, 64}, // W3 conv2 weight gradient
	} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", s.name, th), func(b *testing.B) {
				benchShape(b, s.ta, s.tb, s.m, s.k, s.n, th)
			})
		}
	}
}

func benchShape(b *testing.B, ta, tb bool, m, k, n, threads int) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	g := Gemm{Threads: threads}
	g.Sgemm(ta, tb, m, n, k, 1, x, lda, y, ldb, 0, c, n)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		g.Sgemm(ta, tb, m, n, k, 1, x, lda, y, ldb, 0, c, n)
	}
	cpu := cpuTime() - cpu0
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		// Per CPU-second: steady on a loaded machine (see bench/README.md).
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkKernel times each micro-kernel alone on panels that stay in L1:
// the ceiling that the blocked product can approach.
func BenchmarkKernel(b *testing.B) {
	for _, kn := range append(append([]*kernel(nil), amd64Kernels...), generic) {
		b.Run(kn.name, func(b *testing.B) {
			const k = 256
			r := rand.New(rand.NewPCG(1, 2))
			a, y, c := randSlice(r, k*kn.mr), randSlice(r, k*kn.nr), make([]float32, kn.mr*kn.nr)
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				kn.fn(k, &a[0], &y[0], &c[0], kn.nr, nil, 0)
			}
			cpu := cpuTime() - cpu0
			flops := 2 * float64(k*kn.mr*kn.nr) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if cpu > 0 {
				b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
			}
		})
	}
}

// BenchmarkPack times packing a 512×256 slice of A and a 256×512 slice of B
// for the active kernel, with and without transposes; the …/go variants
// run the Go loops instead of the assembly packing routines.
func BenchmarkPack(b *testing.B) {
	kn := active()
	r := rand.New(rand.NewPCG(1, 2))
	const m, k, n = 512, 256, 512
	x, y := randSlice(r, m*k), randSlice(r, k*n)
	for _, tr := range []bool{false, true} {
		c := &call{kn: kn, ta: tr, tb: tr, m: m, n: n, k: k, kcs: k, alpha: 1, a: x, b: y, lda: k, ldb: n, threads: 1}
		if tr {
			c.lda, c.ldb = m, k
		}
		ps := &pass{nc: n, kc: k, packB: grow(nil, (n+kn.nr-1)/kn.nr*kn.nr*k)}
		pa := grow(nil, (m+kn.mr-1)/kn.mr*kn.mr*k)
		for _, goLoops := range []bool{false, true} {
			suffix := ""
			if goLoops {
				suffix = "/go"
			}
			run := func(name string, floats int, f func()) {
				b.Run(name+suffix, func(b *testing.B) {
					if goLoops {
						p6, c6, c16 := pack6, copy6, copy16
						pack6, copy6, copy16 = nil, nil, nil
						defer func() { pack6, copy6, copy16 = p6, c6, c16 }()
					}
					cpu0 := cpuTime()
					for i := 0; i < b.N; i++ {
						f()
					}
					cpu := cpuTime() - cpu0
					b.ReportMetric(float64(floats)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
					if cpu > 0 {
						b.ReportMetric(float64(floats)*float64(b.N)/cpu.Seconds()/1e9, "Gfloat/cpu-s")
					}
				})
			}
			run(fmt.Sprintf("A/trans=%v", tr), m*k, func() { c.packA(ps, pa, 0, m) })
			run(fmt.Sprintf("B/trans=%v", tr), n*k, func() { c.packBPart(ps, 0) })
		}
	}
}

// BenchmarkBlocking compares the active kernel at the pass depths kc = 256
// (BLIS's value) and 512 (fluens' AVX2 choice) on the target shapes, on
// two threads: run with -count 10 and compare the kc=… rows with benchstat.
func BenchmarkBlocking(b *testing.B) {
	base := active()
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{512, 784, 512}, {512, 512, 256}, {1024, 1024, 1024}} {
		m, k, n := s[0], s[1], s[2]
		x, y, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, kc := range []int{256, 512} {
			kn := &kernel{name: base.name, mr: base.mr, nr: base.nr, kc: kc, mc: base.mc, nc: base.nc, fn: base.fn, sfn: base.sfn}
			b.Run(fmt.Sprintf("%dx%dx%d/kc=%d", m, k, n, kc), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					kn.do(2, false, false, m, n, k, 1, x, k, y, n, 0, c, n, nil, false)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
