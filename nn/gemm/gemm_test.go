package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// eachPath runs f once per kernel path this CPU supports, forcing it.
func eachPath(t *testing.T, f func(t *testing.T)) {
	for _, p := range Paths() {
		t.Run(p, func(t *testing.T) {
			restore, ok := forceKernel(p)
			if !ok {
				t.Fatalf("cannot force path %s", p)
			}
			defer restore()
			if Kernel() != p {
				t.Fatalf("Kernel() = %s, want %s", Kernel(), p)
			}
			f(t)
		})
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// closeEnough compares with a tolerance that grows with the depth k of the
// sums (values are in [-1, 1), so |sum| ≤ k).
func closeEnough(t *testing.T, what string, got, want []float32, k int) {
	t.Helper()
	tol := 1e-5 * float64(k+4)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol) {
			t.Fatalf("%s: element %d = %g, want %g (|diff| %g > %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

type shape struct {
	ta, tb        bool
	m, n, k       int
	lda, ldb, ldc int
}

func (s shape) String() string {
	return fmt.Sprintf("ta=%v tb=%v %dx%dx%d ld=%d,%d,%d", s.ta, s.tb, s.m, s.k, s.n, s.lda, s.ldb, s.ldc)
}

func (s shape) operands(r *rand.Rand) (a, b, c []float32) {
	ar, ac := s.m, s.k
	if s.ta {
		ar, ac = ac, ar
	}
	br, bc := s.k, s.n
	if s.tb {
		br, bc = bc, br
	}
	return randSlice(r, max(ar*s.lda-s.lda+ac, 0)), randSlice(r, max(br*s.ldb-s.ldb+bc, 0)), randSlice(r, max(s.m*s.ldc-s.ldc+s.n, 0))
}

func randShape(r *rand.Rand, maxDim int) shape {
	s := shape{ta: r.IntN(2) == 1, tb: r.IntN(2) == 1, m: 1 + r.IntN(maxDim), n: 1 + r.IntN(maxDim), k: 1 + r.IntN(maxDim)}
	pad := func() int {
		if r.IntN(2) == 0 {
			return 0
		}
		return 1 + r.IntN(5)
	}
	s.lda, s.ldb, s.ldc = s.k+pad(), s.n+pad(), s.n+pad()
	if s.ta {
		s.lda = s.m + pad()
	}
	if s.tb {
		s.ldb = s.k + pad()
	}
	return s
}

func TestSgemmRandom(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		trials := 300
		if testing.Short() {
			trials = 100
		}
		for trial := 0; trial < trials; trial++ {
			s := randShape(r, 70)
			a, b, c := s.operands(r)
			alpha := []float32{1, 0.5, -2}[r.IntN(3)]
			beta := []float32{0, 1, 0.25}[r.IntN(3)]
			want := slices.Clone(c)
			naive(s.ta, s.tb, s.m, s.n, s.k, alpha, a, s.lda, b, s.ldb, beta, want, s.ldc)
			got := slices.Clone(c)
			Gemm{Threads: 1 + r.IntN(3)}.Sgemm(s.ta, s.tb, s.m, s.n, s.k, alpha, a, s.lda, b, s.ldb, beta, got, s.ldc)
			closeEnough(t, fmt.Sprintf("%v alpha=%g beta=%g", s, alpha, beta), got, want, s.k)
			// Padding between rows of C is never written.
			for i := 0; i+1 < s.m; i++ {
				for j := s.n; j < s.ldc; j++ {
					if got[i*s.ldc+j] != c[i*s.ldc+j] {
						t.Fatalf("%v: padding C[%d][%d] written", s, i, j)
					}
				}
			}
		}
	})
}

// TestSgemmLarge covers several passes over K and several row blocks.
func TestSgemmLarge(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, s := range []shape{
			{false, false, 301, 67, 530, 530, 67, 67},
			{true, true, 97, 130, 611, 97, 611, 131},
			{false, true, 1, 300, 700, 700, 700, 300},
			{true, false, 300, 1, 700, 300, 1, 1},
			{false, false, 7, 4200, 5, 5, 4200, 4200}, // more than one nc block of columns
			{false, true, 13, 4200, 300, 300, 300, 4201},
		} {
			a, b, c := s.operands(r)
			want := slices.Clone(c)
			naive(s.ta, s.tb, s.m, s.n, s.k, 1, a, s.lda, b, s.ldb, 1, want, s.ldc)
			Gemm{Threads: 2}.Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, s.lda, b, s.ldb, 1, c, s.ldc)
			closeEnough(t, s.String(), c, want, s.k)
		}
	})
}

func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, k := range []int{0, 3, 40} {
			s := shape{false, false, 13, 21, k, k, 21, 21}
			a, b, _ := s.operands(r)
			c := make([]float32, 13*21)
			for i := range c {
				c[i] = float32(math.NaN())
			}
			want := make([]float32, len(c))
			naive(false, false, 13, 21, k, 1, a, k, b, 21, 0, want, 21)
			Gemm{}.Sgemm(false, false, 13, 21, k, 1, a, k, b, 21, 0, c, 21)
			closeEnough(t, s.String(), c, want, k)
		}
	})
}

func TestSgemmBias(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for trial := 0; trial < 150; trial++ {
			s := randShape(r, 70)
			if trial%10 == 0 {
				s.k = 300 + r.IntN(300) // several passes over K
				if s.ta {
					s.lda = s.m
				} else {
					s.lda = s.k
				}
				if s.tb {
					s.ldb = s.k
				}
			}
			a, b, c := s.operands(r)
			var bias []float32
			if r.IntN(4) != 0 {
				bias = randSlice(r, s.n)
			}
			relu := r.IntN(2) == 1
			want := slices.Clone(c)
			naive(s.ta, s.tb, s.m, s.n, s.k, 1, a, s.lda, b, s.ldb, 0, want, s.ldc)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					v := want[i*s.ldc+j]
					if bias != nil {
						v += bias[j]
					}
					if relu && v < 0 {
						v = 0
					}
					want[i*s.ldc+j] = v
				}
			}
			got := slices.Clone(c)
			Gemm{Threads: 1 + r.IntN(3)}.SgemmBias(s.ta, s.tb, s.m, s.n, s.k, a, s.lda, b, s.ldb, bias, relu, got, s.ldc)
			closeEnough(t, fmt.Sprintf("%v bias=%v relu=%v", s, bias != nil, relu), got, want, s.k)
			if relu {
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						if got[i*s.ldc+j] < 0 {
							t.Fatalf("%v: ReLU left %g", s, got[i*s.ldc+j])
						}
					}
				}
			}
		}
	})
}

// TestThreadsBitIdentical checks that the number of threads does not change
// a single bit of the result (K is never split).
func TestThreadsBitIdentical(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // let 3 threads run on a 2-core machine
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, s := range []shape{
			{false, false, 203, 150, 333, 333, 150, 150},
			{true, false, 37, 410, 290, 37, 410, 410}, // split over columns
			{false, true, 512, 10, 784, 784, 784, 10}, // a dense layer's forward pass
			{true, false, 784, 10, 512, 784, 10, 10},  // its weight gradient
			{false, false, 9000, 32, 9, 9, 32, 32},    // im2col of a 3×3 convolution
		} {
			a, b, c0 := s.operands(r)
			bias := randSlice(r, s.n)
			var ref []float32
			for _, th := range []int{1, 2, 3} {
				c := slices.Clone(c0)
				Gemm{Threads: th}.Sgemm(s.ta, s.tb, s.m, s.n, s.k, 0.75, a, s.lda, b, s.ldb, 1, c, s.ldc)
				cb := make([]float32, len(c))
				Gemm{Threads: th}.SgemmBias(s.ta, s.tb, s.m, s.n, s.k, a, s.lda, b, s.ldb, bias, true, cb, s.ldc)
				c = append(c, cb...)
				if ref == nil {
					ref = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("%v: %d threads: C[%d] = %g, 1 thread gave %g", s, th, i, c[i], ref[i])
					}
				}
			}
		}
	})
}

// TestInPlaceBitIdentical checks that reading A in place (products with few
// panels of B) gives exactly the bits of the packed path, for both
// transposes of A, edge rows and columns, several passes over K and the
// bias + ReLU epilogue.
func TestInPlaceBitIdentical(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, s := range []shape{
			{false, false, 512, 10, 784, 784, 10, 10}, // a dense layer's forward pass
			{true, false, 784, 10, 512, 784, 10, 10},  // its weight gradient
			{false, false, 9001, 32, 9, 9, 32, 32},    // im2col of a 3×3 convolution
			{false, true, 97, 37, 300, 301, 300, 40},
			{true, true, 61, 5, 7, 63, 7, 5},
		} {
			a, b, c0 := s.operands(r)
			bias := randSlice(r, s.n)
			var res [2][]float32
			for i, panels := range []int{0, 2} {
				old := inPlacePanels
				inPlacePanels = panels
				c := slices.Clone(c0)
				Gemm{}.Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, s.lda, b, s.ldb, 1, c, s.ldc)
				cb := make([]float32, len(c))
				Gemm{}.SgemmBias(s.ta, s.tb, s.m, s.n, s.k, a, s.lda, b, s.ldb, bias, true, cb, s.ldc)
				inPlacePanels = old
				res[i] = append(c, cb...)
			}
			for i := range res[0] {
				if math.Float32bits(res[0][i]) != math.Float32bits(res[1][i]) {
					t.Fatalf("%v: C[%d] = %g in place, %g packed", s, i, res[1][i], res[0][i])
				}
			}
		}
	})
}

// TestPack6 checks the assembly six-row packing against the Go loop, bit
// for bit, for depths around multiples of its eight-column step.
func TestPack6(t *testing.T) {
	if pack6 == nil {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(15, 16))
	for _, kc := range []int{1, 7, 8, 9, 15, 16, 17, 37, 196, 256} {
		const ld = 301
		src := randSlice(r, 5*ld+kc)
		want := make([]float32, 6*kc)
		got := make([]float32, 6*kc+1)
		got[6*kc] = 42 // must not be written
		saved := pack6
		pack6 = nil
		interleave(want, src, ld, kc, 6, 6, 1)
		pack6 = saved
		interleave(got[:6*kc], src, ld, kc, 6, 6, 1)
		for q := 0; q < kc; q++ {
			for i := 0; i < 6; i++ {
				if g, w := math.Float32bits(got[q*6+i]), math.Float32bits(src[i*ld+q]); g != w || g != math.Float32bits(want[q*6+i]) {
					t.Fatalf("kc %d: step %d row %d: got %g, want %g", kc, q, i, got[q*6+i], src[i*ld+q])
				}
			}
		}
		if got[6*kc] != 42 {
			t.Fatalf("kc %d: wrote past the panel", kc)
		}
	}
}

// TestCopyPanelsAsm checks the assembly panel copies (copy6AVX,
// copy16AVX) against the Go loops, bit for bit, with a partial last
// panel and depths that are not multiples of the two-step unrolling.
func TestCopyPanelsAsm(t *testing.T) {
	if copy6 == nil {
		t.Skip("no AVX")
	}
	r := rand.New(rand.NewPCG(17, 18))
	for _, w := range []int{6, 16} {
		for _, kc := range []int{1, 2, 7, 8, 9, 17, 256} {
			for _, cols := range []int{w, 3*w + 1, 5 * w} {
				ld := cols + 3
				src := randSlice(r, kc*ld)
				size := (cols + w - 1) / w * w * kc
				want := make([]float32, size)
				got := make([]float32, size+1)
				got[size] = 42
				c6, c16 := copy6, copy16
				copy6, copy16 = nil, nil
				copyPanels(want, src, ld, kc, cols, w, 1)
				copy6, copy16 = c6, c16
				copyPanels(got[:size], src, ld, kc, cols, w, 1)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("w %d kc %d cols %d: dst[%d] = %g, want %g", w, kc, cols, i, got[i], want[i])
					}
				}
				if got[size] != 42 {
					t.Fatalf("w %d kc %d cols %d: wrote past the panels", w, kc, cols)
				}
			}
		}
	}
}

func TestNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	eachPath(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		m, n, k := 150, 140, 300
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		bias := randSlice(r, n)
		for _, th := range []int{1, 2} {
			g := Gemm{Threads: th}
			allocs := testing.AllocsPerRun(20, func() {
				g.Sgemm(false, true, m, n, k, 1, a, k, b, k, 0.5, c, n)
				g.SgemmBias(true, false, m, n, k, a, m, b, n, bias, true, c, n)
			})
			if allocs != 0 {
				t.Errorf("%d threads: %v allocations per call, want 0", th, allocs)
			}
		}
	})
}

func TestArgumentChecks(t *testing.T) {
	a := make([]float32, 6)
	for name, f := range map[string]func(){
		"negative":   func() { Gemm{}.Sgemm(false, false, -1, 2, 3, 1, a, 3, a, 2, 0, a, 2) },
		"short lda":  func() { Gemm{}.Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) },
		"short A":    func() { Gemm{}.Sgemm(false, false, 3, 2, 3, 1, a, 3, a, 2, 0, a, 2) },
		"short bias": func() { Gemm{}.SgemmBias(false, false, 2, 2, 3, a, 3, a, 2, a[:1], false, a, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSelfTestPasses checks the kernels' start-up self-test. A failing
// AVX-512 kernel (which no development machine can run) is reported in the
// log, not as a failure: it is disabled at start-up, Paths leaves it out,
// and products fall back to AVX2, as TestBrokenKernelFallsBack checks.
func TestSelfTestPasses(t *testing.T) {
	for _, k := range append(slices.Clone(amd64Kernels), generic) {
		err := selfTest(k)
		switch {
		case err == nil:
			t.Logf("%s passes its self-test", k.name)
		case k.name == PathAVX512:
			t.Logf("WARNING: the AVX-512 kernel fails its self-test and is disabled: %v", err)
		default:
			t.Errorf("%s: %v", k.name, err)
		}
	}
	t.Logf("in use: %s", KernelInfo())
}

// TestBrokenKernelFallsBack checks that a kernel failing its self-test is
// not chosen, and that the reason is recorded.
func TestBrokenKernelFallsBack(t *testing.T) {
	broken := &kernel{name: "broken", mr: 4, nr: 4, kc: 64, mc: 64, nc: 256,
		fn: func(k int, a, b, c *float32, ldc int, bias *float32, flags int) {
			kernGeneric(k, a, b, c, ldc, bias, flags)
			*c += 1 // one wrong element per tile
		}}
	saved := amd64Kernels
	defer func() { amd64Kernels = saved }()
	amd64Kernels = append([]*kernel{broken}, saved...)
	k, info := choose("")
	if k == broken {
		t.Fatal("broken kernel chosen")
	}
	if !strings.Contains(info, "broken disabled: self-test") {
		t.Errorf("info %q does not record why", info)
	}
	k, info = choose("broken")
	if k != generic || !strings.Contains(info, "failed its self-test") {
		t.Errorf("forcing a broken kernel: got %s, %q", k.name, info)
	}
}

func TestChooseOverride(t *testing.T) {
	if k, info := choose("generic"); k != generic || !strings.Contains(info, "forced") {
		t.Errorf("generic: got %s (%q)", k.name, info)
	}
	if k, info := choose("nonsense"); !strings.Contains(info, "not available") || k == nil {
		t.Errorf("nonsense: got %q", info)
	}
	for _, p := range Paths() {
		if k, _ := choose(p); k.name != p {
			t.Errorf("forcing %s chose %s", p, k.name)
		}
	}
	if !strings.HasPrefix(KernelInfo(), Kernel()) {
		t.Errorf("KernelInfo %q does not start with Kernel %q", KernelInfo(), Kernel())
	}
}

func TestBench(t *testing.T) {
	if g := Bench(64, 64, 64, 2, 10*time.Millisecond); !(g > 0) || math.IsInf(g, 0) {
		t.Errorf("Bench = %v GFLOP/s, want a positive finite rate", g)
	}
}

// TestPeakGFLOPS checks that every assembly path measures a positive,
// finite FMA ceiling and that the pure-Go path reports none.
func TestPeakGFLOPS(t *testing.T) {
	eachPath(t, func(t *testing.T) {
		g := PeakGFLOPS(2, 5*time.Millisecond)
		if Kernel() == PathGeneric {
			if g != 0 {
				t.Errorf("PeakGFLOPS on the pure-Go path = %v, want 0", g)
			}
			return
		}
		if !(g > 0) || math.IsInf(g, 0) {
			t.Errorf("PeakGFLOPS = %v, want a positive finite rate", g)
		}
	})
}

// TestConcurrentProducts runs products on 3 threads from several goroutines
// at once: they must neither deadlock (workers waiting at one product's
// barrier while its caller waits for a free worker) nor mix results.
func TestConcurrentProducts(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	r := rand.New(rand.NewPCG(13, 14))
	const m, n, k = 120, 100, 600
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	Gemm{Threads: 1}.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	done := make(chan error)
	for gr := 0; gr < 6; gr++ {
		go func() {
			c := make([]float32, m*n)
			for rep := 0; rep < 20; rep++ {
				Gemm{Threads: 3}.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				if !slices.Equal(c, want) {
					done <- fmt.Errorf("goroutine %d rep %d: result differs from one thread's", gr, rep)
					return
				}
			}
			done <- nil
		}()
	}
	timeout := time.After(2 * time.Minute)
	for gr := 0; gr < 6; gr++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatal("concurrent products did not finish: deadlock")
		}
	}
}
