package decay

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/fluens-lab/fluens/sweep"
)

// formatFloat writes x with the fewest digits that read back exactly, and
// NaN as an empty cell.
func formatFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// SortRecords sorts records by model id, mix index, seed and key: the row
// order of results.csv, which depends only on the records, not on the
// order jobs ran in.
func SortRecords(recs []*sweep.Record) {
	slices.SortFunc(recs, func(a, b *sweep.Record) int {
		return cmp.Or(cmp.Compare(a.ModelID, b.ModelID), cmp.Compare(a.MixIndex, b.MixIndex),
			cmp.Compare(a.Seed, b.Seed), cmp.Compare(a.Key, b.Key))
	})
}

// WriteResultsCSV writes one row per record, in SortRecords order (it
// sorts recs). Columns: key, model_id, spec, family, depth, params, flops,
// mix, mix_index, data_hash, seed, epochs, batch, lr, engine, train_images,
// test_images, accuracy, final_train_loss, then class_0 … class_{C-1} (the
// per-class test accuracy). Timing and host fields of the records are left
// out, so the file is identical whatever the number of workers.
func WriteResultsCSV(w io.Writer, recs []*sweep.Record) error {
	SortRecords(recs)
	classes := 0
	for _, r := range recs {
		classes = max(classes, len(r.PerClass))
	}
	cw := csv.NewWriter(w)
	head := []string{"key", "model_id", "spec", "family", "depth", "params", "flops", "mix", "mix_index",
		"data_hash", "seed", "epochs", "batch", "lr", "engine", "train_images", "test_images",
		"accuracy", "final_train_loss"}
	for c := range classes {
		head = append(head, fmt.Sprintf("class_%d", c))
	}
	cw.Write(head)
	for _, r := range recs {
		loss := math.NaN()
		if n := len(r.TrainLoss); n > 0 {
			loss = float64(r.TrainLoss[n-1])
		}
		row := []string{r.Key, r.ModelID, r.Spec, r.Family, strconv.Itoa(r.Depth), strconv.Itoa(r.Params),
			strconv.FormatInt(r.FLOPs, 10), r.Mix, strconv.Itoa(r.MixIndex), r.DataHash,
			strconv.FormatInt(r.Seed, 10), strconv.Itoa(r.Epochs), strconv.Itoa(r.Batch), formatFloat(r.LR),
			r.Engine, strconv.Itoa(r.TrainImages), strconv.Itoa(r.TestImages),
			formatFloat(float64(r.Accuracy)), formatFloat(loss)}
		for c := range classes {
			v := math.NaN()
			if c < len(r.PerClass) {
				v = float64(r.PerClass[c])
			}
			row = append(row, formatFloat(v))
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// MixColumns returns the mix indices that have a column in models.csv: 0
// through the largest index any model has (at least 0–10, the eleven mixes
// of the study).
func MixColumns(models []*Model) []int {
	last := 10
	for _, m := range models {
		if n := len(m.Mixes); n > 0 {
			last = max(last, m.Mixes[n-1])
		}
	}
	cols := make([]int, last+1)
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// WriteModelsCSV writes one row per model: id, spec, family, depth, params,
// flops, epochs, batch, lr, engine, acc_mix_00 … acc_mix_10 (mean over
// seeds; empty where the model has no run on that mix), slope, intercept,
// r2, max_acc (of the mean curve), slope_mean, slope_ci_low, slope_ci_high
// (over seeds; the bounds are empty with one seed) and seeds.
func WriteModelsCSV(w io.Writer, models []*Model) error {
	cols := MixColumns(models)
	cw := csv.NewWriter(w)
	head := []string{"id", "spec", "family", "depth", "params", "flops", "epochs", "batch", "lr", "engine"}
	for _, k := range cols {
		head = append(head, fmt.Sprintf("acc_mix_%02d", k))
	}
	head = append(head, "slope", "intercept", "r2", "max_acc", "slope_mean", "slope_ci_low", "slope_ci_high", "seeds")
	cw.Write(head)
	for _, m := range models {
		row := []string{m.ID, m.Spec, m.Family, strconv.Itoa(m.Depth), strconv.Itoa(m.Params),
			strconv.FormatInt(m.FLOPs, 10), strconv.Itoa(m.Hyper.Epochs), strconv.Itoa(m.Hyper.Batch),
			formatFloat(m.Hyper.LR), m.Engine}
		for _, k := range cols {
			row = append(row, formatFloat(m.AccAt(k)))
		}
		row = append(row, formatFloat(m.Slope), formatFloat(m.Intercept), formatFloat(m.R2), formatFloat(m.MaxAcc),
			formatFloat(m.SlopeMean), formatFloat(m.SlopeLow), formatFloat(m.SlopeHigh), strconv.Itoa(m.Seeds()))
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteSeedsCSV writes one row per run of each model (one per seed): the
// per-seed decay curves whose slopes models.csv averages. Rows come in the
// order of models (as Summarize sorts them), then by seed. Columns: id,
// spec, family, epochs, batch, lr, engine (which, as in models.csv, tell
// apart models of one spec trained with other settings), seed, mixes (the
// number of mixes the seed has a run on), slope, intercept, r2, max_acc
// (the least-squares fit of that seed's curve, as FitCurve) and acc_mix_00
// (its accuracy on mix 0; empty when it has no run there). Undefined
// values (the fit of a curve with fewer than two mixes, r² of a flat one)
// are empty cells.
func WriteSeedsCSV(w io.Writer, models []*Model) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "spec", "family", "epochs", "batch", "lr", "engine", "seed", "mixes",
		"slope", "intercept", "r2", "max_acc", "acc_mix_00"})
	for _, m := range models {
		for _, c := range m.Curves {
			acc0, ok := c.Acc[0]
			if !ok {
				acc0 = math.NaN()
			}
			cw.Write([]string{m.ID, m.Spec, m.Family, strconv.Itoa(m.Hyper.Epochs), strconv.Itoa(m.Hyper.Batch),
				formatFloat(m.Hyper.LR), m.Engine, strconv.FormatInt(c.Seed, 10), strconv.Itoa(len(c.Acc)),
				formatFloat(c.Slope), formatFloat(c.Intercept), formatFloat(c.R2), formatFloat(c.MaxAcc),
				formatFloat(acc0)})
		}
	}
	cw.Flush()
	return cw.Error()
}
