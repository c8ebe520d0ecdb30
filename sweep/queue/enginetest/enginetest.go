// Package enginetest helps test the sweep's engines (the NATS queue and
// Slurm) end to end: it builds the fluens binary, prepares a small data
// folder from the real QuickDraw data with fluens's own pipeline, and
// compares an engine's result store with the local runner's.
package enginetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/mix"
)

// SweepFlags define a small sweep for the engine tests: two cheap CNNs
// (P2-D0.1 and C8k5, the first two of zoo seed 23) on the 11 mixes of
// Prepare, 22 jobs of two epochs, every model's weights kept (so the
// weights travel too).
var SweepFlags = []string{"--zoo=cnn", "--cnns=2", "--zoo-seed=23", "--epochs=2", "--batch=64", "--save-weights"}

// SweepJobs is the number of jobs of SweepFlags.
const SweepJobs = 22

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// BuildFluens builds the fluens binary (once per test process; Cleanup
// removes it) and returns its path.
func BuildFluens(tb testing.TB) string {
	tb.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "fluens-bin-")
		if build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "fluens")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/fluens")
		cmd.Dir = testenv.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		tb.Fatal(build.err)
	}
	return build.bin
}

// Cleanup removes the binary built by BuildFluens; call it from TestMain
// after the tests ran.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Prepare writes a small prepared data folder (11 mixes of 100 drawings
// per label, 20 labels fixed in advance) from the real QuickDraw data, or
// skips the test where the data is missing (see testenv.QuickDraw).
func Prepare(tb testing.TB) string {
	tb.Helper()
	src := testenv.QuickDraw(tb)
	conv := []string{"candle", "rainbow", "car", "fish", "cloud", "eye", "bicycle", "snowman", "apple", "cookie"}
	div := []string{"banana", "bird", "book", "cat", "octopus", "bee", "house", "boomerang", "clock", "dog"}
	s := mix.DefaultSettings()
	s.PerClass = 100
	out := filepath.Join(tb.TempDir(), "prep")
	_, err := idx.Prepare(context.Background(), idx.PrepareOptions{
		Source: src, Out: out, Settings: s, Convergent: conv, Divergent: div,
		Categories: append(append([]string(nil), conv...), div...),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// Fluens runs the binary with args and returns its combined output,
// failing the test when it exits non-zero.
func Fluens(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("fluens %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
