package gemm

import (
	"fmt"
	"os"
	"sync"
	"unsafe"
)

// Flag bits of a micro-kernel's flags argument (see internal/asmgen).
const (
	flagAccumulate = 1 // add the product to C instead of overwriting C
	flagBias       = 2 // then add bias[j] to column j
	flagReLU       = 4 // then replace negative values by zero
)

// kernelFunc computes one mr×nr block of C from a packed panel of A (k steps
// of mr rows) and a packed panel of B (k steps of nr columns). c points at
// the block's top-left element; ldc is C's row stride in elements; bias
// points at nr column biases (read only with flagBias).
type kernelFunc func(k int, a, b, c *float32, ldc int, bias *float32, flags int)

// stridedFunc is a micro-kernel that reads A in place: element (i, q) of
// the block of op(A) is at a[i·rsa + q·csa]. b, c, ldc, bias and flags are as
// for kernelFunc, and the result is bit-identical to kernelFunc's on the
// packed copy of the same block.
type stridedFunc func(k int, a *float32, rsa, csa int, b, c *float32, ldc int, bias *float32, flags int)

// kernel is a micro-kernel and the blocking it is run with.
//
// Blocking follows Goto & van de Geijn (2008) and BLIS: the packed kc×nr
// panel of B is reused by every mr-row panel of A and should stay in L1
// (kc·nr·4 bytes, 16 KiB for AVX2 at kc = 256); the packed mc×kc block of A
// is reused by every panel of B and should stay in L2 (mc·kc·4 bytes,
// 144 KiB at mc = 144, well inside a 512 KiB L2); the kc×nc block of B lives
// in L3 (nc = 4096: 4 MiB). See doc.go for the table of paths.
type kernel struct {
	name   string
	mr, nr int
	kc     int // greatest depth of one pass (K is split evenly into ⌈K/kc⌉ passes)
	mc     int // most rows of A packed at a time (fewer in deep passes, see blocks)
	nc     int // most columns of B packed at a time (likewise)
	fn     kernelFunc
	sfn    stridedFunc // nil: A is always packed

	// peak runs n trips of peakChains fused multiply-adds of peakLanes
	// lanes on registers alone (nil where there is no assembly path).
	peak      func(n int)
	peakLanes int

	testOnce sync.Once
	testErr  error // result of the self-test
}

// blocks returns the rows of A (mc) and columns of B (nc) to pack at a
// time for passes of depth kcs. Up to depth 256 they are k.mc and k.nc;
// deeper passes pack proportionally fewer rows and columns (never less than
// one tile), so that the packed block of A stays within the L2 budget of
// k.mc rows at depth 256 and the block of B within its L3 budget.
func (k *kernel) blocks(kcs int) (mc, nc int) {
	if kcs <= 256 {
		return k.mc, k.nc
	}
	mc = max(k.mr, k.mc*256/kcs/k.mr*k.mr)
	nc = max(k.nr, k.nc*256/kcs/k.nr*k.nr)
	return mc, nc
}

// checked runs k's self-test once and returns its result.
func (k *kernel) checked() error {
	k.testOnce.Do(func() { k.testErr = selfTest(k) })
	return k.testErr
}

// Paths that the FLUENS_GEMM environment variable may name.
const (
	PathAVX512  = "avx512"
	PathAVX2    = "avx2"
	PathGeneric = "generic"
)

// peakChains is the number of independent FMAs per trip of a kernel's peak
// loop (internal/asmgen writes the loops).
const peakChains = 12

var generic = &kernel{name: PathGeneric, mr: 4, nr: 4, kc: 256, mc: 128, nc: 4096, fn: kernGeneric}

// amd64Kernels is filled in by kernel_amd64.go: the assembly kernels this
// CPU supports, best first.
var amd64Kernels []*kernel

var (
	selectOnce sync.Once
	selected   *kernel
	selectInfo string
)

// active returns the kernel that Sgemm uses, choosing it on first use.
func active() *kernel {
	selectOnce.Do(func() { selected, selectInfo = choose(os.Getenv("FLUENS_GEMM")) })
	return selected
}

// KernelInfo names the micro-kernel in use and why it was chosen, e.g.
// "avx2 6×16 (AVX-512F not available)". It runs the start-up self-test if it
// has not yet run.
func KernelInfo() string {
	active()
	return selectInfo
}

// Kernel returns the name of the path in use: "avx512", "avx2" or "generic".
func Kernel() string { return active().name }

// Paths lists the kernel paths this CPU can run and that pass their
// self-test, best first; "generic" is always last.
func Paths() []string {
	var p []string
	for _, k := range amd64Kernels {
		if k.checked() == nil {
			p = append(p, k.name)
		}
	}
	return append(p, PathGeneric)
}

// choose picks a kernel: the one forced by env if any (and available), else
// the best available one that passes its self-test.
func choose(env string) (*kernel, string) {
	var notes []string
	switch env {
	case "":
	case PathGeneric:
		return generic, describe(generic, "forced by FLUENS_GEMM")
	default:
		for _, k := range amd64Kernels {
			if k.name == env {
				if err := k.checked(); err != nil {
					return generic, describe(generic, fmt.Sprintf("FLUENS_GEMM=%s failed its self-test: %v", env, err))
				}
				return k, describe(k, "forced by FLUENS_GEMM")
			}
		}
		notes = append(notes, fmt.Sprintf("FLUENS_GEMM=%q not available on this CPU", env))
	}
	for _, k := range amd64Kernels {
		if err := k.checked(); err != nil {
			notes = append(notes, fmt.Sprintf("%s disabled: %v", k.name, err))
			continue
		}
		return k, describe(k, notes...)
	}
	if len(amd64Kernels) == 0 {
		notes = append(notes, "no SIMD kernel for this CPU")
	}
	return generic, describe(generic, notes...)
}

func describe(k *kernel, notes ...string) string {
	s := fmt.Sprintf("%s %d×%d", k.name, k.mr, k.nr)
	for i, n := range notes {
		if i == 0 {
			s += " ("
		} else {
			s += "; "
		}
		s += n
		if i == len(notes)-1 {
			s += ")"
		}
	}
	return s
}

// selfTest runs kernel k through the whole driver on fixed problems that
// include edge tiles, several passes over K, transposes, alpha/beta, bias
// and ReLU, and compares with the pure-Go kernel. A kernel that disagrees is
// not used. (It cannot catch a kernel that crashes.)
func selfTest(k *kernel) error {
	type prob struct {
		ta, tb      bool
		m, n, kk    int
		alpha, beta float32
		bias, relu  bool
	}
	probs := []prob{
		{false, false, 2*k.mr + 3, 2*k.nr + 5, 2*k.kc + 7, 1, 0, false, false},
		{true, true, k.mr + 1, k.nr - 1, 9, 0.5, 2, false, false},
		{false, true, 3 * k.mr, 3 * k.nr, 33, 1, 0, true, true},
		{true, false, k.mr - 1, k.nr + 3, 8, 1, 0, true, false}, // k a multiple of the unrolling: no tail loop
		// Few panels of B: A is read in place (stridedFunc), untransposed and transposed.
		{false, false, 2*k.mr + 1, k.nr + 3, k.kc + 37, 1, 1, false, false},
		{true, false, 3*k.mr + 2, 2 * k.nr, 19, 1, 0, true, true},
	}
	for pi, p := range probs {
		ar, ac := p.m, p.kk
		if p.ta {
			ar, ac = ac, ar
		}
		br, bc := p.kk, p.n
		if p.tb {
			br, bc = bc, br
		}
		a := testData(ar*ac, 1+pi)
		b := testData(br*bc, 100+pi)
		bias := testData(p.n, 200+pi)
		want := testData(p.m*p.n, 300+pi)
		got := append([]float32(nil), want...)
		for _, run := range []struct {
			k *kernel
			c []float32
		}{{generic, want}, {k, got}} {
			if p.bias || p.relu {
				bb := bias
				if !p.bias {
					bb = nil
				}
				run.k.do(1, p.ta, p.tb, p.m, p.n, p.kk, 1, a, ac, b, bc, 0, run.c, p.n, bb, p.relu)
			} else {
				run.k.do(1, p.ta, p.tb, p.m, p.n, p.kk, p.alpha, a, ac, b, bc, p.beta, run.c, p.n, nil, false)
			}
		}
		for i := range want {
			d := want[i] - got[i]
			if d < 0 {
				d = -d
			}
			if d > 1e-3 || d != d {
				return fmt.Errorf("self-test %d (%dx%dx%d): C[%d] = %g, want %g", pi, p.m, p.kk, p.n, i, got[i], want[i])
			}
		}
	}
	return nil
}

// testData returns n pseudo-random values in [-1, 1) from a fixed seed
// (a 32-bit xorshift; Marsaglia, "Xorshift RNGs", J. Stat. Softw. 8(14), 2003).
func testData(n, seed int) []float32 {
	x := uint32(2463534242 + seed*7919)
	s := make([]float32, n)
	for i := range s {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		s[i] = float32(x>>8)/(1<<23) - 1
	}
	return s
}

// forceKernel makes Sgemm use the named path until the returned function is
// called. Tests use it to cover every path the CPU supports.
func forceKernel(name string) (restore func(), ok bool) {
	active()
	var k *kernel
	if name == PathGeneric {
		k = generic
	}
	for _, c := range amd64Kernels {
		if c.name == name {
			k = c
		}
	}
	if k == nil {
		return func() {}, false
	}
	old := selected
	selected = k
	return func() { selected = old }, true
}

// kernGeneric is the pure-Go micro-kernel: a 4×4 block of C.
func kernGeneric(k int, a, b, c *float32, ldc int, bias *float32, flags int) {
	const mr, nr = 4, 4
	ap := unsafe.Slice(a, k*mr)
	bp := unsafe.Slice(b, k*nr)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for len(ap) >= mr && len(bp) >= nr {
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		ap, bp = ap[mr:], bp[nr:]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [mr][nr]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	var bs []float32
	if flags&flagBias != 0 {
		bs = unsafe.Slice(bias, nr)
	}
	for i := 0; i < mr; i++ {
		row := cs[i*ldc : i*ldc+nr : i*ldc+nr]
		for j := 0; j < nr; j++ {
			v := acc[i][j]
			if flags&flagAccumulate != 0 {
				v += row[j]
			}
			if bs != nil {
				v += bs[j]
			}
			if flags&flagReLU != 0 && v < 0 {
				v = 0
			}
			row[j] = v
		}
	}
}
