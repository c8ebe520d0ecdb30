package decay

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fluens-lab/fluens/sweep"
)

// Fit is a least-squares line through a decay curve.
type Fit struct {
	Slope     float64 // accuracy change per mix step (the decay)
	Intercept float64 // fitted accuracy at mix 0
	R2        float64 // coefficient of determination
	MaxAcc    float64 // the largest accuracy of the curve
	Points    int     // number of points fitted
}

// FitCurve fits accuracy = Intercept + Slope·mix by least squares. NaN
// accuracies are left out. With fewer than two distinct mixes the line is
// undefined: Slope, Intercept and R2 are NaN. R2 is NaN too when every
// accuracy is the same (no variance to explain).
func FitCurve(mix, acc []float64) Fit {
	if len(mix) != len(acc) {
		panic("decay: FitCurve: lengths differ")
	}
	var x, y []float64
	f := Fit{MaxAcc: math.NaN()}
	for i := range mix {
		if math.IsNaN(acc[i]) {
			continue
		}
		x = append(x, mix[i])
		y = append(y, acc[i])
		if math.IsNaN(f.MaxAcc) || acc[i] > f.MaxAcc {
			f.MaxAcc = acc[i]
		}
	}
	f.Points = len(x)
	distinct := len(x) > 0 && slices.ContainsFunc(x, func(v float64) bool { return v != x[0] })
	if !distinct {
		f.Slope, f.Intercept, f.R2 = math.NaN(), math.NaN(), math.NaN()
		return f
	}
	f.Intercept, f.Slope = stat.LinearRegression(x, y, nil, false)
	if slices.ContainsFunc(y, func(v float64) bool { return v != y[0] }) {
		f.R2 = stat.RSquared(x, y, nil, f.Intercept, f.Slope)
	} else {
		f.R2 = math.NaN()
	}
	return f
}

// MeanCI returns the mean of xs and the bounds of its two-sided confidence
// interval at the given level (0.95 for 95%) from Student's t distribution
// with len(xs)−1 degrees of freedom. With fewer than two values the bounds
// are NaN; with none the mean is NaN too.
func MeanCI(xs []float64, level float64) (mean, lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	mean = stat.Mean(xs, nil)
	if len(xs) < 2 {
		return mean, math.NaN(), math.NaN()
	}
	sd := stat.StdDev(xs, nil) // sample standard deviation (n−1)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(1 - (1-level)/2)
	half := t * sd / math.Sqrt(float64(len(xs)))
	return mean, mean - half, mean + half
}

// Curve is one run's decay curve: a model trained with one seed.
type Curve struct {
	Seed int64
	Acc  map[int]float64 // final test accuracy by mix index
	Fit
}

// Model is the decay summary of one model (spec, hyperparameters, engine).
type Model struct {
	ID, Spec, Family string
	Depth, Params    int
	FLOPs            int64
	Hyper            sweep.Hyper
	Engine           string

	// Mixes are the mix indices with at least one run, ascending; MeanAcc
	// holds the mean accuracy over seeds for each of them.
	Mixes   []int
	MeanAcc []float64
	Fit             // of the mean curve
	Curves  []Curve // one per seed, by seed

	// SlopeMean is the mean of the per-seed slopes; SlopeLow and SlopeHigh
	// bound its 95% confidence interval (NaN with one seed).
	SlopeMean, SlopeLow, SlopeHigh float64
}

// Seeds returns the number of seeds (runs) of the model.
func (m *Model) Seeds() int { return len(m.Curves) }

// AccAt returns the mean accuracy on mix k, or NaN when no run has it.
func (m *Model) AccAt(k int) float64 {
	if i, ok := slices.BinarySearch(m.Mixes, k); ok {
		return m.MeanAcc[i]
	}
	return math.NaN()
}

type groupKey struct {
	spec   string
	hyper  sweep.Hyper
	engine string
}

// Summarize groups records into models and fits their decay. Models come
// out sorted by family (mlp first), then FLOPs, then spec. Two records of
// one model, mix and seed (a store holding runs of different data under
// the same mix name) are an error naming both keys.
func Summarize(recs []*sweep.Record) ([]*Model, error) {
	groups := make(map[groupKey]*Model)
	seen := make(map[string]string) // model|seed|mix → key
	var models []*Model
	for _, r := range recs {
		g := groupKey{r.Spec, r.Hyper, r.Engine}
		m := groups[g]
		if m == nil {
			m = &Model{ID: r.ModelID, Spec: r.Spec, Family: r.Family, Depth: r.Depth, Params: r.Params,
				FLOPs: r.FLOPs, Hyper: r.Hyper, Engine: r.Engine}
			groups[g] = m
			models = append(models, m)
		}
		id := fmt.Sprintf("%s|%v|%s|%d|%d", r.Spec, r.Hyper, r.Engine, r.Seed, r.MixIndex)
		if k, dup := seen[id]; dup {
			return nil, fmt.Errorf("decay: records %s and %s both hold %s on mix %d with seed %d (results of different data in one store?)",
				k, r.Key, r.Spec, r.MixIndex, r.Seed)
		}
		seen[id] = r.Key
		i := slices.IndexFunc(m.Curves, func(c Curve) bool { return c.Seed == r.Seed })
		if i < 0 {
			m.Curves = append(m.Curves, Curve{Seed: r.Seed, Acc: make(map[int]float64)})
			i = len(m.Curves) - 1
		}
		m.Curves[i].Acc[r.MixIndex] = float64(r.Accuracy)
	}
	for _, m := range models {
		m.summarize()
	}
	slices.SortFunc(models, func(a, b *Model) int {
		fa, fb := a.Family != "mlp", b.Family != "mlp"
		if fa != fb {
			if !fa {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.FLOPs, b.FLOPs), cmp.Compare(a.Spec, b.Spec),
			cmp.Compare(a.Hyper.Epochs, b.Hyper.Epochs), cmp.Compare(a.Hyper.Batch, b.Hyper.Batch),
			cmp.Compare(a.Hyper.LR, b.Hyper.LR), cmp.Compare(a.Engine, b.Engine))
	})
	return models, nil
}

func (m *Model) summarize() {
	slices.SortFunc(m.Curves, func(a, b Curve) int { return cmp.Compare(a.Seed, b.Seed) })
	sums := make(map[int]float64)
	counts := make(map[int]int)
	var slopes []float64
	for i := range m.Curves {
		c := &m.Curves[i]
		var x, y []float64
		for _, k := range sortedKeys(c.Acc) {
			x = append(x, float64(k))
			y = append(y, c.Acc[k])
			sums[k] += c.Acc[k]
			counts[k]++
		}
		c.Fit = FitCurve(x, y)
		if !math.IsNaN(c.Slope) {
			slopes = append(slopes, c.Slope)
		}
	}
	m.Mixes = sortedKeys(sums)
	x := make([]float64, len(m.Mixes))
	m.MeanAcc = make([]float64, len(m.Mixes))
	for i, k := range m.Mixes {
		x[i] = float64(k)
		m.MeanAcc[i] = sums[k] / float64(counts[k])
	}
	m.Fit = FitCurve(x, m.MeanAcc)
	m.SlopeMean, m.SlopeLow, m.SlopeHigh = MeanCI(slopes, 0.95)
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
