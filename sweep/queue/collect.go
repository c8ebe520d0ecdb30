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
	// IdleTimeout, when > 0, bounds a Wait: once that long has passed
	// without news of the sweep (a result of one of its jobs stored, or
	// a failure report of one of them), Collect stops and returns an
	// *IdleError naming the jobs still waited for. A dead worker's job
	// goes to another after the stream's AckWait, so the bound should
	// exceed AckWait and the longest job's training time. 0 waits for
	// ever (or until ctx ends, which bounds the whole wait instead).
	IdleTimeout time.Duration
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

// IdleError is the error of a Collect that waited IdleTimeout without news
// while jobs of its sweep were still without a result. Results that come
// later stay on the server for the next Collect.
type IdleError struct {
	// Idle is how long Collect went without news.
	Idle time.Duration
	// Waiting counts the jobs still without a record and without a final
	// failure report.
	Waiting int
	// Jobs are the first of them (at most MaxNamed), in submission order.
	Jobs []WaitingJob
}

// MaxNamed is how many waiting jobs an IdleError names.
const MaxNamed = 10

// WaitingJob names a job that Collect waited for in vain.
type WaitingJob struct {
	Key string
	// Queued reports whether the jobs stream still holds the job's
	// message (waiting for a worker, or with one); then Index, Spec, Mix
	// and Seed are read from it (Spec is "" when it does not decode). A job not queued was lost: its message
	// was dropped, or its stream purged.
	Queued bool
	Index  int
	Spec   string
	Mix    string
	Seed   int64
}

func (j WaitingJob) String() string {
	switch {
	case !j.Queued:
		return fmt.Sprintf("key %.12s… (not in the queue)", j.Key)
	case j.Spec == "":
		return fmt.Sprintf("key %.12s… (queued, its message damaged)", j.Key)
	}
	return fmt.Sprintf("job %d (%s on %s, seed %d, key %.12s…, queued)", j.Index, j.Spec, j.Mix, j.Seed, j.Key)
}

func (e *IdleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "queue: no result for %v, %d jobs still missing: ", e.Idle, e.Waiting)
	for i, j := range e.Jobs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(j.String())
	}
	if more := e.Waiting - len(e.Jobs); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	b.WriteString(". Check that workers run (fluens queue status shows jobs in flight and idle workers); " +
		"queue the missing jobs again with fluens queue submit and the same flags (jobs with a record in the store are skipped; " +
		"--requeue also replaces jobs still queued but given up after --max-deliver); " +
		"results that arrive later stay on the server: run fluens queue collect again")
	return b.String()
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
	var order []string // the keys in submission order
	for _, m := range ms {
		for _, k := range m.Keys {
			if !want[k] {
				order = append(order, k)
			}
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
	fetchWait := time.Second
	if o.Wait && o.IdleTimeout > 0 {
		fetchWait = min(fetchWait, max(o.IdleTimeout/4, 50*time.Millisecond))
	}
	news := time.Now() // of the last result or failure report of the sweep
	for {
		if o.Wait && done() {
			return finish()
		}
		if o.Wait && o.IdleTimeout > 0 && time.Since(news) >= o.IdleTimeout {
			s, _ := finish()
			return s, idleError(ctx, js, time.Since(news).Round(time.Second), order, missing, failed)
		}
		msg, err := cons.Next(jetstream.FetchMaxWait(fetchWait))
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
			f, err := decodeFailure(msg.Subject(), msg.Data())
			if err != nil {
				logf("queue: %v; ignored", err)
				break
			}
			if missing[key] {
				news = time.Now()
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
			news = time.Now()
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

// idleError names the jobs of order that are missing without a final
// failure, reading each of the first MaxNamed from the jobs stream.
func idleError(ctx context.Context, js jetstream.JetStream, idle time.Duration, order []string, missing map[string]bool, failed map[string]FailureMsg) *IdleError {
	e := &IdleError{Idle: idle}
	stream, err := js.Stream(ctx, JobsStream)
	if err != nil {
		stream = nil // the jobs are named by key only
	}
	for _, k := range order {
		if !missing[k] || failed[k].Final {
			continue
		}
		e.Waiting++
		if len(e.Jobs) == MaxNamed {
			continue
		}
		j := WaitingJob{Key: k}
		if stream != nil {
			if msg, err := stream.GetLastMsgForSubject(ctx, jobSubject(k)); err == nil {
				j.Queued = true
				if jm, err := decodeJob(msg.Subject, msg.Data); err == nil {
					j.Index, j.Spec, j.Mix, j.Seed = jm.Index, jm.Spec, jm.Mix, jm.Seed
				}
			}
		}
		e.Jobs = append(e.Jobs, j)
	}
	return e
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
