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
	// and one for the broadcast of A. Passes up to 512 deep: with K = 784
	// two passes of 392 instead of four of 196 halve the kernel calls and
	// the trips of C through the caches: 1–3% faster at 512×784×512 and
	// 1024³ on the 2-core EPYC (BenchmarkBlocking); the 25 KiB panel of B
	// still fits L1.
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		pack6, copy6, copy16 = pack6AVX2, copy6AVX, copy16AVX
		amd64Kernels = append(amd64Kernels, &kernel{name: PathAVX2, mr: 6, nr: 16, kc: 512, mc: 144, nc: 4096, fn: kernAVX2, sfn: kernAVX2S, peak: peakAVX2, peakLanes: 8})
	}
}
