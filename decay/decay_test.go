package decay

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/sweep"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// checkGolden compares got with testdata/name, rewriting the file first
// under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestFitCurve(t *testing.T) {
	tests := []struct {
		name                string
		x, y                []float64
		slope, icpt, r2, mx float64
	}{
		// x̄ = 1.5, ȳ = 2.5, Sxy = 4, Sxx = 5: slope 0.8, intercept 1.3;
		// residuals −0.3, 0.9, −0.9, 0.3: SSres 1.8, SStot 5, r² 0.64.
		{"hand", []float64{0, 1, 2, 3}, []float64{1, 3, 2, 4}, 0.8, 1.3, 0.64, 4},
		// an exact line: r² 1.
		{"line", []float64{0, 1, 2, 3, 4}, []float64{0.9, 0.85, 0.8, 0.75, 0.7}, -0.05, 0.9, 1, 0.9},
		// NaN points are left out: the same as "hand".
		{"nan", []float64{0, 1, 2, 3, 4}, []float64{1, 3, 2, 4, math.NaN()}, 0.8, 1.3, 0.64, 4},
		// flat: slope 0, r² undefined.
		{"flat", []float64{0, 1, 2}, []float64{0.5, 0.5, 0.5}, 0, 0.5, math.NaN(), 0.5},
		// one mix: no line.
		{"one", []float64{3}, []float64{0.7}, math.NaN(), math.NaN(), math.NaN(), 0.7},
	}
	same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || near(a, b, 1e-12) }
	for _, tt := range tests {
		f := FitCurve(tt.x, tt.y)
		if !same(f.Slope, tt.slope) || !same(f.Intercept, tt.icpt) || !same(f.R2, tt.r2) || !same(f.MaxAcc, tt.mx) {
			t.Errorf("%s: got slope %v intercept %v r² %v max %v, want %v %v %v %v",
				tt.name, f.Slope, f.Intercept, f.R2, f.MaxAcc, tt.slope, tt.icpt, tt.r2, tt.mx)
		}
	}
}

func TestMeanCI(t *testing.T) {
	// {1, 2, 3}: mean 2, s = 1, t(0.975; 2) = 4.302653 (any t table):
	// half width 4.302653/√3 = 2.484138.
	m, lo, hi := MeanCI([]float64{1, 2, 3}, 0.95)
	if !near(m, 2, 1e-12) || !near(lo, 2-2.484138, 1e-6) || !near(hi, 2+2.484138, 1e-6) {
		t.Errorf("MeanCI({1,2,3}) = %v [%v, %v]", m, lo, hi)
	}
	// {-0.02, -0.01}: mean -0.015, s = 0.0070711, t(0.975; 1) = 12.706205:
	// half width 12.706205·0.0070711/√2 = 0.0635310.
	m, lo, hi = MeanCI([]float64{-0.02, -0.01}, 0.95)
	if !near(m, -0.015, 1e-12) || !near(hi-m, 0.0635310, 1e-6) || !near(m-lo, 0.0635310, 1e-6) {
		t.Errorf("MeanCI({-0.02,-0.01}) = %v [%v, %v]", m, lo, hi)
	}
	m, lo, hi = MeanCI([]float64{0.3}, 0.95)
	if m != 0.3 || !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one value: %v [%v, %v], want 0.3 [NaN, NaN]", m, lo, hi)
	}
	if m, _, _ := MeanCI(nil, 0.95); !math.IsNaN(m) {
		t.Errorf("no value: mean %v, want NaN", m)
	}
}

// testRecords builds records of two models: F16 with seeds 1 and 2 on
// mixes 0–2, linear with seed 1 on mixes 0–1.
func testRecords() []*sweep.Record {
	h := sweep.Hyper{Epochs: 1, Batch: 512, LR: 0.001}
	rec := func(spec, family string, seed int64, mix int, acc float64) *sweep.Record {
		return &sweep.Record{
			Key: strings.Repeat(string(rune('a'+mix)), 2) + spec + string(rune('0'+seed)), ModelID: "id-" + spec, Spec: spec,
			Family: family, Depth: len(spec) / 4, Params: 100, FLOPs: int64(len(spec)), Mix: "conv_div_mix_0" + string(rune('0'+mix)),
			MixIndex: mix, Seed: seed, Hyper: h, Engine: "e", Accuracy: sweep.Float(acc),
			TrainLoss: []sweep.Float{sweep.Float(1 - acc)}, TestAcc: []sweep.Float{sweep.Float(acc)},
			PerClass: []sweep.Float{sweep.Float(acc), 1},
		}
	}
	return []*sweep.Record{
		rec("F16", "mlp", 2, 2, 0.6), rec("F16", "mlp", 1, 0, 0.9), rec("F16", "mlp", 1, 1, 0.8),
		rec("F16", "mlp", 1, 2, 0.7), rec("F16", "mlp", 2, 0, 0.8), rec("F16", "mlp", 2, 1, 0.7),
		rec("linear", "mlp", 1, 1, 0.5), rec("linear", "mlp", 1, 0, 0.6),
	}
}

func TestSummarize(t *testing.T) {
	models, err := Summarize(testRecords())
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 2 || models[0].Spec != "F16" || models[1].Spec != "linear" {
		t.Fatalf("models %v", models)
	}
	f := models[0]
	// seed 1: 0.9, 0.8, 0.7 (slope −0.1); seed 2: 0.8, 0.7, 0.6 (slope −0.1);
	// mean curve 0.85, 0.75, 0.65: slope −0.1, intercept 0.85, r² 1.
	if f.Seeds() != 2 || !near(f.AccAt(0), 0.85, 1e-12) || !near(f.AccAt(2), 0.65, 1e-12) || !math.IsNaN(f.AccAt(3)) {
		t.Errorf("F16 mean accuracies %v", f.MeanAcc)
	}
	if !near(f.Slope, -0.1, 1e-12) || !near(f.Intercept, 0.85, 1e-12) || !near(f.R2, 1, 1e-12) || !near(f.MaxAcc, 0.85, 1e-12) {
		t.Errorf("F16 fit %+v", f.Fit)
	}
	// equal slopes: zero-width interval.
	if !near(f.SlopeMean, -0.1, 1e-12) || !near(f.SlopeLow, -0.1, 1e-9) || !near(f.SlopeHigh, -0.1, 1e-9) {
		t.Errorf("F16 slope CI %v [%v, %v]", f.SlopeMean, f.SlopeLow, f.SlopeHigh)
	}
	l := models[1]
	if l.Seeds() != 1 || !near(l.Slope, -0.1, 1e-12) || !math.IsNaN(l.SlopeLow) || !math.IsNaN(l.SlopeHigh) {
		t.Errorf("linear: seeds %d slope %v CI [%v, %v]", l.Seeds(), l.Slope, l.SlopeLow, l.SlopeHigh)
	}
	dup := append(testRecords(), testRecords()[0])
	dup[len(dup)-1] = &sweep.Record{}
	*dup[len(dup)-1] = *dup[0]
	dup[len(dup)-1].Key = "other"
	if _, err := Summarize(dup); err == nil || !strings.Contains(err.Error(), "other") {
		t.Errorf("duplicate run: err %v", err)
	}
}

func TestCSVGolden(t *testing.T) {
	recs := testRecords()
	models, err := Summarize(recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"results.csv", func(b *bytes.Buffer) error { return WriteResultsCSV(b, recs) }},
		{"models.csv", func(b *bytes.Buffer) error { return WriteModelsCSV(b, models) }},
		{"seeds.csv", func(b *bytes.Buffer) error { return WriteSeedsCSV(b, models) }},
	} {
		var b bytes.Buffer
		if err := g.write(&b); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, g.name, b.Bytes())
	}
	// results.csv does not depend on the order of the records.
	var a, b bytes.Buffer
	rev := testRecords()
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	WriteResultsCSV(&a, testRecords())
	WriteResultsCSV(&b, rev)
	if a.String() != b.String() {
		t.Error("results.csv depends on the order of the records")
	}
}
