package queue

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fluens-lab/fluens/sweep"
)

// submitted starts a server, submits realJobs from a new store and
// returns the connection, the store and the jobs. No worker runs.
func submitted(t *testing.T) (*nats.Conn, jetstream.JetStream, *sweep.Store, []sweep.Job) {
	t.Helper()
	s := testServer(t)
	nc, err := Connect(s.URL(), "test", Auth{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sweep.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	jobs := realJobs()
	sum, err := Submit(context.Background(), nc, store, jobs, SubmitOptions{Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Published != len(jobs) {
		t.Fatalf("submit: %+v", sum)
	}
	return nc, js, store, jobs
}

// publishResult publishes a valid result of key to the results stream, as
// a worker does.
func publishResult(t *testing.T, js jetstream.JetStream, key string) {
	rec := sweep.Record{Key: key, Spec: "linear", Mix: "conv_div_mix_00", Hyper: sweep.Hyper{Epochs: 1, Batch: 8, LR: 0.01},
		TrainLoss: []sweep.Float{1}, TestAcc: []sweep.Float{0.5}, PerClass: []sweep.Float{0.5}}
	raw, _ := json.Marshal(rec)
	body, _ := json.Marshal(ResultMsg{Key: key, Record: raw, Worker: "test"})
	if _, err := js.Publish(context.Background(), resultSubject(key), body); err != nil {
		t.Error(err)
	}
}

// TestCollectIdleTimeout submits 12 jobs, runs no worker, loses one job's
// message (purged from the stream), and collects with a short idle
// timeout: Collect must stop soon after it with an *IdleError that counts
// the missing jobs and names the first ten, the lost one as not queued.
// A second submit then queues only the lost job again.
func TestCollectIdleTimeout(t *testing.T) {
	nc, js, store, jobs := submitted(t)
	ctx := context.Background()
	stream, err := js.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	lost := jobs[2]
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject(jobSubject(lost.Key))); err != nil {
		t.Fatal(err)
	}
	const idle = time.Second
	start := time.Now()
	sum, err := Collect(ctx, nc, store, CollectOptions{Wait: true, IdleTimeout: idle})
	took := time.Since(start)
	var ie *IdleError
	if !errors.As(err, &ie) {
		t.Fatalf("Collect returned %v after %v, want an *IdleError", err, took)
	}
	if took < idle || took > idle+5*time.Second {
		t.Errorf("Collect stopped after %v with an idle timeout of %v", took, idle)
	}
	if sum.Total != 12 || sum.Missing != 12 || sum.Stored != 0 {
		t.Errorf("summary %+v", sum)
	}
	if ie.Waiting != 12 || len(ie.Jobs) != MaxNamed {
		t.Fatalf("%d waiting, %d named: %v", ie.Waiting, len(ie.Jobs), err)
	}
	for i, j := range ie.Jobs {
		want := WaitingJob{Key: jobs[i].Key, Queued: true, Index: i, Spec: jobs[i].Model.Spec.String(), Mix: jobs[i].Mix.Name, Seed: jobs[i].Seed}
		if i == 2 {
			want = WaitingJob{Key: lost.Key}
		}
		if j != want {
			t.Errorf("named %+v, want %+v", j, want)
		}
	}
	msg := err.Error()
	for _, part := range []string{
		"no result for ",
		"s, 12 jobs still missing: ",
		"job 0 (linear on conv_div_mix_00, seed 1, key " + jobs[0].Key[:12],
		"key " + lost.Key[:12] + "… (not in the queue)",
		"and 2 more",
		"fluens queue submit",
		"run fluens queue collect again",
	} {
		if !strings.Contains(msg, part) {
			t.Errorf("the error lacks %q:\n%s", part, msg)
		}
	}
	// The advice holds: a second submit skips the jobs with a record and
	// those still queued, and queues the lost one.
	publishResult(t, js, jobs[0].Key)
	if _, err := Collect(ctx, nc, store, CollectOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := Submit(ctx, nc, store, jobs, SubmitOptions{Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if again.Done != 1 || again.Queued != 10 || again.Published != 1 {
		t.Errorf("second submit: %+v, want 1 done, 10 queued, 1 published", again)
	}
	// Without Wait the idle timeout plays no part.
	if _, err := Collect(ctx, nc, store, CollectOptions{IdleTimeout: time.Nanosecond}); err != nil {
		t.Errorf("Collect without Wait: %v", err)
	}
}

// TestCollectIdleTimeoutKeepsGoing publishes results every 300 ms for
// longer than the idle timeout (1 s): Collect must go on past the timeout
// while results keep coming, finish when the last job's result arrives,
// and time out only once results stop.
func TestCollectIdleTimeoutKeepsGoing(t *testing.T) {
	const (
		idle = time.Second
		gap  = 300 * time.Millisecond
	)
	for _, tc := range []struct {
		name    string
		results int // results published, of the 12 jobs
	}{
		{"all results", 12},
		{"results stop", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, js, store, jobs := submitted(t)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for _, j := range jobs[:tc.results] {
					time.Sleep(gap)
					publishResult(t, js, j.Key)
				}
			}()
			defer func() { <-done }()
			start := time.Now()
			sum, err := Collect(context.Background(), nc, store, CollectOptions{Wait: true, IdleTimeout: idle})
			took := time.Since(start)
			if sum.Stored != tc.results {
				t.Errorf("stored %d results, want %d (after %v, %v)", sum.Stored, tc.results, took, err)
			}
			span := time.Duration(tc.results) * gap
			if took < span {
				t.Errorf("Collect stopped after %v, before the results stopped (%v)", took, span)
			}
			if tc.results == len(jobs) {
				if err != nil {
					t.Errorf("Collect: %v after %v", err, took)
				}
				return
			}
			var ie *IdleError
			if !errors.As(err, &ie) || ie.Waiting != len(jobs)-tc.results || ie.Jobs[0].Index != tc.results {
				t.Fatalf("Collect: %v after %v, want an idle error naming job %d first", err, took, tc.results)
			}
			if took < span+idle {
				t.Errorf("Collect timed out after %v, less than %v after the last result", took, idle)
			}
		})
	}
}
