package gemm

import (
	"math"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestEmulatorMatchesHardware runs the kernels both on this CPU and in the
// interpreter of emu_test.go and requires the same C bit for bit, guards
// included: this is what makes the interpreter's verdict on the AVX-512
// kernels (TestAVX512KernelsEmulated) worth something on machines without
// AVX-512. Where the CPU has AVX-512F the AVX-512 kernels are compared too.
func TestEmulatorMatchesHardware(t *testing.T) {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		t.Skip("no AVX2+FMA on this CPU")
	}
	src := emuSource(t)
	type kern struct {
		name, sname string
		mr, nr      int
		avx512      bool
		fn          kernelFunc
		sfn         stridedFunc
	}
	kerns := []kern{{"kernAVX2", "kernAVX2S", 6, 16, false, kernAVX2, kernAVX2S}}
	if cpu.X86.HasAVX512F {
		kerns = append(kerns, kern{"kernAVX512", "kernAVX512S", 14, 32, true, kernAVX512, kernAVX512S})
	} else {
		t.Log("no AVX-512F: kernAVX512 and kernAVX512S are compared only in TestAVX512KernelsEmulated")
	}
	for _, kn := range kerns {
		packed := emuProg(t, src, kn.name, kn.avx512)
		strided := emuProg(t, src, kn.sname, kn.avx512)
		run := func(tc emuCase, d *emuData) {
			t.Helper()
			name, p := kn.name, packed
			if tc.layout != 0 {
				name, p = kn.sname, strided
			}
			hw := d.clone()
			a, b, c, bias := hw.addrs()
			if tc.layout == 0 {
				kn.fn(hw.k, a, b, c, hw.ldc, bias, hw.flags)
			} else {
				kn.sfn(hw.k, a, hw.rsa, hw.csa, b, c, hw.ldc, bias, hw.flags)
			}
			runtime.KeepAlive(hw)
			em := d.clone()
			err := em.emulate(p, tc.layout != 0)
			if err == nil {
				err = d.diffC(em.c, hw.c)
			}
			if err != nil {
				t.Fatalf("%s %v: interpreter differs from the CPU: %v", name, tc, err)
			}
		}
		for ci, tc := range emuCases() {
			run(tc, newEmuData(kn.mr, kn.nr, tc, ci))
		}
		// A sum just off a float32 midpoint that float64 rounds onto it:
		// step 0 leaves ±2⁻¹⁰⁰ in the accumulator, step 1 adds
		// (1+2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴. A single rounding gives 1 + 2⁻¹¹ + 2⁻²³
		// for +2⁻¹⁰⁰ and 1 + 2⁻¹¹ for −2⁻¹⁰⁰; this checks the CPU and fma32's
		// exact path on the case where naive double rounding goes wrong.
		tc := emuCase{k: 2}
		d := newEmuData(kn.mr, kn.nr, tc, 999)
		e := float32(1 + 0x1p-12)
		for i := range kn.mr {
			d.a[i], d.a[kn.mr+i] = 0x1p-50, e
		}
		for j := range kn.nr {
			d.b[j], d.b[kn.nr+j] = 0x1p-50, e
			if j%2 == 1 {
				d.b[j] = -0x1p-50
			}
		}
		run(tc, d)
		hw := d.clone()
		a, b, c, _ := hw.addrs()
		kn.fn(2, a, b, c, hw.ldc, nil, 0)
		runtime.KeepAlive(hw)
		if got := hw.c[hw.c0 : hw.c0+2]; got[0] != 1+0x1p-11+0x1p-23 || got[1] != 1+0x1p-11 {
			t.Fatalf("%s: CPU gives %v for the double-rounding case, want [1+2⁻¹¹+2⁻²³ 1+2⁻¹¹]", kn.name, got)
		}

		// Special values in C and bias exercise the NaN and infinity rules
		// of VADDPS and VMAXPS: NaN operands (quiet and signalling) are
		// returned quieted, ∞ − ∞ gives the default NaN, ReLU maps NaN and
		// −0 to +0.
		for flags := range 8 {
			for _, k := range []int{0, 5} {
				tc := emuCase{k: k, flags: flags, layout: flags % 3, ldcPad: 3}
				d := newEmuData(kn.mr, kn.nr, tc, 1000+flags)
				tile := d.c[d.c0:]
				for j, v := range []uint32{0x7FC01234, 0x7F800000, 0xFF800000, 0x80000000, 0x7F800001, 0xFFC0BEEF} {
					tile[j] = math.Float32frombits(v)
					tile[d.ldc+j] = math.Float32frombits(v)
				}
				for j, v := range []uint32{0xFF800000, 0xFF800000, 0x7F800000, 0x80000000, 0x3F800000, 0x7FC0BEEF} {
					d.bias[j] = math.Float32frombits(v)
				}
				run(tc, d)
			}
		}
	}
}
