package decay

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"testing"

	"github.com/fluens-lab/fluens/sweep"
)

// TestWriteSeedsCSV checks seeds.csv against golden files and, cell by
// cell, against the per-seed fits of Summarize: one row per model and
// seed, in model then seed order, with empty cells where a fit or mix 0 is
// missing.
func TestWriteSeedsCSV(t *testing.T) {
	h := sweep.Hyper{Epochs: 1, Batch: 512, LR: 0.001}
	rec := func(spec string, seed int64, mix int, acc float64) *sweep.Record {
		return &sweep.Record{Key: spec + strconv.Itoa(int(seed)) + strconv.Itoa(mix), ModelID: "id-" + spec, Spec: spec,
			Family: "mlp", MixIndex: mix, Seed: seed, Hyper: h, Engine: "e", Accuracy: sweep.Float(acc)}
	}
	tests := []struct {
		name   string
		golden string
		recs   []*sweep.Record
		// want holds, per row, seed, mixes, slope, acc_mix_00 (NaN: empty).
		want [][4]float64
	}{
		{"two models", "seeds.csv", testRecords(), [][4]float64{
			{1, 3, -0.1, 0.9}, {2, 3, -0.1, 0.8}, // F16: 0.9 0.8 0.7 and 0.8 0.7 0.6
			{1, 2, -0.1, 0.6}, // linear: 0.6 0.5
		}},
		{"partial curves", "seeds_partial.csv", []*sweep.Record{
			// seed 3 has one mix: no line; seed 5 lacks mix 0.
			rec("F32", 3, 0, 0.7), rec("F32", 5, 1, 0.9), rec("F32", 5, 3, 0.5), rec("F32", 1, 0, 0.8), rec("F32", 1, 2, 0.6),
		}, [][4]float64{
			{1, 2, -0.1, 0.8}, {3, 1, math.NaN(), 0.7}, {5, 2, -0.2, math.NaN()},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			models, err := Summarize(tt.recs)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteSeedsCSV(&b, models); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, b.Bytes())
			rows, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1+len(tt.want) {
				t.Fatalf("%d rows, want a header and %d", len(rows), len(tt.want))
			}
			col := map[string]int{}
			for i, name := range rows[0] {
				col[name] = i
			}
			cell := func(row []string, name string) float64 {
				i, ok := col[name]
				if !ok {
					t.Fatalf("no column %q in %v", name, rows[0])
				}
				if row[i] == "" {
					return math.NaN()
				}
				v, err := strconv.ParseFloat(row[i], 64)
				if err != nil {
					t.Fatalf("column %s: %v", name, err)
				}
				return v
			}
			for i, w := range tt.want {
				row := rows[1+i]
				got := [4]float64{cell(row, "seed"), cell(row, "mixes"), cell(row, "slope"), cell(row, "acc_mix_00")}
				for j := range w {
					if math.IsNaN(w[j]) != math.IsNaN(got[j]) || !math.IsNaN(w[j]) && !near(w[j], got[j], 1e-12) {
						t.Errorf("row %d: seed, mixes, slope, acc_mix_00 = %v, want %v", i+1, got, w)
						break
					}
				}
			}
		})
	}
}
