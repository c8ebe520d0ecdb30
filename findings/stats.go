package findings

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Estimate is a statistic with its two-sided confidence interval.
type Estimate struct {
	Value  float64 `json:"value"`
	Low    float64 `json:"low"`  // NaN when undefined (too few values)
	High   float64 `json:"high"` // NaN when undefined
	N      int     `json:"n"`    // number of units the statistic is computed over
	Method string  `json:"method"`
}

// Level is the confidence level of every interval.
const Level = 0.95

// Ranks returns the ranks of xs, 1 … n, ties given their mean rank (the
// ranks Spearman's correlation uses).
func Ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation ρ of x and y: Pearson's
// correlation (gonum's stat.Correlation) of their ranks, ties at mean
// rank (Spearman 1904). It is NaN with fewer than three pairs or when
// either variable is constant.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("findings: Spearman: lengths differ")
	}
	if len(x) < 3 {
		return math.NaN()
	}
	return stat.Correlation(Ranks(x), Ranks(y), nil)
}

// KendallTauB returns Kendall's τ_b of x and y (Kendall 1945, "The
// treatment of ties in ranking problems", Biometrika 33(3)):
// (C − D)/√((C + D + T_x)(C + D + T_y)), C and D the concordant and
// discordant pairs, T_x the pairs tied in x only and T_y in y only.
// gonum's stat.Kendall is τ_a and does not treat ties, hence this one.
// NaN when either variable is constant or fewer than two pairs.
func KendallTauB(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("findings: KendallTauB: lengths differ")
	}
	var c, d, tx, ty float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			dx, dy := x[i]-x[j], y[i]-y[j]
			switch {
			case dx == 0 && dy == 0:
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case (dx > 0) == (dy > 0):
				c++
			default:
				d++
			}
		}
	}
	den := math.Sqrt((c + d + tx) * (c + d + ty))
	if den == 0 {
		return math.NaN()
	}
	return (c - d) / den
}

// AUC returns the area under the ROC curve with which score separates
// the positives from the others: the probability that a random positive
// scores above a random negative, ties counting one half (the
// Mann–Whitney U statistic divided by n₊n₋; Hanley & McNeil 1982,
// Radiology 143(1)). NaN when either class is empty.
func AUC(score []float64, positive []bool) float64 {
	var u, np, nn float64
	for i := range score {
		if !positive[i] {
			continue
		}
		np++
		for j := range score {
			if positive[j] {
				continue
			}
			switch {
			case score[i] > score[j]:
				u++
			case score[i] == score[j]:
				u += 0.5
			}
		}
	}
	for _, p := range positive {
		if !p {
			nn++
		}
	}
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	return u / (np * nn)
}

// Bootstrap returns the percentile bootstrap confidence interval (Efron
// & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 13) of a
// statistic of n units: b resamples of n units drawn with replacement
// from rng, the statistic computed on each (fn receives the indices of
// the resample), NaN results dropped, and the (1−Level)/2 and
// 1−(1−Level)/2 quantiles of the rest returned. stratum, if not nil,
// resamples within each stratum (stratum[i] the unit's group) so that
// every resample keeps the groups' sizes (used for AUC).
func Bootstrap(n, b int, rng *rand.Rand, stratum []int, fn func(idx []int) float64) (lo, hi float64) {
	if n < 2 || b < 1 {
		return math.NaN(), math.NaN()
	}
	groups := map[int][]int{}
	var keys []int
	for i := range n {
		g := 0
		if stratum != nil {
			g = stratum[i]
		}
		if _, ok := groups[g]; !ok {
			keys = append(keys, g)
		}
		groups[g] = append(groups[g], i)
	}
	slices.Sort(keys)
	idx := make([]int, n)
	vals := make([]float64, 0, b)
	for range b {
		k := 0
		for _, g := range keys {
			members := groups[g]
			for range members {
				idx[k] = members[rng.IntN(len(members))]
				k++
			}
		}
		if v := fn(idx); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) < b/2 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(vals)
	a := (1 - Level) / 2
	return stat.Quantile(a, stat.Empirical, vals, nil), stat.Quantile(1-a, stat.Empirical, vals, nil)
}

// pick returns xs at idx.
func pick(xs []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

// SpearmanCI returns Spearman's ρ of x and y with its percentile
// bootstrap interval over the pairs.
func SpearmanCI(x, y []float64, b int, rng *rand.Rand) Estimate {
	e := Estimate{Value: Spearman(x, y), N: len(x), Method: "Spearman ρ, percentile bootstrap over pairs"}
	e.Low, e.High = Bootstrap(len(x), b, rng, nil, func(idx []int) float64 {
		return Spearman(pick(x, idx), pick(y, idx))
	})
	return e
}

// MeanCI returns the mean of xs with its Student t interval,
// mean ± t(1−α/2, n−1)·s/√n.
func MeanCI(xs []float64) Estimate {
	e := Estimate{Value: math.NaN(), Low: math.NaN(), High: math.NaN(), N: len(xs), Method: "mean, Student t interval"}
	if len(xs) == 0 {
		return e
	}
	e.Value = stat.Mean(xs, nil)
	if len(xs) < 2 {
		return e
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(1 - (1-Level)/2)
	half := t * stat.StdDev(xs, nil) / math.Sqrt(float64(len(xs)))
	e.Low, e.High = e.Value-half, e.Value+half
	return e
}

// WelchCI returns the difference of the means of a and b, mean(a) −
// mean(b), with Welch's interval (Welch 1947, Biometrika 34): standard
// error √(s_a²/n_a + s_b²/n_b) and Welch–Satterthwaite degrees of
// freedom. The bounds are NaN when a group has fewer than two values.
func WelchCI(a, b []float64) Estimate {
	e := Estimate{Value: math.NaN(), Low: math.NaN(), High: math.NaN(), N: len(a) + len(b),
		Method: "difference of means, Welch t interval"}
	if len(a) == 0 || len(b) == 0 {
		return e
	}
	e.Value = stat.Mean(a, nil) - stat.Mean(b, nil)
	if len(a) < 2 || len(b) < 2 {
		return e
	}
	va, vb := stat.Variance(a, nil)/float64(len(a)), stat.Variance(b, nil)/float64(len(b))
	se := math.Sqrt(va + vb)
	if se == 0 {
		e.Low, e.High = e.Value, e.Value
		return e
	}
	df := (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - (1-Level)/2)
	e.Low, e.High = e.Value-t*se, e.Value+t*se
	return e
}

// ANOVA is a one-way analysis of variance.
type ANOVA struct {
	F, P            float64 // F statistic and its p-value
	DFB, DFW        int     // degrees of freedom between and within groups
	SDWithin        float64 // pooled within-group standard deviation, √MS_within
	SDBetweenMeans  float64 // standard deviation of the group means
	Groups, Samples int
}

// OneWayANOVA tests whether groups share one mean (Fisher 1925): F =
// MS_between/MS_within with (g−1, N−g) degrees of freedom, p from
// gonum's distuv.F. Groups with no values are ignored; F and P are NaN
// with fewer than two groups or no within-group freedom.
func OneWayANOVA(groups [][]float64) ANOVA {
	var all []float64
	var means []float64
	var a ANOVA
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		all = append(all, g...)
		means = append(means, stat.Mean(g, nil))
	}
	a.Groups, a.Samples = len(means), len(all)
	a.F, a.P, a.SDWithin, a.SDBetweenMeans = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if len(means) >= 2 {
		a.SDBetweenMeans = stat.StdDev(means, nil)
	}
	a.DFB, a.DFW = len(means)-1, len(all)-len(means)
	if len(means) < 2 || a.DFW < 1 {
		return a
	}
	grand := stat.Mean(all, nil)
	var ssb, ssw float64
	k := 0
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		m := means[k]
		k++
		ssb += float64(len(g)) * (m - grand) * (m - grand)
		for _, v := range g {
			ssw += (v - m) * (v - m)
		}
	}
	msb, msw := ssb/float64(a.DFB), ssw/float64(a.DFW)
	a.SDWithin = math.Sqrt(msw)
	if msw == 0 {
		return a
	}
	a.F = msb / msw
	a.P = 1 - distuv.F{D1: float64(a.DFB), D2: float64(a.DFW)}.CDF(a.F)
	return a
}
