package main

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// damagedStudy prepares three convergent and three divergent labels of
// the real data (60 drawings each), trains four small models with two
// seeds for one epoch in process, then truncates one record and adds one
// that is not JSON. It returns the prepared folder, the store and the two
// damaged files.
func damagedStudy(t *testing.T) (prep, runs string, damaged []string) {
	t.Helper()
	src := testenv.QuickDraw(t)
	dir := t.TempDir()
	prep, runs = filepath.Join(dir, "prep"), filepath.Join(dir, "runs")
	s := mix.DefaultSettings()
	s.PerClass = 60
	labels := []string{"rainbow", "apple", "eye", "cat", "dog", "bird"}
	if _, err := idx.Prepare(context.Background(), idx.PrepareOptions{Source: src, Out: prep, Settings: s,
		Convergent: labels[:3], Divergent: labels[3:], Categories: labels}); err != nil {
		t.Fatal(err)
	}
	var models []zoo.Model
	for _, spec := range []string{"linear", "F16", "F32", "F64"} {
		models = append(models, zoo.Model{Family: zoo.MLP, Spec: zoo.MustParse(spec)})
	}
	mixes, err := sweep.FindMixes(prep)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sweep.OpenStore(runs)
	if err != nil {
		t.Fatal(err)
	}
	jobs := sweep.Jobs(models, mixes, sweep.Seeds(2), sweep.Hyper{Epochs: 1, Batch: 64, LR: 0.003})
	if _, err := (&sweep.Runner{Store: st, Workers: 2}).Run(context.Background(), jobs); err != nil {
		t.Fatal(err)
	}
	files := recordFiles(t, runs)
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	notJSON := filepath.Join(runs, sweep.JobsDir, strings.Repeat("f", 64)+".json")
	if err := os.WriteFile(notJSON, []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	return prep, runs, []string{files[0], notJSON}
}

// execute runs a fresh command of new with args in process and returns
// its standard output and error and its error (fluens exits 1 on one).
func execute(new func() *cobra.Command, args ...string) (stdout, stderr string, err error) {
	cmd := new()
	var o, e bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&o)
	cmd.SetErr(&e)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.Execute()
	return o.String(), e.String(), err
}

// snapshot returns every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDamagedRecordsReportFindings checks that fluens report (with and
// without --findings) and fluens findings refuse a store with damaged
// records as fluens results does: an error naming each damaged file and
// the remedy, nothing printed, no report folder made and an existing one
// left byte-identical; and that --skip-damaged warns about each damaged
// file on stderr and carries on with the intact records.
func TestDamagedRecordsReportFindings(t *testing.T) {
	prep, runs, damaged := damagedStudy(t)
	intact := len(recordFiles(t, runs)) - len(damaged)
	tests := []struct {
		name string
		new  func() *cobra.Command
		args []string // out is appended for the report
		out  bool     // writes a report folder
		// warning starts the stderr line of each damaged file under
		// --skip-damaged; done is in the output of a run that carries on.
		warning, done string
	}{
		{"report", newReportCmd, []string{"--runs", runs, "--data", prep}, true, "report: warning: sweep: ", "report: 4 models, "},
		{"report without data", newReportCmd, []string{"--runs", runs}, true, "report: warning: sweep: ", "report: 4 models, "},
		{"report --findings", newReportCmd, []string{"--runs", runs, "--data", prep, "--findings"}, true, "report: warning: sweep: ", "report: 4 models, "},
		{"findings", newFindingsCmd, []string{"--runs", runs, "--data", prep, "--measures", "entropy", "--bootstrap", "100", "--no-baselines"},
			false, "findings: skipping damaged record: sweep: ", "2 damaged records in the store were skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report")
			args := tt.args
			if tt.out {
				args = append(slices.Clip(args), "--out", out)
			}
			op := strings.Fields(tt.name)[0]
			for _, existing := range []bool{false, true} {
				if existing {
					if err := os.MkdirAll(filepath.Join(out, "figures"), 0o755); err != nil {
						t.Fatal(err)
					}
					for _, f := range []string{"index.html", "figures/decay_mlp.svg"} {
						if err := os.WriteFile(filepath.Join(out, f), []byte("earlier report: "+f), 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
				before := snapshot(t, filepath.Dir(out))
				stdout, stderr, err := execute(tt.new, args...)
				if err == nil {
					t.Fatalf("no error (exit 0) with damaged records; stdout:\n%s", stdout)
				}
				msg := err.Error()
				for _, s := range append([]string{op + ": 2 damaged records in " + filepath.Join(runs, sweep.JobsDir) + "; nothing written:",
					"fluens train on " + runs, filepath.Join(runs, "sweep.json"), "--skip-damaged"}, damaged...) {
					if !strings.Contains(msg, s) {
						t.Errorf("error lacks %q:\n%s", s, msg)
					}
				}
				if stdout != "" || stderr != "" {
					t.Errorf("printed before failing:\n%s%s", stdout, stderr)
				}
				if after := snapshot(t, filepath.Dir(out)); !maps.Equal(before, after) {
					t.Errorf("failed run changed %s: %d files before, %d after", filepath.Dir(out), len(before), len(after))
				}
			}

			stdout, stderr, err := execute(tt.new, append(slices.Clip(args), "--skip-damaged")...)
			if err != nil {
				t.Fatalf("--skip-damaged: %v\n%s", err, stderr)
			}
			for _, f := range damaged {
				if !strings.Contains(stderr, tt.warning) || !strings.Contains(stderr, f) {
					t.Errorf("--skip-damaged: stderr does not warn about %s:\n%s", f, stderr)
				}
			}
			if n := strings.Count(stderr, tt.warning); n != len(damaged) {
				t.Errorf("--skip-damaged: %d warnings, want %d:\n%s", n, len(damaged), stderr)
			}
			if !strings.Contains(stdout, tt.done) {
				t.Errorf("--skip-damaged: output lacks %q:\n%s", tt.done, stdout)
			}
			if tt.out {
				page, err := os.ReadFile(filepath.Join(out, "index.html"))
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range damaged {
					if !strings.Contains(string(page), filepath.Base(f)) {
						t.Errorf("report does not warn about %s", f)
					}
				}
				if !strings.Contains(stdout, "report: 4 models, "+strconv.Itoa(intact)+" jobs") {
					t.Errorf("report of %d intact jobs says:\n%s", intact, stdout)
				}
			}
		})
	}
	// The built command exits 1 with the error on stderr.
	t.Run("exit status", func(t *testing.T) {
		bin := buildFluens(t)
		out := filepath.Join(t.TempDir(), "report")
		stdout, stderr, code := runFluensSplit(t, bin, "report", "--runs", runs, "--out", out)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "fluens: report: 2 damaged records") || !strings.Contains(stderr, damaged[0]) {
			t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("failed run made %s", out)
		}
	})
}
