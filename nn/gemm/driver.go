package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// minFlopsPerThread is the work below which one more goroutine does not pay
// for its start-up and the barrier between passes (about 20 µs of work).
const minFlopsPerThread = 1 << 21

// call holds the state of one product: its arguments, the packed panels and
// the partition of C among threads. Calls are pooled so that packing
// buffers are reused and a steady stream of products does not allocate.
type call struct {
	kn            *kernel
	ta, tb        bool
	m, n, k       int
	alpha         float32
	a, b, c       []float32
	lda, ldb, ldc int
	bias          []float32
	threads       int
	splitRows     bool
	beta0, relu   bool // first pass overwrites C; last pass applies ReLU
	kcs           int  // depth of every pass but the last
	mc, nc        int  // rows of A and columns of B packed at a time (kernel.blocks)

	packB [2][]float32 // kc×nc blocks of B in nr-column panels, alternate passes
	ws    []workspace  // one per thread
	wg    sync.WaitGroup
	bar   barrier
}

// pass is one kc-deep pass over one nc-wide block of columns.
type pass struct {
	jc, nc, pc, kc int
	flags          int
	packB          []float32
}

// workspace is one thread's packed block of A and its edge tiles.
type workspace struct {
	packA []float32
	tile  []float32 // mr×nr tile for partial blocks of C
	tbias []float32 // nr biases for partial blocks
	_     [64]byte  // keep workspaces on separate cache lines
}

var callPool = sync.Pool{New: func() any { return new(call) }}

// workItem asks a worker to run thread t of a call.
type workItem struct {
	c *call
	t int
}

var (
	workMu  sync.Mutex
	workers int // worker goroutines started
	demand  int // worker shares of the products in flight
	workCh  = make(chan workItem)
)

// acquireWorkers reserves n workers for a product, starting goroutines so
// that there are as many workers as shares of all products in flight.
// Without that, concurrent products on 3 or more threads could deadlock:
// workers waiting at one product's barrier for a share that its caller
// cannot hand out because every worker is busy. Workers live for the rest
// of the program, parked when idle.
func acquireWorkers(n int) {
	workMu.Lock()
	demand += n
	for workers < demand {
		workers++
		go func() {
			for w := range workCh {
				w.c.run(w.t)
				w.c.wg.Done()
			}
		}()
	}
	workMu.Unlock()
}

// releaseWorkers returns n workers reserved by acquireWorkers.
func releaseWorkers(n int) {
	workMu.Lock()
	demand -= n
	workMu.Unlock()
}

// parallel runs every thread of c and waits for them.
func (c *call) parallel() {
	c.wg.Add(c.threads - 1)
	for t := 1; t < c.threads; t++ {
		workCh <- workItem{c, t}
	}
	c.run(0)
	c.wg.Wait()
}

// run is thread t's whole share of the product: for each pass, pack its
// share of B's panels, wait until every thread has packed, compute its
// block of C. Passes alternate between two packing buffers, so one barrier
// per pass suffices: a thread that packs pass i+2 into the buffer of pass i
// has passed the barrier of pass i+1, which every thread reaches only after
// computing pass i.
func (c *call) run(t int) {
	i := 0
	for jc := 0; jc < c.n; jc += c.nc {
		nc := min(c.nc, c.n-jc)
		for pc := 0; pc < c.k; pc += c.kcs {
			ps := pass{jc: jc, nc: nc, pc: pc, kc: min(c.kcs, c.k-pc), packB: c.packB[i%2]}
			i++
			if pc > 0 || !c.beta0 {
				ps.flags |= flagAccumulate
			}
			if pc+ps.kc == c.k {
				if c.bias != nil {
					ps.flags |= flagBias
				}
				if c.relu {
					ps.flags |= flagReLU
				}
			}
			c.packBPart(&ps, t)
			if c.threads > 1 {
				c.bar.wait()
			}
			c.compute(&ps, t)
		}
	}
}

// barrier is a reusable barrier for a call's threads. Waiters spin briefly
// (the threads' shares are equal, so waits are short), then block, so that
// they do not take the CPU from a descheduled partner on a loaded machine.
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Uint32
	mu    sync.Mutex
	cond  sync.Cond
}

func (b *barrier) reset(n int) {
	b.n = int32(n)
	b.count.Store(0)
	if b.cond.L == nil {
		b.cond.L = &b.mu
	}
}

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
		return
	}
	for spin := 0; spin < 200; spin++ {
		if b.gen.Load() != g {
			return
		}
		runtime.Gosched()
	}
	b.mu.Lock()
	for b.gen.Load() == g {
		b.cond.Wait()
	}
	b.mu.Unlock()
}

// do computes C = alpha·op(A)·op(B) + beta·C, then adds bias (if not nil)
// and applies ReLU (if relu), with kernel kn on up to threads goroutines.
// Arguments have been checked.
func (kn *kernel) do(threads int, ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		epilogue(m, n, c, ldc, bias, relu)
		return
	}
	if beta != 0 && beta != 1 {
		scaleC(m, n, beta, c, ldc)
		beta = 1
	}

	cl := callPool.Get().(*call)
	cl.kn, cl.ta, cl.tb, cl.m, cl.n, cl.k, cl.alpha = kn, ta, tb, m, n, k, alpha
	cl.a, cl.b, cl.c, cl.lda, cl.ldb, cl.ldc, cl.bias = a, b, c, lda, ldb, ldc, bias

	// Threads: never more than the work pays for, nor than there are
	// tiles to share. K is never split, so every element of C is summed in
	// the same order whatever the number of threads.
	threads = min(threads, runtime.GOMAXPROCS(0))
	if threads < 1 {
		threads = 1
	}
	if w := int(2 * float64(m) * float64(n) * float64(k) / minFlopsPerThread); threads > w {
		threads = max(w, 1)
	}
	rowTiles := (m + kn.mr - 1) / kn.mr
	colTiles := (n + kn.nr - 1) / kn.nr
	cl.splitRows = rowTiles >= colTiles || rowTiles >= 4*threads
	if cl.splitRows {
		threads = min(threads, rowTiles)
	} else {
		threads = min(threads, colTiles)
	}
	cl.threads = threads
	if threads > 1 {
		acquireWorkers(threads - 1)
	}
	for len(cl.ws) < threads {
		cl.ws = append(cl.ws, workspace{})
	}

	// Split K evenly into passes of at most kn.kc.
	passes := (k + kn.kc - 1) / kn.kc
	cl.kcs = (k + passes - 1) / passes
	cl.mc, cl.nc = kn.blocks(cl.kcs)
	cl.beta0, cl.relu = beta == 0, relu
	size := (min(cl.nc, n) + kn.nr - 1) / kn.nr * kn.nr * cl.kcs
	cl.packB[0] = grow(cl.packB[0], size)
	if passes > 1 || n > cl.nc {
		cl.packB[1] = grow(cl.packB[1], size)
	}
	cl.bar.reset(threads)
	cl.parallel()
	if threads > 1 {
		releaseWorkers(threads - 1)
	}
	cl.a, cl.b, cl.c, cl.bias = nil, nil, nil, nil
	callPool.Put(cl)
}

// grow returns s resliced to n elements, reallocating (64-byte aligned) if
// its capacity is short.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	buf := make([]float32, n+16)
	off := 0
	if r := uintptr(unsafe.Pointer(&buf[0])) % 64; r != 0 {
		off = int(64-r) / 4
	}
	return buf[off : off+n : off+n]
}

// part returns the t-th of parts near-equal contiguous shares of [0, n).
func part(n, parts, t int) (lo, hi int) {
	return t * n / parts, (t + 1) * n / parts
}

// packBPart packs this thread's share of the nr-column panels of the
// current kc×nc block of op(B).
func (c *call) packBPart(ps *pass, t int) {
	nr := c.kn.nr
	panels := (ps.nc + nr - 1) / nr
	lo, hi := part(panels, c.threads, t)
	if lo >= hi {
		return
	}
	if !c.tb {
		j0 := ps.jc + lo*nr
		cols := min(hi*nr, ps.nc) - lo*nr
		copyPanels(ps.packB[lo*nr*ps.kc:hi*nr*ps.kc], c.b[ps.pc*c.ldb+j0:], c.ldb, ps.kc, cols, nr, 1)
		return
	}
	for p := lo; p < hi; p++ {
		// op(B)[q][j] = b[j*ldb+q]
		j0 := ps.jc + p*nr
		w := min(nr, c.n-j0)
		interleave(ps.packB[p*nr*ps.kc:(p+1)*nr*ps.kc], c.b[j0*c.ldb+ps.pc:], c.ldb, ps.kc, w, nr, 1)
	}
}

// packA packs rows [i0, i0+mc) of the current kc-deep slice of op(A) into
// mr-row panels, scaled by alpha, zero-padding the last panel.
func (c *call) packA(ps *pass, dst []float32, i0, mc int) {
	mr, kc := c.kn.mr, ps.kc
	if c.ta {
		// op(A)[i][q] = a[q*lda+i]: each step is contiguous.
		copyPanels(dst, c.a[ps.pc*c.lda+i0:], c.lda, kc, mc, mr, c.alpha)
		return
	}
	for ip := 0; ip < mc; ip += mr {
		h := min(mr, mc-ip)
		interleave(dst[ip*kc:ip*kc+mr*kc], c.a[(i0+ip)*c.lda+ps.pc:], c.lda, kc, h, mr, c.alpha)
	}
}

// inPlacePanels is the largest number of panels of B per thread for which
// the blocks of A are read in place rather than packed (see compute).
var inPlacePanels = 2

// compute runs thread t's share of the current pass: for each block of its
// rows, pack A, then sweep the panels of B (each panel stays in L1 while
// the mr-row panels of A stream from L2).
func (c *call) compute(ps *pass, t int) {
	kn := c.kn
	mr, nr, kc := kn.mr, kn.nr, ps.kc
	panels := (ps.nc + nr - 1) / nr
	r0, r1 := 0, c.m
	p0, p1 := 0, panels
	if c.splitRows {
		lo, hi := part((c.m+mr-1)/mr, c.threads, t)
		r0, r1 = lo*mr, min(hi*mr, c.m)
	} else {
		p0, p1 = part(panels, c.threads, t)
	}
	if r0 >= r1 || p0 >= p1 {
		return
	}
	ws := &c.ws[t]
	// Rows per block: near-equal blocks of at most c.mc rows, in whole tiles.
	rows := r1 - r0
	blocks := (rows + c.mc - 1) / c.mc
	mcb := ((rows+blocks-1)/blocks + mr - 1) / mr * mr
	ws.packA = grow(ws.packA, mcb*kc)
	ws.tile = grow(ws.tile, mr*nr)
	ws.tbias = grow(ws.tbias, nr)

	// With few panels of B, packing A (one read and one write of every
	// element) costs more than the kernel's strided reads of A save:
	// whole tiles then read A in place and only the last partial tile is
	// packed. Both kernels sum in the same order, so the choice does not
	// change C.
	inPlace := kn.sfn != nil && c.alpha == 1 && p1-p0 <= inPlacePanels
	rsa, csa := c.lda, 1
	if c.ta {
		rsa, csa = 1, c.lda
	}

	var bias *float32
	for ic := r0; ic < r1; ic += mcb {
		mc := min(mcb, r1-ic)
		full := 0 // tiles above row full read A in place
		if inPlace {
			full = mc / mr * mr
			if full < mc {
				c.packA(ps, ws.packA[full*kc:], ic+full, mc-full)
			}
		} else {
			c.packA(ps, ws.packA, ic, mc)
		}
		for p := p0; p < p1; p++ {
			j := ps.jc + p*nr
			w := min(nr, c.n-j)
			bp := &ps.packB[p*nr*kc]
			if ps.flags&flagBias != 0 {
				if w == nr {
					bias = &c.bias[j]
				} else {
					copy(ws.tbias, c.bias[j:j+w])
					clear(ws.tbias[w:])
					bias = &ws.tbias[0]
				}
			}
			for ir := 0; ir < mc; ir += mr {
				h := min(mr, mc-ir)
				ap := &ws.packA[ir*kc]
				off := (ic+ir)*c.ldc + j
				var as *float32 // A in place, or nil: packed
				if ir < full {
					as = &c.a[(ic+ir)*rsa+ps.pc*csa]
				}
				if h == mr && w == nr {
					if as != nil {
						kn.sfn(kc, as, rsa, csa, bp, &c.c[off], c.ldc, bias, ps.flags)
					} else {
						kn.fn(kc, ap, bp, &c.c[off], c.ldc, bias, ps.flags)
					}
					continue
				}
				// Edge tile: run the kernel on a full tile and copy back.
				tile := ws.tile
				if ps.flags&flagAccumulate != 0 {
					for i := 0; i < h; i++ {
						copy(tile[i*nr:i*nr+w], c.c[off+i*c.ldc:off+i*c.ldc+w])
					}
				}
				if as != nil {
					kn.sfn(kc, as, rsa, csa, bp, &tile[0], nr, bias, ps.flags)
				} else {
					kn.fn(kc, ap, bp, &tile[0], nr, bias, ps.flags)
				}
				for i := 0; i < h; i++ {
					copy(c.c[off+i*c.ldc:off+i*c.ldc+w], tile[i*nr:i*nr+w])
				}
			}
		}
	}
}

// scaleC sets C = beta·C (C = 0 when beta is 0, ignoring NaNs in C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// epilogue adds bias per column and applies ReLU (used when K is 0).
func epilogue(m, n int, c []float32, ldc int, bias []float32, relu bool) {
	if bias == nil && !relu {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			v := row[j]
			if bias != nil {
				v += bias[j]
			}
			if relu && v < 0 {
				v = 0
			}
			row[j] = v
		}
	}
}
