package findings

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/fluens-lab/fluens/decay"
	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/measure"
)

// labelSplits reads each label's training and test drawings back from the
// first mix that holds it (the convergent labels from mix_00, the
// divergent ones from the last mix).
func labelSplits(prep *idx.Prepared, labels []Label) (map[string]measure.Split, error) {
	want := map[string]bool{}
	for _, l := range labels {
		want[l.Name] = true
	}
	out := map[string]measure.Split{}
	order := []int{0, prep.Len() - 1}
	for k := 1; k < prep.Len()-1; k++ {
		order = append(order, k)
	}
	for _, k := range order {
		if len(out) == len(want) {
			break
		}
		names := prep.Manifest.Mixes[k].Labels
		if !slices.ContainsFunc(names, func(n string) bool { _, done := out[n]; return want[n] && !done }) {
			continue
		}
		train, test, err := prep.Mix(k)
		if err != nil {
			return nil, err
		}
		for slot, n := range names {
			if _, done := out[n]; !want[n] || done {
				continue
			}
			out[n] = measure.Split{Train: ofClass(train, slot), Test: ofClass(test, slot)}
		}
	}
	for n := range want {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("findings: label %q is in no mix of %s", n, prep.Dir)
		}
	}
	return out, nil
}

func ofClass(d idx.Dataset, c int) []byte {
	var out []byte
	for i, l := range d.Labels {
		if int(l) == c {
			out = append(out, d.Image(i)...)
		}
	}
	return out
}

func computeMeasures(ctx context.Context, prep *idx.Prepared, labels []Label, names []string, seed uint64) error {
	splits, err := labelSplits(prep, labels)
	if err != nil {
		return err
	}
	vals, err := measure.ScoreSplits(ctx, splits, names, seed)
	if err != nil {
		return err
	}
	for i := range labels {
		for k, v := range vals[labels[i].Name] {
			labels[i].Measures[k] = v
		}
	}
	return nil
}

// mixBaselines computes Fisher's F1 and the CSG of every mix's training
// drawings and correlates them with the zoo's mean accuracy per mix.
func (f *Findings) mixBaselines(prep *idx.Prepared, models []*decay.Model, opt Options, rng *rand.Rand, logf func(string, ...any)) error {
	logf("findings: baselines of %d mixes", prep.Len())
	var acc, f1, csg []float64
	for k := range prep.Len() {
		m := prep.Manifest.Mixes[k]
		train, _, err := prep.Mix(k)
		if err != nil {
			return err
		}
		classes := len(m.Labels)
		v1, err := measure.FisherF1(train.Images, train.Labels, classes)
		if err != nil {
			return fmt.Errorf("findings: %s: %w", m.Name, err)
		}
		vc, err := measure.CSG(train.Images, train.Labels, classes, measure.CSGConfig{Seed: opt.Seed})
		if err != nil {
			return fmt.Errorf("findings: %s: %w", m.Name, err)
		}
		var per []float64
		for _, md := range models {
			if v := md.AccAt(m.Index); !math.IsNaN(v) {
				per = append(per, v)
			}
		}
		e := MeanCI(per)
		e.Method = "mean over models of the seed-mean accuracy, Student t over models"
		f.Mixes = append(f.Mixes, MixRow{Index: m.Index, Name: m.Name, MeanAcc: e, F1: v1, CSG: vc})
		if !math.IsNaN(e.Value) {
			acc = append(acc, e.Value)
			f1 = append(f1, v1)
			csg = append(csg, -vc)
		}
	}
	f.BaselineCorr = map[string]Estimate{
		"fisher_f1": SpearmanCI(f1, acc, opt.Bootstrap, rng),
		"csg":       SpearmanCI(csg, acc, opt.Bootstrap, rng),
	}
	return nil
}
