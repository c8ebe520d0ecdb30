//go:build unix

package gemm

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used so far.
// On a loaded machine images per CPU-second, at one thread, compare
// implementations far more steadily than images per wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
