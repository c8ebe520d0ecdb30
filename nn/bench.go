package nn

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Workload returns the hidden layers of the benchmark workloads of issue
// #3, on 28×28×1 inputs and 10 classes: "W1" the perceptron 784→10, "W2"
// the MLP 784→512→256→10 and "W3" the CNN conv3×3·32 → pool → conv3×3·64
// → pool → dropout 0.25 → dense 128 → dense 10. ok is false for other names.
func Workload(name string) (layers []LayerSpec, ok bool) {
	switch name {
	case "W1":
		return []LayerSpec{}, true
	case "W2":
		return []LayerSpec{{Kind: Dense, Units: 512}, {Kind: Dense, Units: 256}}, true
	case "W3":
		return []LayerSpec{
			{Kind: Conv, Filters: 32, Kernel: 3}, {Kind: MaxPool},
			{Kind: Conv, Filters: 64, Kernel: 3}, {Kind: MaxPool},
			{Kind: Dropout, Rate: 0.25}, {Kind: Dense, Units: 128},
		}, true
	}
	return nil, false
}

// BenchTrain trains a model of the given layers on random 28×28 images in
// batches of batch for about d (after one warm-up step) on threads
// goroutines and returns the training throughput in images per second.
// Each step is a full Adam step: gathering the batch, forward, loss,
// backward and update.
func BenchTrain(layers []LayerSpec, threads, batch int, d time.Duration) (imagesPerSec float64, err error) {
	if batch <= 0 {
		return 0, fmt.Errorf("nn: bench: batch %d: must be positive", batch)
	}
	m, err := New(layers, Config{Seed: 1, Threads: threads})
	if err != nil {
		return 0, err
	}
	const batches = 8
	n := batches * batch
	r := rand.New(rand.NewPCG(1, 2))
	data := Data{X: make([]byte, n*m.inSize()), Y: make([]uint8, n), N: n}
	for i := range data.X {
		data.X[i] = byte(r.IntN(256))
	}
	for i := range data.Y {
		data.Y[i] = uint8(r.IntN(m.cfg.Classes))
	}
	perm := r.Perm(n)
	done := m.begin()
	defer done()
	m.alloc(batch)
	tc := TrainConfig{LR: DefaultLR, Seed: 1}
	m.trainStep(data, perm[:batch], tc)
	steps := 0
	start := time.Now()
	var el time.Duration
	for steps == 0 || el < d {
		b := steps % batches
		m.trainStep(data, perm[b*batch:(b+1)*batch], tc)
		steps++
		el = time.Since(start)
	}
	return float64(steps*batch) / el.Seconds(), nil
}
