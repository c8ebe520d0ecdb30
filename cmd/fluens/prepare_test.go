package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
)

// buildFluens builds the command into a temporary folder of t.
func buildFluens(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := filepath.Join(t.TempDir(), "fluens")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runFluens runs the built command and returns its output and exit code.
func runFluens(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestPrepareCommand builds the command once and runs it on bad input
// and on a small real run.
func TestPrepareCommand(t *testing.T) {
	data := testenv.QuickDraw(t)
	bin := buildFluens(t)
	t.Run("bad input", func(t *testing.T) { testPrepareBadInput(t, bin, data) })
	t.Run("runs", func(t *testing.T) { testPrepareRuns(t, bin, data) })
}

func testPrepareBadInput(t *testing.T, bin, data string) {
	existing := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown measure", []string{"--measure", "bogus"}, `--measure "bogus" is unknown (valid: autoencoder, entropy, fisher, swap, variance`},
		{"test fraction", []string{"--test-fraction", "1.5"}, "--test-fraction 1.5: must be strictly between 0 and 1"},
		{"per class zero", []string{"--per-class", "0"}, "--per-class 0: must be positive"},
		{"per class not a number", []string{"--per-class", "many"}, `invalid argument "many" for "--per-class"`},
		{"one list", []string{"--convergent", "cat,dog"}, "give both --convergent and --divergent"},
		{"name twice", []string{"--convergent", "cat,eye", "--divergent", "dog,cat"}, `"cat" appears in both`},
		{"unknown label", []string{"--convergent", "cat", "--divergent", "unicorn"}, `unknown label "unicorn"`},
		{"too few drawings", []string{"--per-class", "600", "--convergent", "cat", "--divergent", "bee"}, `label "bee": too few drawings`},
		{"missing source", []string{"--source", filepath.Join(existing, "nowhere")}, "nowhere does not exist"},
		{"existing out", []string{"--out", existing}, "already exists; pass --force to replace it"},
		{"stray argument", []string{"extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "prep")
			args := append([]string{"prepare", "--source", data, "--out", out}, tt.args...)
			got, code := runFluens(t, bin, args...)
			if code == 0 {
				t.Fatalf("exit 0, want failure; output:\n%s", got)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output %q, want it to contain %q", got, tt.want)
			}
			if n := strings.Count(got, "fluens: "); n != 1 {
				t.Errorf("want one error line, got %d:\n%s", n, got)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed run left %s", out)
			}
		})
	}
	// --out is required.
	if got, code := runFluens(t, bin, "prepare", "--source", data); code == 0 || !strings.Contains(got, "--out is required") {
		t.Errorf("without --out: exit %d, %q", code, got)
	}
}

func testPrepareRuns(t *testing.T, bin, data string) {
	out := filepath.Join(t.TempDir(), "prep")
	got, code := runFluens(t, bin, "prepare", "--source", data, "--out", out, "--per-class", "40",
		"--convergent", "clock,eye", "--divergent", "cat,dog", "--workers", "2")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, got)
	}
	if strings.Contains(got, "\r") {
		t.Error("progress wrote terminal control characters to a pipe")
	}
	for _, want := range []string{"measuring categories:", "writing mixes: 3/3", "wrote " + out, "convergent: clock, eye"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, f := range []string{"labels.json", "conv_div_mix_02/t10k-labels-idx1-ubyte.gz", "averages/clock.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// A second run without --force refuses and keeps the folder.
	got, code = runFluens(t, bin, "prepare", "--source", data, "--out", out)
	if code == 0 || !strings.Contains(got, "--force") {
		t.Errorf("second run: exit %d, %q", code, got)
	}
	if _, err := os.Stat(filepath.Join(out, "labels.json")); err != nil {
		t.Error("refused run damaged the folder:", err)
	}
}
