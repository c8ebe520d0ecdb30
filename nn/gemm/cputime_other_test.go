//go:build !unix

package gemm

import "time"

// cpuTime is unknown here: the benchmarks then report no images/cpu-s.
func cpuTime() time.Duration { return 0 }
