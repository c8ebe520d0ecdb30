package nn_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/fluens-lab/fluens/nn"
)

// stripes makes n 28×28 images of a bright horizontal (class 0) or
// vertical (class 1) bar at a random place.
func stripes(n int, seed uint64) nn.Data {
	r := rand.New(rand.NewPCG(seed, 0))
	d := nn.Data{X: make([]byte, n*784), Y: make([]uint8, n), N: n}
	for i := 0; i < n; i++ {
		img := d.X[i*784 : (i+1)*784]
		class, at := r.IntN(2), 4+r.IntN(20)
		for j := 0; j < 28; j++ {
			if class == 0 {
				img[at*28+j] = 255
			} else {
				img[j*28+at] = 255
			}
		}
		d.Y[i] = uint8(class)
	}
	return d
}

// Example builds a small CNN, trains it and evaluates it.
func Example() {
	layers := []nn.LayerSpec{
		{Kind: nn.Conv, Filters: 4, Kernel: 3},
		{Kind: nn.MaxPool},
		{Kind: nn.Dropout, Rate: 0.25},
		{Kind: nn.Dense, Units: 16},
	}
	m, err := nn.New(layers, nn.Config{Seed: 1, Threads: 2, Classes: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	train, test := stripes(512, 1), stripes(128, 2)
	_, err = m.Train(context.Background(), train, test, nn.TrainConfig{Epochs: 5, Batch: 64, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	acc, _, _ := m.Evaluate(test)
	fmt.Println("parameters:", m.ParamCount())
	fmt.Println("test accuracy above 0.95:", acc > 0.95)
	// Output:
	// parameters: 12634
	// test accuracy above 0.95: true
}

// ExampleNew shows the error for an invalid stack of layers.
func ExampleNew() {
	_, err := nn.New([]nn.LayerSpec{{Kind: nn.Dense, Units: 32}, {Kind: nn.MaxPool}}, nn.Config{})
	fmt.Println(err)
	// Output:
	// nn: layer 1 (maxpool): pooling after a dense layer
}

// ExampleModel_WriteSafetensors saves a perceptron and reads its weight
// matrix back.
func ExampleModel_WriteSafetensors() {
	m, _ := nn.New(nil, nn.Config{Seed: 1})
	var buf bytes.Buffer
	if err := m.WriteSafetensors(&buf); err != nil {
		fmt.Println(err)
		return
	}
	ts, meta, err := nn.ReadSafetensors(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ts["output.weight"].Shape, ts["output.bias"].Shape, meta["fluens.input"])
	// Output:
	// [784 10] [10] 28,28,1
}
