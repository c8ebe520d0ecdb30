package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/fluens-lab/fluens/nn/gemm"
)

// Model is a feed-forward network: the hidden layers of its spec, then the
// implied output layer (dense, Config.Classes units) with softmax
// cross-entropy. A Model is not safe for concurrent use.
type Model struct {
	specs  []LayerSpec
	cfg    Config
	e      *engine
	layers []layer // hidden layers, then the output layer
	names  []string

	// first is the index of the first layer with parameters: the backward
	// pass stops there.
	first int

	params, grads []float32
	m1, m2        []float32 // Adam's moment estimates
	step          int       // Adam steps taken

	batch   int // workspace capacity in samples
	xbuf    []float32
	dlog    []float32
	rowLoss []float64

	// state of the call in progress, read by the stored range functions
	cur       Data
	curIdx    []int
	lr        float32    // learning rate over Adam's first bias correction
	isqrtBC2  float32    // 1/√(1−β2ᵗ), which scales √v
	adamC     [7]float32 // the vector Adam's constants (see adamVector)
	curLogits []float32
	curLabels []uint8
	curN      int
	fnLoss    func(lo, hi int)
	fnGather  func(lo, hi int)
	fnAdam    func(lo, hi int)
}

// New builds a model from its hidden layers and initialises its weights
// with Glorot-uniform draws from cfg.Seed (biases zero). It returns an
// error naming the first invalid layer.
func New(layers []LayerSpec, cfg Config) (*Model, error) {
	cfg = cfg.withDefaults()
	if cfg.Classes < 2 {
		return nil, fmt.Errorf("nn: %d classes: need at least 2", cfg.Classes)
	}
	if err := Validate(layers, cfg.InputH, cfg.InputW, cfg.InputC); err != nil {
		return nil, err
	}
	m := &Model{
		specs: append([]LayerSpec(nil), layers...),
		cfg:   cfg,
		e:     &engine{g: gemm.Gemm{Threads: cfg.Threads}},
		first: -1,
	}
	h, w, c := cfg.InputH, cfg.InputW, cfg.InputC
	size := h * w * c
	needDx := func() bool { return m.first >= 0 }
	add := func(l layer, name string) {
		m.layers = append(m.layers, l)
		m.names = append(m.names, name)
		if m.first < 0 && l.numParams() > 0 {
			m.first = len(m.layers) - 1
		}
	}
	for i, s := range layers {
		name := fmt.Sprintf("layer%d", i)
		switch s.Kind {
		case Dense:
			add(newDense(m.e, size, s.Units, true, needDx()), name)
			size = s.Units
			h, w, c = 1, 1, size
		case Conv:
			add(newConv(m.e, h, w, c, s.Filters, s.Kernel, needDx()), name)
			c = s.Filters
			size = h * w * c
		case MaxPool:
			add(newPool(m.e, h, w, c, needDx()), name)
			h, w = h/2, w/2
			size = h * w * c
		case Dropout:
			add(newDropout(m.e, size, i, s.Rate, needDx()), name)
		}
	}
	add(newDense(m.e, size, cfg.Classes, false, needDx()), "output")
	// A pooling layer right after a ReLU applies the ReLU's gradient mask
	// in its own backward pass.
	for i := 1; i < len(m.layers); i++ {
		p, ok := m.layers[i].(*pool)
		if !ok || !p.needDx {
			continue
		}
		if prev, ok := m.layers[i-1].(*conv); ok {
			prev.masked, p.relu = true, true
		}
	}

	total := 0
	for _, l := range m.layers {
		if p := l.numParams(); p > MaxParams-total {
			return nil, fmt.Errorf("nn: model %v: more than %d parameters", layers, MaxParams)
		}
		total += l.numParams()
	}
	m.params = make([]float32, total)
	m.grads = make([]float32, total)
	m.m1 = make([]float32, total)
	m.m2 = make([]float32, total)
	off := 0
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x666c75656e73)) // "fluens"
	for _, l := range m.layers {
		k := l.numParams()
		l.bind(m.params[off:off+k], m.grads[off:off+k])
		l.initWeights(r)
		off += k
	}
	m.fnGather = m.gatherRange
	m.fnLoss = m.lossRange
	m.fnAdam = m.adamRange
	return m, nil
}

// Layers returns a copy of the hidden layers the model was built from.
func (m *Model) Layers() []LayerSpec { return append([]LayerSpec(nil), m.specs...) }

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// SetThreads changes the number of goroutines used by later calls.
// Results do not depend on it.
func (m *Model) SetThreads(n int) {
	if n <= 0 {
		n = 1
	}
	m.cfg.Threads = n
	m.e.g = gemm.Gemm{Threads: n}
}

// ParamCount returns the number of trainable weights and biases.
func (m *Model) ParamCount() int { return len(m.params) }

// inSize is the number of input values per sample.
func (m *Model) inSize() int { return m.cfg.InputH * m.cfg.InputW * m.cfg.InputC }

// alloc prepares workspaces for batches of up to n samples.
func (m *Model) alloc(n int) {
	if n <= m.batch {
		return
	}
	m.batch = n
	m.xbuf = ensure(m.xbuf, n*m.inSize())
	m.dlog = ensure(m.dlog, n*m.cfg.Classes)
	m.rowLoss = make([]float64, n)
	for _, l := range m.layers {
		l.alloc(n)
	}
}

// begin starts the goroutines of one call.
func (m *Model) begin() func() {
	m.e.work = startWorkers(m.cfg.Threads)
	return func() {
		m.e.work.stop()
		m.e.work = nil
	}
}

// gather converts samples idx[lo:hi] of the current data to float32 in
// [0, 1] (x/255) in xbuf.
func (m *Model) gatherRange(lo, hi int) {
	in := m.inSize()
	for i := lo; i < hi; i++ {
		s := i
		if m.curIdx != nil {
			s = m.curIdx[i]
		}
		src := m.cur.X[s*in : (s+1)*in]
		dst := m.xbuf[i*in : (i+1)*in]
		for j := scaleVector(dst, src); j < len(src); j++ {
			dst[j] = byteScale[src[j]]
		}
	}
}

// byteScale maps a byte x to float32(x)·(1/255).
var byteScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) * (1.0 / 255)
	}
	return t
}()

// forward runs n samples from xbuf and returns the logits.
func (m *Model) forward(n int, train bool) []float32 {
	x := m.xbuf[:n*m.inSize()]
	for _, l := range m.layers {
		x = l.forward(x, n, train)
	}
	return x
}

// backward propagates the gradient of the loss with respect to the logits
// (in dlog) and leaves the parameter gradients in grads.
func (m *Model) backward(n int) {
	dy := m.dlog[:n*m.cfg.Classes]
	for i := len(m.layers) - 1; i >= m.first; i-- {
		dy = m.layers[i].backward(dy, n)
	}
}

// softmaxCE returns the softmax cross-entropy of one row of logits z
// against label y and writes scale·(softmax(z) − onehot(y)) into g. The
// log-sum-exp subtracts the row maximum first, so large logits do not
// overflow.
func softmaxCE(z []float32, y int, scale float64, g []float32) float64 {
	mx := z[0]
	for _, v := range z[1:] {
		if v > mx {
			mx = v
		}
	}
	var sum float64
	for j, v := range z {
		e := expNeg(v - mx)
		g[j] = e
		sum += float64(e)
	}
	k := scale / sum
	for j, v := range g {
		g[j] = float32(float64(v) * k)
	}
	g[y] -= float32(scale)
	return math.Log(sum) - float64(z[y]-mx)
}

// expNeg returns e^x for x ≤ 0 in float32 precision (relative error below
// 1e-7 on [−87, 0]), several times faster than math.Exp. It follows Cephes' expf
// (S. L. Moshier, Cephes Math Library 2.2, expf.c): x = n·ln 2 + r with
// |r| ≤ ln2/2 (ln 2 split in two constants so n·C1 is exact), e^r by a
// degree-6 minimax polynomial, then scaling by 2ⁿ through the exponent
// bits. Below −87.33 (where e^x is subnormal in float32) it returns 0.
func expNeg(x float32) float32 {
	if !(x >= -87.33) { // e^x below the smallest normal float32, or NaN
		if x != x {
			return x
		}
		return 0
	}
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*c1 - n*c2
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}
