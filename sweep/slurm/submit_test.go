package slurm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// fakeJobs returns n jobs with distinct keys (no data needed).
func fakeJobs(n int) []sweep.Job {
	jobs := make([]sweep.Job, n)
	for i := range jobs {
		h := sweep.Hyper{Epochs: 1, Batch: 8, LR: 0.01}
		jobs[i] = sweep.Job{Index: i, Model: zoo.Model{Family: zoo.MLP}, Seed: int64(i + 1), Hyper: h,
			Key: sweep.Key(zoo.Spec{}, "conv_div_mix_00", "hash", int64(i+1), h, sweep.EngineVersion)}
	}
	return jobs
}

// putRecord stores a minimal valid record for key.
func putRecord(t *testing.T, s *sweep.Store, key string) {
	t.Helper()
	r := &sweep.Record{Key: key, Spec: "linear", Mix: "conv_div_mix_00", Hyper: sweep.Hyper{Epochs: 1, Batch: 8, LR: 0.01},
		TrainLoss: []sweep.Float{1}, TestAcc: []sweep.Float{0.5}, PerClass: []sweep.Float{0.5}}
	if err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(key); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitDryRunLeavesOutDoneJobs(t *testing.T) {
	store, err := sweep.OpenStore(filepath.Join(t.TempDir(), "runs $x"))
	if err != nil {
		t.Fatal(err)
	}
	jobs := fakeJobs(10)
	for _, i := range []int{0, 1, 2, 5, 9} {
		putRecord(t, store, jobs[i].Key)
	}
	sub, err := Submit(context.Background(), store, jobs, []string{"/bin/fluens", "train"}, Options{Parallelism: 3, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Done != 5 || fmt.Sprint(sub.Indices) != "[3 4 6 7 8]" {
		t.Errorf("done %d, indices %v", sub.Done, sub.Indices)
	}
	if !strings.Contains(sub.Script, "#SBATCH --array=3-4,6-8%3\n") {
		t.Errorf("script:\n%s", sub.Script)
	}
	if sub.ScriptPath != "" || sub.ArrayJobID != 0 {
		t.Errorf("dry run wrote %q / submitted %d", sub.ScriptPath, sub.ArrayJobID)
	}
	if _, err := os.Stat(filepath.Join(store.Dir, Dir)); !os.IsNotExist(err) {
		t.Errorf("dry run created %s: %v", Dir, err)
	}
	for _, bad := range [][]string{nil, {"fluens", "train"}} {
		if _, err := Submit(context.Background(), store, jobs, bad, Options{DryRun: true}); err == nil {
			t.Errorf("Submit accepted command %q", bad)
		}
	}
	if _, err := Submit(context.Background(), store, jobs[1:], []string{"/bin/fluens"}, Options{DryRun: true}); err == nil {
		t.Error("Submit accepted a partial job list")
	}
}

func writeManifest(t *testing.T, runs string, m Manifest) {
	t.Helper()
	dir := filepath.Join(runs, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := fmt.Sprintf(`{"array_job_id":%d,"job_name":"fluens","submitted":"2026-01-0%dT00:00:00Z","script":"x.sh","indices":%s,"keys":%s}`,
		m.ArrayJobID, m.ArrayJobID%9+1, strings.ReplaceAll(fmt.Sprint(m.Indices), " ", ","), quoteKeys(m.Keys))
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(m.ArrayJobID)+".json"), []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func quoteKeys(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = `"` + k + `"`
	}
	return "[" + strings.Join(q, ",") + "]"
}

// TestStatusCounts checks the bookkeeping of Status on two submissions:
// array 5 took jobs 0-5, array 7 (a resubmission) jobs 4-5 again; job 6
// and 7 were never submitted.
func TestStatusCounts(t *testing.T) {
	store, err := sweep.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	jobs := fakeJobs(8)
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		keys[i] = j.Key
	}
	writeManifest(t, store.Dir, Manifest{ArrayJobID: 5, Indices: []int{0, 1, 2, 3, 4, 5}, Keys: keys})
	writeManifest(t, store.Dir, Manifest{ArrayJobID: 7, Indices: []int{4, 5}, Keys: keys})
	putRecord(t, store, keys[0])
	putRecord(t, store, keys[1]) // done, though squeue still says running
	tasks := []Task{
		{5, 1, "RUNNING"},
		{5, 2, "FAILED"},  // job 2 failed
		{5, 4, "TIMEOUT"}, // job 4 timed out in array 5 ...
		{7, 4, "RUNNING"}, // ... and runs again in array 7
		{7, 5, "PENDING"},
		{99, 3, "RUNNING"}, // another user's array
	}
	ms, err := Manifests(store.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ArrayJobID != 5 {
		t.Fatalf("manifests %+v", ms)
	}
	st := status(store, ms, tasks, "json")
	want := Status{Total: 8, Done: 2, Running: 1, Pending: 1, Failed: 2, Unsubmitted: 2}
	if st.Total != want.Total || st.Done != want.Done || st.Running != want.Running || st.Pending != want.Pending ||
		st.Failed != want.Failed || st.Unsubmitted != want.Unsubmitted {
		t.Errorf("status %+v, want %+v", *st, want)
	}
	// Job 2 failed with a state squeue remembers; job 3's task is gone.
	if len(st.Failures) != 2 || st.Failures[0].Index != 2 || st.Failures[0].State != "FAILED" ||
		st.Failures[1].Index != 3 || st.Failures[1].State != "" ||
		filepath.Base(st.Failures[1].Log) != "fluens-5_3.out" {
		t.Errorf("failures %+v", st.Failures)
	}
	// Jobs queued in a live array are left out of a resubmission.
	active := activeKeys(ms, tasks)
	if !active[keys[4]] || !active[keys[5]] || !active[keys[1]] || active[keys[2]] || active[keys[3]] {
		t.Errorf("active keys %v", active)
	}
}

func TestManifestsRejectDamage(t *testing.T) {
	for name, body := range map[string]string{
		"3.json": `{"array_job_id":3,"indices":[5],"keys":["a"]}`,
		"4.json": `{"array_job_id":5,"indices":[],"keys":[]}`,
		"6.json": `{`,
	} {
		runs := t.TempDir()
		os.MkdirAll(filepath.Join(runs, Dir), 0o755)
		os.WriteFile(filepath.Join(runs, Dir, name), []byte(body), 0o644)
		if _, err := Manifests(runs); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s %s: %v", name, body, err)
		}
	}
}
