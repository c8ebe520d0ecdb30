package gemm

import "golang.org/x/sys/cpu"

func init() {
	// AVX-512: a 14×32 register tile uses 28 of Z0–Z31 as accumulators;
	// the kc×32 panel of B (32 KiB at kc = 256) stays in a 32–48 KiB L1,
	// and 168 rows × kc = 256 of A (168 KiB) stay in a 1–2 MiB L2.
	if cpu.X86.HasAVX512F {
		amd64Kernels = append(amd64Kernels, &kernel{name: PathAVX512, mr: 14, nr: 32, kc: 256, mc: 168, nc: 4096, fn: kernAVX512, sfn: kernAVX512S, peak: peakAVX512, peakLanes: 16})
	}
	// AVX2+FMA: a 6×16 tile uses 12 of Y0–Y15 as accumulators, two for B
	// and one for the broadcast of A.
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		pack6, copy6, copy16 = pack6AVX2, copy6AVX, copy16AVX
		amd64Kernels = append(amd64Kernels, &kernel{name: PathAVX2, mr: 6, nr: 16, kc: 256, mc: 144, nc: 4096, fn: kernAVX2, sfn: kernAVX2S, peak: peakAVX2, peakLanes: 8})
	}
}
