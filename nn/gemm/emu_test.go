package gemm

// An interpreter for the subset of the Go assembler (Plan 9 syntax, operands
// in Go order: sources first, destination last) that the micro-kernels in
// kern_amd64.s use. It reads the assembly text, so it can run the AVX-512
// kernels on machines without AVX-512: the test below checks them against a
// reference, and emu_amd64_test.go checks the interpreter itself bit for bit
// against the AVX2 kernels (and the AVX-512 ones where the CPU has them)
// executed on the hardware.
//
// Instruction semantics follow the Intel 64 and IA-32 Architectures Software
// Developer's Manual, vol. 2 (instruction reference) and the Go assembler's
// operand order (https://go.dev/doc/asm).

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/big"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// ---- Parsing ----

type emuOpdKind uint8

const (
	opdImm   emuOpdKind = iota + 1 // $imm
	opdGReg                        // AX … R15
	opdVReg                        // Xn, Yn, Zn
	opdMem                         // off(BASE)(INDEX*scale)
	opdArg                         // name+off(FP)
	opdLabel                       // jump target
)

type emuOperand struct {
	kind  emuOpdKind
	imm   int64
	reg   int // general register index, or vector register number
	lanes int // vector width in float32 lanes: 4 (X), 8 (Y), 16 (Z)
	base  int // general register index, for opdMem
	index int // general register index, or -1, for opdMem
	scale uint64
	off   int64
	name  string // argument or label name
}

type emuInsn struct {
	op     string
	bcst   bool // .BCST suffix
	args   []emuOperand
	target int // instruction index of a jump's label
	line   int // line in kern_amd64.s
	text   string
}

// emuProgram is one TEXT block, decoded.
type emuProgram struct {
	name   string
	params []string // argument names, 8 bytes each, in frame order
	insns  []emuInsn
}

var emuGRegs = map[string]int{
	"AX": 0, "CX": 1, "DX": 2, "BX": 3, "SP": 4, "BP": 5, "SI": 6, "DI": 7,
	"R8": 8, "R9": 9, "R10": 10, "R11": 11, "R12": 12, "R13": 13, "R14": 14, "R15": 15,
}

var (
	emuTextRe  = regexp.MustCompile(`^TEXT\s+·(\w+)\(SB\),\s*[\w|]+,\s*\$(\d+)-(\d+)$`)
	emuLabelRe = regexp.MustCompile(`^([A-Za-z_]\w*):\s*(.*)$`)
	emuVRegRe  = regexp.MustCompile(`^([XYZ])(\d+)$`)
	emuArgRe   = regexp.MustCompile(`^(\w+)\+(\d+)\(FP\)$`)
	emuMemRe   = regexp.MustCompile(`^(-?(?:0x[0-9a-fA-F]+|\d+))?\((\w+)\)(?:\((\w+)\*([1248])\))?$`)
	emuIdentRe = regexp.MustCompile(`^[A-Za-z_]\w*$`)
)

// emuParams returns the argument names of the Go declaration of fn in
// kern_amd64.go, checking that every argument is 8 bytes (int or *float32).
func emuParams(fn string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "kern_amd64.go", nil, 0)
	if err != nil {
		return nil, err
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != fn {
			continue
		}
		var names []string
		for _, p := range fd.Type.Params.List {
			switch ty := p.Type.(type) {
			case *ast.Ident:
				if ty.Name != "int" {
					return nil, fmt.Errorf("%s: argument type %s is not 8 bytes", fn, ty.Name)
				}
			case *ast.StarExpr:
			default:
				return nil, fmt.Errorf("%s: unsupported argument type %T", fn, p.Type)
			}
			for _, n := range p.Names {
				names = append(names, n.Name)
			}
		}
		return names, nil
	}
	return nil, fmt.Errorf("kern_amd64.go: no declaration of %s", fn)
}

// emuParse extracts the TEXT block of fn from src (the text of
// kern_amd64.s) and decodes it. Unless avx512 is set, anything that needs
// AVX-512 (Z registers, registers 16–31, embedded broadcast, VPXORD) is an
// error: such a kernel would fault on an AVX2-only CPU.
func emuParse(src, fn string, params []string, avx512 bool) (*emuProgram, error) {
	lines := strings.Split(src, "\n")
	start := -1
	for i, l := range lines {
		m := emuTextRe.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil || m[1] != fn {
			continue
		}
		if m[2] != "0" {
			return nil, fmt.Errorf("line %d: %s has a %s-byte local frame; the interpreter supports none", i+1, fn, m[2])
		}
		if m[3] != strconv.Itoa(8*len(params)) {
			return nil, fmt.Errorf("line %d: %s declares %s argument bytes, the Go signature has %d", i+1, fn, m[3], 8*len(params))
		}
		start = i + 1
		break
	}
	if start < 0 {
		return nil, fmt.Errorf("no TEXT block for %s", fn)
	}
	p := &emuProgram{name: fn, params: params}
	labels := map[string]int{}
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if c := strings.Index(l, "//"); c >= 0 {
			l = l[:c]
		}
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "TEXT") {
			break
		}
		if m := emuLabelRe.FindStringSubmatch(l); m != nil {
			if _, dup := labels[m[1]]; dup {
				return nil, fmt.Errorf("line %d: label %s defined twice in %s", i+1, m[1], fn)
			}
			labels[m[1]] = len(p.insns)
			l = m[2]
		}
		if l == "" {
			continue
		}
		in, err := emuDecode(l, avx512)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: %v", i+1, l, err)
		}
		in.line = i + 1
		p.insns = append(p.insns, in)
	}
	for i := range p.insns {
		in := &p.insns[i]
		for j := range in.args {
			if in.args[j].kind != opdLabel {
				continue
			}
			t, ok := labels[in.args[j].name]
			if !ok {
				return nil, fmt.Errorf("line %d: undefined label %s in %s", in.line, in.args[j].name, fn)
			}
			in.target = t
		}
		for _, a := range in.args {
			if a.kind == opdArg {
				if a.off%8 != 0 || a.off/8 >= int64(len(params)) || params[a.off/8] != a.name {
					return nil, fmt.Errorf("line %d: %s+%d(FP) does not match the Go signature %v", in.line, a.name, a.off, params)
				}
			}
		}
	}
	return p, nil
}

func emuDecode(l string, avx512 bool) (emuInsn, error) {
	in := emuInsn{text: l}
	mn, rest := l, ""
	if i := strings.IndexAny(l, " \t"); i >= 0 {
		mn, rest = l[:i], l[i:]
	}
	in.op = mn
	if base, suf, ok := strings.Cut(mn, "."); ok {
		if suf != "BCST" {
			return in, fmt.Errorf("unsupported suffix .%s", suf)
		}
		in.op, in.bcst = base, true
	}
	rest = strings.TrimSpace(rest)
	isJump := in.op == "JZ" || in.op == "JNZ" || in.op == "JMP"
	if rest != "" {
		for _, s := range strings.Split(rest, ",") {
			o, err := emuOperandOf(strings.TrimSpace(s), isJump)
			if err != nil {
				return in, err
			}
			if o.kind == opdVReg && !avx512 && (o.lanes == 16 || o.reg >= 16) {
				return in, fmt.Errorf("operand %s needs AVX-512", s)
			}
			in.args = append(in.args, o)
		}
	}
	if !avx512 && (in.bcst || in.op == "VPXORD") {
		return in, fmt.Errorf("%s needs AVX-512", mn)
	}
	return in, nil
}

func emuOperandOf(s string, label bool) (emuOperand, error) {
	if strings.HasPrefix(s, "$") {
		v, err := strconv.ParseInt(s[1:], 0, 64)
		if err != nil {
			return emuOperand{}, fmt.Errorf("bad immediate %s", s)
		}
		return emuOperand{kind: opdImm, imm: v}, nil
	}
	if r, ok := emuGRegs[s]; ok {
		return emuOperand{kind: opdGReg, reg: r}, nil
	}
	if m := emuVRegRe.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		if n >= 32 {
			return emuOperand{}, fmt.Errorf("no register %s", s)
		}
		return emuOperand{kind: opdVReg, reg: n, lanes: map[string]int{"X": 4, "Y": 8, "Z": 16}[m[1]]}, nil
	}
	if m := emuArgRe.FindStringSubmatch(s); m != nil {
		off, _ := strconv.ParseInt(m[2], 10, 64)
		return emuOperand{kind: opdArg, name: m[1], off: off}, nil
	}
	if m := emuMemRe.FindStringSubmatch(s); m != nil {
		o := emuOperand{kind: opdMem, index: -1}
		if m[1] != "" {
			v, err := strconv.ParseInt(m[1], 0, 64)
			if err != nil {
				return o, fmt.Errorf("bad offset in %s", s)
			}
			o.off = v
		}
		b, ok := emuGRegs[m[2]]
		if !ok {
			return o, fmt.Errorf("bad base register in %s", s)
		}
		o.base = b
		if m[3] != "" {
			x, ok := emuGRegs[m[3]]
			if !ok {
				return o, fmt.Errorf("bad index register in %s", s)
			}
			sc, _ := strconv.ParseUint(m[4], 10, 64)
			o.index, o.scale = x, sc
		}
		return o, nil
	}
	if label && emuIdentRe.MatchString(s) {
		return emuOperand{kind: opdLabel, name: s}, nil
	}
	return emuOperand{}, fmt.Errorf("unsupported operand %q", s)
}

// ---- Memory ----

// emuRegion is a Go slice handed to the interpreted kernel. Every access
// must lie inside one region; stores only in writable ones.
type emuRegion struct {
	name     string
	data     []float32
	writable bool
	reads    int // elements read
	writes   int // elements written
}

func (r *emuRegion) base() uint64 { return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.data)))) }

type emuMemory []*emuRegion

// at returns the region and element index of an access of n float32s at
// addr, or an error naming where the access fell.
func (m emuMemory) at(addr uint64, n int, write bool) (*emuRegion, int, error) {
	size := uint64(4 * n)
	for _, r := range m {
		b := r.base()
		if addr < b || addr+size > b+uint64(4*len(r.data)) {
			continue
		}
		if (addr-b)%4 != 0 {
			return nil, 0, fmt.Errorf("misaligned %d-byte access at %s+%d", size, r.name, addr-b)
		}
		if write && !r.writable {
			return nil, 0, fmt.Errorf("store of %d bytes into read-only %s at +%d", size, r.name, addr-b)
		}
		return r, int((addr - b) / 4), nil
	}
	where := fmt.Sprintf("%#x", addr)
	best := uint64(math.MaxUint64)
	for _, r := range m {
		d := int64(addr - r.base())
		if ad := uint64(max(d, -d)); ad < best {
			best = ad
			where = fmt.Sprintf("%s%+d bytes (len %d bytes)", r.name, d, 4*len(r.data))
		}
	}
	verb := "load"
	if write {
		verb = "store"
	}
	return nil, 0, fmt.Errorf("%s of %d bytes at %s is outside every slice handed in", verb, size, where)
}

func (m emuMemory) load(addr uint64, dst []uint32) error {
	r, i, err := m.at(addr, len(dst), false)
	if err != nil {
		return err
	}
	for j := range dst {
		dst[j] = math.Float32bits(r.data[i+j])
	}
	r.reads += len(dst)
	return nil
}

func (m emuMemory) store(addr uint64, src []uint32) error {
	r, i, err := m.at(addr, len(src), true)
	if err != nil {
		return err
	}
	for j, v := range src {
		r.data[i+j] = math.Float32frombits(v)
	}
	r.writes += len(src)
	return nil
}

// ---- Arithmetic ----

// emuDefaultNaN is the x86 "QNaN floating-point indefinite" that an invalid
// operation (∞−∞, 0·∞) returns.
const emuDefaultNaN = 0xFFC00000

func emuIsNaN(x uint32) bool { return x&0x7F800000 == 0x7F800000 && x&0x007FFFFF != 0 }

// emuAdd is VADDPS on one lane: dst = src1 + src2, where a NaN operand is
// returned quieted, src1's first (SDM vol. 1, §4.8.3.5, table 4-7).
func emuAdd(src1, src2 uint32) uint32 {
	switch {
	case emuIsNaN(src1):
		return src1 | 0x00400000
	case emuIsNaN(src2):
		return src2 | 0x00400000
	}
	r := math.Float32frombits(src1) + math.Float32frombits(src2)
	if r != r {
		return emuDefaultNaN
	}
	return math.Float32bits(r)
}

// emuMax is VMAXPS on one lane: src1 > src2 ? src1 : src2, so src2 when
// either is NaN or both are zeros of any sign (SDM vol. 2, MAXPS).
func emuMax(src1, src2 uint32) uint32 {
	if !emuIsNaN(src1) && !emuIsNaN(src2) && math.Float32frombits(src1) > math.Float32frombits(src2) {
		return src1
	}
	return src2
}

// fma32 returns a·b + c rounded once to float32 (round to nearest, ties to
// even), as VFMADD231PS computes it.
//
// The product of two float32s has at most 48 significant bits, so it is
// exact in float64, and math.FMA returns the exact sum rounded once to
// float64. Rounding that again to float32 is double rounding, which differs
// from rounding the exact sum only when the float64 value is exactly a
// midpoint between two adjacent float32s: float32 midpoints are float64
// numbers, so rounding to float64 never carries a value across one, but it
// can land on one (a sum just above or below a midpoint becomes the midpoint,
// and ties-to-even may then go the wrong way). For a result in float32's
// normal range a midpoint is a float64 whose low 52−23 = 29 mantissa bits are
// exactly 1<<28. Those cases, and results in float32's subnormal range (where
// midpoints have a different bit pattern), are recomputed exactly with
// math/big: product and sum at a precision that holds them exactly, then
// big.Float.Float32, which rounds to nearest even once (also for subnormals).
func fma32(a, b, c float32) float32 {
	r := math.FMA(float64(a), float64(b), float64(c))
	if r == 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return float32(r)
	}
	if math.Float64bits(r)&(1<<29-1) != 1<<28 && math.Abs(r) >= 0x1p-126 {
		return float32(r)
	}
	// Exponents of a·b lie in [-298, 256] and of c in [-149, 128]: 1024 bits
	// hold product and sum exactly.
	p := new(big.Float).SetPrec(1024).SetFloat64(float64(a))
	p.Mul(p, new(big.Float).SetFloat64(float64(b)))
	p.Add(p, new(big.Float).SetFloat64(float64(c)))
	f, _ := p.Float32()
	return f
}

// emuFMA is VFMADD231PS on one lane: acc + s1·s2. NaN operands do not occur
// in these tests and their propagation rules are not modelled: they are an
// error rather than a guess.
func emuFMA(s1, s2, acc uint32) (uint32, error) {
	if emuIsNaN(s1) || emuIsNaN(s2) || emuIsNaN(acc) {
		return 0, fmt.Errorf("NaN operand of VFMADD231PS (%#x, %#x, %#x) is not modelled", s1, s2, acc)
	}
	r := fma32(math.Float32frombits(s1), math.Float32frombits(s2), math.Float32frombits(acc))
	if r != r {
		return emuDefaultNaN, nil
	}
	return math.Float32bits(r), nil
}

// ---- Execution ----

type emuMachine struct {
	g      [16]uint64
	v      [32][16]uint32
	zf     bool
	zfSet  bool // some instruction has set ZF
	frame  []uint64
	mem    emuMemory
	steps  int
	maxRun int
}

func (m *emuMachine) setZF(x uint64) { m.zf, m.zfSet = x == 0, true }

func (m *emuMachine) addr(o emuOperand) uint64 {
	a := m.g[o.base] + uint64(o.off)
	if o.index >= 0 {
		a += m.g[o.index] * o.scale
	}
	return a
}

// value reads an integer source operand.
func (m *emuMachine) value(o emuOperand) (uint64, error) {
	switch o.kind {
	case opdImm:
		return uint64(o.imm), nil
	case opdGReg:
		return m.g[o.reg], nil
	case opdArg:
		return m.frame[o.off/8], nil
	}
	return 0, fmt.Errorf("unsupported source operand")
}

// write sets dst's lanes to v[:dst.lanes] and zeroes the lanes above: a VEX-
// or EVEX-encoded write of an X or Y register clears the rest of the Z
// register.
func (m *emuMachine) write(dst emuOperand, v []uint32) {
	r := &m.v[dst.reg]
	copy(r[:], v[:dst.lanes])
	clear(r[dst.lanes:])
}

// vsrc reads a vector source operand of the given width: a register, a
// full-width memory operand, or (bcst) a broadcast float32 from memory.
func (m *emuMachine) vsrc(o emuOperand, lanes int, bcst bool, buf *[16]uint32) ([]uint32, error) {
	v := buf[:lanes]
	switch {
	case o.kind == opdVReg && !bcst:
		if o.lanes != lanes {
			return nil, fmt.Errorf("mixed vector widths")
		}
		copy(v, m.v[o.reg][:lanes])
	case o.kind == opdMem && bcst:
		if err := m.mem.load(m.addr(o), v[:1]); err != nil {
			return nil, err
		}
		for i := range v {
			v[i] = v[0]
		}
	case o.kind == opdMem:
		if err := m.mem.load(m.addr(o), v); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unsupported vector source operand")
	}
	return v, nil
}

func emuKinds(in *emuInsn, kinds ...emuOpdKind) bool {
	if len(in.args) != len(kinds) {
		return false
	}
	for i, k := range kinds {
		if in.args[i].kind != k {
			return false
		}
	}
	return true
}

// run interprets p with the given 8-byte arguments until RET.
func (m *emuMachine) run(p *emuProgram, args []uint64) error {
	if len(args) != len(p.params) {
		return fmt.Errorf("%s takes %d arguments, got %d", p.name, len(p.params), len(args))
	}
	m.frame = args
	if m.maxRun == 0 {
		m.maxRun = 50_000_000
	}
	for pc := 0; ; {
		if pc >= len(p.insns) {
			return fmt.Errorf("%s: ran off the end without RET", p.name)
		}
		if m.steps++; m.steps > m.maxRun {
			return fmt.Errorf("%s: more than %d instructions (endless loop?)", p.name, m.maxRun)
		}
		in := &p.insns[pc]
		next, err := m.exec(in, pc+1)
		if err != nil {
			return fmt.Errorf("kern_amd64.s:%d: %s: %v", in.line, in.text, err)
		}
		if next < 0 {
			return nil
		}
		pc = next
	}
}

// exec executes one instruction and returns the index of the next one, or -1
// after RET.
func (m *emuMachine) exec(in *emuInsn, next int) (int, error) {
	bad := func() (int, error) { return 0, fmt.Errorf("unsupported instruction or operand form") }
	if in.bcst && in.op != "VFMADD231PS" {
		return bad()
	}
	a := in.args
	switch in.op {
	case "RET":
		if len(a) != 0 {
			return bad()
		}
		return -1, nil
	case "JZ", "JNZ", "JMP":
		if !emuKinds(in, opdLabel) {
			return bad()
		}
		if in.op == "JMP" {
			return in.target, nil
		}
		if !m.zfSet {
			return 0, fmt.Errorf("conditional jump before any instruction set ZF")
		}
		if m.zf == (in.op == "JZ") {
			return in.target, nil
		}
		return next, nil
	case "MOVQ":
		if len(a) != 2 || a[1].kind != opdGReg || a[0].kind == opdMem || a[0].kind == opdVReg || a[0].kind == opdLabel {
			return bad()
		}
		v, err := m.value(a[0])
		if err != nil {
			return bad()
		}
		m.g[a[1].reg] = v
	case "ADDQ", "ANDQ", "TESTQ":
		if len(a) != 2 || a[1].kind != opdGReg || (a[0].kind != opdImm && a[0].kind != opdGReg) {
			return bad()
		}
		if a[0].kind == opdImm && a[0].imm != int64(int32(a[0].imm)) {
			return 0, fmt.Errorf("immediate does not fit in 32 bits")
		}
		src, _ := m.value(a[0])
		dst := &m.g[a[1].reg]
		switch in.op {
		case "ADDQ":
			*dst += src
			m.setZF(*dst)
		case "ANDQ":
			*dst &= src
			m.setZF(*dst)
		case "TESTQ":
			m.setZF(*dst & src)
		}
	case "SHLQ", "SHRQ":
		if !emuKinds(in, opdImm, opdGReg) {
			return bad()
		}
		n := uint(a[0].imm & 63)
		if n == 0 { // a zero count leaves the flags alone
			break
		}
		dst := &m.g[a[1].reg]
		if in.op == "SHLQ" {
			*dst <<= n
		} else {
			*dst >>= n
		}
		m.setZF(*dst)
	case "DECQ":
		if !emuKinds(in, opdGReg) {
			return bad()
		}
		m.g[a[0].reg]--
		m.setZF(m.g[a[0].reg])
	case "LEAQ": // sets no flags
		if !emuKinds(in, opdMem, opdGReg) {
			return bad()
		}
		m.g[a[1].reg] = m.addr(a[0])
	case "PREFETCHT0": // a hint: it never faults, so its address is not checked
		if !emuKinds(in, opdMem) {
			return bad()
		}
	case "VZEROUPPER": // clears bits 128 and up of registers 0–15 only
		if len(a) != 0 {
			return bad()
		}
		for r := 0; r < 16; r++ {
			clear(m.v[r][4:])
		}
	case "VXORPS", "VPXORD":
		if !emuKinds(in, opdVReg, opdVReg, opdVReg) || a[0].lanes != a[2].lanes || a[1].lanes != a[2].lanes {
			return bad()
		}
		var r [16]uint32
		for i := range a[2].lanes {
			r[i] = m.v[a[0].reg][i] ^ m.v[a[1].reg][i]
		}
		m.write(a[2], r[:])
	case "VMOVUPS":
		if len(a) != 2 {
			return bad()
		}
		switch {
		case a[1].kind == opdVReg && (a[0].kind == opdMem || a[0].kind == opdVReg):
			var buf [16]uint32
			v, err := m.vsrc(a[0], a[1].lanes, false, &buf)
			if err != nil {
				return 0, err
			}
			m.write(a[1], v)
		case a[0].kind == opdVReg && a[1].kind == opdMem:
			if err := m.mem.store(m.addr(a[1]), m.v[a[0].reg][:a[0].lanes]); err != nil {
				return 0, err
			}
		default:
			return bad()
		}
	case "VBROADCASTSS":
		if len(a) != 2 || a[1].kind != opdVReg {
			return bad()
		}
		var x uint32
		switch {
		case a[0].kind == opdMem:
			var buf [1]uint32
			if err := m.mem.load(m.addr(a[0]), buf[:]); err != nil {
				return 0, err
			}
			x = buf[0]
		case a[0].kind == opdVReg && a[0].lanes == 4:
			x = m.v[a[0].reg][0]
		default:
			return bad()
		}
		var r [16]uint32
		for i := range r {
			r[i] = x
		}
		m.write(a[1], r[:])
	case "VFMADD231PS", "VADDPS", "VMAXPS":
		// Go order: src2, src1, dst. VFMADD231PS: dst = src1·src2 + dst.
		if len(a) != 3 || a[1].kind != opdVReg || a[2].kind != opdVReg || a[1].lanes != a[2].lanes {
			return bad()
		}
		if in.op == "VFMADD231PS" && (a[0].kind == opdMem) != in.bcst {
			return bad() // register form, or embedded broadcast from memory
		}
		n := a[2].lanes
		var buf [16]uint32
		s2, err := m.vsrc(a[0], n, in.bcst, &buf)
		if err != nil {
			return 0, err
		}
		s1 := m.v[a[1].reg]
		d := m.v[a[2].reg]
		var r [16]uint32
		for i := range n {
			switch in.op {
			case "VFMADD231PS":
				if r[i], err = emuFMA(s1[i], s2[i], d[i]); err != nil {
					return 0, err
				}
			case "VADDPS":
				r[i] = emuAdd(s1[i], s2[i])
			case "VMAXPS":
				r[i] = emuMax(s1[i], s2[i])
			}
		}
		m.write(a[2], r[:])
	default:
		return bad()
	}
	return next, nil
}

// ---- Kernel harness ----

// emuSource is the text of kern_amd64.s.
func emuSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("kern_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func emuProg(t *testing.T, src, fn string, avx512 bool) *emuProgram {
	t.Helper()
	params, err := emuParams(fn)
	if err != nil {
		t.Fatal(err)
	}
	p, err := emuParse(src, fn, params, avx512)
	if err != nil {
		t.Fatalf("kern_amd64.s: %v", err)
	}
	return p
}

// emuCase is one call of a micro-kernel: a tile of mr×nr, k steps.
type emuCase struct {
	k, flags int
	layout   int // 0: packed A; 1: in place, rsa = lda, csa = 1; 2: in place, rsa = 1, csa = lda
	ldcPad   int // ldc = nr + ldcPad
}

func (c emuCase) String() string {
	return fmt.Sprintf("k=%d flags=%d layout=%s ldc=nr+%d", c.k, c.flags, [...]string{"packed", "rsa=lda,csa=1", "rsa=1,csa=lda"}[c.layout], c.ldcPad)
}

// emuCases is the table the tests run: depths around the unrolling of 4 and
// the tail loop, one full kc-sized depth minus one, every flags value, packed
// and both in-place layouts of A, and C with and without padding.
func emuCases() []emuCase {
	var cs []emuCase
	for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 255} {
		for flags := range 8 {
			for layout := range 3 {
				for _, pad := range []int{0, 3} {
					cs = append(cs, emuCase{k, flags, layout, pad})
				}
			}
		}
	}
	return cs
}

// emuGuard marks elements no kernel may read or write.
var emuGuard = math.Float32frombits(0x7FC0DEAD)

// emuData is the input of one case: op(A) as an mr×k block at a with strides
// rsa, csa (for layout 0 the packed panel: rsa = 1, csa = mr), the packed
// panel b of k steps of nr, bias, and C: the mr×nr tile at c[c0:] with row
// stride ldc, surrounded by one guard row above and below, and (if ldc > nr)
// a guard column left of the tile and guard columns right of it.
type emuData struct {
	mr, nr, k     int
	a             []float32
	rsa, csa      int
	b, bias, c    []float32
	ldc, c0       int
	flags, layout int
}

func newEmuData(mr, nr int, tc emuCase, seed int) *emuData {
	d := &emuData{mr: mr, nr: nr, k: tc.k, flags: tc.flags, layout: tc.layout}
	k := tc.k
	vals := testData(mr*k+nr*k+nr+mr*nr, seed)
	next := func() float32 { v := vals[0]; vals = vals[1:]; return v }
	switch tc.layout {
	case 0:
		d.rsa, d.csa = 1, mr
	case 1:
		d.rsa, d.csa = k+3, 1
	case 2:
		d.rsa, d.csa = 1, mr+2
	}
	// Exactly the extent the block spans, gaps filled with guards.
	n := max(1, (mr-1)*d.rsa+(k-1)*d.csa+1)
	d.a = make([]float32, n)
	for i := range d.a {
		d.a[i] = emuGuard
	}
	for i := range mr {
		for q := range k {
			d.a[i*d.rsa+q*d.csa] = next()
		}
	}
	d.b = make([]float32, max(1, k*nr))
	for i := range k * nr {
		d.b[i] = next()
	}
	d.bias = make([]float32, nr)
	for j := range d.bias {
		d.bias[j] = next()
	}
	d.ldc = nr + tc.ldcPad
	lead := min(1, tc.ldcPad) // guard column left of the tile
	d.c0 = d.ldc + lead
	d.c = make([]float32, (mr+2)*d.ldc+lead)
	for i := range d.c {
		d.c[i] = emuGuard
	}
	for i := range mr {
		for j := range nr {
			d.c[d.c0+i*d.ldc+j] = next()
		}
	}
	return d
}

func (d *emuData) clone() *emuData {
	e := *d
	e.c = append([]float32(nil), d.c...)
	return &e
}

func (d *emuData) at(i, q int) float32 { return d.a[i*d.rsa+q*d.csa] }

// addrs returns the kernel's pointer arguments; bias is nil without flagBias,
// as the driver passes it.
func (d *emuData) addrs() (a, b, c, bias *float32) {
	a, b, c = &d.a[0], &d.b[0], &d.c[d.c0]
	if d.flags&flagBias != 0 {
		bias = &d.bias[0]
	}
	return
}

func emuPtr(p *float32) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

// emulate runs the kernel fn (strided: the in-place variant) in the
// interpreter on d, and checks the count of elements it read and wrote.
func (d *emuData) emulate(p *emuProgram, strided bool) error {
	regs := emuMemory{
		{name: "A", data: d.a},
		{name: "B", data: d.b},
		{name: "bias", data: d.bias},
		{name: "C", data: d.c, writable: true},
	}
	a, b, c, bias := d.addrs()
	args := []uint64{uint64(d.k), emuPtr(a), emuPtr(b), emuPtr(c), uint64(d.ldc), emuPtr(bias), uint64(d.flags)}
	if strided {
		args = []uint64{uint64(d.k), emuPtr(a), uint64(d.rsa), uint64(d.csa), emuPtr(b), emuPtr(c), uint64(d.ldc), emuPtr(bias), uint64(d.flags)}
	}
	m := &emuMachine{mem: regs}
	err := m.run(p, args)
	runtime.KeepAlive(d)
	if err != nil {
		return err
	}
	// B is read once, and C and bias once and only if flags ask for them.
	nr := d.nr
	wantC, wantBias := 0, 0
	if d.flags&flagAccumulate != 0 {
		wantC = d.mr * nr
	}
	if d.flags&flagBias != 0 {
		wantBias = nr
	}
	switch {
	case regs[3].writes != d.mr*nr:
		return fmt.Errorf("wrote %d elements of C, want %d", regs[3].writes, d.mr*nr)
	case regs[3].reads != wantC:
		return fmt.Errorf("read %d elements of C, want %d", regs[3].reads, wantC)
	case regs[2].reads != wantBias:
		return fmt.Errorf("read %d elements of bias, want %d", regs[2].reads, wantBias)
	case regs[1].reads != d.k*nr:
		return fmt.Errorf("read %d elements of B, want %d", regs[1].reads, d.k*nr)
	}
	return nil
}

// fmaRef computes what the kernels are specified to compute, in their order:
// per element one fused multiply-add per step in k order from +0, then
// + C (flagAccumulate), + bias (flagBias), then ReLU (flagReLU). It returns
// the new C including its guards.
func (d *emuData) fmaRef() []float32 {
	c := append([]float32(nil), d.c...)
	for i := range d.mr {
		for j := range d.nr {
			var acc float32
			for q := range d.k {
				acc = fma32(d.at(i, q), d.b[q*d.nr+j], acc)
			}
			p := d.c0 + i*d.ldc + j
			if d.flags&flagAccumulate != 0 {
				acc += c[p]
			}
			if d.flags&flagBias != 0 {
				acc += d.bias[j]
			}
			if d.flags&flagReLU != 0 && !(acc > 0) {
				acc = 0
			}
			c[p] = acc
		}
	}
	return c
}

// diffC compares got with want bit for bit over the whole of C, guards
// included, and describes the first few differences.
func (d *emuData) diffC(got, want []float32) error {
	var msg []string
	bad := 0
	for p := range want {
		if math.Float32bits(got[p]) == math.Float32bits(want[p]) {
			continue
		}
		bad++
		if len(msg) < 4 {
			rel := p - d.c0
			r := rel / d.ldc
			if rel < 0 {
				r = -1 // the guard row above (and the column left of row 0)
			}
			col := rel - r*d.ldc
			where := fmt.Sprintf("row %d col %d", r, col)
			if r < 0 || r >= d.mr || col < 0 || col >= d.nr {
				where += " (outside the tile)"
			}
			msg = append(msg, fmt.Sprintf("%s: got %g (%#08x), want %g (%#08x)", where, got[p], math.Float32bits(got[p]), want[p], math.Float32bits(want[p])))
		}
	}
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("%d elements of C differ: %s", bad, strings.Join(msg, "; "))
}

// ---- Tests ----

func TestFMA32(t *testing.T) {
	e := float32(1 + 0x1p-12)
	for _, tc := range []struct {
		a, b, c, want float32
	}{
		// (1+2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ is a float32 midpoint and exact in
		// float64: ties to even.
		{e, e, 0, 1 + 0x1p-11},
		// Just above the midpoint, but float64 rounds the sum onto it:
		// naive double rounding gives 1 + 2⁻¹¹; the correct result rounds up.
		{e, e, 0x1p-100, 1 + 0x1p-11 + 0x1p-23},
		{e, e, -0x1p-100, 1 + 0x1p-11},
		{-e, e, 0x1p-100, -(1 + 0x1p-11)},
		{-e, e, -0x1p-100, -(1 + 0x1p-11 + 0x1p-23)},
		// Subnormal result: 2⁻¹⁴⁹·(1+2⁻¹²)·(1/2) is just above half the
		// smallest subnormal, so it rounds up to it.
		{0x1p-75 * e, 0x1p-75, 0, 0x1p-149},
		{0x1p-75, 0x1p-75, 0, 0}, // exactly half: ties to even (0)
		{3, 5, -15, 0},
		{1, 2, 3, 5},
	} {
		if got := fma32(tc.a, tc.b, tc.c); math.Float32bits(got) != math.Float32bits(tc.want) {
			t.Errorf("fma32(%g, %g, %g) = %g, want %g", tc.a, tc.b, tc.c, got, tc.want)
		}
	}
	// The naive conversion really does get the second case wrong, so the
	// math/big path above is exercised and needed.
	if float32(math.FMA(float64(e), float64(e), 0x1p-100)) != 1+0x1p-11 {
		t.Errorf("double rounding example does not double-round")
	}
}

// TestEmulatorRejectsUnknown checks that the interpreter fails loudly on
// what it does not model instead of skipping it.
func TestEmulatorRejectsUnknown(t *testing.T) {
	params := []string{"k", "a", "b", "c", "ldc", "bias", "flags"}
	text := func(body string) string {
		return "TEXT ·f(SB), NOSPLIT, $0-56\n" + body + "\n\tRET\n"
	}
	for _, body := range []string{
		"\tVFMADD213PS Y1, Y2, Y3",
		"\tMOVQ (AX), BX",
		"\tVMOVAPS Y0, Y1",
		"\tJZ nowhere",
		"\tVADDPS.BCST (AX), Z1, Z1",
		"\tMOVQ k+8(FP), AX", // wrong name for offset 8
	} {
		if p, err := emuParse(text(body), "f", params, true); err == nil {
			err = (&emuMachine{}).run(p, make([]uint64, len(params)))
			if err == nil || !strings.Contains(err.Error(), "unsupported") {
				t.Errorf("%q: got error %v, want a parse error or an unsupported-instruction error", body, err)
			}
		}
	}
	if _, err := emuParse(text("\tVPXORD Z0, Z0, Z0"), "f", params, false); err == nil {
		t.Errorf("AVX-512 instruction accepted in an AVX2 kernel")
	}
	// Conditional jump on a ZF nothing has set.
	p, err := emuParse(text("\tJZ done\ndone:"), "f", params, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&emuMachine{}).run(p, make([]uint64, len(params))); err == nil {
		t.Errorf("JZ before any flag-setting instruction was accepted")
	}
}

// TestAVX512KernelsEmulated runs kernAVX512 and kernAVX512S in the
// interpreter and requires C to equal, bit for bit, the specified
// computation (fmaRef), C's guards to be untouched, bias and C to be read
// only when flags ask for them, and the result to agree within rounding with
// a float64 reference and with the pure-Go kernel.
func TestAVX512KernelsEmulated(t *testing.T) {
	src := emuSource(t)
	packed := emuProg(t, src, "kernAVX512", true)
	strided := emuProg(t, src, "kernAVX512S", true)
	const mr, nr = 14, 32
	for ci, tc := range emuCases() {
		d := newEmuData(mr, nr, tc, ci)
		want := d.fmaRef()
		got := d.clone()
		var err error
		if tc.layout == 0 {
			err = got.emulate(packed, false)
		} else {
			err = got.emulate(strided, true)
		}
		if err == nil {
			err = d.diffC(got.c, want)
		}
		if err == nil {
			err = d.checkRounding(got.c)
		}
		if err != nil {
			fn := "kernAVX512"
			if tc.layout != 0 {
				fn = "kernAVX512S"
			}
			t.Fatalf("%s %v: %v", fn, tc, err)
		}
	}

	t.Run("mutation", func(t *testing.T) {
		// A kernel that broadcasts the wrong row of A in the tail loop
		// (row 13's last product uses row 12) must fail the comparison.
		blk := src[strings.Index(src, "TEXT ·kernAVX512(SB)"):]
		tail := strings.Index(blk, "tailloop:")
		old := "VFMADD231PS.BCST 52(CX), Z29, Z27"
		i := strings.Index(blk[tail:], old)
		if tail < 0 || i < 0 {
			t.Fatalf("cannot find %q in kernAVX512's tail loop", old)
		}
		at := len(src) - len(blk) + tail + i
		mutated := src[:at] + "VFMADD231PS.BCST 48(CX), Z29, Z27" + src[at+len(old):]
		mp := emuProg(t, mutated, "kernAVX512", true)
		d := newEmuData(mr, nr, emuCase{k: 5, flags: 0}, 1)
		got := d.clone()
		if err := got.emulate(mp, false); err != nil {
			t.Fatal(err)
		}
		err := d.diffC(got.c, d.fmaRef())
		if err == nil {
			t.Fatalf("mutated kernel passed")
		}
		if !strings.Contains(err.Error(), "row 13 col 16") {
			t.Errorf("mutation caught, but not where expected: %v", err)
		}

		// A wrong row stride of C (8 bytes an element) must be caught by
		// the bounds check or the guards.
		blk2 := strings.Replace(blk, "MOVQ ldc+32(FP), DX\n\tSHLQ $0x02, DX", "MOVQ ldc+32(FP), DX\n\tSHLQ $0x03, DX", 1)
		if blk2 == blk {
			t.Fatalf("cannot find the epilogue's ldc scaling in kernAVX512")
		}
		mp = emuProg(t, src[:len(src)-len(blk)]+blk2, "kernAVX512", true)
		d = newEmuData(mr, nr, emuCase{k: 3, flags: flagAccumulate, ldcPad: 3}, 2)
		got = d.clone()
		err = got.emulate(mp, false)
		if err == nil {
			err = d.diffC(got.c, d.fmaRef())
		}
		if err == nil {
			t.Fatalf("kernel with a doubled row stride of C passed")
		}
	})
}

// checkRounding compares the tile with a float64 reference and with the
// pure-Go 4×4 kernel, which multiply and add in a different way, within the
// error bound of recursive summation (Higham, "Accuracy and Stability of
// Numerical Algorithms", 2nd ed., §3.1): |ŝ − s| ≤ γₙ·Σ|xᵢ| with
// γₙ = n·u/(1 − n·u), u = 2⁻²⁴, for n = k products plus C and bias. The bound
// is on each result's own error, so two results differ by at most twice it.
func (d *emuData) checkRounding(got []float32) error {
	gen := d.generic()
	for i := range d.mr {
		for j := range d.nr {
			var s, mag float64
			for q := range d.k {
				x := float64(d.at(i, q)) * float64(d.b[q*d.nr+j])
				s += x
				mag += math.Abs(x)
			}
			p := d.c0 + i*d.ldc + j
			if d.flags&flagAccumulate != 0 {
				s += float64(d.c[p])
				mag += math.Abs(float64(d.c[p]))
			}
			if d.flags&flagBias != 0 {
				s += float64(d.bias[j])
				mag += math.Abs(float64(d.bias[j]))
			}
			if d.flags&flagReLU != 0 && s < 0 {
				s = 0
			}
			n := float64(d.k + 2)
			tol := 2 * n * 0x1p-24 / (1 - n*0x1p-24) * mag
			g := float64(got[p])
			if !(math.Abs(g-s) <= tol) {
				return fmt.Errorf("row %d col %d: %g, float64 reference %g (tolerance %g)", i, j, g, s, tol)
			}
			if h := float64(gen[p]); !(math.Abs(g-h) <= tol) {
				return fmt.Errorf("row %d col %d: %g, generic kernel %g (tolerance %g)", i, j, g, h, tol)
			}
		}
	}
	return nil
}

// generic computes C with kernGeneric: rows in panels of 4 (the last padded
// with zeros), columns in panels of 4.
func (d *emuData) generic() []float32 {
	c := append([]float32(nil), d.c...)
	rows := (d.mr + 3) / 4 * 4
	tile := make([]float32, rows*d.nr)
	for i := range d.mr {
		copy(tile[i*d.nr:(i+1)*d.nr], c[d.c0+i*d.ldc:])
	}
	ap := make([]float32, max(1, 4*d.k))
	bp := make([]float32, max(1, 4*d.k))
	for i0 := 0; i0 < rows; i0 += 4 {
		for j0 := 0; j0 < d.nr; j0 += 4 {
			for q := range d.k {
				for x := range 4 {
					ap[4*q+x] = 0
					if i0+x < d.mr {
						ap[4*q+x] = d.at(i0+x, q)
					}
					bp[4*q+x] = d.b[q*d.nr+j0+x]
				}
			}
			kernGeneric(d.k, &ap[0], &bp[0], &tile[i0*d.nr+j0], d.nr, &d.bias[j0], d.flags)
		}
	}
	for i := range d.mr {
		copy(c[d.c0+i*d.ldc:d.c0+i*d.ldc+d.nr], tile[i*d.nr:])
	}
	return c
}
