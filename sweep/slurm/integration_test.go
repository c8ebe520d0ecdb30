package slurm_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue/enginetest"
	"github.com/fluens-lab/fluens/sweep/slurm"
)

// requireSlurm skips the test where no Slurm controller answers, unless
// FLUENS_REQUIRE_SLURM=1 (set by .ci/run after .ci/slurm-setup.sh).
func requireSlurm(t *testing.T) {
	t.Helper()
	if err := slurm.Running(context.Background()); err != nil {
		msg := "no Slurm controller answers (sinfo: " + err.Error() + "); run .ci/slurm-setup.sh as root"
		if os.Getenv("FLUENS_REQUIRE_SLURM") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

var (
	submittedRE = regexp.MustCompile(`submitted array (\d+): 22 of 22 jobs`)
	statusRE    = regexp.MustCompile(`^22 jobs: (\d+) done, (\d+) running, (\d+) pending, (\d+) failed`)
)

// TestSlurmArrayMatchesLocalRun submits the test sweep to the running
// Slurm as one job array, into a store whose path holds a space, quotes
// and a dollar sign, waits for it through fluens slurm status, and
// compares the store (records, weights, results.csv) with a local run of
// the same jobs.
func TestSlurmArrayMatchesLocalRun(t *testing.T) {
	requireSlurm(t)
	if testing.Short() {
		t.Skip("builds fluens and trains 44 jobs")
	}
	bin := enginetest.BuildFluens(t)
	prep := enginetest.Prepare(t)
	tmp := t.TempDir()
	local := filepath.Join(tmp, "local")
	runs := filepath.Join(tmp, `runs "on" Slurm's $HOME`)

	out := enginetest.Fluens(t, bin, append([]string{"slurm", "submit", "--data", prep, "--runs", runs,
		"--array-parallelism=2", "--time=10:00", "--cpus-per-task=1"}, enginetest.SweepFlags...)...)
	m := submittedRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("submit said %q", out)
	}
	array := m[1]
	// Submitting again while the array runs adds nothing.
	out = enginetest.Fluens(t, bin, append([]string{"slurm", "submit", "--data", prep, "--runs", runs}, enginetest.SweepFlags...)...)
	if !strings.Contains(out, "nothing to submit") {
		t.Errorf("second submit said %q", out)
	}

	// The local run shares the two cores with the array meanwhile.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		enginetest.Fluens(t, bin, append([]string{"train", "--data", prep, "--runs", local, "--workers=1"}, enginetest.SweepFlags...)...)
	}()

	// The array takes about a minute on a quiet two-core machine; the
	// deadline leaves room for a busy one.
	deadline := time.Now().Add(5 * time.Minute)
	var last string
	for {
		last = strings.TrimSpace(enginetest.Fluens(t, bin, "slurm", "status", "--runs", runs))
		s := statusRE.FindStringSubmatch(last)
		if s == nil {
			t.Fatalf("status said %q", last)
		}
		if s[4] != "0" {
			logs, _ := filepath.Glob(filepath.Join(runs, "slurm", "*.out"))
			var b strings.Builder
			for _, l := range logs {
				text, _ := os.ReadFile(l)
				b.Write(text)
			}
			t.Fatalf("status: %s\n%s", last, b.String())
		}
		if s[1] == "22" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("array %s not done in time: %s", array, last)
		}
		time.Sleep(time.Second)
	}
	wg.Wait()
	if _, err := os.Stat(filepath.Join(runs, "slurm", "fluens-"+array+"_0.out")); err != nil {
		t.Errorf("task log: %v", err)
	}
	if err := enginetest.CompareStores(&sweep.Store{Dir: local}, &sweep.Store{Dir: runs}); err != nil {
		t.Error(err)
	}
	enginetest.Fluens(t, bin, "results", "--runs", local)
	enginetest.Fluens(t, bin, "results", "--runs", runs)
	a, errA := os.ReadFile(filepath.Join(local, "results.csv"))
	b, errB := os.ReadFile(filepath.Join(runs, "results.csv"))
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("results.csv differ (%v, %v):\n%s\n%s", errA, errB, a, b)
	}
	out = enginetest.Fluens(t, bin, append([]string{"slurm", "submit", "--data", prep, "--runs", runs}, enginetest.SweepFlags...)...)
	if !strings.Contains(out, "nothing to submit: of 22 jobs, 22 are done") {
		t.Errorf("submit after the sweep said %q", out)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	enginetest.Cleanup()
	os.Exit(code)
}
