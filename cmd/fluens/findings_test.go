package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
)

// TestFindingsCommand prepares two labels of each kind, trains the MLPs
// with two seeds for one epoch and runs fluens findings on them, as text
// and as JSON, after checking its errors.
func TestFindingsCommand(t *testing.T) {
	data := testenv.QuickDraw(t)
	bin := buildFluens(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"findings"}, "--runs and --data are required"},
		{[]string{"findings", "--runs", "r", "--data", "d", "--measures", "entropy,beauty"}, `--measures: "beauty" is unknown`},
		{[]string{"findings", "--runs", t.TempDir(), "--data", filepath.Join(t.TempDir(), "none")}, "does not exist"},
	} {
		out, code := runFluens(t, bin, c.args...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, output %q; want an error with %q", c.args, code, out, c.want)
		}
	}

	dir := t.TempDir()
	prep, runs := filepath.Join(dir, "prep"), filepath.Join(dir, "runs")
	if out, code := runFluens(t, bin, "prepare", "--source", data, "--out", prep, "--per-class", "60",
		"--convergent", "rainbow,apple", "--divergent", "cat,dog"); code != 0 {
		t.Fatalf("prepare: %s", out)
	}
	if out, code := runFluens(t, bin, "train", "--data", prep, "--runs", runs, "--zoo", "mlp", "--epochs", "1",
		"--batch", "32", "--seeds", "2"); code != 0 {
		t.Fatalf("train: %s", out)
	}
	out, code := runFluens(t, bin, "findings", "--runs", runs, "--data", prep, "--measures", "entropy,variance,fisher", "--bootstrap", "200")
	if code != 0 {
		t.Fatalf("findings: %s", out)
	}
	for _, s := range []string{"accuracy decays from mix_00 to mix_10 (mlps)", "networks decay similarly", "more nodes per layer perform better",
		"winner: ", "Spearman ρ(fisher_f1, zoo mean accuracy)", "fisher was left out: its base sets need at least 5 labels"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	// fluens report --findings adds the section.
	rep := filepath.Join(dir, "report")
	if out, code := runFluens(t, bin, "report", "--runs", runs, "--data", prep, "--out", rep, "--findings"); code != 0 {
		t.Fatalf("report --findings: %s", out)
	}
	page, err := os.ReadFile(filepath.Join(rep, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<section id="findings">`, "networks decay similarly", `<table class="findings-measures">`} {
		if !strings.Contains(string(page), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if out, code := runFluens(t, bin, "report", "--runs", runs, "--out", rep, "--findings"); code == 0 || !strings.Contains(out, "--findings needs --data") {
		t.Errorf("report --findings without --data: exit %d, %s", code, out)
	}

	out, code = runFluens(t, bin, "findings", "--runs", runs, "--data", prep, "--measures", "entropy", "--no-baselines", "--json")
	if code != 0 {
		t.Fatalf("findings --json: %s", out)
	}
	var f struct {
		Models       int
		Seeds        int
		Observations []struct {
			ID      string `json:"id"`
			Verdict string `json:"verdict"`
		}
	}
	// Progress lines go to stderr, which CombinedOutput mixes in: take the JSON object.
	if i := strings.Index(out, "{"); i >= 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if f.Models != 12 || f.Seeds != 2 || len(f.Observations) != 6 {
		t.Errorf("JSON: %+v", f)
	}
}
