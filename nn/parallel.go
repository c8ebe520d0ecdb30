package nn

import "sync"

// workers runs a range of independent iterations on a fixed set of
// goroutines. Work is split into contiguous parts whose results never
// depend on how many parts there are: callers only hand it loops whose
// iterations write disjoint memory. It allocates nothing per call provided
// fn is a stored function value.
type workers struct {
	n    int
	jobs chan job
	done chan struct{}
	wg   sync.WaitGroup
}

type job struct {
	fn     func(lo, hi int)
	lo, hi int
}

// startWorkers starts n−1 goroutines (the caller of run is the n-th).
func startWorkers(n int) *workers {
	if n < 1 {
		n = 1
	}
	w := &workers{n: n}
	if n > 1 {
		w.jobs = make(chan job, n)
		w.done = make(chan struct{}, n)
		w.wg.Add(n - 1)
		for i := 1; i < n; i++ {
			go w.loop()
		}
	}
	return w
}

func (w *workers) loop() {
	defer w.wg.Done()
	for j := range w.jobs {
		j.fn(j.lo, j.hi)
		w.done <- struct{}{}
	}
}

// stop ends the goroutines.
func (w *workers) stop() {
	if w.jobs != nil {
		close(w.jobs)
		w.wg.Wait()
		w.jobs = nil
	}
}

// run calls fn over [0, total) split into at most n contiguous parts and
// waits for all of them. Parts smaller than grain are not split further.
func (w *workers) run(total, grain int, fn func(lo, hi int)) {
	if total <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	parts := w.n
	if p := (total + grain - 1) / grain; p < parts {
		parts = p
	}
	if parts <= 1 || w.jobs == nil {
		fn(0, total)
		return
	}
	for p := 1; p < parts; p++ {
		w.jobs <- job{fn, p * total / parts, (p + 1) * total / parts}
	}
	fn(0, total/parts)
	for p := 1; p < parts; p++ {
		<-w.done
	}
}
