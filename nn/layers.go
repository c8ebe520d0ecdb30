package nn

import (
	"math"
	"math/rand/v2"

	"github.com/fluens-lab/fluens/nn/gemm"
)

// engine is what every layer of one model shares: the matrix products and
// the goroutines of the call in progress.
type engine struct {
	g    gemm.Gemm
	work *workers
	// stepSeed seeds the dropout masks of the current training step.
	stepSeed uint64
}

// layer is one stage of a model. Activations are batches of samples stored
// one after another, each sample in NHWC order (height, width, channel).
type layer interface {
	// numParams is the number of weights and biases.
	numParams() int
	// bind points the layer at its parameters and their gradients.
	bind(p, g []float32)
	// initWeights draws the initial weights (biases are zero).
	initWeights(r *rand.Rand)
	// tensors names the layer's parameters with their shapes, in the order
	// of the slice bound to it.
	tensors(prefix string) []tensorInfo
	// alloc prepares workspaces for batches of up to n samples.
	alloc(n int)
	// forward runs n samples of x and returns the output (owned by the layer).
	forward(x []float32, n int, train bool) []float32
	// backward takes the gradient of the loss with respect to the output of
	// the last forward (it may overwrite it), accumulates nothing (it
	// overwrites the parameter gradients) and returns the gradient with
	// respect to the input, or nil where the model does not need it.
	backward(dy []float32, n int) []float32
	outSize() int
}

type tensorInfo struct {
	name  string
	shape []int
}

func prod(shape []int) int {
	p := 1
	for _, d := range shape {
		p *= d
	}
	return p
}

// glorot fills w with U(−a, a), a = √(6/(fanIn+fanOut)) (Glorot & Bengio 2010,
// "Understanding the difficulty of training deep feedforward neural
// networks", eq. 16).
func glorot(r *rand.Rand, w []float32, fanIn, fanOut int) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32(a * (2*r.Float64() - 1))
	}
}

// ensure returns s resliced to n elements, reallocating when it is too short.
func ensure(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// ---- dense ----

// dense is y = x·W + b (W is in×out, row-major), optionally followed by ReLU.
type dense struct {
	e              *engine
	in, out        int
	relu, needDx   bool
	w, b, dw, db   []float32
	x, y, dx, dy   []float32
	n              int
	masked         bool // the next layer applies the ReLU mask
	fnMask, fnBias func(lo, hi int)
}

func newDense(e *engine, in, out int, relu, needDx bool) *dense {
	l := &dense{e: e, in: in, out: out, relu: relu, needDx: needDx}
	l.fnMask = l.maskRange
	l.fnBias = l.biasRange
	return l
}

func (l *dense) numParams() int { return l.in*l.out + l.out }
func (l *dense) outSize() int   { return l.out }

func (l *dense) bind(p, g []float32) {
	k := l.in * l.out
	l.w, l.b = p[:k], p[k:k+l.out]
	l.dw, l.db = g[:k], g[k:k+l.out]
}

func (l *dense) initWeights(r *rand.Rand) {
	glorot(r, l.w, l.in, l.out)
	clear(l.b)
}

func (l *dense) tensors(prefix string) []tensorInfo {
	return []tensorInfo{{prefix + ".weight", []int{l.in, l.out}}, {prefix + ".bias", []int{l.out}}}
}

func (l *dense) alloc(n int) {
	l.y = ensure(l.y, n*l.out)
	if l.needDx {
		l.dx = ensure(l.dx, n*l.in)
	}
}

func (l *dense) forward(x []float32, n int, train bool) []float32 {
	l.x, l.n = x, n
	y := l.y[:n*l.out]
	l.e.g.SgemmBias(false, false, n, l.out, l.in, x, l.in, l.w, l.out, l.b, l.relu, y, l.out)
	return y
}

func (l *dense) backward(dy []float32, n int) []float32 {
	l.dy, l.n = dy[:n*l.out], n
	if l.relu && !l.masked {
		l.e.work.run(len(l.dy), 1<<14, l.fnMask)
	}
	// dW = xᵀ·dz: one product over the whole batch (K = n), so the sum over
	// samples never depends on the number of threads. For a narrow layer
	// (the output layer) the gemm package reads x in place instead of
	// packing it.
	l.e.g.Sgemm(true, false, l.in, l.out, n, 1, l.x, l.in, l.dy, l.out, 0, l.dw, l.out)
	l.e.work.run(l.out, 64, l.fnBias)
	if !l.needDx {
		return nil
	}
	dx := l.dx[:n*l.in]
	l.e.g.Sgemm(false, true, n, l.in, l.out, 1, l.dy, l.out, l.w, l.out, 0, dx, l.in)
	return dx
}

// maskRange zeroes the gradient where the ReLU output was not positive.
func (l *dense) maskRange(lo, hi int) {
	reluMask(l.dy[lo:hi], l.y[lo:hi])
}

func reluMask(dy, y []float32) {
	// Branch-free: the signs of y are random, so a branch mispredicts
	// about half the time (11 ns per element against 1 here).
	y = y[:len(dy)]
	done := reluMaskVector(dy, y)
	dy, y = dy[done:], y[done:]
	for i, v := range y {
		m := ^uint32(0)
		if v <= 0 {
			m = 0
		}
		dy[i] = math.Float32frombits(math.Float32bits(dy[i]) & m)
	}
}

// biasRange sums columns lo..hi of dz over the samples, in sample order.
func (l *dense) biasRange(lo, hi int) {
	colSums(l.db[lo:hi], l.dy, l.n, l.out, lo)
}

// colSums sets dst[j] to the sum of column off+j of the rows×ld matrix m,
// adding the rows in order.
func colSums(dst, m []float32, rows, ld, off int) {
	if rows > 0 && len(dst) > 0 {
		done := colSumsVector(dst, m[off:], rows, ld)
		dst, off = dst[done:], off+done
	}
	clear(dst)
	for r := 0; r < rows; r++ {
		row := m[r*ld+off : r*ld+off+len(dst)]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// ---- convolution ----

// colCap bounds the im2col workspace (floats); larger batches are
// processed in chunks of samples (2 MiB stays in the last-level cache).
var colCap = 1 << 19

// conv is a k×k convolution, stride 1, "same" zero padding (pad (k−1)/2
// before, the rest after, as TensorFlow does), followed by ReLU. It runs as
// im2col + GEMM: each output pixel's k·k·C receptive field becomes one row
// of a matrix whose product with the (k·k·C)×F weights is the NHWC output.
// The im2col rows carry a trailing 1, so that one product of their
// transpose with the output gradient yields the weight and bias gradients.
type conv struct {
	e                        *engine
	h, w, c, f, k            int
	pad, kk, ld              int
	needDx                   bool
	masked                   bool      // the next layer applies the ReLU mask
	wb, dwb                  []float32 // [W (kk×f); b (f)]
	x, y, dx, dy             []float32
	col                      []float32
	chunk                    int
	colValid                 bool // col holds the im2col rows of the whole last batch
	n, s0, cn                int
	fnCol, fnColT, fnIm, fnM func(lo, hi int)
}

func newConv(e *engine, h, w, c, f, k int, needDx bool) *conv {
	l := &conv{e: e, h: h, w: w, c: c, f: f, k: k, pad: (k - 1) / 2, needDx: needDx}
	l.kk = k * k * c
	l.ld = l.kk + 1
	l.fnCol = l.im2colRange
	l.fnColT = l.im2colTRange
	l.fnIm = l.col2imRange
	l.fnM = l.maskRange
	return l
}

func (l *conv) numParams() int { return (l.kk + 1) * l.f }
func (l *conv) outSize() int   { return l.h * l.w * l.f }

func (l *conv) bind(p, g []float32) {
	l.wb = p[:l.numParams()]
	l.dwb = g[:l.numParams()]
}

func (l *conv) initWeights(r *rand.Rand) {
	glorot(r, l.wb[:l.kk*l.f], l.k*l.k*l.c, l.k*l.k*l.f)
	clear(l.wb[l.kk*l.f:])
}

func (l *conv) tensors(prefix string) []tensorInfo {
	return []tensorInfo{{prefix + ".weight", []int{l.k, l.k, l.c, l.f}}, {prefix + ".bias", []int{l.f}}}
}

func (l *conv) alloc(n int) {
	l.y = ensure(l.y, n*l.outSize())
	if l.needDx {
		l.dx = ensure(l.dx, n*l.h*l.w*l.c)
	}
	per := l.h * l.w * l.ld
	l.chunk = max(1, min(n, colCap/per))
	l.col = ensure(l.col, l.chunk*per)
}

func (l *conv) forward(x []float32, n int, train bool) []float32 {
	l.x, l.n = x, n
	hw := l.h * l.w
	w, b := l.wb[:l.kk*l.f], l.wb[l.kk*l.f:]
	for s0 := 0; s0 < n; s0 += l.chunk {
		l.s0, l.cn = s0, min(l.chunk, n-s0)
		l.e.work.run(l.cn, 1, l.fnCol)
		rows := l.cn * hw
		l.e.g.SgemmBias(false, false, rows, l.f, l.kk, l.col, l.ld, w, l.f, b, true, l.y[s0*hw*l.f:(s0*hw+rows)*l.f], l.f)
	}
	// With one chunk, the backward pass can reuse the matrix.
	l.colValid = n <= l.chunk
	return l.y[:n*hw*l.f]
}

func (l *conv) backward(dy []float32, n int) []float32 {
	hw := l.h * l.w
	l.dy, l.n = dy[:n*hw*l.f], n
	if !l.masked {
		l.e.work.run(len(l.dy), 1<<14, l.fnM)
	}
	w := l.wb[:l.kk*l.f]
	for s0 := 0; s0 < n; s0 += l.chunk {
		l.s0, l.cn = s0, min(l.chunk, n-s0)
		rows := l.cn * hw
		dz := l.dy[s0*hw*l.f : (s0*hw+rows)*l.f]
		var beta float32
		if s0 > 0 {
			beta = 1
		}
		// [dW; db] += [col 1]ᵀ·dz, K = the chunk's rows: never split.
		if l.c == 1 {
			// One input channel: the transposed im2col matrix is k·k
			// shifted copies of the images, cheaper to build than to pack
			// transposed.
			l.e.work.run(l.cn, 1, l.fnColT)
			l.e.g.Sgemm(false, false, l.ld, l.f, rows, 1, l.col, rows, dz, l.f, beta, l.dwb, l.f)
		} else {
			if !(l.colValid && s0 == 0) {
				l.e.work.run(l.cn, 1, l.fnCol)
			}
			l.e.g.Sgemm(true, false, l.ld, l.f, rows, 1, l.col, l.ld, dz, l.f, beta, l.dwb, l.f)
		}
		l.colValid = false
		if l.needDx {
			l.e.g.Sgemm(false, true, rows, l.kk, l.f, 1, dz, l.f, w, l.f, 0, l.col, l.ld)
			l.e.work.run(l.cn, 1, l.fnIm)
		}
	}
	if !l.needDx {
		return nil
	}
	return l.dx[:n*hw*l.c]
}

func (l *conv) maskRange(lo, hi int) { reluMask(l.dy[lo:hi], l.y[lo:hi]) }

// im2colRange fills the rows of samples s0+lo..s0+hi of the chunk.
func (l *conv) im2colRange(lo, hi int) {
	h, w, c, k, pad, ld := l.h, l.w, l.c, l.k, l.pad, l.ld
	kc := k * c
	for s := lo; s < hi; s++ {
		src := l.x[(l.s0+s)*h*w*c : (l.s0+s+1)*h*w*c]
		dst := l.col[s*h*w*ld : (s+1)*h*w*ld]
		for oy := 0; oy < h; oy++ {
			for ox := 0; ox < w; ox++ {
				dst[(oy*w+ox)*ld+l.kk] = 1 // for the bias gradient
				row := dst[(oy*w+ox)*ld : (oy*w+ox)*ld+l.kk]
				x0 := ox - pad
				a, b := max(0, -x0), min(k, w-x0) // valid kx in [a, b)
				for ky := 0; ky < k; ky++ {
					seg := row[ky*kc : (ky+1)*kc]
					iy := oy + ky - pad
					if iy < 0 || iy >= h || a >= b {
						clear(seg)
						continue
					}
					if kc <= 16 {
						for i := 0; i < a*c; i++ {
							seg[i] = 0
						}
						copySmall(seg[a*c:b*c], src[(iy*w+x0+a)*c:(iy*w+x0+b)*c])
						for i := b * c; i < kc; i++ {
							seg[i] = 0
						}
						continue
					}
					clear(seg[:a*c])
					copy(seg[a*c:b*c], src[(iy*w+x0+a)*c:(iy*w+x0+b)*c])
					clear(seg[b*c:])
				}
			}
		}
	}
}

// im2colTRange fills the columns of samples lo..hi of the transposed
// im2col matrix of the chunk for a one-channel input: row ky·k+kx holds,
// for every output pixel, the input value under kernel tap (ky, kx), a
// shifted copy of the image; row kk holds ones.
func (l *conv) im2colTRange(lo, hi int) {
	h, w, k, pad := l.h, l.w, l.k, l.pad
	hw := h * w
	rows := l.cn * hw
	for s := lo; s < hi; s++ {
		plane := l.x[(l.s0+s)*hw : (l.s0+s+1)*hw]
		base := s * hw
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				x0 := kx - pad
				a, b := max(0, -x0), min(w, w-x0) // valid ox in [a, b)
				r := (ky*k + kx) * rows
				row := l.col[r+base : r+base+hw]
				for oy := 0; oy < h; oy++ {
					dst := row[oy*w : (oy+1)*w]
					iy := oy + ky - pad
					if iy < 0 || iy >= h || a >= b {
						clear(dst)
						continue
					}
					for ox := 0; ox < a; ox++ {
						dst[ox] = 0
					}
					copySmall(dst[a:b], plane[iy*w+a+x0:iy*w+b+x0])
					for ox := b; ox < w; ox++ {
						dst[ox] = 0
					}
				}
			}
		}
		ones := l.col[l.kk*rows+base : l.kk*rows+base+hw]
		for i := range ones {
			ones[i] = 1
		}
	}
}

// copySmall is copy for a few elements, where calling memmove costs more
// than the copy.
func copySmall(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}

// col2imRange adds the im2col gradient rows back into dx, one sample at a
// time in a fixed order.
func (l *conv) col2imRange(lo, hi int) {
	h, w, c, k, pad, ld := l.h, l.w, l.c, l.k, l.pad, l.ld
	kc := k * c
	for s := lo; s < hi; s++ {
		dst := l.dx[(l.s0+s)*h*w*c : (l.s0+s+1)*h*w*c]
		clear(dst)
		src := l.col[s*h*w*ld : (s+1)*h*w*ld]
		for oy := 0; oy < h; oy++ {
			for ox := 0; ox < w; ox++ {
				row := src[(oy*w+ox)*ld : (oy*w+ox)*ld+l.kk]
				x0 := ox - pad
				a, b := max(0, -x0), min(k, w-x0)
				if a >= b {
					continue
				}
				for ky := 0; ky < k; ky++ {
					iy := oy + ky - pad
					if iy < 0 || iy >= h {
						continue
					}
					seg := row[ky*kc+a*c : ky*kc+b*c]
					out := dst[(iy*w+x0+a)*c : (iy*w+x0+b)*c]
					out = out[:len(seg)]
					for i, v := range seg {
						out[i] += v
					}
				}
			}
		}
	}
}

// ---- max-pooling ----

// pool is 2×2 max-pooling with stride 2; odd trailing rows and columns
// are dropped. The gradient goes to the first maximum of each window in
// the order top-left, top-right, bottom-left, bottom-right.
type pool struct {
	e            *engine
	h, w, c      int
	oh, ow       int
	needDx       bool
	relu         bool    // the input is a ReLU's output
	arg          []uint8 // which input of its window each output took (0..3)
	x, y, dx, dy []float32
	fnFwd, fnBwd func(lo, hi int)
}

func newPool(e *engine, h, w, c int, needDx bool) *pool {
	l := &pool{e: e, h: h, w: w, c: c, oh: h / 2, ow: w / 2, needDx: needDx}
	l.fnFwd = l.forwardRange
	l.fnBwd = l.backwardRange
	return l
}

func (l *pool) numParams() int                     { return 0 }
func (l *pool) bind(p, g []float32)                {}
func (l *pool) initWeights(r *rand.Rand)           {}
func (l *pool) tensors(prefix string) []tensorInfo { return nil }
func (l *pool) outSize() int                       { return l.oh * l.ow * l.c }

func (l *pool) alloc(n int) {
	l.y = ensure(l.y, n*l.outSize())
	if cap(l.arg) < n*l.outSize() {
		l.arg = make([]uint8, n*l.outSize())
	}
	if l.needDx {
		l.dx = ensure(l.dx, n*l.h*l.w*l.c)
	}
}

func (l *pool) forward(x []float32, n int, train bool) []float32 {
	l.x = x
	l.e.work.run(n, 1, l.fnFwd)
	return l.y[:n*l.outSize()]
}

func (l *pool) forwardRange(lo, hi int) {
	h, w, c, oh, ow := l.h, l.w, l.c, l.oh, l.ow
	in, out := h*w*c, oh*ow*c
	for s := lo; s < hi; s++ {
		src := l.x[s*in : (s+1)*in]
		dst := l.y[s*out : (s+1)*out]
		arg := l.arg[s*out : (s+1)*out]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				p00 := ((2*oy)*w + 2*ox) * c
				r0 := src[p00 : p00+2*c]
				r1 := src[p00+w*c : p00+w*c+2*c]
				j := (oy*ow + ox) * c
				o := dst[j : j+c]
				ar := arg[j : j+c]
				for ch := range o {
					a, b, e, f := r0[ch], r0[c+ch], r1[ch], r1[c+ch]
					m := max(max(a, b), max(e, f))
					// The first maximum wins: test in reverse order. (An
					// int k compiles to conditional moves; the outcome of
					// these tests on real data is a coin toss for a branch.)
					k := 3
					if e == m {
						k = 2
					}
					if b == m {
						k = 1
					}
					if a == m {
						k = 0
					}
					o[ch], ar[ch] = m, uint8(k)
				}
			}
		}
	}
}

func (l *pool) backward(dy []float32, n int) []float32 {
	if !l.needDx {
		return nil
	}
	l.dy = dy
	l.e.work.run(n, 1, l.fnBwd)
	return l.dx[:n*l.h*l.w*l.c]
}

// backwardRange routes each output's gradient to the first maximum of its
// window, recorded by the forward pass. When the input came out of a ReLU
// (l.relu), a window whose maximum is not positive passes no gradient:
// this is the ReLU's mask, applied here so that the layer before needs no
// pass of its own. The routing uses bit masks rather than branches.
func (l *pool) backwardRange(lo, hi int) {
	h, w, c, oh, ow := l.h, l.w, l.c, l.oh, l.ow
	in, out := h*w*c, oh*ow*c
	for s := lo; s < hi; s++ {
		dst := l.dx[s*in : (s+1)*in]
		if h%2 != 0 || w%2 != 0 {
			clear(dst) // rows and columns no window covers
		}
		g := l.dy[s*out : (s+1)*out]
		y := l.y[s*out : (s+1)*out]
		arg := l.arg[s*out : (s+1)*out]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				p00 := ((2*oy)*w + 2*ox) * c
				d0 := dst[p00 : p00+2*c]
				d1 := dst[p00+w*c : p00+w*c+2*c]
				j := (oy*ow + ox) * c
				gj, yj, aj := g[j:j+c], y[j:j+c], arg[j:j+c]
				for ch := range gj {
					gb := math.Float32bits(gj[ch])
					if l.relu && !(yj[ch] > 0) {
						gb = 0
					}
					// mask p is all ones where the window's maximum was input p.
					k := uint32(aj[ch])
					m0 := uint32(int32(k-1) >> 31)
					m1 := uint32(int32((k^1)-1) >> 31)
					m2 := uint32(int32((k^2)-1) >> 31)
					m3 := uint32(int32((k^3)-1) >> 31)
					d0[ch] = math.Float32frombits(gb & m0)
					d0[c+ch] = math.Float32frombits(gb & m1)
					d1[ch] = math.Float32frombits(gb & m2)
					d1[c+ch] = math.Float32frombits(gb & m3)
				}
			}
		}
	}
}

// ---- dropout ----

// dropout is inverted dropout: while training each input is kept with
// probability 1−rate and scaled by 1/(1−rate); at evaluation it passes its
// input through. Masks come from a generator seeded by the training step's
// seed, the layer and the sample's position in the batch, so they do not
// depend on the number of threads.
type dropout struct {
	e            *engine
	size, index  int
	rate         float64
	needDx       bool
	mask         []float32
	x, y, dx, dy []float32
	train        bool
	fnFwd, fnBwd func(lo, hi int)
}

func newDropout(e *engine, size, index int, rate float64, needDx bool) *dropout {
	l := &dropout{e: e, size: size, index: index, rate: rate, needDx: needDx}
	l.fnFwd = l.forwardRange
	l.fnBwd = l.backwardRange
	return l
}

func (l *dropout) numParams() int                     { return 0 }
func (l *dropout) bind(p, g []float32)                {}
func (l *dropout) initWeights(r *rand.Rand)           {}
func (l *dropout) tensors(prefix string) []tensorInfo { return nil }
func (l *dropout) outSize() int                       { return l.size }

func (l *dropout) alloc(n int) {
	l.mask = ensure(l.mask, n*l.size)
	l.y = ensure(l.y, n*l.size)
	if l.needDx {
		l.dx = ensure(l.dx, n*l.size)
	}
}

func (l *dropout) forward(x []float32, n int, train bool) []float32 {
	l.train = train && l.rate > 0
	if !l.train {
		return x
	}
	l.x = x
	l.e.work.run(n, 1, l.fnFwd)
	return l.y[:n*l.size]
}

// splitmix64 is Steele, Lea & Flood's SplitMix64 finaliser (OOPSLA 2014).
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (l *dropout) forwardRange(lo, hi int) {
	thr := uint64(l.rate * (1 << 32))
	scale := float32(1 / (1 - l.rate))
	for s := lo; s < hi; s++ {
		state := splitmix64(l.e.stepSeed ^ splitmix64(uint64(l.index)<<32|uint64(s)))
		m := l.mask[s*l.size : (s+1)*l.size]
		x := l.x[s*l.size : (s+1)*l.size]
		y := l.y[s*l.size : (s+1)*l.size]
		for i := range m {
			state += 0x9e3779b97f4a7c15
			z := state
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			z ^= z >> 31
			if z>>32 >= thr {
				m[i] = scale
			} else {
				m[i] = 0
			}
			y[i] = x[i] * m[i]
		}
	}
}

func (l *dropout) backward(dy []float32, n int) []float32 {
	if !l.needDx {
		return nil
	}
	if !l.train {
		return dy
	}
	l.dy = dy
	l.e.work.run(n, 1, l.fnBwd)
	return l.dx[:n*l.size]
}

func (l *dropout) backwardRange(lo, hi int) {
	for s := lo; s < hi; s++ {
		m := l.mask[s*l.size : (s+1)*l.size]
		g := l.dy[s*l.size : (s+1)*l.size]
		d := l.dx[s*l.size : (s+1)*l.size]
		for i := range m {
			d[i] = g[i] * m[i]
		}
	}
}
