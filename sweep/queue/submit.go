package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fluens-lab/fluens/sweep"
)

// Dir is the sub-folder of a result store that holds the queue's
// submission manifests.
const Dir = "queue"

// SubmitOptions configure Submit.
type SubmitOptions struct {
	StreamOptions
	// Data is the prepared data folder the jobs were listed from; its
	// absolute path travels with each job.
	Data string
	// SaveWeights asks workers to return every model's weights (the
	// perceptron's come back always).
	SaveWeights bool
	// Requeue replaces jobs that are still in the queue (for example
	// ones that reached MaxDeliver without a final failure report)
	// instead of leaving them.
	Requeue bool
}

// SubmitSummary counts what Submit did.
type SubmitSummary struct {
	Total     int // jobs in the list
	Done      int // left out: their record is in the store
	Queued    int // left out: already in the queue
	Results   int // left out: a result waits on the server (run Collect)
	Published int // published now
	// Manifest is the file that lists the sweep's keys for Collect.
	Manifest string
}

// Manifest lists the keys of a submitted sweep, so that Collect knows
// which results belong to a store.
type Manifest struct {
	Submitted time.Time `json:"submitted"`
	Data      string    `json:"data"`
	Keys      []string  `json:"keys"`
}

// Submit publishes the jobs that have no record in store to the jobs
// stream, after creating the streams (or updating the consumer's AckWait
// and MaxDeliver), and writes a manifest of the sweep into
// store/queue/. A job still in the queue from an earlier submission is
// not published twice, nor is one whose result waits on the server to be
// collected.
func Submit(ctx context.Context, nc *nats.Conn, store *sweep.Store, jobs []sweep.Job, o SubmitOptions) (SubmitSummary, error) {
	sum := SubmitSummary{Total: len(jobs)}
	data, err := filepath.Abs(o.Data)
	if err != nil {
		return sum, fmt.Errorf("queue: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return sum, fmt.Errorf("queue: %w", err)
	}
	if err := Setup(ctx, js, o.StreamOptions); err != nil {
		return sum, err
	}
	stream, err := js.Stream(ctx, JobsStream)
	if err != nil {
		return sum, fmt.Errorf("queue: stream %s: %w", JobsStream, err)
	}
	results, err := js.Stream(ctx, ResultsStream)
	if err != nil {
		return sum, fmt.Errorf("queue: stream %s: %w", ResultsStream, err)
	}
	// The manifest goes first: a collector started while jobs are being
	// published must know them.
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		keys[i] = j.Key
	}
	if sum.Manifest, err = writeManifest(store, Manifest{Submitted: time.Now().UTC(), Data: data, Keys: keys}); err != nil {
		return sum, err
	}
	for _, j := range jobs {
		if _, err := store.Load(j.Key); err == nil {
			sum.Done++
			continue
		}
		if _, err := results.GetLastMsgForSubject(ctx, resultSubject(j.Key)); err == nil {
			sum.Results++
			continue
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return sum, fmt.Errorf("queue: looking up the result of job %d: %w", j.Index, err)
		}
		body, err := json.Marshal(newJobMsg(j, data, o.SaveWeights))
		if err != nil {
			return sum, fmt.Errorf("queue: job %d: %w", j.Index, err)
		}
		if o.Requeue {
			if err := stream.Purge(ctx, jetstream.WithPurgeSubject(jobSubject(j.Key))); err != nil {
				return sum, fmt.Errorf("queue: requeueing job %d: %w", j.Index, err)
			}
		}
		_, err = js.Publish(ctx, jobSubject(j.Key), body)
		if err != nil {
			if isPerSubjectLimit(err) {
				sum.Queued++
				continue
			}
			return sum, fmt.Errorf("queue: publishing job %d: %w", j.Index, err)
		}
		sum.Published++
	}
	return sum, nil
}

// isPerSubjectLimit reports the error of publishing a job whose subject
// already holds a message (DiscardNewPerSubject).
func isPerSubjectLimit(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return strings.Contains(apiErr.Description, "maximum messages per subject")
	}
	return strings.Contains(err.Error(), "maximum messages per subject")
}

func writeManifest(store *sweep.Store, m Manifest) (string, error) {
	dir := filepath.Join(store.Dir, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	path := filepath.Join(dir, "submit-"+m.Submitted.Format("20060102T150405.000000000")+".json")
	if err := sweep.WriteFileAtomic(path, append(b, '\n')); err != nil {
		return "", err
	}
	return path, nil
}

// Manifests reads the submission manifests of a store
// (RUNS/queue/submit-<time>.json), oldest first.
func Manifests(runs string) ([]Manifest, error) {
	isManifest := func(name string) bool {
		return strings.HasPrefix(name, "submit-") && strings.HasSuffix(name, ".json")
	}
	ms, err := sweep.ReadManifests(filepath.Join(runs, Dir), isManifest, func(_ string, m *Manifest) error {
		for _, k := range m.Keys {
			if !validKey(k) {
				return fmt.Errorf("%q is not a job key", k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	sort.Slice(ms, func(a, b int) bool { return ms[a].Submitted.Before(ms[b].Submitted) })
	return ms, nil
}
