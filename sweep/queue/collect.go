package queue

import (
	"bytes"
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

// CollectOptions configure Collect.
type CollectOptions struct {
	// Wait keeps collecting until every job of the store's manifests has
	// a record or has failed for good (or ctx ends); otherwise Collect
	// stops once it has read every result the server holds.
	Wait bool
	// Logf, when not nil, receives a line for each result stored and
	// each failure reported.
	Logf func(format string, args ...any)
}

// CollectSummary counts what Collect did.
type CollectSummary struct {
	Total     int // jobs in the store's manifests
	Stored    int // results written into the store now
	Duplicate int // results ignored: the store already had the record
	Foreign   int // results of jobs of other sweeps, ignored
	Missing   int // jobs still without a record at the end
	// Failed are the final failure reports of jobs without a record.
	Failed []FailureMsg
}

// Collect reads results from the results stream and writes those of the
// store's sweep (the keys of its manifests, see Submit) into the store:
// the weights files first, then the record, each atomically. A result
// whose record is already in the store is ignored, so collecting twice,
// or a job trained twice after a redelivery, stores it once.
func Collect(ctx context.Context, nc *nats.Conn, store *sweep.Store, o CollectOptions) (CollectSummary, error) {
	var sum CollectSummary
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ms, err := Manifests(store.Dir)
	if err != nil {
		return sum, err
	}
	if len(ms) == 0 {
		return sum, fmt.Errorf("queue: %s holds no submission (run fluens queue submit)", filepath.Join(store.Dir, Dir))
	}
	want := map[string]bool{}
	for _, m := range ms {
		for _, k := range m.Keys {
			want[k] = true
		}
	}
	sum.Total = len(want)
	missing := map[string]bool{}
	for k := range want {
		if _, err := store.Load(k); err != nil {
			missing[k] = true
		}
	}
	failed := map[string]FailureMsg{}
	finish := func() (CollectSummary, error) {
		sum.Missing = len(missing)
		for k := range missing {
			if f, ok := failed[k]; ok && f.Final {
				sum.Failed = append(sum.Failed, f)
			}
		}
		sort.Slice(sum.Failed, func(a, b int) bool { return sum.Failed[a].Index < sum.Failed[b].Index })
		return sum, nil
	}
	if len(missing) == 0 {
		return finish()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return sum, fmt.Errorf("queue: %w", err)
	}
	if _, err := ensure(ctx, js); err != nil {
		return sum, err
	}
	cons, err := js.OrderedConsumer(ctx, ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{ResultsSubject + ".>", FailedSubject + ".>"},
		DeliverPolicy:  jetstream.DeliverLastPerSubjectPolicy,
	})
	if err != nil {
		return sum, fmt.Errorf("queue: reading %s: %w", ResultsStream, err)
	}
	done := func() bool {
		for k := range missing {
			if f, ok := failed[k]; !ok || !f.Final {
				return false
			}
		}
		return true
	}
	for {
		if o.Wait && done() {
			return finish()
		}
		msg, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				s, _ := finish()
				return s, ctx.Err()
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
				if !o.Wait {
					return finish() // nothing more on the server
				}
				continue
			}
			return sum, fmt.Errorf("queue: reading %s: %w", ResultsStream, err)
		}
		key := msg.Subject()[strings.LastIndexByte(msg.Subject(), '.')+1:]
		switch {
		case !want[key]:
			sum.Foreign++
		case strings.HasPrefix(msg.Subject(), FailedSubject+"."):
			var f FailureMsg
			if err := json.Unmarshal(msg.Data(), &f); err != nil || f.Key != key {
				logf("queue: ignoring a damaged failure report on %s", msg.Subject())
				break
			}
			if missing[key] {
				failed[key] = f
				logf("job %d failed on %s (attempt %d%s): %s", f.Index, f.Worker, f.Attempt, map[bool]string{true: ", final"}[f.Final], f.Error)
			}
		case !missing[key]:
			sum.Duplicate++
		default:
			rec, err := storeResult(store, key, msg.Data(), func(name string) ([]byte, error) {
				obs, err := files(ctx, js)
				if err != nil {
					return nil, err
				}
				return obs.GetBytes(ctx, name)
			})
			if err != nil {
				logf("queue: ignoring result on %s: %v", msg.Subject(), err)
				break
			}
			delete(missing, key)
			delete(failed, key)
			sum.Stored++
			logf("stored %s on %s (seed %d): accuracy %.4f, trained on %s", rec.Spec, rec.Mix, rec.Seed, float64(rec.Accuracy), rec.Host)
		}
		if !o.Wait {
			if md, err := msg.Metadata(); err == nil && md.NumPending == 0 {
				return finish()
			}
		}
	}
}

// storeResult validates a result message and writes it into the store:
// the files first (read with fetch), then the record.
func storeResult(store *sweep.Store, key string, body []byte, fetch func(name string) ([]byte, error)) (*sweep.Record, error) {
	var res ResultMsg
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("damaged result: %w", err)
	}
	if res.Key != key {
		return nil, fmt.Errorf("result for key %.12s… on the subject of %.12s…", res.Key, key)
	}
	// Validate the record with the store's own reader, in a scratch store.
	tmp, err := os.MkdirTemp("", "fluens-collect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	scratch, err := sweep.OpenStore(tmp)
	if err != nil {
		return nil, err
	}
	var rec sweep.Record
	dec := json.NewDecoder(bytes.NewReader(res.Record))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("damaged record: %w", err)
	}
	if err := scratch.Put(&rec); err != nil {
		return nil, err
	}
	checked, err := scratch.Load(key)
	if err != nil {
		return nil, err
	}
	want := 0
	if checked.Weights != "" {
		want = 1
	}
	if len(res.Files) != want {
		return nil, fmt.Errorf("record names %d weights files, the result carries %d", want, len(res.Files))
	}
	for _, name := range res.Files {
		if name != checked.Weights || filepath.Base(name) != name || !strings.HasPrefix(name, key) {
			return nil, fmt.Errorf("result carries file %q that its record does not name", name)
		}
	}
	for _, name := range res.Files {
		data, err := fetch(name)
		if err != nil {
			return nil, fmt.Errorf("fetching %s from %s: %w", name, FilesBucket, err)
		}
		if err := sweep.WriteFileAtomic(filepath.Join(store.Dir, sweep.JobsDir, name), data); err != nil {
			return nil, err
		}
	}
	if err := store.Put(checked); err != nil {
		return nil, err
	}
	return checked, nil
}
