package slurm

import (
	"context"
	"os"
	"reflect"
	"sort"
	"testing"
)

func sortTasks(ts []Task) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].ArrayJobID != ts[j].ArrayJobID {
			return ts[i].ArrayJobID < ts[j].ArrayJobID
		}
		return ts[i].Index < ts[j].Index
	})
}

// The two golden files were captured from Slurm 22.05.8 (Debian 12) at
// the same moment: array 2 finished, array 6 with task 4 running, task 5
// pending and 0-3 completed; job 1 is not an array.
func TestParseSqueueGolden(t *testing.T) {
	js, err := os.ReadFile("testdata/squeue-22.05.json")
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := parseSqueueJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile("testdata/squeue-format.txt")
	if err != nil {
		t.Fatal(err)
	}
	fromText, err := parseSqueueFormat(txt)
	if err != nil {
		t.Fatal(err)
	}
	sortTasks(fromJSON)
	sortTasks(fromText)
	if !reflect.DeepEqual(fromJSON, fromText) {
		t.Errorf("json gives %v\nformat gives %v", fromJSON, fromText)
	}
	want := map[Task]bool{
		{6, 4, "RUNNING"}: true, {6, 5, "PENDING"}: true, {2, 0, "COMPLETED"}: true,
	}
	for _, tk := range fromJSON {
		delete(want, tk)
		if tk.ArrayJobID == 1 {
			t.Errorf("job 1 is not an array but gave task %v", tk)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing tasks %v in %v", want, fromJSON)
	}
}

// Slurm 23.02 and later write numbers as objects and states as lists.
func TestParseSqueueJSONNewer(t *testing.T) {
	doc := `{"jobs":[
	 {"job_id":11,"array_job_id":{"set":true,"infinite":false,"number":10},"array_task_id":{"set":true,"infinite":false,"number":0},"array_task_string":"","job_state":["RUNNING"]},
	 {"job_id":10,"array_job_id":{"set":true,"infinite":false,"number":10},"array_task_id":{"set":false,"infinite":false,"number":0},"array_task_string":"2,4-5%2","job_state":["PENDING"]},
	 {"job_id":12,"array_job_id":{"set":true,"infinite":false,"number":0},"array_task_id":{"set":false,"infinite":false,"number":0},"array_task_string":"","job_state":["FAILED"]}
	],"errors":[]}`
	got, err := parseSqueueJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	sortTasks(got)
	want := []Task{{10, 0, "RUNNING"}, {10, 2, "PENDING"}, {10, 4, "PENDING"}, {10, 5, "PENDING"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{`{}`, `[`, `{"jobs":[{"array_job_id":"x"}]}`, `{"jobs":[{"array_job_id":3,"job_state":7}]}`} {
		if _, err := parseSqueueJSON([]byte(bad)); err == nil {
			t.Errorf("parseSqueueJSON(%s) accepted", bad)
		}
	}
}

func TestParseSqueueFormatErrors(t *testing.T) {
	for _, bad := range []string{"1|2", "x|1|RUNNING", "1|x|RUNNING", "1|3-1|PENDING"} {
		if _, err := parseSqueueFormat([]byte(bad)); err == nil {
			t.Errorf("parseSqueueFormat(%q) accepted", bad)
		}
	}
}

func FuzzParseSqueueJSON(f *testing.F) {
	if js, err := os.ReadFile("testdata/squeue-22.05.json"); err == nil {
		f.Add(js)
	}
	f.Add([]byte(`{"jobs":[{"array_job_id":{"set":true,"number":4},"array_task_string":"1-3","job_state":["PENDING"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tasks, err := parseSqueueJSON(data)
		if err != nil {
			return
		}
		for _, tk := range tasks {
			if tk.Index < 0 || tk.ArrayJobID == 0 {
				t.Fatalf("bad task %v", tk)
			}
		}
	})
}

// TestQueueLive asks the running controller, where there is one.
func TestQueueLive(t *testing.T) {
	ctx := context.Background()
	if err := Running(ctx); err != nil {
		t.Skip("no Slurm controller:", err)
	}
	_, method, err := Queue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if method != "json" && method != "format" {
		t.Errorf("method %q", method)
	}
}
