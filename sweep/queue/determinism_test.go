package queue_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue/enginetest"
)

// TestResultsCSVSameAcrossEngines runs one small sweep (the two cheap CNNs
// of enginetest on the 11 mixes, one epoch) three ways with the same
// seeds: the local runner with 1 worker, with 2 workers, and the NATS
// queue with two worker processes; fluens results must write a
// byte-identical results.csv for all three.
func TestResultsCSVSameAcrossEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fluens and trains 3×22 small jobs")
	}
	bin := enginetest.BuildFluens(t)
	prep := enginetest.Prepare(t)
	flags := []string{"--zoo=cnn", "--cnns=2", "--zoo-seed=23", "--epochs=1", "--batch=64"}
	tmp := t.TempDir()
	stores := map[string]string{
		"local, 1 worker":  filepath.Join(tmp, "local1"),
		"local, 2 workers": filepath.Join(tmp, "local2"),
		"NATS, 2 workers":  filepath.Join(tmp, "nats"),
	}
	enginetest.Fluens(t, bin, append([]string{"train", "--data", prep, "--runs", stores["local, 1 worker"], "--workers=1"}, flags...)...)
	enginetest.Fluens(t, bin, append([]string{"train", "--data", prep, "--runs", stores["local, 2 workers"], "--workers=2"}, flags...)...)

	s := serve(t)
	out := enginetest.Fluens(t, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", stores["NATS, 2 workers"]}, flags...)...)
	if !strings.Contains(out, "published") {
		t.Fatalf("submit said %q", out)
	}
	for range 2 {
		startWorker(t, bin, nil, "--nats", s.URL(), "--idle-exit=3s", "--threads=1")
	}
	enginetest.Fluens(t, bin, "queue", "collect", "--nats", s.URL(), "--runs", stores["NATS, 2 workers"], "--wait", "--timeout=5m")

	csvs := map[string][]byte{}
	for name, runs := range stores {
		enginetest.Fluens(t, bin, "results", "--runs", runs)
		b, err := os.ReadFile(filepath.Join(runs, "results.csv"))
		if err != nil {
			t.Fatal(err)
		}
		csvs[name] = b
	}
	ref := csvs["local, 1 worker"]
	if lines := bytes.Count(ref, []byte("\n")); lines != enginetest.SweepJobs+1 {
		t.Errorf("results.csv has %d lines, want %d jobs and a header", lines, enginetest.SweepJobs)
	}
	for name, b := range csvs {
		if !bytes.Equal(b, ref) {
			t.Errorf("results.csv of %s differs from the local run with 1 worker", name)
		}
	}
	if err := enginetest.CompareStores(&sweep.Store{Dir: stores["local, 1 worker"]}, &sweep.Store{Dir: stores["NATS, 2 workers"]}); err != nil {
		t.Error(err)
	}
}
