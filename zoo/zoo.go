package zoo

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Family names the part of the zoo a model comes from.
type Family string

// The families of the zoo.
const (
	MLP Family = "mlp" // the twelve fully-connected networks
	CNN Family = "cnn" // the random sample
)

// Model is one member of a zoo.
type Model struct {
	Family Family
	Spec   Spec
}

// DefaultSeed is the seed's sampler seed (Forma Fluens used 100 CNNs).
const DefaultSeed = 100

// PaperCNNs is the number of random CNNs of the seed's study.
const PaperCNNs = 100

// MLPs returns the twelve fully-connected networks of depth < 4: the
// perceptron, one hidden layer of 16, 32, 64, 128, 256 or 512 units, and two
// hidden layers of 32, 64, 128, 256 or 512 units each, in that order.
func MLPs() []Spec {
	specs := []Spec{{}}
	for _, u := range []int{16, 32, 64, 128, 256, 512} {
		specs = append(specs, Spec{Layers: []Layer{{Kind: Dense, Units: u}}})
	}
	for _, u := range []int{32, 64, 128, 256, 512} {
		specs = append(specs, Spec{Layers: []Layer{{Kind: Dense, Units: u}, {Kind: Dense, Units: u}}})
	}
	return specs
}

// Sampler parameters (see the package documentation).
var (
	filterChoices = []int{8, 16, 32, 64, 128}
	kernelChoices = []int{3, 5}
	unitChoices   = []int{16, 32, 64, 128, 256, 512, 1024}
)

const (
	minHidden = 1
	maxHidden = 6
	// dropout rates are k/20 for k in [minRate20, maxRate20].
	minRate20 = 2
	maxRate20 = 10
	// pcgStream is the second PCG seed word, fixed so a seed names a zoo.
	pcgStream = 0x5a00
)

// Sample draws n distinct random CNNs from seed, none equal to one of the
// MLPs. The same n and seed give the same list, and a shorter list is a
// prefix of a longer one. It panics if n is negative.
func Sample(n int, seed uint64) []Spec {
	if n < 0 {
		panic("zoo: negative sample size")
	}
	rng := rand.New(rand.NewPCG(seed, pcgStream))
	seen := make(map[string]bool, n+12)
	for _, s := range MLPs() {
		seen[s.String()] = true
	}
	specs := make([]Spec, 0, n)
	for len(specs) < n {
		s := draw(rng)
		key := s.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		specs = append(specs, s)
	}
	return specs
}

// draw draws one architecture.
func draw(rng *rand.Rand) Spec {
	depth := minHidden + rng.IntN(maxHidden-minHidden+1)
	layers := make([]Layer, 0, depth)
	side, flat := InputSide, false
	kinds := make([]Kind, 0, 4)
	for range depth {
		kinds = kinds[:0]
		if !flat {
			kinds = append(kinds, Conv)
			if side >= 2 {
				kinds = append(kinds, Pool)
			}
		}
		kinds = append(kinds, Dropout, Dense)
		var l Layer
		switch k := kinds[rng.IntN(len(kinds))]; k {
		case Conv:
			l = Layer{Kind: Conv, Filters: pick(rng, filterChoices), Kernel: pick(rng, kernelChoices)}
		case Pool:
			l = Layer{Kind: Pool}
			side /= 2
		case Dropout:
			l = Layer{Kind: Dropout, Rate: float64(minRate20+rng.IntN(maxRate20-minRate20+1)) / 20}
		case Dense:
			l = Layer{Kind: Dense, Units: pick(rng, unitChoices)}
			flat = true
		}
		layers = append(layers, l)
	}
	return Spec{Layers: layers}
}

func pick(rng *rand.Rand, xs []int) int { return xs[rng.IntN(len(xs))] }

// Which selects a part of the zoo: "mlp", "cnn" or "all".
type Which string

// Build returns the zoo: the MLPs (for "mlp" and "all") followed by the
// first cnns sampled CNNs drawn from seed (for "cnn" and "all").
func Build(which Which, cnns int, seed uint64) ([]Model, error) {
	if cnns < 0 {
		return nil, fmt.Errorf("zoo: negative number of CNNs (%d)", cnns)
	}
	var models []Model
	switch which {
	case "mlp", "all", "cnn":
	default:
		return nil, fmt.Errorf("zoo: unknown zoo %q (want mlp, cnn or all)", which)
	}
	if which != "cnn" {
		for _, s := range MLPs() {
			models = append(models, Model{Family: MLP, Spec: s})
		}
	}
	if which != "mlp" {
		for _, s := range Sample(cnns, seed) {
			models = append(models, Model{Family: CNN, Spec: s})
		}
	}
	return models, nil
}

// Cheapest returns the n models of models with the fewest FLOPs, keeping
// their order in models (ties are broken by position). It is how a quick
// profile takes a cheap subset of a zoo.
func Cheapest(models []Model, n int) []Model {
	if n >= len(models) {
		return slices.Clone(models)
	}
	idx := make([]int, len(models))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		fa, fb := models[a].Spec.FLOPs(), models[b].Spec.FLOPs()
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	})
	idx = idx[:max(n, 0)]
	slices.Sort(idx)
	out := make([]Model, len(idx))
	for i, j := range idx {
		out[i] = models[j]
	}
	return out
}
