package nn

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// benchThreads is the number of goroutines the training benchmarks use:
// FLUENS_BENCH_THREADS, or 2 (the PyTorch reference runs on 2 threads).
func benchThreads() int {
	if n, err := strconv.Atoi(os.Getenv("FLUENS_BENCH_THREADS")); err == nil && n > 0 {
		return n
	}
	return 2
}

func benchmarkTrain(b *testing.B, workload string) {
	layers, _ := Workload(workload)
	m, err := New(layers, Config{Seed: 1, Threads: benchThreads()})
	if err != nil {
		b.Fatal(err)
	}
	const batch, batches = DefaultBatch, 4
	d := randomData(1, batch*batches, 784, 10)
	perm := rand.New(rand.NewPCG(1, 1)).Perm(d.N)
	done := m.begin()
	defer done()
	m.alloc(batch)
	tc := TrainConfig{LR: DefaultLR, Seed: 1}
	m.trainStep(d, perm[:batch], tc)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		k := i % batches
		m.trainStep(d, perm[k*batch:(k+1)*batch], tc)
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "images/cpu-s")
	}
}

// BenchmarkTrainW1 trains the perceptron 784→10 (batch 512).
func BenchmarkTrainW1(b *testing.B) { benchmarkTrain(b, "W1") }

// BenchmarkTrainW2 trains the MLP 784→512→256→10 (batch 512).
func BenchmarkTrainW2(b *testing.B) { benchmarkTrain(b, "W2") }

// BenchmarkTrainW3 trains the CNN of issue #3 (batch 512).
func BenchmarkTrainW3(b *testing.B) { benchmarkTrain(b, "W3") }
