package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fluens-lab/fluens/sweep"
)

// Status describes the queue on the server and, when a store is given,
// the sweep submitted from it.
type Status struct {
	// Waiting jobs are queued and not delivered yet; InFlight jobs are
	// with a worker (delivered, not acknowledged); Redelivered counts
	// those of them delivered more than once.
	Waiting     uint64
	InFlight    int
	Redelivered int
	// IdleWorkers counts workers waiting for a job (open pull requests).
	IdleWorkers int
	// Results and Failures count the jobs with a result, or a failure
	// report, on the server (of every sweep).
	Results, Failures int
	// For a store: the jobs of its manifests, those with a record, those
	// whose result waits on the server to be collected, and those that
	// failed for good.
	Total, Done, Collectable, Failed int
}

// StatusOf reads the queue's state from the server, and, when store is
// not nil, counts the jobs of the sweep submitted from it.
func StatusOf(ctx context.Context, nc *nats.Conn, store *sweep.Store) (*Status, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	cons, err := ensure(ctx, js)
	if err != nil {
		return nil, err
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue: consumer %s: %w", Consumer, err)
	}
	st := &Status{Waiting: ci.NumPending, InFlight: ci.NumAckPending, Redelivered: ci.NumRedelivered, IdleWorkers: ci.NumWaiting}
	rs, err := js.Stream(ctx, ResultsStream)
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", ResultsStream, err)
	}
	info, err := rs.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		return nil, fmt.Errorf("queue: stream %s: %w", ResultsStream, err)
	}
	results, failures := map[string]bool{}, map[string]bool{}
	for subj := range info.State.Subjects {
		key := subj[strings.LastIndexByte(subj, '.')+1:]
		switch {
		case strings.HasPrefix(subj, ResultsSubject+"."):
			results[key] = true
		case strings.HasPrefix(subj, FailedSubject+"."):
			failures[key] = true
		}
	}
	st.Results, st.Failures = len(results), len(failures)
	if store == nil {
		return st, nil
	}
	ms, err := Manifests(store.Dir)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, m := range ms {
		for _, k := range m.Keys {
			keys[k] = true
		}
	}
	st.Total = len(keys)
	for k := range keys {
		switch {
		case loads(store, k):
			st.Done++
		case results[k]:
			st.Collectable++
		case failures[k]:
			msg, err := rs.GetLastMsgForSubject(ctx, failureSubject(k))
			if err != nil {
				break
			}
			if f, err := decodeFailure(msg.Subject, msg.Data); err == nil && f.Final {
				st.Failed++
			}
		}
	}
	return st, nil
}

func loads(store *sweep.Store, key string) bool {
	_, err := store.Load(key)
	return err == nil
}
