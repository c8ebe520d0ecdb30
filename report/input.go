package report

import (
	"math"
	"time"

	"github.com/fluens-lab/fluens/findings"
)

// Input is everything the report shows, as plain data. Load fills it from a
// result store and a prepared data folder; tests build it directly.
type Input struct {
	// Title heads the page; empty means a default title.
	Title string

	// Findings, if not nil, fills the "Findings" section (the seed's
	// observations tested, the measures judged; see package findings).
	Findings *findings.Findings

	// Measure names the measure the label gallery is ordered by (e.g.
	// "entropy"); it must be one of Measures' names or empty.
	Measure string
	// Measures describes every convergence measure the labels carry, in
	// display order.
	Measures []MeasureInfo
	// Labels holds every measured label.
	Labels []Label
	// Convergent and Divergent are the chosen labels, in slot order.
	Convergent, Divergent []string

	// Mixes are the datasets, in order (mix_00 first). A model's accuracy
	// for Mixes[i] is Model.Acc[i].
	Mixes []Mix
	// Models are every trained model of every family.
	Models []Model
	// Perceptron holds the perceptron's weights, one entry per mix it was
	// trained on.
	Perceptron []PerceptronWeights

	// Run describes how the results were made.
	Run Run
}

// MeasureInfo describes one convergence measure.
type MeasureInfo struct {
	// Name is the measure's column name in measures.csv.
	Name string
	// LowIsConvergent reports whether low values mean convergent labels.
	LowIsConvergent bool
}

// Label is one measured QuickDraw label.
type Label struct {
	Name string
	// Drawings is the number of drawings the measures used.
	Drawings int
	// Source says where the drawings came from ("bitmap" or "strokes").
	Source string
	// Measures maps a measure's name to the label's value.
	Measures map[string]float64
	// Average is the average image, 784 values in 0–255 (row-major 28×28,
	// 0 = background); nil when not available.
	Average []float64
}

// Mix is one ten-class dataset.
type Mix struct {
	// Name is the dataset's folder name, e.g. "conv_div_mix_00".
	Name string
	// Slots holds the label name of each class slot (10 of them).
	Slots []string
	// Samples holds a few drawings per slot (Samples[slot][k] is 784 bytes,
	// 0 = background); it may be nil.
	Samples [][][]byte
}

// LayerKind is the kind of one hidden layer, as drawn in the architecture
// chart.
type LayerKind int

// The layer kinds.
const (
	Conv LayerKind = iota
	Pool
	Dropout
	Dense
	Other
)

// String returns the kind's name.
func (k LayerKind) String() string {
	switch k {
	case Conv:
		return "conv"
	case Pool:
		return "pool"
	case Dropout:
		return "dropout"
	case Dense:
		return "fc"
	}
	return "other"
}

// Layer is one hidden layer of a model.
type Layer struct {
	Kind LayerKind
	// Text is the layer's part of the spec string, e.g. "C32k3".
	Text string
}

// Model is one architecture with its accuracies on every mix.
type Model struct {
	// ID identifies the model (the hash of its spec); it must be unique.
	ID string
	// Spec is the canonical spec string, e.g. "C32k3-P2-D0.25-F128".
	Spec string
	// Family is "mlp" or "cnn".
	Family string
	// Depth is the number of hidden layers; Params the parameter count;
	// FLOPs the floating-point operations per image (0 when unknown).
	Depth  int
	Params int64
	FLOPs  int64
	// Layers are the hidden layers, input side first.
	Layers []Layer
	// Acc[i] holds the final test accuracy on Mixes[i], one value per
	// seed; an empty slice means not trained (yet).
	Acc [][]float64
	// Slope and Intercept are the least-squares line through
	// (mix index, mean accuracy); R2 its coefficient of determination.
	Slope, Intercept, R2 float64
	// SlopeLo and SlopeHi bound the 95% confidence interval of the slope
	// over seeds; NaN when there is a single seed.
	SlopeLo, SlopeHi float64
	// MaxAcc is the highest mean accuracy over the mixes.
	MaxAcc float64
}

// PerceptronWeights holds the weights of the perceptron (784→10) trained on
// one mix.
type PerceptronWeights struct {
	// Mix is the name of the mix (one of Input.Mixes' names).
	Mix string
	// Classes[c] holds the 784 input weights of output class c.
	Classes [][]float32
}

// Run describes how the results were made, so that a reader can rerun them.
type Run struct {
	// Command is the command line that made the results, if known.
	Command string
	// Settings are the run's settings as name/value pairs (epochs, batch,
	// learning rate, seeds...).
	Settings []KV
	// DataHashes are content hashes of the data, as name/hash pairs.
	DataHashes []KV
	// Engine is the version of the training engine.
	Engine string
	// Seed is the run's seed.
	Seed int64
	// Started and Finished bound the training; zero when unknown.
	Started, Finished time.Time
	// Jobs is the number of finished jobs read from the store.
	Jobs int
	// Warnings are problems met while loading (unreadable records, records
	// of other data), shown with the run.
	Warnings []string
}

// KV is a name and a value.
type KV struct {
	Key, Value string
}

// MeanAcc returns the mean accuracy of the model on mix i over its seeds,
// or NaN when it has none.
func (m *Model) MeanAcc(i int) float64 {
	if i >= len(m.Acc) || len(m.Acc[i]) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range m.Acc[i] {
		s += v
	}
	return s / float64(len(m.Acc[i]))
}

// accRange returns the lowest and highest accuracy over seeds on mix i.
func (m *Model) accRange(i int) (lo, hi float64) {
	if i >= len(m.Acc) || len(m.Acc[i]) == 0 {
		return math.NaN(), math.NaN()
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range m.Acc[i] {
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	return lo, hi
}

// seeds returns the largest number of seeds the model has on any mix.
func (m *Model) seeds() int {
	n := 0
	for _, a := range m.Acc {
		n = max(n, len(a))
	}
	return n
}

// FirstKind returns the kind of the model's first hidden layer, Dense for a
// model without hidden layers (the perceptron).
func (m *Model) FirstKind() LayerKind {
	if len(m.Layers) == 0 {
		return Dense
	}
	return m.Layers[0].Kind
}
