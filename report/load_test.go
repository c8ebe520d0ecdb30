package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/decay"
	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/quickdraw"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// writePrepared writes a small prepared data folder for the labels, mixes
// and averages of src with the packages that fluens prepare uses: IDX files
// (4 test drawings per slot), labels.json, measures.csv and averages/.
func writePrepared(t *testing.T, dir string, src *Input) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, idx.AveragesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	settings := mix.DefaultSettings()
	settings.Source = "/data/quick draw"
	man := idx.Manifest{Format: idx.ManifestFormat, Convergent: src.Convergent, Divergent: src.Divergent,
		Settings: settings, Averages: map[string]string{}}
	var results []measure.Result
	for i, l := range src.Labels {
		results = append(results, measure.Result{Category: l.Name, Format: quickdraw.Bitmap, Drawings: l.Drawings,
			Average: l.Average, Entropy: l.Measures["entropy"], Variance: l.Measures["variance"], Rank: i + 1})
		rel := fmt.Sprintf("%s/%03d.png", idx.AveragesDir, i)
		f, err := os.Create(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := measure.WriteAveragePNG(f, l.Average); err != nil {
			t.Fatal(err)
		}
		f.Close()
		man.Averages[l.Name] = rel
	}
	f, err := os.Create(filepath.Join(dir, idx.MeasuresFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := measure.WriteCSV(f, results); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for k, m := range mix.Mixes(src.Convergent, src.Divergent) {
		mdir := filepath.Join(dir, m.Name())
		os.Mkdir(mdir, 0o755)
		var ds idx.Dataset
		ds.Rows, ds.Cols = 28, 28
		for n := range 4 {
			for s := range len(m.Labels) {
				img := make([]byte, 784)
				img[s*28+n] = byte(1 + s) // a pixel that names the slot and the drawing
				ds.Images = append(ds.Images, img...)
				ds.Labels = append(ds.Labels, uint8(s))
			}
		}
		if err := idx.WriteDir(mdir, ds, ds); err != nil {
			t.Fatal(err)
		}
		e := idx.MixEntry{Name: m.Name(), Index: k, Labels: m.Labels, Train: ds.Len(), Test: ds.Len(), SHA256: map[string]string{}}
		for _, name := range idx.Files {
			raw, err := os.ReadFile(filepath.Join(mdir, name))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			e.SHA256[name] = hex.EncodeToString(sum[:])
		}
		if e.ContentHash, err = sweep.DataHash(mdir); err != nil {
			t.Fatal(err)
		}
		man.Mixes = append(man.Mixes, e)
	}
	raw, _ := json.MarshalIndent(man, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, idx.ManifestFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// synthAccuracy is the accuracy the fake sweep records for model i on mix
// k with seed s.
func synthAccuracy(i, k int, s int64) float64 {
	return 0.9 - 0.01*float64(i%5) - (0.01+0.002*float64(i%3))*float64(k) + 0.003*float64(s)
}

// writeStore writes a result store for the models on the mixes of the
// prepared folder prep, as fluens train does: one record per job and the
// perceptron's weights (weight [784, 10]: w[p*10+c] = c + p/1000).
func writeStore(t *testing.T, dir, prep string, models []zoo.Model, seeds []int64) {
	t.Helper()
	p, err := idx.Open(prep)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sweep.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sweep.Hyper{Epochs: 2, Batch: 128, LR: 0.001}
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i, m := range models {
		for k, e := range p.Manifest.Mixes {
			for _, s := range seeds {
				r := &sweep.Record{
					Key: sweep.Key(m.Spec, e.Name, e.ContentHash, s, h, sweep.EngineVersion), ModelID: m.Spec.ID(),
					Spec: m.Spec.String(), Family: string(m.Family), Depth: m.Spec.Depth(), Params: m.Spec.Params(), FLOPs: m.Spec.FLOPs(),
					Mix: e.Name, MixIndex: k, DataHash: e.ContentHash, Seed: s, Hyper: h,
					Accuracy:  sweep.Float(synthAccuracy(i, k, s)),
					PerClass:  make([]sweep.Float, 10),
					TrainLoss: []sweep.Float{1.2, 0.8}, TestAcc: []sweep.Float{0.5, sweep.Float(synthAccuracy(i, k, s))},
					Engine: sweep.EngineVersion, Host: "test",
					Start: start.Add(time.Duration(i*100+k) * time.Minute), End: start.Add(time.Duration(i*100+k+1) * time.Minute), Seconds: 60,
				}
				if m.Spec.Depth() == 0 && s == seeds[0] {
					w := nn.Tensor{Shape: []int{784, 10}, Data: make([]float32, 7840)}
					for q := range w.Data {
						w.Data[q] = float32(q%10) + float32(q/10)/1000
					}
					b := nn.Tensor{Shape: []int{10}, Data: make([]float32, 10)}
					r.Weights = r.Key + ".safetensors"
					f, err := os.Create(filepath.Join(dir, sweep.JobsDir, r.Weights))
					if err != nil {
						t.Fatal(err)
					}
					if err := nn.WriteSafetensors(f, []string{"output.weight", "output.bias"}, map[string]nn.Tensor{"output.weight": w, "output.bias": b}, nil); err != nil {
						t.Fatal(err)
					}
					f.Close()
				}
				if err := store.Put(r); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func testZoo(t *testing.T) []zoo.Model {
	t.Helper()
	models, err := zoo.Build("all", 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	return models
}

func TestLoad(t *testing.T) {
	src := synthInput(30, 0, 1, 3)
	prep, runs := filepath.Join(t.TempDir(), "prep"), filepath.Join(t.TempDir(), "runs")
	writePrepared(t, prep, src)
	models := testZoo(t)
	seeds := []int64{1, 2}
	writeStore(t, runs, prep, models, seeds)
	// A damaged record and a record of other data are left out, with a
	// warning each.
	os.WriteFile(filepath.Join(runs, sweep.JobsDir, strings.Repeat("ab", 32)+".json"), []byte(`{"key": "trunc`), 0o644)
	store := &sweep.Store{Dir: runs}
	recs, problems, err := store.Records()
	if err != nil || len(recs) == 0 {
		t.Fatalf("store: %v; %d problems, the first: %v", err, len(problems), problems[0])
	}
	other := *recs[0]
	other.DataHash = strings.Repeat("0", 64)
	other.Key = sweep.Key(zoo.MustParse(other.Spec), other.Mix, other.DataHash, other.Seed, other.Hyper, other.Engine)
	if err := store.Put(&other); err != nil {
		t.Fatal(err)
	}

	in, err := Load(runs, prep, LoadOptions{SkipDamaged: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Labels) != 30 || len(in.Measures) != 2 || in.Measures[0].Name != "entropy" || in.Measures[1].Name != "variance" {
		t.Fatalf("loaded %d labels and measures %v, want 30 labels, entropy and variance", len(in.Labels), in.Measures)
	}
	for _, m := range in.Measures {
		if s, err := measure.Lookup(m.Name); err != nil || s.LowIsConvergent != m.LowIsConvergent {
			t.Errorf("measure %s: low is convergent %v, package measure says otherwise", m.Name, m.LowIsConvergent)
		}
	}
	for i, l := range in.Labels {
		want := src.Labels[i]
		if l.Name != want.Name || l.Drawings != want.Drawings || l.Measures["entropy"] != want.Measures["entropy"] || l.Source != "bitmap" {
			t.Errorf("label %d: %q %d %v %q, want %q %d %v", i, l.Name, l.Drawings, l.Measures, l.Source, want.Name, want.Drawings, want.Measures)
		}
		for p := range 784 {
			if math.Abs(l.Average[p]-want.Average[p]) > 0.5 {
				t.Fatalf("label %q: average pixel %d is %v, want %v (rounded)", l.Name, p, l.Average[p], want.Average[p])
			}
		}
	}
	if strings.Join(in.Convergent, ",") != strings.Join(src.Convergent, ",") || strings.Join(in.Divergent, ",") != strings.Join(src.Divergent, ",") {
		t.Errorf("chosen labels %v / %v, want %v / %v", in.Convergent, in.Divergent, src.Convergent, src.Divergent)
	}
	if len(in.Mixes) != 11 {
		t.Fatalf("%d mixes, want 11", len(in.Mixes))
	}
	for k, m := range in.Mixes {
		if m.Name != src.Mixes[k].Name || strings.Join(m.Slots, ",") != strings.Join(src.Mixes[k].Slots, ",") {
			t.Errorf("mix %d: %s %v, want %s %v", k, m.Name, m.Slots, src.Mixes[k].Name, src.Mixes[k].Slots)
		}
		for s, ds := range m.Samples {
			if len(ds) != SamplesPerSlot {
				t.Fatalf("mix %d slot %d: %d samples, want %d", k, s, len(ds), SamplesPerSlot)
			}
			for n, d := range ds {
				if d[s*28+n] != byte(1+s) {
					t.Errorf("mix %d slot %d sample %d is not drawing %d of the slot", k, s, n, n)
				}
			}
		}
	}
	if len(in.Models) != len(models) {
		t.Logf("%d warnings, the first: %q", len(in.Run.Warnings), in.Run.Warnings[:min(1, len(in.Run.Warnings))])
		t.Fatalf("%d models, want %d", len(in.Models), len(models))
	}
	byspec := map[string]*Model{}
	for i := range in.Models {
		byspec[in.Models[i].Spec] = &in.Models[i]
	}
	for i, zm := range models {
		m := byspec[zm.Spec.String()]
		if m == nil {
			t.Fatalf("model %s missing", zm.Spec)
		}
		if m.ID != zm.Spec.ID() || m.Family != string(zm.Family) || m.Depth != zm.Spec.Depth() || m.Params != int64(zm.Spec.Params()) || len(m.Layers) != zm.Spec.Depth() {
			t.Errorf("model %s: id %s family %s depth %d params %d layers %d", zm.Spec, m.ID, m.Family, m.Depth, m.Params, len(m.Layers))
		}
		var xs, ys []float64
		for k := range 11 {
			if len(m.Acc[k]) != len(seeds) {
				t.Fatalf("model %s mix %d: %d accuracies, want %d", zm.Spec, k, len(m.Acc[k]), len(seeds))
			}
			for j, s := range seeds {
				if want := synthAccuracy(i, k, s); math.Abs(m.Acc[k][j]-want) > 1e-12 {
					t.Errorf("model %s mix %d seed %d: accuracy %v, want %v", zm.Spec, k, s, m.Acc[k][j], want)
				}
			}
			xs, ys = append(xs, float64(k)), append(ys, m.MeanAcc(k))
		}
		fit := decay.FitCurve(xs, ys)
		if math.Abs(m.Slope-fit.Slope) > 1e-12 || math.Abs(m.MaxAcc-fit.MaxAcc) > 1e-12 || math.IsNaN(m.SlopeLo) {
			t.Errorf("model %s: slope %v max %v CI [%v, %v], want slope %v max %v and a CI", zm.Spec, m.Slope, m.MaxAcc, m.SlopeLo, m.SlopeHi, fit.Slope, fit.MaxAcc)
		}
		if zm.Family == zoo.CNN && len(m.Layers) > 0 && m.Layers[0].Text != zm.Spec.Layers[0].String() {
			t.Errorf("model %s: first layer %q", zm.Spec, m.Layers[0].Text)
		}
	}
	if len(in.Perceptron) != 11 {
		t.Fatalf("perceptron weights for %d mixes, want 11", len(in.Perceptron))
	}
	for _, pw := range in.Perceptron {
		if len(pw.Classes) != 10 {
			t.Fatalf("%s: %d classes", pw.Mix, len(pw.Classes))
		}
		for c, w := range pw.Classes {
			for p, v := range w {
				if want := float32(c) + float32(p)/1000; v != want {
					t.Fatalf("%s class %d pixel %d: weight %v, want %v", pw.Mix, c, p, v, want)
				}
			}
		}
	}
	if want := len(models) * 11 * len(seeds); in.Run.Jobs != want {
		t.Errorf("%d jobs, want %d", in.Run.Jobs, want)
	}
	if len(in.Run.Warnings) != 2 {
		t.Errorf("warnings %q, want one for the damaged record and one for the other data", in.Run.Warnings)
	}
	if !strings.Contains(in.Run.Command, "--source '/data/quick draw'") || !strings.Contains(in.Run.Command, "fluens train --data PREP --runs RUNS --epochs 2 --batch 128 --lr 0.001 --seeds 2") {
		t.Errorf("rerun commands %q", in.Run.Command)
	}
	if len(in.Run.DataHashes) != 13 || in.Run.Started.IsZero() || in.Run.Engine != sweep.EngineVersion {
		t.Errorf("run: %d data hashes, started %v, engine %q", len(in.Run.DataHashes), in.Run.Started, in.Run.Engine)
	}
	if _, err := Files(in, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	figs, err := figures(in)
	if err != nil || len(figs) != 6 {
		t.Errorf("%d figures (error %v), want 6", len(figs), err)
	}
}

// TestLoadDamaged damages two records of a store (one truncated, one not
// JSON) and checks that Load refuses it, naming both files, unless
// SkipDamaged, which leaves them out with a warning each; the Server, a
// live view, always shows the warnings.
func TestLoadDamaged(t *testing.T) {
	src := synthInput(30, 0, 1, 3)
	dir := t.TempDir()
	prep, runs := filepath.Join(dir, "prep"), filepath.Join(dir, "runs")
	writePrepared(t, prep, src)
	models := testZoo(t)[:3]
	writeStore(t, runs, prep, models, []int64{1})
	files, err := filepath.Glob(filepath.Join(runs, sweep.JobsDir, "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("%d records: %v", len(files), err)
	}
	slices.Sort(files)
	truncated, notJSON := files[0], files[len(files)-1]
	raw, err := os.ReadFile(truncated)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notJSON, []byte("not JSON\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	intact := len(files) - 2
	for _, tt := range []struct {
		name string
		prep string
		opt  LoadOptions
	}{
		{"strict", prep, LoadOptions{}},
		{"strict without data", "", LoadOptions{}},
		{"skip", prep, LoadOptions{SkipDamaged: true}},
		{"skip without data", "", LoadOptions{SkipDamaged: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Load(runs, tt.prep, tt.opt)
			if !tt.opt.SkipDamaged {
				var de *sweep.DamagedError
				if !errors.As(err, &de) || in != nil {
					t.Fatalf("error %v (input %v), want a *sweep.DamagedError", err, in != nil)
				}
				msg := err.Error()
				for _, s := range []string{"report: 2 damaged records in " + filepath.Join(runs, sweep.JobsDir), truncated, notJSON,
					"unexpected EOF", "invalid character", "--skip-damaged", fmt.Sprintf("summarise the %d intact records", intact)} {
					if !strings.Contains(msg, s) {
						t.Errorf("error lacks %q:\n%s", s, msg)
					}
				}
				if !errors.Is(err, sweep.ErrCorrupt) || de.Intact != intact {
					t.Errorf("error does not wrap sweep.ErrCorrupt or counts %d intact records, want %d", de.Intact, intact)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Run.Jobs != intact {
				t.Errorf("%d jobs, want the %d intact ones", in.Run.Jobs, intact)
			}
			var named int
			for _, w := range in.Run.Warnings {
				if strings.Contains(w, truncated) || strings.Contains(w, notJSON) {
					named++
				}
			}
			if named != 2 || len(in.Run.Warnings) != 2 {
				t.Errorf("warnings %q, want one naming each damaged file", in.Run.Warnings)
			}
		})
	}
	// fluens serve shows a store being written: warnings, never a failure.
	srv := NewServer(runs, prep)
	if _, err := srv.Rebuild(); err != nil {
		t.Fatalf("server: %v", err)
	}
	page := string(srv.page)
	for _, f := range []string{truncated, notJSON} {
		if !strings.Contains(page, filepath.Base(f)) {
			t.Errorf("served page does not warn about %s", f)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "nope"), "", LoadOptions{}); err == nil || !strings.Contains(err.Error(), "not a result store") {
		t.Errorf("missing store: %v", err)
	}
	if _, err := Load("", filepath.Join(dir, "nope"), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing prepared folder: %v", err)
	}
	src := synthInput(24, 0, 1, 3)
	prep := filepath.Join(dir, "prep")
	writePrepared(t, prep, src)
	os.WriteFile(filepath.Join(prep, idx.MeasuresFile), []byte("name,format,drawings,entropy\ncat,bitmap,12,zero\n"), 0o644)
	if _, err := Load("", prep, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "measures.csv:2: entropy \"zero\": not a number") {
		t.Errorf("bad measures.csv: %v", err)
	}
}

// FuzzReadMeasures feeds measures.csv arbitrary bytes: it must either load
// or fail with an error naming the file, never panic.
func FuzzReadMeasures(f *testing.F) {
	f.Add([]byte("name,format,drawings,entropy,variance,rank\ncat,bitmap,1000,5.1,0.04,1\n"))
	f.Add([]byte("name,format,drawings,entropy\ncat,bitmap,12,zero\n"))
	f.Add([]byte("name\n\"a\"\"b\"\n"))
	f.Add([]byte("format,drawings\nbitmap,3\n"))
	f.Add([]byte("name,entropy\ncat\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), idx.MeasuresFile)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var in Input
		if err := in.readMeasures(path); err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, l := range in.Labels {
			for name, v := range l.Measures {
				if math.IsNaN(v) && name == "" {
					t.Errorf("label %q: unnamed NaN measure", l.Name)
				}
			}
		}
	})
}
