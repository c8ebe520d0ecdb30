package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/sweep"
)

// runFluensSplit runs the built command and returns its standard output,
// its standard error and its exit code.
func runFluensSplit(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	c := exec.Command(bin, args...)
	c.Stdout, c.Stderr = &o, &e
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// recordFiles returns the paths of the job records of the store runs,
// sorted.
func recordFiles(t *testing.T, runs string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(runs, sweep.JobsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no records in %s: %v", runs, err)
	}
	slices.Sort(files)
	return files
}

// readCSV reads a CSV file written by fluens results.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// TestResultsDamagedRecords trains a small real store, damages records of
// copies of it in several ways and checks that fluens results refuses
// each copy (exit 1, every damaged file named, the CSVs of an earlier run
// left byte-identical), that --skip-damaged summarises exactly the intact
// records, and that fluens train with the same arguments redoes the
// damaged jobs so that results.csv comes out as before the damage.
func TestResultsDamagedRecords(t *testing.T) {
	data := testenv.QuickDraw(t)
	bin := buildFluens(t)
	dir := t.TempDir()
	prep, clean := filepath.Join(dir, "prep"), filepath.Join(dir, "clean")
	if out, code := runFluens(t, bin, "prepare", "--source", data, "--out", prep, "--per-class", "40",
		"--convergent", "clock,eye", "--divergent", "cat,dog", "--workers", "1"); code != 0 {
		t.Fatalf("prepare: %s", out)
	}
	trainArgs := []string{"train", "--data", prep, "--zoo", "mlp", "--epochs", "1", "--batch", "32", "--workers", "1"}
	if out, code := runFluens(t, bin, append(trainArgs, "--runs", clean)...); code != 0 {
		t.Fatalf("train: %s", out)
	}
	if out, code := runFluens(t, bin, "results", "--runs", clean); code != 0 {
		t.Fatalf("results on the intact store: %s", out)
	}
	csvs := []string{"results.csv", "models.csv", "seeds.csv"}
	want := map[string][]byte{}
	for _, name := range csvs {
		b, err := os.ReadFile(filepath.Join(clean, name))
		if err != nil {
			t.Fatal(err)
		}
		want[name] = b
	}
	records := recordFiles(t, clean)
	if len(records) != 3*12 {
		t.Fatalf("%d records, want 3 mixes × 12 MLPs", len(records))
	}
	// 12 MLPs × 1 seed: seeds.csv has a row per model.
	if rows := readCSV(t, filepath.Join(clean, "seeds.csv")); len(rows) != 1+12 || rows[0][7] != "seed" || rows[1][8] != "3" {
		t.Errorf("seeds.csv: %d rows, header %v, first row %v", len(rows), rows[0], rows[min(1, len(rows)-1)])
	}

	truncate := func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(p, b[:len(b)/2], 0o644)
	}
	badJSON := func(p string) error { return os.WriteFile(p, []byte(`{"key": oops`), 0o644) }
	// another job's record under this job's name
	otherJob := func(p string) error {
		i := slices.Index(records, filepath.Join(clean, sweep.JobsDir, filepath.Base(p)))
		b, err := os.ReadFile(records[(i+1)%len(records)])
		if err != nil {
			return err
		}
		return os.WriteFile(p, b, 0o644)
	}
	tests := []struct {
		name    string
		damage  func(string) error
		victims []int // indices into records
		problem string
	}{
		{"truncated", truncate, []int{3}, "corrupt record: unexpected EOF"},
		{"bad JSON", badJSON, []int{7}, "corrupt record: invalid character 'o'"},
		{"another job's record", otherJob, []int{20}, "corrupt record: holds key"},
		{"truncated and bad JSON", func(p string) error {
			if strings.Contains(p, filepath.Base(records[0])) {
				return truncate(p)
			}
			return badJSON(p)
		}, []int{0, 35}, "corrupt record"},
		{"twelve damaged", truncate, []int{1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14}, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := filepath.Join(t.TempDir(), "runs")
			if err := os.CopyFS(runs, os.DirFS(clean)); err != nil {
				t.Fatal(err)
			}
			var damaged []string
			for _, i := range tt.victims {
				p := filepath.Join(runs, sweep.JobsDir, filepath.Base(records[i]))
				if err := tt.damage(p); err != nil {
					t.Fatal(err)
				}
				damaged = append(damaged, p)
			}
			slices.Sort(damaged)

			stdout, stderr, code := runFluensSplit(t, bin, "results", "--runs", runs)
			if code == 0 {
				t.Fatalf("exit 0 with damaged records; stdout:\n%s", stdout)
			}
			if strings.Contains(stdout, "wrote") {
				t.Errorf("stdout says it wrote files:\n%s", stdout)
			}
			if n := strings.Count(stderr, "fluens: "); n != 1 {
				t.Errorf("want one error, got %d:\n%s", n, stderr)
			}
			for _, s := range []string{fmt.Sprintf("%d damaged record", len(damaged)), "nothing written", tt.problem,
				"fluens train", "--skip-damaged", fmt.Sprintf("summarise the %d intact records", len(records)-len(damaged))} {
				if !strings.Contains(stderr, s) {
					t.Errorf("error lacks %q:\n%s", s, stderr)
				}
			}
			for i, p := range damaged {
				if named := strings.Contains(stderr, p); named != (i < sweep.MaxListed) {
					t.Errorf("damaged file %d (%s) named: %v; want the first %d named:\n%s", i, p, named, sweep.MaxListed, stderr)
				}
			}
			if more := len(damaged) - sweep.MaxListed; more > 0 && !strings.Contains(stderr, fmt.Sprintf("… and %d more", more)) {
				t.Errorf("error does not count the %d damaged records it leaves out:\n%s", more, stderr)
			}
			for _, name := range csvs {
				if got, err := os.ReadFile(filepath.Join(runs, name)); err != nil || !bytes.Equal(got, want[name]) {
					t.Errorf("the failed run changed %s (err %v)", name, err)
				}
			}
			// Nothing is written to --out either: not even the folder.
			out := filepath.Join(t.TempDir(), "out")
			if _, _, code := runFluensSplit(t, bin, "results", "--runs", runs, "--out", out); code == 0 {
				t.Error("--out: exit 0")
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed run made %s", out)
			}

			// --skip-damaged: a warning per damaged file, the intact rows.
			stdout, stderr, code = runFluensSplit(t, bin, "results", "--runs", runs, "--out", out, "--skip-damaged")
			if code != 0 {
				t.Fatalf("--skip-damaged: exit %d:\n%s%s", code, stdout, stderr)
			}
			if n := strings.Count(stderr, "results: skipping damaged record"); n != len(damaged) {
				t.Errorf("%d warnings for %d damaged records:\n%s", n, len(damaged), stderr)
			}
			for _, p := range damaged {
				if !strings.Contains(stderr, p) {
					t.Errorf("no warning names %s", p)
				}
			}
			if !strings.Contains(stdout, fmt.Sprintf("(%d damaged records skipped)", len(damaged))) || !strings.Contains(stdout, "seeds.csv") {
				t.Errorf("final line:\n%s", stdout)
			}
			intact := readCSV(t, filepath.Join(runs, "results.csv")) // the earlier, complete run's
			gone := map[string]bool{}
			for _, p := range damaged {
				gone[strings.TrimSuffix(filepath.Base(p), ".json")] = true
			}
			intact = slices.DeleteFunc(intact, func(row []string) bool { return gone[row[0]] })
			if got := readCSV(t, filepath.Join(out, "results.csv")); !slices.EqualFunc(got, intact, slices.Equal) {
				t.Errorf("--skip-damaged results.csv has %d rows, want the %d intact ones of the complete run", len(got), len(intact))
			}
			if _, err := os.Stat(filepath.Join(out, "seeds.csv")); err != nil {
				t.Error(err)
			}

			// fluens train with the same arguments redoes the damaged jobs.
			got, code := runFluens(t, bin, append(trainArgs, "--runs", runs)...)
			if code != 0 || !strings.Contains(got, fmt.Sprintf("%d trained, 0 finished by another process, 0 failed, %d damaged records redone", len(damaged), len(damaged))) {
				t.Fatalf("train over the damaged store: exit %d:\n%s", code, got)
			}
			if got, code := runFluens(t, bin, "results", "--runs", runs); code != 0 {
				t.Fatalf("results after train: %s", got)
			}
			for _, name := range csvs {
				if got, err := os.ReadFile(filepath.Join(runs, name)); err != nil || !bytes.Equal(got, want[name]) {
					t.Errorf("%s after train redid the damaged jobs differs from the undamaged store's (err %v)", name, err)
				}
			}
		})
	}
}

// TestRunResultsDamaged checks runResults in process on a store of
// records written with sweep.Store.Put, without QuickDraw data: the
// error of fluens results and of the results step of fluens run (its own
// advice), the list cut at sweep.MaxListed, and --skip-damaged on a store with
// no intact record.
func TestRunResultsDamaged(t *testing.T) {
	newStore := func(t *testing.T, intact, damaged int) (runs string, bad []string) {
		runs = t.TempDir()
		st, err := sweep.OpenStore(runs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range intact + damaged {
			r := &sweep.Record{Key: fmt.Sprintf("%064x", i+1), ModelID: "m", Spec: "F16", Family: "mlp",
				Mix: fmt.Sprintf("conv_div_mix_%02d", i), MixIndex: i, Seed: 1, Hyper: sweep.Hyper{Epochs: 1, Batch: 32, LR: 0.001},
				Engine: "e", TrainLoss: []sweep.Float{0.5}, TestAcc: []sweep.Float{0.5}, Accuracy: 0.5, PerClass: []sweep.Float{0.5, 0.5}}
			if err := st.Put(r); err != nil {
				t.Fatal(err)
			}
			if i >= intact {
				p := filepath.Join(runs, sweep.JobsDir, r.Key+".json")
				if err := os.WriteFile(p, []byte("{"), 0o644); err != nil {
					t.Fatal(err)
				}
				bad = append(bad, p)
			}
		}
		return runs, bad
	}
	tests := []struct {
		name            string
		intact, damaged int
		remedy          func(runs string) string
		want            []string
		listed          int
	}{
		{"results", 2, 1, nil, []string{"1 damaged record in", "fluens train on", "summarise the 2 intact records"}, 1},
		{"run", 2, 1, studyRemedy, []string{"the train step redid", "fluens results --runs", "--skip-damaged"}, 1},
		{"many", 1, 13, nil, []string{"13 damaged records in", "… and 3 more"}, sweep.MaxListed},
		{"only damaged", 0, 2, nil, []string{"2 damaged records", "summarise the 0 intact records"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, bad := newStore(t, tt.intact, tt.damaged)
			o := resultsOptions{Runs: runs, Out: filepath.Join(runs, "out")}
			if tt.remedy != nil {
				o.Remedy = tt.remedy(runs)
			}
			var w, errw bytes.Buffer
			_, err := runResults(o, &w, &errw)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, s := range tt.want {
				if !strings.Contains(msg, s) {
					t.Errorf("error lacks %q:\n%s", s, msg)
				}
			}
			if n := strings.Count(msg, "corrupt record"); n != tt.listed {
				t.Errorf("%d damaged files listed, want %d:\n%s", n, tt.listed, msg)
			}
			if !strings.Contains(msg, bad[0]) {
				t.Errorf("error does not name %s:\n%s", bad[0], msg)
			}
			if w.Len()+errw.Len() > 0 {
				t.Errorf("printed before failing:\n%s%s", w.String(), errw.String())
			}
			if _, err := os.Stat(o.Out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed run made %s", o.Out)
			}
			o.SkipDamaged = true
			models, err := runResults(o, &w, &errw)
			switch {
			case tt.intact == 0:
				if err == nil || !strings.Contains(err.Error(), "holds no finished job") {
					t.Errorf("--skip-damaged with no intact record: error %v", err)
				}
			case err != nil:
				t.Fatal(err)
			case len(models) != 1 || len(models[0].Mixes) != tt.intact:
				t.Errorf("--skip-damaged: %d models, want one on the %d intact mixes", len(models), tt.intact)
			}
			if n := strings.Count(errw.String(), "skipping damaged record"); n != tt.damaged {
				t.Errorf("%d warnings, want %d:\n%s", n, tt.damaged, errw.String())
			}
		})
	}
}
