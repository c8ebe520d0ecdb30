package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/fluens-lab/fluens/decay"
	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// SamplesPerSlot is the number of test drawings Load shows for each slot of
// each mix.
const SamplesPerSlot = 3

// LoadOptions says how Load and LoadRuns treat a result store.
type LoadOptions struct {
	// SkipDamaged leaves damaged records (truncated, not JSON, another
	// job's: the problems of sweep.Store.Records) out with a warning each
	// in Run.Warnings. Without it a damaged record is an error, a
	// *sweep.DamagedError naming every damaged file, as for fluens
	// results. A live view of a store being written (Server) skips them.
	SkipDamaged bool
}

// Load reads a result store (the folder of fluens train) and a prepared
// data folder (the folder of fluens prepare) into an Input. Either may be
// "" to leave its part of the report empty. opt says what to do with
// damaged records of the store.
func Load(runsDir, prepDir string, opt LoadOptions) (*Input, error) {
	in := &Input{}
	if prepDir != "" {
		var err error
		if in, err = LoadData(prepDir); err != nil {
			return nil, err
		}
	}
	if runsDir != "" {
		if err := in.LoadRuns(runsDir, opt); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// LoadData reads the prepared data folder dir: labels.json (the chosen
// labels and each mix's slots), measures.csv (every measured label and
// measure), averages/*.png and a few test drawings of each slot of each mix.
func LoadData(dir string) (*Input, error) {
	prep, err := idx.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	man := prep.Manifest
	in := &Input{
		Measure:    man.Settings.Measure,
		Convergent: man.Convergent,
		Divergent:  man.Divergent,
	}
	if err := in.readMeasures(filepath.Join(dir, idx.MeasuresFile)); err != nil {
		return nil, err
	}
	for i := range in.Labels {
		l := &in.Labels[i]
		rel, ok := man.Averages[l.Name]
		if !ok {
			continue
		}
		avg, err := readAverage(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		l.Average = avg
	}
	for k, e := range man.Mixes {
		m := Mix{Name: e.Name, Slots: e.Labels}
		m.Samples, err = readSamples(prep.MixDir(k), len(e.Labels))
		if err != nil {
			return nil, err
		}
		in.Mixes = append(in.Mixes, m)
		in.Run.DataHashes = append(in.Run.DataHashes, KV{e.Name, e.ContentHash})
	}
	for _, f := range []string{idx.ManifestFile, idx.MeasuresFile} {
		if h, err := fileHash(filepath.Join(dir, f)); err == nil {
			in.Run.DataHashes = append(in.Run.DataHashes, KV{f, h})
		}
	}
	s := man.Settings
	in.Run.Seed = int64(s.Seed)
	in.Run.Settings = append(in.Run.Settings,
		KV{"data source", s.Source}, KV{"measure", s.Measure}, KV{"drawings per label", strconv.Itoa(s.PerClass)},
		KV{"test fraction", strconv.FormatFloat(s.TestFraction, 'g', -1, 64)}, KV{"data seed", strconv.FormatUint(s.Seed, 10)})
	in.Run.Command = fmt.Sprintf("fluens prepare --source %s --per-class %d --test-fraction %g --measure %s --seed %d --convergent %s --divergent %s --out PREP",
		shellQuote(s.Source), s.PerClass, s.TestFraction, shellQuote(s.Measure), s.Seed,
		shellQuote(strings.Join(man.Convergent, ",")), shellQuote(strings.Join(man.Divergent, ",")))
	return in, nil
}

// readMeasures reads measures.csv: a header naming the columns (name,
// format, drawings, rank and one column per measure), one row per label.
func (in *Input) readMeasures(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // an older or hand-made folder: no gallery
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("report: %s: header: %w", path, err)
	}
	col := map[string]int{}
	var measures []int
	for i, h := range head {
		col[h] = i
		switch h {
		case "name", "format", "drawings", "rank":
		default:
			measures = append(measures, i)
			info := MeasureInfo{Name: h, LowIsConvergent: true}
			if s, err := measure.Lookup(h); err == nil {
				info.LowIsConvergent = s.LowIsConvergent
			}
			in.Measures = append(in.Measures, info)
		}
	}
	if _, ok := col["name"]; !ok {
		return fmt.Errorf("report: %s: no name column", path)
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
		l := Label{Name: rec[col["name"]], Measures: map[string]float64{}}
		if i, ok := col["format"]; ok {
			l.Source = rec[i]
		}
		if i, ok := col["drawings"]; ok {
			if l.Drawings, err = strconv.Atoi(rec[i]); err != nil {
				return fmt.Errorf("report: %s:%d: drawings %q: not a number", path, line, rec[i])
			}
		}
		for _, i := range measures {
			if rec[i] == "" {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return fmt.Errorf("report: %s:%d: %s %q: not a number", path, line, head[i], rec[i])
			}
			l.Measures[head[i]] = v
		}
		in.Labels = append(in.Labels, l)
	}
	return nil
}

// readAverage reads an average image PNG (28×28, 0 = background) back into
// 784 values.
func readAverage(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	b := img.Bounds()
	if b.Dx() != 28 || b.Dy() != 28 {
		return nil, fmt.Errorf("report: %s: image is %d×%d, want 28×28", path, b.Dx(), b.Dy())
	}
	avg := make([]float64, 784)
	for y := range 28 {
		for x := range 28 {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			avg[y*28+x] = float64(r+g+bl) / 3 / 257
		}
	}
	return avg, nil
}

// readSamples reads the first SamplesPerSlot test drawings of each slot of
// the mix in dir.
func readSamples(dir string, slots int) ([][][]byte, error) {
	ims, err := idx.ReadImages(filepath.Join(dir, idx.TestImagesFile))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	labels, err := idx.ReadLabels(filepath.Join(dir, idx.TestLabelsFile), slots)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	size := ims.Rows * ims.Cols
	if size != 784 || len(labels) != ims.N {
		return nil, fmt.Errorf("report: %s: %d test images of %d×%d and %d labels, want 28×28 images, one label each", dir, ims.N, ims.Rows, ims.Cols, len(labels))
	}
	out := make([][][]byte, slots)
	for i, l := range labels {
		if len(out[l]) < SamplesPerSlot {
			out[l] = append(out[l], ims.Pixels[i*size:(i+1)*size])
		}
	}
	return out, nil
}

// fileHash returns "sha256:<hex>" of a file.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// LoadRuns reads the result store in dir into in: every model with its
// accuracies and decay (package decay), the perceptron's weights and the
// run's settings. When in already has mixes (from LoadData), records made on
// other data than those mixes are left out with a warning in Run.Warnings.
// A damaged record is an error (*sweep.DamagedError), in left unchanged,
// unless opt.SkipDamaged: then it is left out with a warning.
func (in *Input) LoadRuns(dir string, opt LoadOptions) error {
	if st, err := os.Stat(filepath.Join(dir, sweep.JobsDir)); err != nil || !st.IsDir() {
		return fmt.Errorf("report: %s is not a result store (no %s folder; make one with fluens train)", dir, sweep.JobsDir)
	}
	store := &sweep.Store{Dir: dir}
	recs, problems, err := store.Records()
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(problems) > 0 && !opt.SkipDamaged {
		return &sweep.DamagedError{Op: "report", Dir: dir, Problems: problems, Intact: len(recs)}
	}
	for _, p := range problems {
		in.Run.Warnings = append(in.Run.Warnings, p.Error())
	}
	// Keep the records of the prepared data.
	if len(in.Mixes) > 0 {
		hashes := map[string]string{}
		for _, kv := range in.Run.DataHashes {
			hashes[kv.Key] = kv.Value
		}
		kept := recs[:0]
		other := 0
		for _, r := range recs {
			if h, ok := hashes[r.Mix]; ok && h == r.DataHash && r.MixIndex < len(in.Mixes) && in.Mixes[r.MixIndex].Name == r.Mix {
				kept = append(kept, r)
			} else {
				other++
			}
		}
		if other > 0 {
			in.Run.Warnings = append(in.Run.Warnings, fmt.Sprintf("%d of %d records were trained on other data than the prepared folder and are left out", other, len(recs)))
		}
		recs = kept
	} else {
		for _, r := range recs {
			for len(in.Mixes) <= r.MixIndex {
				in.Mixes = append(in.Mixes, Mix{Name: fmt.Sprintf("%s%02d", sweep.MixPrefix, len(in.Mixes))})
			}
			in.Mixes[r.MixIndex].Name = r.Mix
		}
	}
	in.Run.Jobs = len(recs)
	models, err := decay.Summarize(recs)
	if err != nil {
		return fmt.Errorf("report: %s: %w", dir, err)
	}
	seen := map[string]int{}
	for _, dm := range models {
		m := Model{
			ID: dm.ID, Spec: dm.Spec, Family: dm.Family, Depth: dm.Depth,
			Params: int64(dm.Params), FLOPs: dm.FLOPs,
			Slope: dm.Fit.Slope, Intercept: dm.Fit.Intercept, R2: dm.Fit.R2, MaxAcc: dm.Fit.MaxAcc,
			SlopeLo: dm.SlopeLow, SlopeHi: dm.SlopeHigh,
			Acc: make([][]float64, len(in.Mixes)),
		}
		if n := seen[m.ID]; n > 0 { // the same spec under other hyperparameters
			m.ID = fmt.Sprintf("%s-%d", m.ID, n)
			m.Spec = fmt.Sprintf("%s (epochs %d, batch %d, lr %g)", dm.Spec, dm.Hyper.Epochs, dm.Hyper.Batch, dm.Hyper.LR)
		}
		seen[dm.ID]++
		if spec, err := zoo.Parse(dm.Spec); err == nil {
			for _, l := range spec.Layers {
				m.Layers = append(m.Layers, Layer{Kind: layerKind(l.Kind), Text: l.String()})
			}
		}
		for _, c := range dm.Curves {
			ks := make([]int, 0, len(c.Acc))
			for k := range c.Acc {
				ks = append(ks, k)
			}
			sort.Ints(ks)
			for _, k := range ks {
				if k < len(m.Acc) {
					m.Acc[k] = append(m.Acc[k], c.Acc[k])
				}
			}
		}
		in.Models = append(in.Models, m)
	}
	if err := in.loadPerceptron(store, recs); err != nil {
		return err
	}
	in.runSettings(recs)
	return nil
}

// layerKind maps a zoo layer kind onto the report's.
func layerKind(k zoo.Kind) LayerKind {
	switch k {
	case zoo.Conv:
		return Conv
	case zoo.Pool:
		return Pool
	case zoo.Dropout:
		return Dropout
	case zoo.Dense:
		return Dense
	}
	return Other
}

// loadPerceptron reads the perceptron's weights (its output.weight tensor,
// shape [784, 10]) for each mix, from the run with the smallest seed.
func (in *Input) loadPerceptron(store *sweep.Store, recs []*sweep.Record) error {
	best := map[int]*sweep.Record{}
	for _, r := range recs {
		if r.Depth != 0 || r.Weights == "" {
			continue
		}
		if b := best[r.MixIndex]; b == nil || r.Seed < b.Seed || r.Seed == b.Seed && r.Key < b.Key {
			best[r.MixIndex] = r
		}
	}
	var ks []int
	for k := range best {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	for _, k := range ks {
		r := best[k]
		path := filepath.Join(store.Dir, sweep.JobsDir, r.Weights)
		f, err := os.Open(path)
		if err != nil {
			in.Run.Warnings = append(in.Run.Warnings, fmt.Sprintf("perceptron weights of %s: %v", r.Mix, err))
			continue
		}
		ts, _, err := nn.ReadSafetensors(bufio.NewReader(f))
		f.Close()
		if err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
		w, ok := ts["output.weight"]
		if !ok || len(w.Shape) != 2 || w.Shape[0] != 784 || len(w.Data) != w.Shape[0]*w.Shape[1] {
			return fmt.Errorf("report: %s: no output.weight tensor of shape [784, classes]", path)
		}
		classes := w.Shape[1]
		pw := PerceptronWeights{Mix: r.Mix, Classes: make([][]float32, classes)}
		for c := range classes {
			pw.Classes[c] = make([]float32, 784)
			for i := range 784 {
				pw.Classes[c][i] = w.Data[i*classes+c]
			}
		}
		in.Perceptron = append(in.Perceptron, pw)
	}
	return nil
}

// runSettings describes the training runs: hyperparameters, seeds, engine,
// hosts and dates.
func (in *Input) runSettings(recs []*sweep.Record) {
	hypers, engines, hosts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	seeds := map[int64]bool{}
	var seconds float64
	for _, r := range recs {
		hypers[fmt.Sprintf("epochs %d, batch %d, learning rate %g", r.Epochs, r.Batch, r.LR)] = true
		engines[r.Engine] = true
		if r.Host != "" {
			hosts[r.Host] = true
		}
		seeds[r.Seed] = true
		seconds += r.Seconds
		if !r.Start.IsZero() && (in.Run.Started.IsZero() || r.Start.Before(in.Run.Started)) {
			in.Run.Started = r.Start
		}
		if r.End.After(in.Run.Finished) {
			in.Run.Finished = r.End
		}
	}
	in.Run.Engine = strings.Join(sortedKeys(engines), ", ")
	var ss []string
	for s := range seeds {
		ss = append(ss, strconv.FormatInt(s, 10))
	}
	sort.Slice(ss, func(i, j int) bool { a, _ := strconv.Atoi(ss[i]); b, _ := strconv.Atoi(ss[j]); return a < b })
	in.Run.Settings = append(in.Run.Settings,
		KV{"training", strings.Join(sortedKeys(hypers), "; ")},
		KV{"training seeds", strings.Join(ss, ", ")},
		KV{"models", strconv.Itoa(len(in.Models))},
		KV{"training time (sum over jobs)", fmt.Sprintf("%.0f s", seconds)},
		KV{"hosts", strings.Join(sortedKeys(hosts), ", ")})
	if len(hypers) == 1 && len(recs) > 0 {
		r := recs[0]
		in.Run.Command += fmt.Sprintf("\nfluens train --data PREP --runs RUNS --epochs %d --batch %d --lr %g --seeds %d", r.Epochs, r.Batch, r.LR, len(seeds))
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
