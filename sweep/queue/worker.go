package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// Worker pulls jobs from the jobs stream, trains them and publishes their
// results.
type Worker struct {
	// Conn is the connection to the NATS server.
	Conn *nats.Conn
	// Data, when not "", is the prepared data folder to train on instead
	// of the path each job names (the submitter's). Either way the mix's
	// content hash must match the job's.
	Data string
	// Slots is the number of jobs trained at once (≤ 0 means 1).
	Slots int
	// Threads is the number of engine threads a large model gets (≤ 0
	// means all cores); small models train with one thread, as in the
	// local runner (sweep.Runner).
	Threads int
	// Name identifies the worker in results and failure reports ("" means
	// the host name and process id).
	Name string
	// IdleExit, when > 0, ends Run after that long without a job.
	IdleExit time.Duration
	// MaxJobs, when > 0, ends Run after that many jobs.
	MaxJobs int
	// Logf, when not nil, receives a line per job started, finished or
	// failed.
	Logf func(format string, args ...any)

	mu     sync.Mutex
	mixes  map[string][]sweep.Mix // by data folder
	taken  int
	active int
	idle   time.Time
}

// Run serves jobs until ctx ends (then jobs in training are handed back to
// the queue at once), or the worker was idle for IdleExit, or it did
// MaxJobs jobs. A job is acknowledged only after its result is stored by
// the results stream; until then the worker sends in-progress acks after
// every epoch and every AckWait/4.
func (w *Worker) Run(ctx context.Context) error {
	js, err := jetstream.New(w.Conn)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	cons, err := ensure(ctx, js)
	if err != nil {
		return err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("queue: consumer %s: %w", Consumer, err)
	}
	if w.Name == "" {
		h, _ := os.Hostname()
		w.Name = fmt.Sprintf("%s/%d", h, os.Getpid())
	}
	slots := max(w.Slots, 1)
	w.idle = time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, slots)
	for range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.loop(ctx, js, cons, info.Config); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return nil
}

func (w *Worker) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
	}
}

// next claims the right to take one more job; false means stop.
func (w *Worker) next() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.MaxJobs > 0 && w.taken >= w.MaxJobs {
		return false
	}
	if w.IdleExit > 0 && w.active == 0 && time.Since(w.idle) > w.IdleExit {
		return false
	}
	return true
}

func (w *Worker) loop(ctx context.Context, js jetstream.JetStream, cons jetstream.Consumer, cfg jetstream.ConsumerConfig) error {
	for ctx.Err() == nil && w.next() {
		wait := 30 * time.Second
		if w.IdleExit > 0 && w.IdleExit < wait {
			wait = max(w.IdleExit/2, 100*time.Millisecond)
		}
		fctx, cancel := context.WithTimeout(ctx, wait)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			if errors.Is(err, nats.ErrConnectionClosed) {
				return fmt.Errorf("queue: fetching a job: %w", err)
			}
			// The server restarts, the consumer is being recreated, the
			// network is down for a while: try again.
			w.logf("worker: fetching a job: %v; retrying", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(2 * time.Second):
			}
			if c, err := ensure(ctx, js); err == nil {
				cons = c
			}
			continue
		}
		w.mu.Lock()
		if w.MaxJobs > 0 && w.taken >= w.MaxJobs {
			w.mu.Unlock()
			msg.Nak() // another worker takes it
			return nil
		}
		w.taken++
		w.active++
		w.mu.Unlock()
		// The submitter may have changed AckWait or MaxDeliver since.
		if info, err := cons.Info(ctx); err == nil {
			cfg = info.Config
		}
		w.handle(ctx, js, msg, cfg)
		w.mu.Lock()
		w.active--
		w.idle = time.Now()
		w.mu.Unlock()
	}
	return nil
}

// handle trains one job message and acknowledges it once its result is
// stored, or reports its failure.
func (w *Worker) handle(ctx context.Context, js jetstream.JetStream, msg jetstream.Msg, cfg jetstream.ConsumerConfig) {
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	jm, err := decodeJob(msg.Subject(), msg.Data())
	if err != nil {
		w.logf("worker: %v; dropped", err)
		msg.Term()
		return
	}
	// Keep the job: in-progress acks while it trains, stopped before the
	// final ack or nak.
	stop := make(chan struct{})
	var stopOnce sync.Once
	quiet := func() { stopOnce.Do(func() { close(stop) }) }
	defer quiet()
	var progressMu sync.Mutex
	inProgress := func() {
		progressMu.Lock()
		defer progressMu.Unlock()
		select {
		case <-stop:
		default:
			msg.InProgress()
		}
	}
	go func() {
		t := time.NewTicker(max(cfg.AckWait/4, 50*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				inProgress()
			}
		}
	}()
	w.logf("job %d (%s on %s, seed %d): started, attempt %d", jm.Index, jm.Spec, jm.Mix, jm.Seed, attempt)
	start := time.Now()
	var res *ResultMsg
	res, err = w.train(ctx, js, jm, inProgress)
	if err == nil {
		err = w.publish(ctx, js, res)
	}
	progressMu.Lock()
	quiet()
	progressMu.Unlock()
	if err == nil {
		// The result is stored by the results stream: the job is done.
		if err := msg.DoubleAck(ctx); err != nil {
			w.logf("job %d: result stored, ack failed (it may run again, the store keeps one): %v", jm.Index, err)
		}
		w.logf("job %d: done in %.1fs", jm.Index, time.Since(start).Seconds())
		return
	}
	if ctx.Err() != nil {
		// Interrupted: hand the job back at once.
		msg.Nak()
		w.logf("job %d: interrupted, handed back", jm.Index)
		return
	}
	final := cfg.MaxDeliver > 0 && attempt >= cfg.MaxDeliver
	w.logf("job %d: failed (attempt %d): %v", jm.Index, attempt, err)
	f, _ := json.Marshal(FailureMsg{Key: jm.Key, Index: jm.Index, Error: cutText(err.Error(), maxFailureText), Worker: w.Name, Attempt: attempt, Final: final})
	if _, perr := js.Publish(ctx, failureSubject(jm.Key), f); perr != nil {
		w.logf("job %d: could not report the failure: %v", jm.Index, perr)
	}
	if final {
		msg.Term()
	} else {
		msg.NakWithDelay(5 * time.Second)
	}
}

// mix finds the job's mix in the data folder and checks its hash.
func (w *Worker) mix(jm JobMsg) (sweep.Mix, error) {
	dir := w.Data
	if dir == "" {
		dir = jm.Data
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mixes == nil {
		w.mixes = map[string][]sweep.Mix{}
	}
	// The folder is hashed once and hashed again when a job does not
	// match, in case it was prepared anew meanwhile.
	for fresh := false; ; fresh = true {
		mixes, ok := w.mixes[dir]
		if !ok {
			var err error
			mixes, err = sweep.FindMixes(dir)
			if err != nil {
				return sweep.Mix{}, err
			}
			w.mixes[dir] = mixes
			fresh = true
		}
		err := fmt.Errorf("queue: %s has no mix %s", dir, jm.Mix)
		for _, m := range mixes {
			if m.Name != jm.Mix {
				continue
			}
			if m.Hash == jm.DataHash {
				return m, nil
			}
			err = fmt.Errorf("queue: %s holds other data than the submitter's (hash %.12s…, job wants %.12s…)", m.Dir, m.Hash, jm.DataHash)
		}
		if fresh {
			return sweep.Mix{}, err
		}
		delete(w.mixes, dir)
	}
}

// train rebuilds the job, trains it into a scratch store, puts the files
// its record names into the files bucket and returns the result message.
func (w *Worker) train(ctx context.Context, js jetstream.JetStream, jm JobMsg, inProgress func()) (*ResultMsg, error) {
	spec, err := zoo.Parse(jm.Spec)
	if err != nil {
		return nil, err
	}
	m, err := w.mix(jm)
	if err != nil {
		return nil, err
	}
	if err := jm.Hyper.Validate(); err != nil {
		return nil, err
	}
	job := sweep.Job{
		Index: jm.Index, Model: zoo.Model{Family: zoo.Family(jm.Family), Spec: spec},
		Mix: m, Seed: jm.Seed, Hyper: jm.Hyper,
		Key: sweep.Key(spec, m.Name, m.Hash, jm.Seed, jm.Hyper, sweep.EngineVersion),
	}
	if job.Key != jm.Key {
		return nil, fmt.Errorf("queue: job %d: this worker computes key %.12s…, the submitter %.12s… (engine %s here, %s there)",
			jm.Index, job.Key, jm.Key, sweep.EngineVersion, jm.Engine)
	}
	tmp, err := os.MkdirTemp("", "fluens-worker-")
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	defer os.RemoveAll(tmp)
	scratch, err := sweep.OpenStore(tmp)
	if err != nil {
		return nil, err
	}
	r := &sweep.Runner{
		Store: scratch, Workers: w.Threads, SaveWeights: jm.SaveWeights,
		Events: func(e sweep.Event) {
			if e.Kind == sweep.Epoch {
				inProgress()
			}
		},
	}
	if _, err := r.Run(ctx, []sweep.Job{job}); err != nil {
		return nil, err
	}
	rec, err := os.ReadFile(filepath.Join(tmp, sweep.JobsDir, job.Key+".json"))
	if err != nil {
		return nil, fmt.Errorf("queue: job %d: %w", jm.Index, err)
	}
	loaded, err := scratch.Load(job.Key)
	if err != nil {
		return nil, err
	}
	res := &ResultMsg{Key: job.Key, Record: rec, Worker: w.Name}
	if loaded.Weights != "" {
		if err := w.putFile(ctx, js, filepath.Join(tmp, sweep.JobsDir, loaded.Weights)); err != nil {
			return nil, fmt.Errorf("queue: job %d: %w", jm.Index, err)
		}
		res.Files = []string{loaded.Weights}
	}
	return res, nil
}

// putFile stores a file in the files bucket under its base name.
func (w *Worker) putFile(ctx context.Context, js jetstream.JetStream, path string) error {
	obs, err := files(ctx, js)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: filepath.Base(path)}, f); err != nil {
		return fmt.Errorf("storing %s in %s: %w", filepath.Base(path), FilesBucket, err)
	}
	return nil
}

// publish sends a result to the results stream and waits until the stream
// has stored it.
func (w *Worker) publish(ctx context.Context, js jetstream.JetStream, res *ResultMsg) error {
	body, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if max := w.Conn.MaxPayload(); int64(len(body)) > max {
		return fmt.Errorf("queue: the result of %.12s… is %d bytes, more than the server's max_payload %d", res.Key, len(body), max)
	}
	if _, err := js.Publish(ctx, resultSubject(res.Key), body, jetstream.WithMsgID(res.Key)); err != nil {
		return fmt.Errorf("queue: publishing the result of %.12s…: %w", res.Key, err)
	}
	return nil
}
