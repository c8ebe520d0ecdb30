package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Task is one task of a job array as squeue reports it.
type Task struct {
	// ArrayJobID is the id sbatch printed for the whole array.
	ArrayJobID int
	// Index is the task's array index (SLURM_ARRAY_TASK_ID).
	Index int
	// State is Slurm's job state: PENDING, RUNNING, COMPLETED, FAILED,
	// CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, ...
	State string
}

// Active reports whether the task is waiting to run or running (or in a
// state from which it will run again).
func (t Task) Active() bool {
	switch t.State {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_FED",
		"REQUEUE_HOLD", "RESIZING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD":
		return true
	}
	return false
}

// Queue lists the tasks of job arrays known to the controller (pending,
// running, and those finished less than MinJobAge ago), first through
// squeue --json (Slurm 21.08 and later) and, where that is not available,
// through squeue's --format output. Jobs that are not arrays are left out.
// It returns the method used ("json" or "format").
func Queue(ctx context.Context) ([]Task, string, error) {
	out, err := run(ctx, "squeue", "--json")
	if err == nil {
		tasks, perr := parseSqueueJSON(out)
		if perr == nil {
			return tasks, "json", nil
		}
		err = perr
	}
	out, ferr := run(ctx, "squeue", "--noheader", "--array", "--states=all", "--format=%F|%K|%T")
	if ferr != nil {
		return nil, "", fmt.Errorf("slurm: squeue --json: %v; squeue --format: %w", err, ferr)
	}
	tasks, perr := parseSqueueFormat(out)
	return tasks, "format", perr
}

// run runs a Slurm command and returns its standard output; a failure
// carries the command's standard error.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return runIn(ctx, "", name, args...)
}

// runIn is run in directory dir ("" = the current one).
func runIn(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return nil, fmt.Errorf("%s: %w: %s", name, err, msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// squeueJob holds the fields of one job in squeue --json output. Slurm
// 22.05 (OpenAPI v0.0.38) writes numbers and a state string; later
// versions write {"set":true,"number":N} objects and a list of states, so
// these fields are decoded by hand.
type squeueJob struct {
	JobID       json.RawMessage `json:"job_id"`
	ArrayJobID  json.RawMessage `json:"array_job_id"`
	ArrayTaskID json.RawMessage `json:"array_task_id"`
	ArrayTasks  string          `json:"array_task_string"`
	State       json.RawMessage `json:"job_state"`
}

func parseSqueueJSON(data []byte) ([]Task, error) {
	var doc struct {
		Jobs   []squeueJob `json:"jobs"`
		Errors []any       `json:"errors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("slurm: squeue --json output: %w", err)
	}
	if doc.Jobs == nil {
		return nil, errors.New("slurm: squeue --json output has no jobs list")
	}
	var tasks []Task
	for _, j := range doc.Jobs {
		arrayID, ok, err := slurmNumber(j.ArrayJobID)
		if err != nil {
			return nil, fmt.Errorf("slurm: squeue --json: array_job_id: %w", err)
		}
		if !ok || arrayID == 0 {
			continue // not an array
		}
		state, err := slurmState(j.State)
		if err != nil {
			return nil, fmt.Errorf("slurm: squeue --json: job_state: %w", err)
		}
		index, ok, err := slurmNumber(j.ArrayTaskID)
		if err != nil {
			return nil, fmt.Errorf("slurm: squeue --json: array_task_id: %w", err)
		}
		if ok {
			tasks = append(tasks, Task{ArrayJobID: arrayID, Index: index, State: state})
			continue
		}
		// The pending rest of an array is one record whose
		// array_task_string names its indices.
		if j.ArrayTasks == "" {
			continue
		}
		ix, _, err := ParseArraySpec(j.ArrayTasks)
		if err != nil {
			return nil, err
		}
		for _, i := range ix {
			tasks = append(tasks, Task{ArrayJobID: arrayID, Index: i, State: state})
		}
	}
	return tasks, nil
}

// slurmNumber decodes a number that is plain (22.05), null, or an object
// {"set": bool, "infinite": bool, "number": N} (23.02 and later).
func slurmNumber(raw json.RawMessage) (int, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		v, err := strconv.Atoi(n.String())
		return v, err == nil, err
	}
	var obj struct {
		Set      bool  `json:"set"`
		Infinite bool  `json:"infinite"`
		Number   int64 `json:"number"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return 0, false, fmt.Errorf("%s is not a number", raw)
	}
	if !obj.Set || obj.Infinite {
		return 0, false, nil
	}
	return int(obj.Number), true, nil
}

// slurmState decodes a state written as "RUNNING" (22.05) or ["RUNNING"]
// (23.02 and later, where flags may follow the base state).
func slurmState(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return "", fmt.Errorf("%s is not a state", raw)
	}
	return list[0], nil
}

// parseSqueueFormat reads lines "ARRAYJOBID|TASKID|STATE" as written by
// squeue --array --format=%F|%K|%T. Jobs that are not arrays have task
// id "N/A" and are left out.
func parseSqueueFormat(data []byte) ([]Task, error) {
	var tasks []Task
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 3 {
			return nil, fmt.Errorf("slurm: squeue line %d: %q: want 3 fields", n+1, line)
		}
		if f[1] == "N/A" {
			continue
		}
		arrayID, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("slurm: squeue line %d: bad array job id %q", n+1, f[0])
		}
		ix, _, err := ParseArraySpec(f[1])
		if err != nil {
			return nil, fmt.Errorf("slurm: squeue line %d: %w", n+1, err)
		}
		for _, i := range ix {
			tasks = append(tasks, Task{ArrayJobID: arrayID, Index: i, State: f[2]})
		}
	}
	return tasks, nil
}

// Running reports whether a Slurm controller answers: sinfo succeeds.
func Running(ctx context.Context) error {
	_, err := run(ctx, "sinfo", "--noheader")
	return err
}
