package nn

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

var (
	w3Layers = []LayerSpec{
		{Kind: Conv, Filters: 32, Kernel: 3}, {Kind: MaxPool},
		{Kind: Conv, Filters: 64, Kernel: 3}, {Kind: MaxPool},
		{Kind: Dropout, Rate: 0.25}, {Kind: Dense, Units: 128},
	}
	w2Layers = []LayerSpec{{Kind: Dense, Units: 512}, {Kind: Dense, Units: 256}}
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		layers []LayerSpec
		cfg    Config
		want   string // substring of the error; "" for success
	}{
		{"perceptron", nil, Config{}, ""},
		{"w3", w3Layers, Config{}, ""},
		{"six", []LayerSpec{{Kind: Conv, Filters: 2, Kernel: 3}, {Kind: MaxPool}, {Kind: MaxPool}, {Kind: MaxPool}, {Kind: MaxPool}, {Kind: Dense, Units: 3}}, Config{}, ""},
		{"seven", make([]LayerSpec, 7), Config{}, "at most 6"},
		{"pool too small", []LayerSpec{{Kind: MaxPool}, {Kind: MaxPool}, {Kind: MaxPool}, {Kind: MaxPool}, {Kind: MaxPool}}, Config{}, "pooling a 1×1 map"},
		{"conv after dense", []LayerSpec{{Kind: Dense, Units: 4}, {Kind: Conv, Filters: 2, Kernel: 3}}, Config{}, "convolution after a dense"},
		{"pool after dense", []LayerSpec{{Kind: Dense, Units: 4}, {Kind: MaxPool}}, Config{}, "pooling after a dense"},
		{"dropout 1", []LayerSpec{{Kind: Dropout, Rate: 1}}, Config{}, "rate must"},
		{"dropout negative", []LayerSpec{{Kind: Dropout, Rate: -0.1}}, Config{}, "rate must"},
		{"dropout NaN", []LayerSpec{{Kind: Dropout, Rate: math.NaN()}}, Config{}, "rate must"},
		{"zero units", []LayerSpec{{Kind: Dense}}, Config{}, "units must"},
		{"huge units", []LayerSpec{{Kind: Dense, Units: 1 << 20}}, Config{}, "units must"},
		{"too many parameters", []LayerSpec{{Kind: Conv, Filters: 512, Kernel: 3}, {Kind: Dense, Units: 1 << 16}}, Config{}, "more than"},
		{"zero filters", []LayerSpec{{Kind: Conv, Kernel: 3}}, Config{}, "filters must"},
		{"zero kernel", []LayerSpec{{Kind: Conv, Filters: 3}}, Config{}, "kernel must"},
		{"stray field", []LayerSpec{{Kind: Dense, Units: 3, Kernel: 3}}, Config{}, "takes only"},
		{"unknown kind", []LayerSpec{{Kind: LayerKind(9)}}, Config{}, "unknown layer kind"},
		{"one class", nil, Config{Classes: 1}, "classes"},
		{"bad input", nil, Config{InputH: -1}, "sizes must"},
		{"huge input", nil, Config{InputH: 1 << 20}, "sizes must"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.layers, tt.cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if m.ParamCount() <= 0 {
					t.Error("no parameters")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParamCount(t *testing.T) {
	tests := []struct {
		layers []LayerSpec
		want   int
	}{
		{nil, 784*10 + 10},
		{w2Layers, 784*512 + 512 + 512*256 + 256 + 256*10 + 10},
		// conv 3·3·1·32+32, conv 3·3·32·64+64, dense 7·7·64·128+128, out 128·10+10
		{w3Layers, 320 + 18496 + 401536 + 1290},
	}
	for _, tt := range tests {
		m, err := New(tt.layers, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.ParamCount(); got != tt.want {
			t.Errorf("%v: %d parameters, want %d", tt.layers, got, tt.want)
		}
	}
}

func TestGlorotRange(t *testing.T) {
	m, err := New([]LayerSpec{{Kind: Conv, Filters: 8, Kernel: 5}, {Kind: Dense, Units: 20}}, Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := m.Tensors()
	check := func(name string, fanIn, fanOut int) {
		a := math.Sqrt(6 / float64(fanIn+fanOut))
		var mx float64
		for _, v := range ts[name].Data {
			mx = math.Max(mx, math.Abs(float64(v)))
		}
		if mx > a || mx < 0.9*a {
			t.Errorf("%s: largest |w| %.4f, want just below %.4f", name, mx, a)
		}
	}
	check("layer0.weight", 25, 25*8)
	check("layer1.weight", 28*28*8, 20)
	check("output.weight", 20, 10)
	for _, name := range []string{"layer0.bias", "layer1.bias", "output.bias"} {
		for _, v := range ts[name].Data {
			if v != 0 {
				t.Fatalf("%s not zero", name)
			}
		}
	}
}

// TestThreadsBitIdentical trains the same model on 1, 2 and 3 goroutines
// and requires bit-identical weights and accuracies.
func TestThreadsBitIdentical(t *testing.T) {
	models := map[string][]LayerSpec{
		"mlp": {{Kind: Dense, Units: 64}, {Kind: Dropout, Rate: 0.3}, {Kind: Dense, Units: 32}},
		"cnn": {{Kind: Conv, Filters: 8, Kernel: 3}, {Kind: MaxPool}, {Kind: Conv, Filters: 8, Kernel: 5}, {Kind: MaxPool}, {Kind: Dropout, Rate: 0.25}, {Kind: Dense, Units: 32}},
	}
	train := randomData(1, 200, 12*12, 10)
	test := randomData(2, 100, 12*12, 10)
	for name, layers := range models {
		t.Run(name, func(t *testing.T) {
			var ref []float32
			var refHist History
			for _, threads := range []int{1, 2, 3} {
				m, err := New(layers, Config{Seed: 5, Threads: threads, InputH: 12, InputW: 12})
				if err != nil {
					t.Fatal(err)
				}
				h, err := m.Train(context.Background(), train, test, TrainConfig{Epochs: 2, Batch: 64, Seed: 9})
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref, refHist = append([]float32(nil), m.params...), h
					continue
				}
				for i, v := range m.params {
					if math.Float32bits(v) != math.Float32bits(ref[i]) {
						t.Fatalf("threads %d: parameter %d is %v, with 1 thread %v", threads, i, v, ref[i])
					}
				}
				for e := range h.Epochs {
					if h.Epochs[e].Loss != refHist.Epochs[e].Loss || h.Epochs[e].TestAccuracy != refHist.Epochs[e].TestAccuracy {
						t.Errorf("threads %d epoch %d: loss %v acc %v, with 1 thread %v %v", threads, e+1,
							h.Epochs[e].Loss, h.Epochs[e].TestAccuracy, refHist.Epochs[e].Loss, refHist.Epochs[e].TestAccuracy)
					}
				}
			}
		})
	}
}

// TestTrainLearns fits a small random training set: the loss must fall and
// the training accuracy rise far above chance.
func TestTrainLearns(t *testing.T) {
	for name, layers := range map[string][]LayerSpec{
		"perceptron": nil,
		"cnn":        {{Kind: Conv, Filters: 8, Kernel: 3}, {Kind: MaxPool}, {Kind: Dense, Units: 64}},
	} {
		t.Run(name, func(t *testing.T) {
			d := randomData(3, 200, 16*16, 10)
			m, err := New(layers, Config{Seed: 1, Threads: 2, InputH: 16, InputW: 16})
			if err != nil {
				t.Fatal(err)
			}
			var calls int
			h, err := m.Train(context.Background(), d, d, TrainConfig{Epochs: 15, Batch: 32, LR: 0.005, Seed: 1, Progress: func(int, float64) { calls++ }})
			if err != nil {
				t.Fatal(err)
			}
			if calls != 15 || len(h.Epochs) != 15 {
				t.Errorf("%d progress calls, %d epochs recorded, want 15", calls, len(h.Epochs))
			}
			first, last := h.Epochs[0], h.Epochs[len(h.Epochs)-1]
			if !(last.Loss < 0.7*first.Loss) {
				t.Errorf("loss %.3f → %.3f: fell by less than 30%%", first.Loss, last.Loss)
			}
			acc, per, err := m.Evaluate(d)
			if err != nil {
				t.Fatal(err)
			}
			if acc < 0.6 || acc != last.TestAccuracy {
				t.Errorf("training accuracy %.3f (history says %.3f), want ≥ 0.6 (chance 0.1)", acc, last.TestAccuracy)
			}
			pred := m.Predict(Data{X: d.X, N: d.N})
			var right int
			for i, p := range pred {
				if p == d.Y[i] {
					right++
				}
			}
			if got := float64(right) / float64(d.N); got != acc {
				t.Errorf("Predict agrees with %.3f of labels, Evaluate says %.3f", got, acc)
			}
			var sum float64
			for c, a := range per {
				var n int
				for _, y := range d.Y {
					if int(y) == c {
						n++
					}
				}
				sum += a * float64(n)
			}
			if math.Abs(sum/float64(d.N)-acc) > 1e-9 {
				t.Errorf("per-class accuracies %v do not average to %v", per, acc)
			}
		})
	}
}

func TestTrainErrors(t *testing.T) {
	m, err := New(nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	good := randomData(1, 10, 784, 10)
	ctx := context.Background()
	tests := []struct {
		name  string
		train Data
		tc    TrainConfig
		want  string
	}{
		{"no epochs", good, TrainConfig{}, "epochs"},
		{"short images", Data{X: good.X[:100], Y: good.Y, N: 10}, TrainConfig{Epochs: 1}, "bytes of images"},
		{"short labels", Data{X: good.X, Y: good.Y[:3], N: 10}, TrainConfig{Epochs: 1}, "labels for"},
		{"bad label", Data{X: good.X[:784], Y: []uint8{10}, N: 1}, TrainConfig{Epochs: 1}, "label 10"},
		{"empty", Data{}, TrainConfig{Epochs: 1}, "no samples"},
		{"bad lr", good, TrainConfig{Epochs: 1, LR: -1}, "learning rate"},
	}
	for _, tt := range tests {
		if _, err := m.Train(ctx, tt.train, Data{}, tt.tc); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Train(cctx, good, Data{}, TrainConfig{Epochs: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
}

// TestTrainStepAllocs checks that a training step allocates nothing once
// the workspaces exist.
func TestTrainStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, threads := range []int{1, 2} {
		m, err := New([]LayerSpec{{Kind: Conv, Filters: 4, Kernel: 3}, {Kind: MaxPool}, {Kind: Dropout, Rate: 0.5}, {Kind: Dense, Units: 16}}, Config{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		d := randomData(1, 64, 784, 10)
		idx := make([]int, 64)
		for i := range idx {
			idx[i] = i
		}
		done := m.begin()
		m.alloc(64)
		tc := TrainConfig{LR: 1e-3}
		m.trainStep(d, idx, tc)
		if a := testing.AllocsPerRun(5, func() { m.trainStep(d, idx, tc) }); a != 0 {
			t.Errorf("threads %d: %v allocations per step, want 0", threads, a)
		}
		if a := testing.AllocsPerRun(5, func() { m.trainStep(d, idx[:37], tc) }); a != 0 {
			t.Errorf("threads %d: %v allocations per partial step, want 0", threads, a)
		}
		done()
	}
}
