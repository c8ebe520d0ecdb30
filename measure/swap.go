package measure

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/quickdraw"
)

// Split is one category's drawings divided for the measures that train:
// Train and Test hold 784-byte drawings (0 = background, 255 = ink) one
// after another.
type Split struct {
	Train, Test []byte
}

// TrainLen and TestLen return the number of drawings of each part.
func (s Split) TrainLen() int { return len(s.Train) / quickdraw.Pixels }

// TestLen returns the number of test drawings.
func (s Split) TestLen() int { return len(s.Test) / quickdraw.Pixels }

func (s Split) check() error {
	if len(s.Train)%quickdraw.Pixels != 0 || len(s.Test)%quickdraw.Pixels != 0 || len(s.Train) == 0 || len(s.Test) == 0 {
		return fmt.Errorf("measure: a split needs whole 784-byte drawings, at least one for training and one for testing (have %d and %d bytes)",
			len(s.Train), len(s.Test))
	}
	return nil
}

// SwapConfig sets up SwapOneClass. Zero fields take the defaults in
// brackets.
type SwapConfig struct {
	// Layers are the classifier's hidden layers [SwapLayers: dense 64];
	// the output layer (one unit per class, softmax) is implied as in
	// package nn.
	Layers []nn.LayerSpec
	Epochs int     // [10]
	Batch  int     // [64]
	LR     float64 // Adam [0.001]
	Seed   uint64  // seeds the weights and the shuffles
	// MaxTrain caps the training drawings used per class [400] and
	// MaxTest the test drawings per class [200], to bound the cost.
	MaxTrain, MaxTest int
	Threads           int // goroutines of the training [1]; results do not depend on it
}

// SwapLayers is the default classifier of the swap-one-class measure, a
// perceptron with one hidden layer of 64 units. The seed proposed a CNN;
// the smallest useful one (SwapCNN) costs about ten times as much per
// training run on two cores (measured: 10–25 s against 1.5–3 s for five
// classes × 400 drawings on a loaded machine) and ranked the test labels
// alike, so the default is the perceptron and SwapCNN is one
// SwapConfig.Layers away.
var SwapLayers = []nn.LayerSpec{{Kind: nn.Dense, Units: 64}}

// SwapCNN is a small CNN for SwapConfig.Layers: conv 8 5×5 → max-pool
// 2×2 → dense 32.
var SwapCNN = []nn.LayerSpec{
	{Kind: nn.Conv, Filters: 8, Kernel: 5},
	{Kind: nn.MaxPool},
	{Kind: nn.Dense, Units: 32},
}

func (c SwapConfig) withDefaults() SwapConfig {
	if c.Layers == nil {
		c.Layers = SwapLayers
	}
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LR == 0 {
		c.LR = 0.001
	}
	if c.MaxTrain == 0 {
		c.MaxTrain = 400
	}
	if c.MaxTest == 0 {
		c.MaxTest = 200
	}
	if c.Threads == 0 {
		c.Threads = 1
	}
	return c
}

// SwapScore is the swap-one-class score of one label.
type SwapScore struct {
	// Acc holds the label's test accuracy with each base set.
	Acc []float64
	// Mean is the mean of Acc; SD its sample standard deviation (NaN with
	// fewer than two base sets); Min and Max its range.
	Mean, SD, Min, Max float64
}

// SwapOneClass scores a label the way Forma Fluens proposed as future
// work: for each base set, a classifier is trained on the base labels
// plus the label under test (label is the last class), and the label's
// test accuracy (recall on its own test drawings) is recorded. The spread
// over base sets shows how much the score depends on the labels it is
// compared with. Each training run is seeded from cfg.Seed and the base
// set's position, so the same inputs give the same score.
func SwapOneClass(ctx context.Context, label Split, bases [][]Split, cfg SwapConfig) (SwapScore, error) {
	cfg = cfg.withDefaults()
	if len(bases) == 0 {
		return SwapScore{}, errors.New("measure: swap-one-class: no base sets")
	}
	if err := label.check(); err != nil {
		return SwapScore{}, err
	}
	var sc SwapScore
	for b, base := range bases {
		if len(base) == 0 {
			return SwapScore{}, fmt.Errorf("measure: swap-one-class: base set %d is empty", b)
		}
		classes := append(slices.Clone(base), label)
		train, test, err := stack(classes, cfg.MaxTrain, cfg.MaxTest)
		if err != nil {
			return SwapScore{}, fmt.Errorf("measure: swap-one-class: base set %d: %w", b, err)
		}
		seed := int64(mixSeed(cfg.Seed, uint64(b)) >> 1)
		m, err := nn.New(cfg.Layers, nn.Config{Seed: seed, Threads: cfg.Threads, Classes: len(classes)})
		if err != nil {
			return SwapScore{}, fmt.Errorf("measure: swap-one-class: %w", err)
		}
		if _, err := m.Train(ctx, train, nn.Data{}, nn.TrainConfig{Epochs: cfg.Epochs, Batch: cfg.Batch, LR: cfg.LR, Seed: seed}); err != nil {
			return SwapScore{}, fmt.Errorf("measure: swap-one-class: %w", err)
		}
		_, per, err := m.Evaluate(test)
		if err != nil {
			return SwapScore{}, fmt.Errorf("measure: swap-one-class: %w", err)
		}
		sc.Acc = append(sc.Acc, per[len(classes)-1])
	}
	sc.Mean = stat.Mean(sc.Acc, nil)
	sc.SD = math.NaN()
	if len(sc.Acc) > 1 {
		sc.SD = stat.StdDev(sc.Acc, nil)
	}
	sc.Min, sc.Max = slices.Min(sc.Acc), slices.Max(sc.Acc)
	return sc, nil
}

// stack puts the classes' drawings together, class i labelled i, at most
// maxTrain and maxTest of each.
func stack(classes []Split, maxTrain, maxTest int) (train, test nn.Data, err error) {
	const d = quickdraw.Pixels
	for i, c := range classes {
		if err := c.check(); err != nil {
			return train, test, err
		}
		ntr, nte := min(c.TrainLen(), maxTrain), min(c.TestLen(), maxTest)
		train.X = append(train.X, c.Train[:ntr*d]...)
		test.X = append(test.X, c.Test[:nte*d]...)
		for range ntr {
			train.Y = append(train.Y, uint8(i))
		}
		for range nte {
			test.Y = append(test.Y, uint8(i))
		}
	}
	train.N, test.N = len(train.Y), len(test.Y)
	return train, test, nil
}

// A BaseSet is a fixed set of base labels for swap-one-class and Fisher,
// with a spare label that stands in for a base label when that label is
// itself under test, so that every label is scored against the same
// number of base labels.
type BaseSet struct {
	Labels []string // sorted
	Spare  string
}

// For returns the base labels to score label against: Labels, with label
// replaced by Spare when it is one of them.
func (b BaseSet) For(label string) []string {
	out := slices.Clone(b.Labels)
	if i := slices.Index(out, label); i >= 0 {
		out[i] = b.Spare
		slices.Sort(out)
	}
	return out
}

// BaseSets draws n base sets of size labels (and a spare each) from
// eligible (sorted first, so the order of eligible does not matter), each
// set without repeats, from seed. Sets may share labels. It returns nil
// when fewer than size+1 labels are eligible.
func BaseSets(eligible []string, n, size int, seed uint64) []BaseSet {
	names := slices.Clone(eligible)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) < size+1 || n < 1 || size < 1 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0xba5e))
	sets := make([]BaseSet, n)
	for i := range sets {
		p := rng.Perm(len(names))[:size+1]
		for _, j := range p[:size] {
			sets[i].Labels = append(sets[i].Labels, names[j])
		}
		slices.Sort(sets[i].Labels)
		sets[i].Spare = names[p[size]]
	}
	return sets
}

// mixSeed combines a seed with a number (SplitMix64's finaliser, Steele,
// Lea & Flood 2014).
func mixSeed(seed, k uint64) uint64 {
	z := seed + 0x9e3779b97f4a7c15*(k+1)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// nameSeed derives a per-category seed from seed and the category's name.
func nameSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return mixSeed(seed, h.Sum64())
}
