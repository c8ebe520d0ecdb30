// Command asmgen generates the amd64 micro-kernels of package gemm with avo
// (github.com/mmcloughlin/avo).
//
// One parameterised generator writes both kernels, so that the AVX-512 kernel
// (which cannot run on every development machine) shares every line of logic
// with the AVX2 kernel that the tests exercise; only the vector width, the
// number of rows of the register tile and the way the element of A is
// broadcast differ.
//
// Run through go generate in package gemm:
//
//	go run ./internal/asmgen -out kern_amd64.s -stubs kern_amd64.go
//
// The micro-kernel follows the BLIS design (Van Zee & van de Geijn, "BLIS: A
// Framework for Rapidly Instantiating BLAS Functionality", ACM TOMS 41(3),
// 2015; Goto & van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication", ACM TOMS 34(3), 2008): an MR×NR block of C is held in
// vector registers while rank-1 updates stream a packed MR-row panel of A and
// a packed NR-column panel of B.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Flag bits of the kernels' flags argument; package gemm mirrors them.
const (
	flagAccumulate = 1 // add the product to C instead of overwriting C
	flagBias       = 2 // then add bias[j] to column j
	flagReLU       = 4 // then replace negative values by zero
)

// unroll is how many rank-1 updates one trip of the main loop does.
const unroll = 4

// spec describes one micro-kernel.
type spec struct {
	name  string
	doc   string
	width int // float32 lanes per vector register (8 for YMM, 16 for ZMM)
	mr    int // rows of the register tile
	nv    int // vectors per row of the tile (NR = nv·width)
	vec   func() reg.VecVirtual
	bcst  bool       // FMA with an embedded broadcast of A's element (EVEX)
	zero  func(r Op) // sets a vector register to zero
	isa   string
}

func main() {
	specs := []spec{
		{
			name: "kernAVX2", width: 8, mr: 6, nv: 2, isa: "AVX2+FMA",
			vec:  func() reg.VecVirtual { return YMM() },
			zero: func(r Op) { VXORPS(r, r, r) },
		},
		{
			name: "kernAVX512", width: 16, mr: 14, nv: 2, bcst: true, isa: "AVX-512F",
			vec:  func() reg.VecVirtual { return ZMM() },
			zero: func(r Op) { VPXORD(r, r, r) },
		},
	}
	for _, s := range specs {
		generate(s)
	}
	for _, s := range specs {
		generateStrided(s)
	}
	for _, s := range specs {
		generatePeak(s)
	}
	generatePack6()
	generateCopyPanel("copy6AVX", 6)
	generateCopyPanel("copy16AVX", 16)
	Generate()
}

func generate(s spec) {
	nr := s.nv * s.width
	vbytes := 4 * s.width
	TEXT(s.name, NOSPLIT, "func(k int, a, b, c *float32, ldc int, bias *float32, flags int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s computes a %d×%d block of C with %s.", s.name, s.mr, nr, s.isa),
		fmt.Sprintf("a is a packed panel of k steps of %d rows, b a packed panel of k steps of %d columns;", s.mr, nr),
		"c points at the block's top-left element, ldc is C's row stride in elements.",
		"flags: 1 accumulate into C, 2 add bias[0:NR] per column, 4 apply ReLU.",
	)

	Comment("Prefetch the block of C, which the epilogue reads or writes.")
	{
		pc := Load(Param("c"), GP64())
		ldc := Load(Param("ldc"), GP64())
		SHLQ(U8(2), ldc)
		for i := 0; i < s.mr; i++ {
			for off := 0; off < 4*nr; off += 64 {
				PREFETCHT0(Mem{Base: pc, Disp: off})
			}
			PREFETCHT0(Mem{Base: pc, Disp: 4*nr - 4})
			if i+1 < s.mr {
				ADDQ(ldc, pc)
			}
		}
	}

	k := Load(Param("k"), GP64())
	pa := Load(Param("a"), GP64())
	pb := Load(Param("b"), GP64())

	acc := make([][]reg.VecVirtual, s.mr)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, s.nv)
		for v := range acc[i] {
			acc[i][v] = s.vec()
			s.zero(acc[i][v])
		}
	}
	bv := make([]reg.VecVirtual, s.nv)
	for v := range bv {
		bv[v] = s.vec()
	}
	var t reg.VecVirtual
	if !s.bcst {
		t = s.vec()
	}

	// step emits one rank-1 update reading step u of the current position.
	step := func(u int) {
		for v := 0; v < s.nv; v++ {
			VMOVUPS(Mem{Base: pb, Disp: 4 * (u*nr + v*s.width)}, bv[v])
		}
		for i := 0; i < s.mr; i++ {
			am := Mem{Base: pa, Disp: 4 * (u*s.mr + i)}
			if s.bcst {
				for v := 0; v < s.nv; v++ {
					VFMADD231PS_BCST(am, bv[v], acc[i][v])
				}
			} else {
				VBROADCASTSS(am, t)
				for v := 0; v < s.nv; v++ {
					VFMADD231PS(t, bv[v], acc[i][v])
				}
			}
		}
	}

	Comment(fmt.Sprintf("Main loop: %d rank-1 updates per trip.", unroll))
	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(bitsOf(unroll)), n)
	JZ(LabelRef("tail"))
	Label("loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll*s.mr), pa)
	ADDQ(U32(4*unroll*nr), pb)
	DECQ(n)
	JNZ(LabelRef("loop"))

	Label("tail")
	ANDQ(U32(unroll-1), k)
	JZ(LabelRef("epilogue"))
	Label("tailloop")
	step(0)
	ADDQ(U32(4*s.mr), pa)
	ADDQ(U32(4*nr), pb)
	DECQ(k)
	JNZ(LabelRef("tailloop"))

	Label("epilogue")
	epilogueCode(s, acc, bv, vbytes)
}

// generateStrided writes the kernel s.name+"S", which reads A in place
// instead of from a packed panel: element (i, q) of the block's op(A) is at
// a + i·rsa + q·csa (strides in elements). With rsa = lda, csa = 1 it reads
// an untransposed A; with rsa = 1, csa = lda a transposed one. B is a packed
// panel as for the packed kernel. Each step performs exactly the same
// floating-point operations in the same order as the packed kernel, so the
// two give bit-identical results; the driver uses this one where packing A
// would cost more than it saves (few panels of B per block of A).
//
// Rows of A are addressed as base + rsa·{0,1,2}: one base register per
// three rows (BLIS's "sup" kernels for skinny products use the same
// addressing), and every base advances by csa per step.
func generateStrided(s spec) {
	nr := s.nv * s.width
	vbytes := 4 * s.width
	name := s.name + "S"
	TEXT(name, NOSPLIT, "func(k int, a *float32, rsa, csa int, b, c *float32, ldc int, bias *float32, flags int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s computes a %d×%d block of C with %s, reading A in place:", name, s.mr, nr, s.isa),
		"element (i, q) of the block of op(A) is at a + i·rsa + q·csa (strides in elements);",
		fmt.Sprintf("b is a packed panel of k steps of %d columns, c, ldc, bias and flags are as for %s.", nr, s.name),
	)

	k := Load(Param("k"), GP64())
	rsa := Load(Param("rsa"), GP64())
	SHLQ(U8(2), rsa)
	csa := Load(Param("csa"), GP64())
	SHLQ(U8(2), csa)
	pb := Load(Param("b"), GP64())
	nbase := (s.mr + 2) / 3
	base := make([]reg.Register, nbase)
	base[0] = Load(Param("a"), GP64())
	rsa3 := GP64()
	LEAQ(Mem{Base: rsa, Index: rsa, Scale: 2}, rsa3)
	for j := 1; j < nbase; j++ {
		base[j] = GP64()
		LEAQ(Mem{Base: base[j-1], Index: rsa3, Scale: 1}, base[j])
	}
	rowMem := func(i int) Mem {
		m := Mem{Base: base[i/3]}
		if r := i % 3; r > 0 {
			m.Index, m.Scale = rsa, uint8(r)
		}
		return m
	}

	acc := make([][]reg.VecVirtual, s.mr)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, s.nv)
		for v := range acc[i] {
			acc[i][v] = s.vec()
			s.zero(acc[i][v])
		}
	}
	bv := make([]reg.VecVirtual, s.nv)
	for v := range bv {
		bv[v] = s.vec()
	}
	var t reg.VecVirtual
	if !s.bcst {
		t = s.vec()
	}

	step := func(u int) {
		for v := 0; v < s.nv; v++ {
			VMOVUPS(Mem{Base: pb, Disp: 4 * (u*nr + v*s.width)}, bv[v])
		}
		for i := 0; i < s.mr; i++ {
			am := rowMem(i)
			if s.bcst {
				for v := 0; v < s.nv; v++ {
					VFMADD231PS_BCST(am, bv[v], acc[i][v])
				}
			} else {
				VBROADCASTSS(am, t)
				for v := 0; v < s.nv; v++ {
					VFMADD231PS(t, bv[v], acc[i][v])
				}
			}
		}
		for j := range base {
			ADDQ(csa, base[j])
		}
	}

	Comment(fmt.Sprintf("Main loop: %d rank-1 updates per trip.", unroll))
	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(bitsOf(unroll)), n)
	JZ(LabelRef("tail"))
	Label("loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll*nr), pb)
	DECQ(n)
	JNZ(LabelRef("loop"))

	Label("tail")
	ANDQ(U32(unroll-1), k)
	JZ(LabelRef("epilogue"))
	Label("tailloop")
	step(0)
	ADDQ(U32(4*nr), pb)
	DECQ(k)
	JNZ(LabelRef("tailloop"))

	Label("epilogue")
	epilogueCode(s, acc, bv, vbytes)
}

// epilogueCode adds C (flagAccumulate), the bias (flagBias), applies ReLU
// (flagReLU) and stores the tile; bv are free vector registers.
func epilogueCode(s spec, acc [][]reg.VecVirtual, bv []reg.VecVirtual, vbytes int) {
	flags := Load(Param("flags"), GP64())
	pc := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	row := GP64()

	Comment("C += acc when accumulating.")
	TESTQ(U32(flagAccumulate), flags)
	JZ(LabelRef("nobeta"))
	MOVQ(pc, row)
	for i := 0; i < s.mr; i++ {
		for v := 0; v < s.nv; v++ {
			VADDPS(Mem{Base: row, Disp: v * vbytes}, acc[i][v], acc[i][v])
		}
		if i+1 < s.mr {
			ADDQ(ldc, row)
		}
	}
	Label("nobeta")

	Comment("Bias per column.")
	TESTQ(U32(flagBias), flags)
	JZ(LabelRef("nobias"))
	pbias := Load(Param("bias"), GP64())
	for v := 0; v < s.nv; v++ {
		VMOVUPS(Mem{Base: pbias, Disp: v * vbytes}, bv[v])
	}
	for i := 0; i < s.mr; i++ {
		for v := 0; v < s.nv; v++ {
			VADDPS(bv[v], acc[i][v], acc[i][v])
		}
	}
	Label("nobias")

	Comment("ReLU.")
	TESTQ(U32(flagReLU), flags)
	JZ(LabelRef("norelu"))
	s.zero(bv[0])
	for i := 0; i < s.mr; i++ {
		for v := 0; v < s.nv; v++ {
			VMAXPS(bv[0], acc[i][v], acc[i][v])
		}
	}
	Label("norelu")

	Comment("Store the tile.")
	MOVQ(pc, row)
	for i := 0; i < s.mr; i++ {
		for v := 0; v < s.nv; v++ {
			VMOVUPS(acc[i][v], Mem{Base: row, Disp: v * vbytes})
		}
		if i+1 < s.mr {
			ADDQ(ldc, row)
		}
	}
	VZEROUPPER()
	RET()
}

// generatePack6 writes pack6AVX2, the packing of six rows of an
// untransposed A into the AVX2 kernel's panel layout (step q holds the six
// values of column q): eight columns at a time, a 6×8 transpose in
// registers. Rows are interleaved in pairs with VUNPCKLPS/VUNPCKHPS, then
// the pairs (64-bit lanes) are gathered with VUNPCKLPD/VUNPCKHPD into the
// 24-byte steps, stored as 16-byte pieces (the 128-bit lanes of a YMM
// register hold the columns q and q+4). Only moves and shuffles: the
// packed values are bit-identical to the source.
func generatePack6() {
	TEXT("pack6AVX2", NOSPLIT, "func(n int, src *float32, lda int, dst *float32)")
	Pragma("noescape")
	Doc(
		"pack6AVX2 packs 8·n columns of six rows of A (row i at src + i·lda, in elements)",
		"into dst as 8·n steps of six values: dst[6q+i] = src[i·lda+q].",
	)
	n := Load(Param("n"), GP64())
	p := Load(Param("src"), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	d := Load(Param("dst"), GP64())
	p3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, p3)
	ADDQ(p, p3)

	r := make([]reg.VecVirtual, 6)
	for i := range r {
		r[i] = YMM()
	}
	lo := make([]reg.VecVirtual, 3)
	hi := make([]reg.VecVirtual, 3)
	for i := range lo {
		lo[i], hi[i] = YMM(), YMM()
	}
	u, v, w, x := YMM(), YMM(), YMM(), YMM()

	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("loop")
	for i := 0; i < 6; i++ {
		m := Mem{Base: p}
		if i >= 3 {
			m = Mem{Base: p3}
		}
		if k := i % 3; k > 0 {
			m.Index, m.Scale = lda, uint8(k)
		}
		VMOVUPS(m, r[i])
	}
	// lo[j] holds the pairs (row 2j, row 2j+1) of columns 0 1 | 4 5,
	// hi[j] those of columns 2 3 | 6 7.
	for j := 0; j < 3; j++ {
		VUNPCKLPS(r[2*j+1], r[2*j], lo[j])
		VUNPCKHPS(r[2*j+1], r[2*j], hi[j])
	}
	// For each pair of columns (q, q+1) in the low lanes (and q+4, q+5 in
	// the high lanes): u = [p01(q) p23(q)], w = [p45(q) p01(q+1)],
	// x = [p23(q+1) p45(q+1)], 48 contiguous bytes of dst.
	for h, t := range [][]reg.VecVirtual{lo, hi} {
		VUNPCKLPD(t[1], t[0], u)
		VUNPCKHPD(t[1], t[0], v)
		VUNPCKLPD(v, t[2], w)
		VUNPCKHPD(t[2], v, x)
		base := 4 * 6 * 2 * h // columns 2h, 2h+1 (low lanes), 2h+4, 2h+5 (high)
		for k, y := range []reg.VecVirtual{u, w, x} {
			VMOVUPS(y.AsX(), Mem{Base: d, Disp: base + 16*k})
			VEXTRACTF128(U8(1), y, Mem{Base: d, Disp: base + 4*6*4 + 16*k})
		}
	}
	ADDQ(U8(32), p)
	ADDQ(U8(32), p3)
	ADDQ(U8(4*6*8), d)
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// generateCopyPanel writes a packing routine for operands whose steps are
// contiguous in the source (a transposed A, an untransposed B): for each
// of the given panels p, w values of each of n source rows (ld elements
// apart, starting at column p·w) are copied into n steps of w values at
// dst + p·pstride. w is 6 (an AVX2 panel of A: a 16-byte and an 8-byte
// move) or 16 (a panel of B: two 32-byte moves). Two steps per trip.
// Only moves: the packed values are bit-identical to the source.
func generateCopyPanel(name string, w int) {
	TEXT(name, NOSPLIT, "func(n, panels int, src *float32, ld int, dst *float32, pstride int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s copies, for each p < panels, %d values of each of n rows of src", name, w),
		fmt.Sprintf("(ld elements apart) into dst: dst[p·pstride+%d·q+i] = src[q·ld+%d·p+i], i < %d.", w, w, w),
	)
	panels := Load(Param("panels"), GP64())
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	dst := Load(Param("dst"), GP64())
	pstride := Load(Param("pstride"), GP64())
	SHLQ(U8(2), pstride)
	p, d, cnt := GP64(), GP64(), GP64()
	var regs []reg.VecVirtual
	for i := 0; i < 4; i++ {
		regs = append(regs, YMM())
	}
	// move copies one step from src to dst + disp, using register pair r.
	move := func(src Mem, disp int, r []reg.VecVirtual) {
		switch w {
		case 6:
			VMOVUPS(src, r[0].AsX())
			src.Disp += 16
			VMOVSD(src, r[1].AsX())
			VMOVUPS(r[0].AsX(), Mem{Base: d, Disp: disp})
			VMOVSD(r[1].AsX(), Mem{Base: d, Disp: disp + 16})
		case 16:
			VMOVUPS(src, r[0])
			src.Disp += 32
			VMOVUPS(src, r[1])
			VMOVUPS(r[0], Mem{Base: d, Disp: disp})
			VMOVUPS(r[1], Mem{Base: d, Disp: disp + 32})
		default:
			panic("asmgen: copy panel width must be 6 or 16")
		}
	}
	TESTQ(panels, panels)
	JZ(LabelRef("done"))
	Label("panel")
	MOVQ(src, p)
	MOVQ(dst, d)
	Load(Param("n"), cnt)
	SHRQ(U8(1), cnt)
	JZ(LabelRef("last"))
	Label("loop")
	move(Mem{Base: p}, 0, regs[0:2])
	move(Mem{Base: p, Index: ld, Scale: 1}, 4*w, regs[2:4])
	LEAQ(Mem{Base: p, Index: ld, Scale: 2}, p)
	ADDQ(U32(2*4*w), d)
	DECQ(cnt)
	JNZ(LabelRef("loop"))
	Label("last")
	Load(Param("n"), cnt)
	ANDQ(U8(1), cnt)
	JZ(LabelRef("next"))
	move(Mem{Base: p}, 0, regs[0:2])
	Label("next")
	ADDQ(U32(4*w), src)
	ADDQ(pstride, dst)
	DECQ(panels)
	JNZ(LabelRef("panel"))
	Label("done")
	VZEROUPPER()
	RET()
}

// peakChains is the number of independent FMA chains of the peak loop:
// enough to cover an FMA latency of 4–5 cycles on two pipes.
const peakChains = 12

// generatePeak writes peak+ISA: n trips of peakChains independent
// fused multiply-adds on registers alone (no memory traffic), the
// machine's float32 FMA ceiling that the micro-kernels are judged against.
func generatePeak(s spec) {
	name := "peak" + s.name[len("kern"):]
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(
		fmt.Sprintf("%s runs n trips of %d independent %d-lane fused multiply-adds with %s", name, peakChains, s.width, s.isa),
		"on registers alone: the float32 FMA ceiling of one core (n must be positive).",
	)
	n := Load(Param("n"), GP64())
	x, y := s.vec(), s.vec()
	s.zero(x)
	s.zero(y)
	acc := make([]reg.VecVirtual, peakChains)
	for i := range acc {
		acc[i] = s.vec()
		s.zero(acc[i])
	}
	Label("loop")
	for i := range acc {
		VFMADD231PS(x, y, acc[i])
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	VZEROUPPER()
	RET()
}

func bitsOf(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	if 1<<b != n {
		panic("asmgen: unroll must be a power of two")
	}
	return b
}
