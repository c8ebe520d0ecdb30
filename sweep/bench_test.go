package sweep

import (
	"context"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"

	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/zoo"
)

// BenchmarkSplit compares, for models of increasing cost, the two ways the
// runner can use two cores: two jobs side by side with one engine thread
// each ("jobs2x1") or one job with two threads ("jobs1x2"). It reports
// images per second over all jobs (one epoch of 2,048 random images,
// batch 512), and images per CPU-second of the process (user + system
// time), which stays meaningful on a machine shared with other work, where
// wall-clock rates are not. This is how DefaultBigFLOPs was chosen; "1x1"
// (one job, one thread) is the baseline.
func BenchmarkSplit(b *testing.B) {
	const n = 2048
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]byte, n*784)
	y := make([]uint8, n)
	for i := range x {
		x[i] = byte(r.IntN(256))
	}
	for i := range y {
		y[i] = uint8(r.IntN(10))
	}
	data := nn.Data{X: x, Y: y, N: n}
	empty := nn.Data{}
	for _, spec := range []string{"linear", "F128", "F512-F512", "C8k3-P2-F32", "C32k3-P2-C64k3-P2-D0.25-F128"} {
		s := zoo.MustParse(spec)
		for _, mode := range []struct {
			name          string
			jobs, threads int
		}{{"jobs2x1", 2, 1}, {"jobs1x2", 1, 2}, {"jobs1x1", 1, 1}} {
			b.Run(spec+"/"+mode.name, func(b *testing.B) {
				models := make([]*nn.Model, mode.jobs)
				for i := range models {
					m, err := nn.New(Layers(s), nn.Config{Seed: 1, Threads: mode.threads})
					if err != nil {
						b.Fatal(err)
					}
					models[i] = m
				}
				cpu0 := cpuSeconds()
				b.ResetTimer()
				for range b.N {
					var wg sync.WaitGroup
					for _, m := range models {
						wg.Add(1)
						go func() {
							defer wg.Done()
							if _, err := m.Train(context.Background(), data, empty, nn.TrainConfig{Epochs: 1, Batch: 512, Seed: 1}); err != nil {
								b.Error(err)
							}
						}()
					}
					wg.Wait()
				}
				b.ReportMetric(float64(n*mode.jobs*b.N)/b.Elapsed().Seconds(), "images/s")
				b.ReportMetric(float64(n*mode.jobs*b.N)/(cpuSeconds()-cpu0), "images/cpu-s")
			})
		}
	}
}

// cpuSeconds returns the user and system CPU time of the process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
