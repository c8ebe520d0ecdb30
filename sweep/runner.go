package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"
)

// DefaultBigFLOPs is the default Runner.BigFLOPs: models of at least this
// many forward FLOPs per image run one at a time with every core's GEMM
// threads; smaller ones run one per core with one thread each. See the
// package documentation for how it was chosen.
const DefaultBigFLOPs = 10_000_000

// EventKind says what happened to a job.
type EventKind int

// The events a Runner reports.
const (
	Skipped  EventKind = iota // the job already had a valid record
	Corrupt                   // its record was damaged; the job runs again
	Started                   // a worker took the job
	Epoch                     // an epoch ended (Epoch, Loss set)
	Finished                  // the record is written (Record set)
	Failed                    // the job failed (Err set)
	Busy                      // another process holds the job's lock
)

// Event reports progress of one job. Events are delivered one at a time.
type Event struct {
	Kind    EventKind
	Job     *Job
	Worker  int // worker slot, 0-based
	Threads int // engine threads of the job
	Epoch   int
	Loss    float64
	Record  *Record
	Err     error
}

// Runner runs a job list on this machine against a result store.
type Runner struct {
	Store *Store
	// Workers is the number of cores to use (≤ 0 means runtime.NumCPU()).
	Workers int
	// BigFLOPs splits the jobs: models of at least BigFLOPs forward FLOPs
	// per image train alone with Workers engine threads, the others
	// Workers at a time with one thread each (0 means DefaultBigFLOPs).
	BigFLOPs int64
	// SaveWeights keeps every model's weights; the perceptron's are kept
	// always.
	SaveWeights bool
	// Events, if not nil, receives progress events.
	Events func(Event)
	// Poll is how often jobs held by another process are checked again
	// (0 means one second).
	Poll time.Duration
}

// Summary counts what a Run did.
type Summary struct {
	Total   int // jobs in the list
	Skipped int // already done before the run
	Ran     int // trained by this run
	Others  int // finished meanwhile by another process
	Failed  int
	Corrupt int // damaged records found (and redone)
}

// Run runs every job of jobs that has no valid record yet, and returns
// when each has a record (or failed). Jobs whose lock another process
// holds are waited for: Run returns when that process wrote their record,
// or runs them itself if it died. Results do not depend on Workers or on
// the order jobs run in. The first failure is returned after the other
// jobs ran.
func (r *Runner) Run(ctx context.Context, jobs []Job) (Summary, error) {
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	big := r.BigFLOPs
	if big == 0 {
		big = DefaultBigFLOPs
	}
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	// A store that cannot take writes (full disk, read-only file system)
	// stops the sweep at the first such failure instead of failing every
	// job left.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &run{r: r, sum: Summary{Total: len(jobs)}, sem: newSem(workers), cancel: cancel}
	var small, large []*Job
	for i := range jobs {
		j := &jobs[i]
		if _, err := r.Store.Load(j.Key); err == nil {
			r.Store.removeStaleLock(j.Key)
			s.sum.Skipped++
			s.emit(Event{Kind: Skipped, Job: j})
			continue
		} else if errors.Is(err, ErrCorrupt) {
			s.sum.Corrupt++
			s.emit(Event{Kind: Corrupt, Job: j, Err: err})
		} else if !errors.Is(err, ErrNoRecord) {
			return s.sum, err
		}
		if j.Model.Spec.FLOPs() >= big && workers > 1 {
			large = append(large, j)
		} else {
			small = append(small, j)
		}
	}
	// Large jobs first, one at a time on every core; then the small ones,
	// costliest first, so that the last jobs to finish are short and no
	// core waits long for the others at the end (longest processing time
	// first scheduling).
	slices.SortStableFunc(small, func(a, b *Job) int {
		return cmp.Compare(b.Model.Spec.FLOPs(), a.Model.Spec.FLOPs())
	})
	var wg sync.WaitGroup
	dispatch := func(j *Job, threads int) {
		slot := s.sem.acquire(threads)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.sem.release(threads, slot)
			s.do(ctx, j, slot, threads)
		}()
	}
	for _, j := range large {
		if ctx.Err() != nil {
			break
		}
		dispatch(j, workers)
	}
	for _, j := range small {
		if ctx.Err() != nil {
			break
		}
		dispatch(j, 1)
	}
	wg.Wait()
	// Jobs held by other processes: wait for their records, or take them
	// over when their holder is gone (the kernel dropped its lock).
	for len(s.busy) > 0 && ctx.Err() == nil {
		pending := s.busy
		s.busy = nil
		time.Sleep(poll)
		for _, j := range pending {
			if _, err := r.Store.Load(j.Key); err == nil {
				s.sum.Others++
				s.emit(Event{Kind: Skipped, Job: j})
				continue
			}
			threads := 1
			if j.Model.Spec.FLOPs() >= big {
				threads = workers
			}
			dispatch(j, threads)
		}
		wg.Wait()
	}
	if ctx.Err() != nil && s.err == nil {
		s.err = ctx.Err()
	}
	return s.sum, s.err
}

// run is the state of one Run.
type run struct {
	r      *Runner
	sem    *sem
	mu     sync.Mutex // guards sum, busy, err and serialises events
	sum    Summary
	busy   []*Job
	err    error
	data   loader
	cancel context.CancelFunc
}

func (s *run) emit(e Event) {
	if s.r.Events != nil {
		s.r.Events(e)
	}
}

func (s *run) event(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emit(e)
}

func (s *run) fail(j *Job, slot, threads int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sum.Failed++
	if s.err == nil {
		s.err = err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EDQUOT) {
		s.cancel()
	}
	s.emit(Event{Kind: Failed, Job: j, Worker: slot, Threads: threads, Err: err})
}

// do runs one job under its lock.
func (s *run) do(ctx context.Context, j *Job, slot, threads int) {
	lock, err := s.r.Store.TryLock(j.Key)
	if err != nil {
		s.fail(j, slot, threads, err)
		return
	}
	if lock == nil {
		s.mu.Lock()
		s.busy = append(s.busy, j)
		s.emit(Event{Kind: Busy, Job: j, Worker: slot})
		s.mu.Unlock()
		return
	}
	defer lock.Unlock()
	s.r.Store.removeTemps(j.Key)
	// Another process may have finished it between our check and the lock.
	if _, err := s.r.Store.Load(j.Key); err == nil {
		s.mu.Lock()
		s.sum.Others++
		s.emit(Event{Kind: Skipped, Job: j})
		s.mu.Unlock()
		return
	}
	d, err := s.data.load(j.Mix)
	if err != nil {
		s.fail(j, slot, threads, err)
		return
	}
	s.event(Event{Kind: Started, Job: j, Worker: slot, Threads: threads})
	weights := ""
	if s.r.SaveWeights || j.Model.Spec.Depth() == 0 {
		weights = s.r.Store.path(j.Key, ".safetensors")
	}
	rec, err := train(ctx, j, d, threads, weights, func(epoch int, loss float64) {
		s.event(Event{Kind: Epoch, Job: j, Worker: slot, Threads: threads, Epoch: epoch, Loss: loss})
	})
	if err == nil {
		err = s.r.Store.Put(rec)
	}
	if err != nil {
		if ctx.Err() != nil {
			return // interrupted: not a failure of the job
		}
		s.fail(j, slot, threads, err)
		return
	}
	s.mu.Lock()
	s.sum.Ran++
	s.emit(Event{Kind: Finished, Job: j, Worker: slot, Threads: threads, Record: rec})
	s.mu.Unlock()
}

// sem is a counting semaphore that hands out worker slot numbers and
// serves waiters first come, first served.
type sem struct {
	mu   sync.Mutex
	cond *sync.Cond
	free []bool
	n    int
}

func newSem(n int) *sem {
	s := &sem{free: make([]bool, n), n: n}
	for i := range s.free {
		s.free[i] = true
	}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// acquire takes k slots and returns the lowest one taken.
func (s *sem) acquire(k int) int {
	if k > len(s.free) {
		panic(fmt.Sprintf("sweep: acquiring %d of %d slots", k, len(s.free)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.n < k {
		s.cond.Wait()
	}
	first := -1
	for i, taken := 0, 0; taken < k; i++ {
		if s.free[i] {
			s.free[i] = false
			taken++
			if first < 0 {
				first = i
			}
		}
	}
	s.n -= k
	return first
}

// release returns k slots starting the search at first.
func (s *sem) release(k, first int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := first; k > 0; i++ {
		if !s.free[i] {
			s.free[i] = true
			k--
		}
	}
	s.n = 0
	for _, f := range s.free {
		if f {
			s.n++
		}
	}
	s.cond.Broadcast()
}
