package measure

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/fluens-lab/fluens/nn/gemm"
	"github.com/fluens-lab/fluens/quickdraw"
)

// AutoencoderConfig sets up the autoencoder of AutoencoderCost. Zero
// fields take the defaults in brackets.
type AutoencoderConfig struct {
	Hidden int     // units of the hidden layer h [32]
	Epochs int     // passes over the training drawings [20]
	Batch  int     // mini-batch size [64]
	LR     float64 // Adam's learning rate [0.003]
	Seed   uint64  // seeds the initial weights and the shuffles
}

// Defaults of AutoencoderConfig.
const (
	DefaultAEHidden = 32
	DefaultAEEpochs = 20
	DefaultAEBatch  = 64
	DefaultAELR     = 0.003
)

func (c AutoencoderConfig) withDefaults() AutoencoderConfig {
	if c.Hidden == 0 {
		c.Hidden = DefaultAEHidden
	}
	if c.Epochs == 0 {
		c.Epochs = DefaultAEEpochs
	}
	if c.Batch == 0 {
		c.Batch = DefaultAEBatch
	}
	if c.LR == 0 {
		c.LR = DefaultAELR
	}
	return c
}

var errAEData = errors.New("measure: autoencoder: need at least one training and one test drawing of 784 bytes each")

// AutoencoderCost trains a two-layer perceptron autoencoder 784→h→784
// (ReLU hidden layer, sigmoid output, inputs x/255) on the training
// drawings with the L2 loss (mean squared error per pixel) and Adam, and
// returns its mean L2 cost on the test drawings: the mean over test
// drawings and pixels of (x̂ − x)², x and x̂ in [0, 1]. train and test
// hold 784-byte drawings one after another. The result depends only on the
// data and cfg (single goroutine, fixed order of every sum): the same
// inputs give bit-identical costs.
func AutoencoderCost(train, test []byte, cfg AutoencoderConfig) (float64, error) {
	const d = quickdraw.Pixels
	if len(train) == 0 || len(test) == 0 || len(train)%d != 0 || len(test)%d != 0 {
		return 0, errAEData
	}
	cfg = cfg.withDefaults()
	if cfg.Hidden < 1 || cfg.Epochs < 1 || cfg.Batch < 1 || !(cfg.LR > 0) {
		return 0, fmt.Errorf("measure: autoencoder: bad config %+v", cfg)
	}
	ae := newAutoencoder(cfg.Hidden, cfg.Seed)
	xs := toFloat(train)
	n := len(train) / d
	b := min(cfg.Batch, n)
	ae.alloc(b)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xae))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	xb := make([]float32, b*d)
	for range cfg.Epochs {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for s := 0; s < n; s += b {
			m := min(b, n-s)
			for r := range m {
				copy(xb[r*d:(r+1)*d], xs[order[s+r]*d:(order[s+r]+1)*d])
			}
			ae.step(xb[:m*d], m, cfg.LR)
		}
	}
	return ae.cost(toFloat(test)), nil
}

func toFloat(b []byte) []float32 {
	x := make([]float32, len(b))
	for i, v := range b {
		x[i] = float32(v) / 255
	}
	return x
}

// autoencoder holds the weights (W1 784×h, b1, W2 h×784, b2), their
// gradients, Adam's moments and the workspaces of one batch.
type autoencoder struct {
	h              int
	params, grads  []float32 // W1, b1, W2, b2 one after another
	m, v           []float32 // Adam's moments
	t              int
	hid, out, dout []float32 // batch workspaces: hidden, output, output gradient
	dhid           []float32
	g              gemm.Gemm
}

func newAutoencoder(h int, seed uint64) *autoencoder {
	const d = quickdraw.Pixels
	size := d*h + h + h*d + d
	ae := &autoencoder{h: h, params: make([]float32, size), grads: make([]float32, size),
		m: make([]float32, size), v: make([]float32, size)}
	// Glorot uniform, U(−a, a), a = √(6/(fan_in+fan_out)) (Glorot &
	// Bengio 2010, AISTATS); biases zero.
	rng := rand.New(rand.NewPCG(seed, 0x61e))
	a := float32(math.Sqrt(6 / float64(d+h)))
	w1, _, w2, _ := ae.split(ae.params)
	for i := range w1 {
		w1[i] = a * (2*rng.Float32() - 1)
	}
	for i := range w2 {
		w2[i] = a * (2*rng.Float32() - 1)
	}
	return ae
}

func (ae *autoencoder) split(p []float32) (w1, b1, w2, b2 []float32) {
	const d = quickdraw.Pixels
	h := ae.h
	return p[:d*h], p[d*h : d*h+h], p[d*h+h : 2*d*h+h], p[2*d*h+h:]
}

func (ae *autoencoder) alloc(b int) {
	const d = quickdraw.Pixels
	ae.hid = make([]float32, b*ae.h)
	ae.dhid = make([]float32, b*ae.h)
	ae.out = make([]float32, b*d)
	ae.dout = make([]float32, b*d)
}

// forward fills hid and out for the m rows of x.
func (ae *autoencoder) forward(x []float32, m int) {
	const d = quickdraw.Pixels
	h := ae.h
	w1, b1, w2, b2 := ae.split(ae.params)
	ae.g.SgemmBias(false, false, m, h, d, x, d, w1, h, b1, true, ae.hid, h)
	ae.g.SgemmBias(false, false, m, d, h, ae.hid, h, w2, d, b2, false, ae.out, d)
	for i, z := range ae.out[:m*d] {
		ae.out[i] = sigmoid(z)
	}
}

func sigmoid(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }

// step does one Adam step on the mean squared error of the m rows of x.
func (ae *autoencoder) step(x []float32, m int, lr float64) {
	const d = quickdraw.Pixels
	h := ae.h
	ae.forward(x, m)
	// L = 1/(m·d) Σ (y−x)², y = σ(z): ∂L/∂z = 2(y−x)·y(1−y)/(m·d).
	scale := float32(2 / float64(m*d))
	for i, y := range ae.out[:m*d] {
		ae.dout[i] = scale * (y - x[i]) * y * (1 - y)
	}
	_, _, w2, _ := ae.split(ae.params)
	gw1, gb1, gw2, gb2 := ae.split(ae.grads)
	// Output layer: ∂W2 = hidᵀ·dout, ∂b2 = Σ_rows dout.
	ae.g.Sgemm(true, false, h, d, m, 1, ae.hid, h, ae.dout, d, 0, gw2, d)
	colSums(gb2, ae.dout, m, d)
	// Hidden layer: dhid = dout·W2ᵀ masked by the ReLU.
	ae.g.Sgemm(false, true, m, h, d, 1, ae.dout, d, w2, d, 0, ae.dhid, h)
	for i, a := range ae.hid[:m*h] {
		if a <= 0 {
			ae.dhid[i] = 0
		}
	}
	ae.g.Sgemm(true, false, d, h, m, 1, x, d, ae.dhid, h, 0, gw1, h)
	colSums(gb1, ae.dhid, m, h)
	ae.adam(lr)
}

func colSums(dst, a []float32, rows, cols int) {
	clear(dst)
	for r := range rows {
		row := a[r*cols : (r+1)*cols]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// adam applies Adam (Kingma & Ba 2015, ICLR, Algorithm 1; β1 0.9,
// β2 0.999, ε 1e-8), bias-corrected.
func (ae *autoencoder) adam(lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	ae.t++
	c1 := 1 - math.Pow(b1, float64(ae.t))
	c2 := math.Sqrt(1 - math.Pow(b2, float64(ae.t)))
	step := float32(lr / c1)
	for i, g := range ae.grads {
		ae.m[i] = b1*ae.m[i] + (1-b1)*g
		ae.v[i] = b2*ae.v[i] + (1-b2)*g*g
		ae.params[i] -= step * ae.m[i] / (float32(math.Sqrt(float64(ae.v[i])))/float32(c2) + eps)
	}
}

// cost returns the mean squared error per pixel over the rows of x,
// evaluated in batches of the workspace's size.
func (ae *autoencoder) cost(x []float32) float64 {
	const d = quickdraw.Pixels
	n := len(x) / d
	b := len(ae.out) / d
	sum := 0.0
	for s := 0; s < n; s += b {
		m := min(b, n-s)
		xb := x[s*d : (s+m)*d]
		ae.forward(xb, m)
		for i, y := range ae.out[:m*d] {
			e := float64(y - xb[i])
			sum += e * e
		}
	}
	return sum / float64(n*d)
}
