package findings

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestRanks(t *testing.T) {
	got := Ranks([]float64{10, 30, 20, 30, 5})
	if want := []float64{2, 4.5, 3, 4.5, 1}; !slices.Equal(got, want) {
		t.Errorf("Ranks = %v, want %v", got, want)
	}
}

func TestSpearman(t *testing.T) {
	for _, c := range []struct {
		x, y []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4, 5}, []float64{2, 4, 6, 8, 100}, 1},
		{[]float64{1, 2, 3, 4, 5}, []float64{5, 4, 3, 2, 1}, -1},
		// Σd² = 0+1+1+1+1 = 4 (no ties): ρ = 1 − 6·4/(5·24) = 0.8.
		{[]float64{1, 2, 3, 4, 5}, []float64{1, 3, 2, 5, 4}, 0.8},
		// Σd² = 4+1+1+1+1 = 8: ρ = 0.6.
		{[]float64{1, 2, 3, 4, 5}, []float64{3, 1, 2, 5, 4}, 0.6},
	} {
		if got := Spearman(c.x, c.y); !near(got, c.want, 1e-12) {
			t.Errorf("Spearman(%v, %v) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	if !math.IsNaN(Spearman([]float64{1, 2}, []float64{1, 2})) {
		t.Error("ρ of two pairs is not NaN")
	}
}

func TestKendallTauB(t *testing.T) {
	// C = 5, D = 1, no ties: τ = 4/6.
	if got := KendallTauB([]float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}); !near(got, 4.0/6, 1e-12) {
		t.Errorf("τ_b = %v, want 2/3", got)
	}
	// x ties one pair (1,2): C = 5, D = 0, T_x = 1: τ_b = 5/√(6·5).
	if got := KendallTauB([]float64{1, 1, 2, 3}, []float64{1, 2, 3, 4}); !near(got, 5/math.Sqrt(30), 1e-12) {
		t.Errorf("τ_b with a tie = %v, want %v", got, 5/math.Sqrt(30))
	}
	if !math.IsNaN(KendallTauB([]float64{1, 1, 1}, []float64{1, 2, 3})) {
		t.Error("τ_b of a constant is not NaN")
	}
}

func TestAUC(t *testing.T) {
	pos := []bool{true, true, false, false}
	for _, c := range []struct {
		s    []float64
		want float64
	}{
		{[]float64{3, 4, 1, 2}, 1},
		{[]float64{1, 2, 3, 4}, 0},
		{[]float64{3, 1, 2, 4}, 0.25},
		{[]float64{2, 2, 2, 2}, 0.5},
	} {
		if got := AUC(c.s, pos); got != c.want {
			t.Errorf("AUC(%v) = %v, want %v", c.s, got, c.want)
		}
	}
	if !math.IsNaN(AUC([]float64{1}, []bool{true})) {
		t.Error("AUC without negatives is not NaN")
	}
}

func TestMeanAndWelchCI(t *testing.T) {
	// 1..5: mean 3, s = √2.5, t(0.975, 4) = 2.776445: half 1.963177.
	e := MeanCI([]float64{1, 2, 3, 4, 5})
	if !near(e.Value, 3, 1e-12) || !near(e.High-e.Value, 2.776445*math.Sqrt(2.5)/math.Sqrt(5), 1e-5) {
		t.Errorf("MeanCI = %+v", e)
	}
	// Welch: a = {1,2,3,4,5} (var 2.5), b = {2,4,6} (var 4): diff 0 − 1 = −1,
	// se² = 0.5 + 4/3, df = se⁴/(0.25/4 + (16/9)/2) = 3.3611/0.95139 = 3.5328.
	w := WelchCI([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 6})
	se := math.Sqrt(0.5 + 4.0/3)
	if !near(w.Value, -1, 1e-12) || !(w.Low < -1-2.7*se && w.Low > -1-3.2*se) {
		t.Errorf("WelchCI = %+v (se %v)", w, se)
	}
	if w := WelchCI([]float64{1}, []float64{2, 3}); !math.IsNaN(w.Low) || w.Value != -1.5 {
		t.Errorf("Welch with one value: %+v", w)
	}
}

func TestOneWayANOVA(t *testing.T) {
	// Groups {1,2,3}, {4,5,6}, {7,8,9}: grand 5, SSB = 3·(9+0+9) = 54,
	// SSW = 6, F = (54/2)/(6/6) = 27; P(F(2,6) > 27) = (1+27/3)^−3 = 0.001.
	a := OneWayANOVA([][]float64{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}})
	if !near(a.F, 27, 1e-12) || a.DFB != 2 || a.DFW != 6 || !near(a.P, 0.001, 1e-9) {
		t.Errorf("ANOVA %+v", a)
	}
	same := OneWayANOVA([][]float64{{1, 2, 3}, {1, 2, 3}})
	if same.F != 0 || !near(same.P, 1, 1e-12) {
		t.Errorf("equal groups: %+v", same)
	}
	if one := OneWayANOVA([][]float64{{1}, {2}}); !math.IsNaN(one.P) {
		t.Errorf("no replication: %+v", one)
	}
}

func TestBootstrap(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := []float64{2, 1, 4, 3, 6, 5, 8, 7, 10, 9}
	e := SpearmanCI(x, y, 1000, rand.New(rand.NewPCG(1, 2)))
	if !(e.Low <= e.Value && e.Value <= e.High && e.High <= 1 && e.Low > 0.5) {
		t.Errorf("SpearmanCI %+v", e)
	}
	again := SpearmanCI(x, y, 1000, rand.New(rand.NewPCG(1, 2)))
	if again != e {
		t.Errorf("not reproducible: %+v then %+v", e, again)
	}
	// Stratified resamples keep each stratum's size.
	strata := []int{0, 0, 0, 1, 1}
	Bootstrap(5, 50, rand.New(rand.NewPCG(3, 4)), strata, func(idx []int) float64 {
		n0 := 0
		for _, i := range idx {
			if strata[i] == 0 {
				n0++
			}
		}
		if n0 != 3 {
			t.Fatalf("resample %v has %d of stratum 0", idx, n0)
		}
		return 0
	})
}

func TestJudge(t *testing.T) {
	for _, c := range []struct {
		lo, hi, sign float64
		want         Verdict
	}{
		{0.1, 0.5, +1, Holds},
		{-0.5, -0.1, +1, DoesNotHold},
		{-0.1, 0.5, +1, Inconclusive},
		{-0.5, -0.1, -1, Holds},
		{0.1, 0.5, -1, DoesNotHold},
		{math.NaN(), math.NaN(), +1, Inconclusive},
	} {
		if got := judge(Estimate{Low: c.lo, High: c.hi}, c.sign); got != c.want {
			t.Errorf("judge([%v, %v], %v) = %s, want %s", c.lo, c.hi, c.sign, got, c.want)
		}
	}
}
