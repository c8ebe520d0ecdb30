package findings

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/fluens-lab/fluens/decay"
	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// Options configures Compute.
type Options struct {
	// Runs is the result store (fluens train --runs); Data the prepared
	// folder the store was trained on (fluens prepare --out).
	Runs, Data string
	// Seed seeds the bootstrap resampling and the measures that train
	// (0 means 1).
	Seed uint64
	// Bootstrap is the number of bootstrap resamples (0 means 2000).
	Bootstrap int
	// Measures names the label measures to judge (nil: every registered
	// measure). Those measures.csv lacks are computed on the labels'
	// drawings in the prepared folder: autoencoder and swap train.
	Measures []string
	// Baselines turns on the per-mix training-free baselines (Fisher's F1
	// and the cumulative spectral gradient of every mix).
	Baselines bool
	// SkipDamaged leaves damaged records of the store (the problems of
	// sweep.Store.Records) out, with a note in Findings.Notes and a line
	// each to Progress. Without it a damaged record is an error, a
	// *sweep.DamagedError naming every damaged file, as for fluens results.
	SkipDamaged bool
	// Progress, if not nil, receives one line per stage and one per
	// damaged record skipped.
	Progress func(format string, args ...any)
}

// Verdict is the outcome of testing one observation.
type Verdict string

// The verdicts. The rule: an observation predicts the sign of a
// statistic; when the statistic's 95% confidence interval lies wholly on
// the predicted side of zero it holds, wholly on the other side it does
// not hold, and an interval that contains zero (or cannot be computed)
// is inconclusive. "Networks decay similarly" predicts no difference and
// is judged by a test instead (see Compute).
const (
	Holds        Verdict = "holds"
	DoesNotHold  Verdict = "does not hold"
	Inconclusive Verdict = "inconclusive"
)

// judge applies the sign rule to e for the predicted sign (+1 or −1).
func judge(e Estimate, sign float64) Verdict {
	if math.IsNaN(e.Low) || math.IsNaN(e.High) {
		return Inconclusive
	}
	lo, hi := sign*e.Low, sign*e.High
	if lo > hi {
		lo, hi = hi, lo
	}
	switch {
	case lo > 0:
		return Holds
	case hi < 0:
		return DoesNotHold
	}
	return Inconclusive
}

// Observation is one of the seed's observations, tested.
type Observation struct {
	ID      string   `json:"id"`
	Claim   string   `json:"claim"`
	Test    string   `json:"test"` // what was computed
	Est     Estimate `json:"estimate"`
	Verdict Verdict  `json:"verdict"`
	Detail  string   `json:"detail"` // the figures in words
}

// ModelRow is one model's decay with its seeds' intervals.
type ModelRow struct {
	Spec, Family string
	Params       int
	Seeds        int
	Acc00        Estimate // accuracy on the first mix over seeds
	MaxAcc       Estimate // largest accuracy of each seed's curve, over seeds
	Slope        Estimate // per-seed slopes, over seeds
}

// Label is one label of the mixes with its learnability and measures.
type Label struct {
	Name       string
	Convergent bool
	// Learnability is the label's per-class test accuracy, averaged for
	// each model over the mixes and seeds the label appears in, then over
	// the models (interval over models).
	Learnability Estimate
	// Measures holds each measure's value for the label (NaN: missing).
	Measures map[string]float64
}

// Judgement is how well one measure predicts learnability.
type Judgement struct {
	Measure string
	// LowIsConvergent is the measure's direction; the statistics below
	// use the oriented score (negated when low is convergent), so that
	// positive ρ and AUC > 0.5 mean the measure works as intended.
	LowIsConvergent bool
	// Spearman is ρ between the oriented score and learnability over the
	// labels, with a bootstrap interval over labels.
	Spearman Estimate
	// AUC separates the chosen convergent labels (positives) from the
	// divergent ones, with a stratified bootstrap interval.
	AUC Estimate
	// Computed says whether findings computed the measure (true) or read
	// it from measures.csv.
	Computed bool
}

// MixRow is one mix with the zoo's mean accuracy and the baselines.
type MixRow struct {
	Index   int
	Name    string
	MeanAcc Estimate // mean over models of each model's seed-mean accuracy
	F1, CSG float64
}

// Findings is everything Compute finds.
type Findings struct {
	Runs, Data   string
	Models       int
	Seeds        int // most seeds (complete curves) of any model
	Records      int
	Observations []Observation
	ModelRows    []ModelRow
	Labels       []Label
	Judgements   []Judgement // best first
	// Agreement is Kendall's τ_b between the measures' oriented scores
	// over the labels, Agreement[i][j] for Judgements i and j.
	Agreement [][]float64
	// Winner is the measure with the largest ρ; Margin its ρ minus the
	// runner-up's, with a paired bootstrap interval over labels.
	Winner, RunnerUp string
	Margin           Estimate
	Mixes            []MixRow
	// BaselineCorr is Spearman's ρ of each baseline (oriented: F1 as is,
	// CSG negated, so positive means "easier mix, higher accuracy") with
	// the zoo's mean accuracy over the mixes.
	BaselineCorr map[string]Estimate
	Notes        []string
}

// Compute loads the result store and the prepared folder and computes
// the findings: the seed's observations with their verdicts, the judging
// of the convergence measures against learnability, and the per-mix
// baselines.
func Compute(ctx context.Context, opt Options) (*Findings, error) {
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Bootstrap == 0 {
		opt.Bootstrap = 2000
	}
	logf := opt.Progress
	if logf == nil {
		logf = func(string, ...any) {}
	}
	prep, err := idx.Open(opt.Data)
	if err != nil {
		return nil, err
	}
	store, err := sweep.OpenStore(opt.Runs)
	if err != nil {
		return nil, err
	}
	all, problems, err := store.Records()
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 && !opt.SkipDamaged {
		return nil, &sweep.DamagedError{Op: "findings", Dir: opt.Runs, Problems: problems, Intact: len(all)}
	}
	for _, p := range problems {
		logf("findings: skipping damaged record: %v", p)
	}
	man := prep.Manifest
	hashes := map[string]int{}
	for k, m := range man.Mixes {
		hashes[m.ContentHash] = k
	}
	var recs []*sweep.Record
	for _, r := range all {
		if k, ok := hashes[r.DataHash]; ok && man.Mixes[k].Index == r.MixIndex {
			recs = append(recs, r)
		}
	}
	f := &Findings{Runs: opt.Runs, Data: opt.Data, Records: len(recs)}
	if len(problems) > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d damaged records in the store were skipped (first: %v)", len(problems), problems[0]))
	}
	if n := len(all) - len(recs); n > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d records of other data in the store were left out", n))
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("findings: store %s holds no record trained on the mixes of %s", opt.Runs, opt.Data)
	}
	models, err := decay.Summarize(recs)
	if err != nil {
		return nil, err
	}
	f.Models = len(models)
	partial := 0
	for _, m := range models {
		c := len(complete(m))
		f.Seeds = max(f.Seeds, c)
		partial += m.Seeds() - c
	}
	if partial > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d runs (model × seed) lack some mixes; their curves are left out of the per-seed statistics", partial))
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0xf1d))
	f.ModelRows = modelRows(models)
	f.Observations = observations(models, f.ModelRows, opt.Bootstrap, rng)
	logf("findings: %d records, %d models, up to %d seeds", len(recs), len(models), f.Seeds)

	if err := f.judgeMeasures(ctx, prep, recs, models, opt, rng, logf); err != nil {
		return nil, err
	}
	if opt.Baselines {
		if err := f.mixBaselines(prep, models, opt, rng, logf); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func modelRows(models []*decay.Model) []ModelRow {
	first := 0
	if len(models) > 0 && len(models[0].Mixes) > 0 {
		first = models[0].Mixes[0]
	}
	var rows []ModelRow
	for _, m := range models {
		var acc0, maxAcc, slopes []float64
		seeds := 0
		for _, c := range complete(m) {
			seeds++
			if v, ok := c.Acc[first]; ok {
				acc0 = append(acc0, v)
			}
			if !math.IsNaN(c.MaxAcc) {
				maxAcc = append(maxAcc, c.MaxAcc)
			}
			if !math.IsNaN(c.Slope) {
				slopes = append(slopes, c.Slope)
			}
		}
		rows = append(rows, ModelRow{Spec: m.Spec, Family: m.Family, Params: m.Params, Seeds: seeds,
			Acc00: MeanCI(acc0), MaxAcc: MeanCI(maxAcc), Slope: MeanCI(slopes)})
	}
	return rows
}

// observations tests the seed's six observations.
func observations(models []*decay.Model, rows []ModelRow, boot int, rng *rand.Rand) []Observation {
	var obs []Observation
	// 1. Accuracy decays, per family: the mean over models of each
	// model's mean slope, Student t over models.
	for _, fam := range []string{string(zoo.MLP), string(zoo.CNN)} {
		var s []float64
		for _, r := range rows {
			if r.Family == fam && !math.IsNaN(r.Slope.Value) {
				s = append(s, r.Slope.Value)
			}
		}
		if len(s) == 0 {
			continue
		}
		e := MeanCI(s)
		e.Method = "mean over models of the seed-mean slope, Student t interval over models"
		obs = append(obs, Observation{ID: "decay-" + fam, Claim: "accuracy decays from mix_00 to mix_10 (" + fam + "s)",
			Test: "mean slope < 0", Est: e, Verdict: judge(e, -1),
			Detail: fmt.Sprintf("%d %ss, mean slope %s accuracy per mix step", len(s), fam, fmtCI(e))})
	}

	// 2. Networks decay similarly: one-way ANOVA of the per-seed slopes
	// grouped by model. Holds when the test finds no difference beyond
	// seed noise (p ≥ 0.05), does not hold when it does; inconclusive
	// without within-model replication (one seed).
	var groups [][]float64
	for _, m := range models {
		var g []float64
		for _, c := range complete(m) {
			if !math.IsNaN(c.Slope) {
				g = append(g, c.Slope)
			}
		}
		groups = append(groups, g)
	}
	a := OneWayANOVA(groups)
	sim := Observation{ID: "similar-decay", Claim: "networks decay similarly",
		Test: "one-way ANOVA of per-seed slopes by model (H0: equal mean slopes)"}
	var means []float64
	for _, r := range rows {
		if !math.IsNaN(r.Slope.Value) {
			means = append(means, r.Slope.Value)
		}
	}
	sdEst := Estimate{Value: a.SDBetweenMeans, N: len(means), Method: "SD of model slopes, percentile bootstrap over models"}
	sdEst.Low, sdEst.High = Bootstrap(len(means), boot, rng, nil, func(idx []int) float64 {
		p := pick(means, idx)
		if len(p) < 2 {
			return math.NaN()
		}
		return sdOf(p)
	})
	sim.Est = sdEst
	switch {
	case math.IsNaN(a.P):
		sim.Verdict = Inconclusive
		sim.Detail = fmt.Sprintf("SD of the %d model slopes %s; no seed replication to compare it with (train with --seeds ≥ 2)", len(means), fmtCI(sdEst))
	case a.P < 1-Level:
		sim.Verdict = DoesNotHold
	default:
		sim.Verdict = Holds
	}
	if !math.IsNaN(a.P) {
		sim.Detail = fmt.Sprintf("slopes differ between models by SD %s against a seed-to-seed SD of %.4f within a model; F(%d, %d) = %.2f, p = %.3g",
			fmtCI(sdEst), a.SDWithin, a.DFB, a.DFW, a.F, a.P)
	}
	obs = append(obs, sim)

	// 3. More nodes per layer perform better: MLPs with hidden layers,
	// width of a hidden layer vs the seed-mean of the max accuracy.
	var width, best []float64
	for _, r := range rows {
		if r.Family != string(zoo.MLP) {
			continue
		}
		s, err := zoo.Parse(r.Spec)
		if err != nil || len(s.Layers) == 0 || math.IsNaN(r.MaxAcc.Value) {
			continue
		}
		width = append(width, float64(s.Layers[0].Units))
		best = append(best, r.MaxAcc.Value)
	}
	e := SpearmanCI(width, best, boot, rng)
	obs = append(obs, Observation{ID: "width", Claim: "more nodes per layer perform better",
		Test: "Spearman ρ(MLP width, max accuracy) > 0", Est: e, Verdict: judge(e, +1),
		Detail: fmt.Sprintf("ρ = %s over %d MLPs with hidden layers (one and two layers together)", fmtCI(e), len(width))})

	// 4. Higher mix_00 accuracy goes with less decay: ρ(acc on the first
	// mix, slope) > 0 (a less negative slope is less decay).
	var acc0, slope, logp []float64
	for _, r := range rows {
		if math.IsNaN(r.Acc00.Value) || math.IsNaN(r.Slope.Value) {
			continue
		}
		acc0 = append(acc0, r.Acc00.Value)
		slope = append(slope, r.Slope.Value)
		logp = append(logp, math.Log10(float64(max(r.Params, 1))))
	}
	e = SpearmanCI(acc0, slope, boot, rng)
	obs = append(obs, Observation{ID: "acc-vs-decay", Claim: "higher mix_00 accuracy goes with less decay",
		Test: "Spearman ρ(accuracy on mix_00, slope) > 0", Est: e, Verdict: judge(e, +1),
		Detail: fmt.Sprintf("ρ = %s over %d models (slope closer to 0 = less decay)", fmtCI(e), len(acc0))})

	// 5. CNNs that start with a convolution beat those that start with
	// pooling or dropout: Welch interval of the difference of the mean
	// max accuracy.
	var conv, other []float64
	for _, r := range rows {
		if r.Family != string(zoo.CNN) || math.IsNaN(r.MaxAcc.Value) {
			continue
		}
		s, err := zoo.Parse(r.Spec)
		if err != nil || len(s.Layers) == 0 {
			continue
		}
		switch s.Layers[0].Kind {
		case zoo.Conv:
			conv = append(conv, r.MaxAcc.Value)
		case zoo.Pool, zoo.Dropout:
			other = append(other, r.MaxAcc.Value)
		}
	}
	e = WelchCI(conv, other)
	obs = append(obs, Observation{ID: "conv-first", Claim: "CNNs that start with a convolution beat those that start with pooling or dropout",
		Test: "mean max accuracy (conv first) − (pool/dropout first) > 0", Est: e, Verdict: judge(e, +1),
		Detail: fmt.Sprintf("difference %s (%d conv-first, %d pool/dropout-first CNNs)", fmtCI(e), len(conv), len(other))})

	// 6. More parameters go with less decay.
	e = SpearmanCI(logp, slope, boot, rng)
	obs = append(obs, Observation{ID: "params-vs-decay", Claim: "more parameters go with less decay",
		Test: "Spearman ρ(log parameters, slope) > 0", Est: e, Verdict: judge(e, +1),
		Detail: fmt.Sprintf("ρ = %s over %d models", fmtCI(e), len(logp))})
	return obs
}

// complete returns the model's curves that cover every mix the model was
// trained on: a seed still training (a partial curve) would bias its
// slope, so per-seed statistics use complete curves only.
func complete(m *decay.Model) []decay.Curve {
	var out []decay.Curve
	for _, c := range m.Curves {
		if len(c.Acc) == len(m.Mixes) {
			out = append(out, c)
		}
	}
	return out
}

func sdOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	s := 0.0
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// learnability returns, for each label of the manifest, each model's
// mean per-class accuracy over the mixes and seeds it appears in.
func learnability(man idx.Manifest, recs []*sweep.Record) map[string]map[string][]float64 {
	byIndex := map[int][]string{}
	for _, m := range man.Mixes {
		byIndex[m.Index] = m.Labels
	}
	out := map[string]map[string][]float64{} // label → model → values
	for _, r := range recs {
		labels := byIndex[r.MixIndex]
		for slot, acc := range r.PerClass {
			if slot >= len(labels) || math.IsNaN(float64(acc)) {
				continue
			}
			l := labels[slot]
			if out[l] == nil {
				out[l] = map[string][]float64{}
			}
			key := r.Spec + "|" + r.Engine + "|" + strconv.Itoa(r.Epochs) + "|" + strconv.Itoa(r.Batch) + "|" + strconv.FormatFloat(r.LR, 'g', -1, 64)
			out[l][key] = append(out[l][key], float64(acc))
		}
	}
	return out
}

func (f *Findings) judgeMeasures(ctx context.Context, prep *idx.Prepared, recs []*sweep.Record, models []*decay.Model,
	opt Options, rng *rand.Rand, logf func(string, ...any)) error {
	man := prep.Manifest
	learn := learnability(man, recs)
	names := opt.Measures
	if names == nil {
		names = measure.Names()
	}
	for _, n := range names {
		if _, err := measure.Lookup(n); err != nil {
			return fmt.Errorf("findings: %w", err)
		}
	}
	csvVals, err := readMeasures(filepath.Join(prep.Dir, idx.MeasuresFile))
	if err != nil {
		return err
	}
	var labels []Label
	for i, l := range append(slices.Clone(man.Convergent), man.Divergent...) {
		var perModel []float64
		for _, vs := range learn[l] {
			perModel = append(perModel, mean(vs))
		}
		slices.Sort(perModel)
		e := MeanCI(perModel)
		e.Method = "mean over models of the label's per-class accuracy (mixes and seeds averaged), Student t over models"
		labels = append(labels, Label{Name: l, Convergent: i < len(man.Convergent), Learnability: e, Measures: map[string]float64{}})
	}
	// Measures from measures.csv, the rest computed on the mixes' drawings.
	var missing, kept []string
	computed := map[string]bool{}
	for _, n := range names {
		have := true
		for i := range labels {
			v, ok := csvVals[labels[i].Name][n]
			if !ok {
				have = false
				break
			}
			labels[i].Measures[n] = v
		}
		if !have {
			if (n == measure.Swap || n == measure.Fisher) && len(labels) < measure.DefaultBaseSize+1 {
				f.Notes = append(f.Notes, fmt.Sprintf("%s was left out: its base sets need at least %d labels (the mixes have %d)",
					n, measure.DefaultBaseSize+1, len(labels)))
				continue
			}
			missing = append(missing, n)
			computed[n] = true
		}
		kept = append(kept, n)
	}
	names = kept
	if len(missing) > 0 {
		logf("findings: computing %v on the %d labels' drawings", missing, len(labels))
		if err := computeMeasures(ctx, prep, labels, missing, opt.Seed); err != nil {
			return err
		}
	}
	f.Labels = labels

	learnV := make([]float64, len(labels))
	pos := make([]bool, len(labels))
	strata := make([]int, len(labels))
	for i, l := range labels {
		learnV[i] = l.Learnability.Value
		pos[i] = l.Convergent
		if l.Convergent {
			strata[i] = 1
		}
	}
	oriented := map[string][]float64{}
	for _, n := range names {
		s, _ := measure.Lookup(n)
		x := make([]float64, len(labels))
		for i, l := range labels {
			v, ok := l.Measures[n]
			if !ok {
				v = math.NaN()
			}
			if s.LowIsConvergent {
				v = -v
			}
			x[i] = v
		}
		oriented[n] = x
		xs, ys, ps, st := dropNaN(x, learnV, pos, strata)
		j := Judgement{Measure: n, LowIsConvergent: s.LowIsConvergent, Computed: computed[n]}
		j.Spearman = SpearmanCI(xs, ys, opt.Bootstrap, rng)
		j.AUC = Estimate{Value: AUC(xs, ps), N: len(xs), Method: "AUC (Mann–Whitney), stratified percentile bootstrap"}
		j.AUC.Low, j.AUC.High = Bootstrap(len(xs), opt.Bootstrap, rng, st, func(idx []int) float64 {
			pp := make([]bool, len(idx))
			for k, i := range idx {
				pp[k] = ps[i]
			}
			return AUC(pick(xs, idx), pp)
		})
		f.Judgements = append(f.Judgements, j)
	}
	slices.SortStableFunc(f.Judgements, func(a, b Judgement) int {
		va, vb := a.Spearman.Value, b.Spearman.Value
		switch {
		case math.IsNaN(va) && math.IsNaN(vb):
			return 0
		case math.IsNaN(va):
			return 1
		case math.IsNaN(vb):
			return -1
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	f.Agreement = make([][]float64, len(f.Judgements))
	for i, a := range f.Judgements {
		f.Agreement[i] = make([]float64, len(f.Judgements))
		for j, b := range f.Judgements {
			xa, xb, _, _ := dropNaN(oriented[a.Measure], oriented[b.Measure], nil, nil)
			f.Agreement[i][j] = KendallTauB(xa, xb)
		}
	}
	if len(f.Judgements) >= 2 && !math.IsNaN(f.Judgements[1].Spearman.Value) {
		a, b := f.Judgements[0].Measure, f.Judgements[1].Measure
		f.Winner, f.RunnerUp = a, b
		xa, xb := oriented[a], oriented[b]
		f.Margin = Estimate{Value: f.Judgements[0].Spearman.Value - f.Judgements[1].Spearman.Value, N: len(labels),
			Method: "difference of Spearman ρ, paired percentile bootstrap over labels"}
		f.Margin.Low, f.Margin.High = Bootstrap(len(labels), opt.Bootstrap, rng, nil, func(idx []int) float64 {
			ya := pick(learnV, idx)
			x1, y1, _, _ := dropNaN(pick(xa, idx), ya, nil, nil)
			x2, y2, _, _ := dropNaN(pick(xb, idx), ya, nil, nil)
			return Spearman(x1, y1) - Spearman(x2, y2)
		})
	} else if len(f.Judgements) == 1 {
		f.Winner = f.Judgements[0].Measure
	}
	f.Notes = append(f.Notes, fmt.Sprintf("unless the lists were given by hand, the labels were chosen by %q, so its AUC separating convergent from divergent is 1 by construction", man.Settings.Measure))
	return nil
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// dropNaN keeps the positions where both x and y are numbers.
func dropNaN(x, y []float64, pos []bool, strata []int) ([]float64, []float64, []bool, []int) {
	var xs, ys []float64
	var ps []bool
	var st []int
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		xs = append(xs, x[i])
		ys = append(ys, y[i])
		if pos != nil {
			ps = append(ps, pos[i])
		}
		if strata != nil {
			st = append(st, strata[i])
		}
	}
	return xs, ys, ps, st
}

// readMeasures reads measures.csv into label → measure → value; empty
// cells are left out. A missing file gives an empty map.
func readMeasures(path string) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("findings: %s: header: %w", path, err)
	}
	name := slices.Index(head, "name")
	if name < 0 {
		return nil, fmt.Errorf("findings: %s: no name column", path)
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("findings: %s: %w", path, err)
		}
		m := map[string]float64{}
		for i, h := range head {
			switch h {
			case "name", "format", "drawings", "rank":
				continue
			}
			if rec[i] == "" {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return nil, fmt.Errorf("findings: %s:%d: %s %q: not a number", path, line, h, rec[i])
			}
			m[h] = v
		}
		out[rec[name]] = m
	}
	return out, nil
}
