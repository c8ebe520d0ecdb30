package slurm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fluens-lab/fluens/sweep"
)

// Dir is the sub-folder of a result store that holds the sbatch scripts,
// the submission manifests and the task logs.
const Dir = "slurm"

// Options configure Submit.
type Options struct {
	// Parallelism limits how many tasks of the array run at once (the %K
	// of --array); 0 means no limit.
	Parallelism int
	// Partition, Time and CPUsPerTask go to sbatch when set.
	Partition   string
	Time        string
	CPUsPerTask int
	// JobName is the Slurm job name; "" means "fluens".
	JobName string
	// DryRun writes and submits nothing: Submit only returns the script.
	DryRun bool
}

// Submission is what Submit did.
type Submission struct {
	// ArrayJobID is the id sbatch gave the array (0 on a dry run or when
	// nothing was submitted).
	ArrayJobID int
	// Indices are the job indices submitted: the jobs without a record
	// and not queued by an earlier submission.
	Indices []int
	// Done and Queued count the jobs left out because their record is in
	// the store, or because an earlier array still holds them.
	Done, Queued int
	// Script is the sbatch script, ScriptPath where it was written ("" on
	// a dry run).
	Script     string
	ScriptPath string
}

// Manifest records one submission in RUNS/slurm/<array id>.json, so that
// Status can map array tasks back to jobs without the sweep's flags.
type Manifest struct {
	ArrayJobID int       `json:"array_job_id"`
	JobName    string    `json:"job_name"`
	Submitted  time.Time `json:"submitted"`
	Script     string    `json:"script"`
	// Indices are the array indices submitted.
	Indices []int `json:"indices"`
	// Keys are the keys of every job of the sweep, by job index.
	Keys []string `json:"keys"`
}

// Submit submits the jobs of a sweep that are not done as one Slurm job
// array. command is the program (an absolute path) and its arguments; task
// i runs it with "--job-index i" appended, and must train job i of jobs
// into store (fluens train does). The script is written to
// store/slurm/fluens-<time>.sh and sbatch runs in store/slurm, where the
// task logs land (<name>-<array id>_<index>.out).
//
// Jobs whose record is in the store are left out, and so are jobs that an
// earlier submission's array still holds (pending or running in squeue).
// When every job is accounted for, nothing is submitted and the returned
// Submission has no Indices.
func Submit(ctx context.Context, store *sweep.Store, jobs []sweep.Job, command []string, o Options) (*Submission, error) {
	if len(command) == 0 || !filepath.IsAbs(command[0]) {
		return nil, fmt.Errorf("slurm: the command must start with an absolute program path (have %q)", command)
	}
	if o.Parallelism < 0 {
		return nil, fmt.Errorf("slurm: array parallelism %d is negative", o.Parallelism)
	}
	dir, err := filepath.Abs(filepath.Join(store.Dir, Dir))
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	sub := &Submission{}
	var todo []int
	for i, j := range jobs {
		if j.Index != i {
			return nil, fmt.Errorf("slurm: job %d has index %d: pass the whole job list", i, j.Index)
		}
		if _, err := store.Load(j.Key); err == nil {
			sub.Done++
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) > 0 {
		queued, err := queuedKeys(ctx, dir)
		if err != nil && !o.DryRun {
			return nil, err
		}
		kept := todo[:0]
		for _, i := range todo {
			if queued[jobs[i].Key] {
				sub.Queued++
				continue
			}
			kept = append(kept, i)
		}
		todo = kept
	}
	if len(todo) == 0 {
		return sub, nil
	}
	sub.Indices = todo
	sub.Script, err = Script(ScriptOptions{
		JobName: o.JobName, Array: ArraySpec(todo, o.Parallelism),
		Partition: o.Partition, Time: o.Time, CPUsPerTask: o.CPUsPerTask,
		Dir: dir, Command: command,
	})
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return sub, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	now := time.Now().UTC()
	sub.ScriptPath = filepath.Join(dir, "fluens-"+now.Format("20060102T150405.000000000")+".sh")
	if err := sweep.WriteFileAtomic(sub.ScriptPath, []byte(sub.Script)); err != nil {
		return nil, err
	}
	out, err := runIn(ctx, dir, "sbatch", "--parsable", sub.ScriptPath)
	if err != nil {
		return nil, fmt.Errorf("slurm: submitting %s: %w", sub.ScriptPath, err)
	}
	// --parsable prints "id" or "id;cluster".
	idText, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	sub.ArrayJobID, err = strconv.Atoi(idText)
	if err != nil || sub.ArrayJobID <= 0 {
		return nil, fmt.Errorf("slurm: sbatch printed %q, not a job id", out)
	}
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		keys[i] = j.Key
	}
	m := Manifest{ArrayJobID: sub.ArrayJobID, JobName: jobName(o.JobName), Submitted: now, Script: filepath.Base(sub.ScriptPath), Indices: todo, Keys: keys}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	if err := sweep.WriteFileAtomic(filepath.Join(dir, strconv.Itoa(sub.ArrayJobID)+".json"), append(b, '\n')); err != nil {
		return nil, fmt.Errorf("slurm: array %d was submitted but its manifest could not be written: %w", sub.ArrayJobID, err)
	}
	return sub, nil
}

// Manifests reads the submission manifests of a store's slurm folder
// (RUNS/slurm/<array id>.json), oldest first.
func Manifests(runs string) ([]Manifest, error) {
	isManifest := func(name string) bool {
		id, ok := strings.CutSuffix(name, ".json")
		if !ok {
			return false
		}
		_, err := strconv.Atoi(id)
		return err == nil
	}
	ms, err := sweep.ReadManifests(filepath.Join(runs, Dir), isManifest, func(name string, m *Manifest) error {
		for _, i := range m.Indices {
			if i < 0 || i >= len(m.Keys) {
				return fmt.Errorf("index %d outside the %d jobs", i, len(m.Keys))
			}
		}
		if strconv.Itoa(m.ArrayJobID)+".json" != name {
			return fmt.Errorf("holds array %d", m.ArrayJobID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	sort.Slice(ms, func(a, b int) bool {
		if !ms[a].Submitted.Equal(ms[b].Submitted) {
			return ms[a].Submitted.Before(ms[b].Submitted)
		}
		return ms[a].ArrayJobID < ms[b].ArrayJobID
	})
	return ms, nil
}

// queuedKeys returns the keys of jobs that a submitted array still holds
// (pending or running).
func queuedKeys(ctx context.Context, dir string) (map[string]bool, error) {
	ms, err := Manifests(filepath.Dir(dir))
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	tasks, _, err := Queue(ctx)
	if err != nil {
		return nil, err
	}
	return activeKeys(ms, tasks), nil
}

func activeKeys(ms []Manifest, tasks []Task) map[string]bool {
	byID := map[int]*Manifest{}
	for i := range ms {
		byID[ms[i].ArrayJobID] = &ms[i]
	}
	keys := map[string]bool{}
	for _, t := range tasks {
		m := byID[t.ArrayJobID]
		if m == nil || !t.Active() || t.Index >= len(m.Keys) {
			continue
		}
		keys[m.Keys[t.Index]] = true
	}
	return keys
}

func jobName(name string) string {
	if name == "" {
		return "fluens"
	}
	return name
}

// Status counts a sweep's jobs by state.
type Status struct {
	// Total is the number of jobs of the sweep of the latest submission.
	Total int
	// Done jobs have a valid record in the store.
	Done int
	// Running and Pending jobs are held by an array task in that state.
	Running, Pending int
	// Failed jobs were submitted, are no longer queued, and have no
	// record: their task failed, was cancelled, timed out or was lost.
	Failed int
	// Unsubmitted jobs were never part of a submitted array.
	Unsubmitted int
	// Failures name the failed jobs, with the state squeue still
	// remembers ("" once the controller has forgotten the task) and the
	// task's log file.
	Failures []Failure
	// Method is how squeue was read: "json" or "format".
	Method string
}

// Failure is a failed job.
type Failure struct {
	Index int
	Key   string
	State string
	Log   string
}

// StatusOf reads the store's manifests, records and squeue, and counts
// the jobs of the latest submission's sweep.
func StatusOf(ctx context.Context, store *sweep.Store) (*Status, error) {
	ms, err := Manifests(store.Dir)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("slurm: %s holds no submission (run fluens slurm submit)", filepath.Join(store.Dir, Dir))
	}
	tasks, method, err := Queue(ctx)
	if err != nil {
		return nil, err
	}
	return status(store, ms, tasks, method), nil
}

func status(store *sweep.Store, ms []Manifest, tasks []Task, method string) *Status {
	latest := ms[len(ms)-1]
	st := &Status{Total: len(latest.Keys), Method: method}
	byID := map[int]*Manifest{}
	for i := range ms {
		byID[ms[i].ArrayJobID] = &ms[i]
	}
	// The state of each key: running beats pending beats a finished state;
	// among finished tasks the latest array's state wins.
	type seen struct {
		state string
		array int
		index int
	}
	states := map[string]seen{}
	rank := func(s string) int {
		switch {
		case s == "RUNNING" || s == "COMPLETING" || s == "CONFIGURING":
			return 3
		case Task{State: s}.Active():
			return 2
		}
		return 1
	}
	for _, t := range tasks {
		m := byID[t.ArrayJobID]
		if m == nil || t.Index >= len(m.Keys) {
			continue
		}
		key := m.Keys[t.Index]
		old, ok := states[key]
		if !ok || rank(t.State) > rank(old.state) || rank(t.State) == rank(old.state) && t.ArrayJobID > old.array {
			states[key] = seen{t.State, t.ArrayJobID, t.Index}
		}
	}
	// The last array each key was submitted in.
	type where struct {
		array, index int
		name         string
	}
	submitted := map[string]where{}
	for _, m := range ms {
		for _, i := range m.Indices {
			submitted[m.Keys[i]] = where{m.ArrayJobID, i, jobName(m.JobName)}
		}
	}
	for i, key := range latest.Keys {
		if _, err := store.Load(key); err == nil {
			st.Done++
			continue
		}
		s, queued := states[key]
		switch {
		case queued && rank(s.state) == 3:
			st.Running++
			continue
		case queued && rank(s.state) == 2:
			st.Pending++
			continue
		}
		sub, ok := submitted[key]
		if !ok {
			st.Unsubmitted++
			continue
		}
		st.Failed++
		f := Failure{Index: i, Key: key}
		if queued && s.array == sub.array {
			f.State = s.state
		}
		f.Log = filepath.Join(store.Dir, Dir, fmt.Sprintf("%s-%d_%d.out", sub.name, sub.array, sub.index))
		st.Failures = append(st.Failures, f)
	}
	return st
}
