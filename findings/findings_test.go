package findings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

var (
	studyOnce       sync.Once
	studyDir        string
	studyPrep, runs string
	studyErr        error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if studyDir != "" {
		os.RemoveAll(studyDir)
	}
	os.Exit(code)
}

// study prepares three convergent and three divergent labels of the real
// test data (100 drawings each) and trains four small models of the zoo
// with two seeds on the four mixes with the real engine, once per test
// binary.
func study(t *testing.T) (prep, store string) {
	t.Helper()
	src := testenv.QuickDraw(t)
	studyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "findings-test-")
		if err != nil {
			studyErr = err
			return
		}
		studyDir = dir
		studyPrep, runs = filepath.Join(dir, "prep"), filepath.Join(dir, "runs")
		s := mix.DefaultSettings()
		s.PerClass = 100
		_, studyErr = idx.Prepare(context.Background(), idx.PrepareOptions{Source: src, Out: studyPrep, Settings: s,
			Convergent: []string{"rainbow", "apple", "eye"}, Divergent: []string{"cat", "dog", "bird"},
			Categories: []string{"rainbow", "apple", "eye", "cat", "dog", "bird"}})
		if studyErr != nil {
			return
		}
		var models []zoo.Model
		for _, m := range []struct {
			f zoo.Family
			s string
		}{{zoo.MLP, "linear"}, {zoo.MLP, "F16"}, {zoo.MLP, "F32"}, {zoo.CNN, "C4k3-P2"}, {zoo.CNN, "P2-F16"}, {zoo.CNN, "D0.25-F16"}} {
			models = append(models, zoo.Model{Family: m.f, Spec: zoo.MustParse(m.s)})
		}
		mixes, err := sweep.FindMixes(studyPrep)
		if err != nil {
			studyErr = err
			return
		}
		st, err := sweep.OpenStore(runs)
		if err != nil {
			studyErr = err
			return
		}
		jobs := sweep.Jobs(models, mixes, sweep.Seeds(2), sweep.Hyper{Epochs: 2, Batch: 64, LR: 0.003})
		_, studyErr = (&sweep.Runner{Store: st, Workers: 2}).Run(context.Background(), jobs)
	})
	if studyErr != nil {
		t.Fatal(studyErr)
	}
	return studyPrep, runs
}

func TestCompute(t *testing.T) {
	prep, store := study(t)
	f, err := Compute(context.Background(), Options{Runs: store, Data: prep, Bootstrap: 300,
		Measures: []string{"entropy", "variance", measure.Fisher, measure.Autoencoder}, Baselines: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Models != 6 || f.Seeds != 2 || f.Records != 6*4*2 {
		t.Fatalf("%d models, %d seeds, %d records", f.Models, f.Seeds, f.Records)
	}
	var ids []string
	for _, o := range f.Observations {
		ids = append(ids, o.ID)
		if o.ID != "similar-decay" && o.Verdict != judge(o.Est, map[bool]float64{true: -1, false: 1}[strings.HasPrefix(o.ID, "decay-")]) {
			t.Errorf("%s: verdict %s does not follow the rule for %+v", o.ID, o.Verdict, o.Est)
		}
	}
	if want := []string{"decay-mlp", "decay-cnn", "similar-decay", "width", "acc-vs-decay", "conv-first", "params-vs-decay"}; !slices.Equal(ids, want) {
		t.Errorf("observations %v, want %v", ids, want)
	}
	// conv-first compares the one conv-first CNN with the two others: no CI.
	for _, o := range f.Observations {
		if o.ID == "conv-first" && (o.Est.N != 3 || !math.IsNaN(o.Est.Low) || o.Verdict != Inconclusive) {
			t.Errorf("conv-first: %+v %s", o.Est, o.Verdict)
		}
	}

	// Learnability of rainbow, recomputed from the records by hand.
	st, _ := sweep.OpenStore(store)
	recs, _, _ := st.Records()
	p, _ := idx.Open(prep)
	perModel := map[string][]float64{}
	for _, r := range recs {
		for slot, l := range p.Manifest.Mixes[r.MixIndex].Labels {
			if l == "rainbow" {
				perModel[r.Spec] = append(perModel[r.Spec], float64(r.PerClass[slot]))
			}
		}
	}
	var want []float64
	for _, v := range perModel {
		want = append(want, mean(v))
	}
	if len(f.Labels) != 6 || f.Labels[0].Name != "rainbow" || !near(f.Labels[0].Learnability.Value, mean(want), 1e-12) {
		t.Errorf("rainbow: %+v, want learnability %v", f.Labels[0], mean(want))
	}
	if len(f.Judgements) != 4 || len(f.Agreement) != 4 || f.Agreement[0][0] != 1 {
		t.Fatalf("judgements %+v agreement %v", f.Judgements, f.Agreement)
	}
	for i, j := range f.Judgements {
		if i > 0 && j.Spearman.Value > f.Judgements[i-1].Spearman.Value {
			t.Error("judgements not sorted best first")
		}
		if j.Measure == "entropy" && j.Computed || j.Measure == measure.Autoencoder && !j.Computed {
			t.Errorf("%s: computed %v", j.Measure, j.Computed)
		}
		for _, l := range f.Labels {
			if v := l.Measures[j.Measure]; math.IsNaN(v) || v == 0 {
				t.Errorf("%s of %s: %v", j.Measure, l.Name, v)
			}
		}
	}
	if f.Winner != f.Judgements[0].Measure || !near(f.Margin.Value, f.Judgements[0].Spearman.Value-f.Judgements[1].Spearman.Value, 1e-12) {
		t.Errorf("winner %s margin %+v", f.Winner, f.Margin)
	}
	if len(f.Mixes) != 4 || len(f.BaselineCorr) != 2 {
		t.Errorf("mixes %+v, baselines %+v", f.Mixes, f.BaselineCorr)
	}

	var text bytes.Buffer
	if err := f.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"[", "networks decay similarly", "Spearman ρ", "winner: ", "Kendall τ_b", "conv_div_mix_03"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
	h, err := f.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<table class=\"findings-obs\">", "networks decay similarly", "Winner: <b>", "conv_div_mix_03"} {
		if !strings.Contains(string(h), s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
	var js bytes.Buffer
	if err := f.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON: %v\n%s", err, js.String())
	}
	if obs, _ := back["Observations"].([]any); len(obs) != 7 {
		t.Errorf("JSON observations: %v", back["Observations"])
	}

	// The same inputs give the same findings.
	g, err := Compute(context.Background(), Options{Runs: store, Data: prep, Bootstrap: 300,
		Measures: []string{"entropy", "variance", measure.Fisher, measure.Autoencoder}, Baselines: true})
	if err != nil {
		t.Fatal(err)
	}
	var js2 bytes.Buffer
	g.WriteJSON(&js2)
	if !bytes.Equal(js.Bytes(), js2.Bytes()) {
		t.Error("two runs differ")
	}
}

func TestComputeErrors(t *testing.T) {
	prep, store := study(t)
	empty := t.TempDir()
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Runs: store, Data: filepath.Join(empty, "nope")}, "does not exist"},
		{Options{Runs: empty, Data: prep}, "holds no record"},
		{Options{Runs: store, Data: prep, Measures: []string{"beauty"}}, "unknown measure"},
	} {
		_, err := Compute(context.Background(), c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
}

// TestComputeDamaged copies the study's records, truncates one and adds
// one that is not JSON, and checks that Compute refuses the copy, naming
// both files, unless SkipDamaged: then it leaves them out with a note and
// a progress line each.
func TestComputeDamaged(t *testing.T) {
	prep, store := study(t)
	runs := t.TempDir()
	jobs := filepath.Join(runs, sweep.JobsDir)
	if err := os.Mkdir(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(store, sweep.JobsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%d records: %v", len(files), err)
	}
	slices.Sort(files)
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			raw = raw[:len(raw)/2]
		}
		if err := os.WriteFile(filepath.Join(jobs, filepath.Base(f)), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	truncated := filepath.Join(jobs, filepath.Base(files[0]))
	notJSON := filepath.Join(jobs, strings.Repeat("f", 64)+".json")
	if err := os.WriteFile(notJSON, []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	intact := len(files) - 1
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip=%v", skip), func(t *testing.T) {
			var progress []string
			f, err := Compute(context.Background(), Options{Runs: runs, Data: prep, Bootstrap: 100,
				Measures: []string{"entropy"}, SkipDamaged: skip,
				Progress: func(format string, a ...any) { progress = append(progress, fmt.Sprintf(format, a...)) }})
			if !skip {
				var de *sweep.DamagedError
				if !errors.As(err, &de) || f != nil {
					t.Fatalf("error %v, want a *sweep.DamagedError", err)
				}
				msg := err.Error()
				for _, s := range []string{"findings: 2 damaged records in " + jobs, truncated, notJSON, "--skip-damaged",
					fmt.Sprintf("summarise the %d intact records", intact)} {
					if !strings.Contains(msg, s) {
						t.Errorf("error lacks %q:\n%s", s, msg)
					}
				}
				if len(progress) > 0 {
					t.Errorf("progress before failing: %q", progress)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Records != intact {
				t.Errorf("%d records, want the %d intact ones", f.Records, intact)
			}
			if !slices.ContainsFunc(f.Notes, func(n string) bool { return strings.HasPrefix(n, "2 damaged records in the store were skipped") }) {
				t.Errorf("notes %q lack the damaged records", f.Notes)
			}
			var warned int
			for _, p := range progress {
				if strings.HasPrefix(p, "findings: skipping damaged record: ") && (strings.Contains(p, truncated) || strings.Contains(p, notJSON)) {
					warned++
				}
			}
			if warned != 2 {
				t.Errorf("%d progress lines name a damaged file, want 2: %q", warned, progress)
			}
		})
	}
}
