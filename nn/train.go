package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Data is a set of samples: N images of InputH×InputW×InputC bytes each
// (0 = background, 255 = ink; 28×28 for QuickDraw, row-major, channels
// last), stored one after another in X, and their class labels in Y.
// The engine scales every byte to [0, 1] as x/255.
type Data struct {
	X []byte
	Y []uint8
	N int
}

func (m *Model) checkData(what string, d Data) error {
	in := m.inSize()
	if d.N < 0 {
		return fmt.Errorf("nn: %s data: negative N %d", what, d.N)
	}
	if len(d.X) != d.N*in {
		return fmt.Errorf("nn: %s data: %d bytes of images for %d samples of %d bytes", what, len(d.X), d.N, in)
	}
	if len(d.Y) != d.N {
		return fmt.Errorf("nn: %s data: %d labels for %d samples", what, len(d.Y), d.N)
	}
	for i, y := range d.Y {
		if int(y) >= m.cfg.Classes {
			return fmt.Errorf("nn: %s data: sample %d has label %d, want < %d", what, i, y, m.cfg.Classes)
		}
	}
	return nil
}

// TrainConfig sets the hyperparameters of one training run.
type TrainConfig struct {
	// Epochs is the number of passes over the training data (> 0).
	Epochs int
	// Batch is the mini-batch size (0 means 512). The last, partial batch
	// of an epoch is trained too.
	Batch int
	// LR is Adam's learning rate (0 means 0.001).
	LR float64
	// Seed seeds the shuffling of each epoch and the dropout masks.
	Seed int64
	// Progress, if not nil, is called after each epoch with the epoch
	// number (from 1) and its mean training loss.
	Progress func(epoch int, loss float64)
}

// DefaultBatch and DefaultLR are the hyperparameters of the study.
const (
	DefaultBatch = 512
	DefaultLR    = 0.001
)

// Adam's constants (Kingma & Ba 2015, "Adam: A Method for Stochastic
// Optimization", Algorithm 1).
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// EpochStats records one epoch of training.
type EpochStats struct {
	// Loss is the mean softmax cross-entropy over the epoch's samples.
	Loss float64
	// TestAccuracy is the accuracy on the test data after the epoch
	// (0 when the test data is empty).
	TestAccuracy float64
	// Seconds is the epoch's wall time, evaluation included.
	Seconds float64
}

// History is the record of a training run.
type History struct {
	Epochs []EpochStats
}

// Train trains the model with Adam on mini-batches of train, shuffled each
// epoch from tc.Seed, and evaluates it on test after each epoch. Calling
// Train again continues from the current weights and optimizer state. It
// stops with ctx's error (and the history so far) when ctx is done.
// The same model, data and seeds give bit-identical weights whatever the
// number of threads.
func (m *Model) Train(ctx context.Context, train, test Data, tc TrainConfig) (History, error) {
	var h History
	if tc.Epochs <= 0 {
		return h, fmt.Errorf("nn: %d epochs: must be positive", tc.Epochs)
	}
	if tc.Batch == 0 {
		tc.Batch = DefaultBatch
	}
	if tc.Batch < 0 {
		return h, fmt.Errorf("nn: batch %d: must be positive", tc.Batch)
	}
	if tc.LR == 0 {
		tc.LR = DefaultLR
	}
	if !(tc.LR > 0) || math.IsInf(tc.LR, 0) {
		return h, fmt.Errorf("nn: learning rate %v: must be positive", tc.LR)
	}
	if err := m.checkData("training", train); err != nil {
		return h, err
	}
	if train.N == 0 {
		return h, fmt.Errorf("nn: training data: %w", errNoData)
	}
	if err := m.checkData("test", test); err != nil {
		return h, err
	}
	done := m.begin()
	defer done()
	m.alloc(min(tc.Batch, train.N))
	perm := make([]int, train.N)
	for i := range perm {
		perm[i] = i
	}
	r := rand.New(rand.NewPCG(uint64(tc.Seed), 0x73687566666c65)) // "shuffle"
	for epoch := 1; epoch <= tc.Epochs; epoch++ {
		start := time.Now()
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var loss float64
		for b0 := 0; b0 < train.N; b0 += tc.Batch {
			if err := ctx.Err(); err != nil {
				return h, err
			}
			b1 := min(b0+tc.Batch, train.N)
			loss += m.trainStep(train, perm[b0:b1], tc) * float64(b1-b0)
		}
		loss /= float64(train.N)
		var acc float64
		if test.N > 0 {
			acc = m.evaluate(test, nil)
		}
		h.Epochs = append(h.Epochs, EpochStats{Loss: loss, TestAccuracy: acc, Seconds: time.Since(start).Seconds()})
		if tc.Progress != nil {
			tc.Progress(epoch, loss)
		}
	}
	return h, nil
}

// trainStep runs one Adam step on the samples idx of d and returns the
// batch's mean loss. It allocates nothing once the workspaces exist.
func (m *Model) trainStep(d Data, idx []int, tc TrainConfig) float64 {
	m.step++
	m.e.stepSeed = splitmix64(uint64(tc.Seed)) ^ uint64(m.step)*0x9e3779b97f4a7c15
	loss := m.lossGrad(d, idx, true)
	m.adam(tc.LR)
	return loss
}

// lossGrad runs the samples idx of d forward, returns their mean loss and,
// if grad, leaves the gradient of that loss in m.grads.
func (m *Model) lossGrad(d Data, idx []int, grad bool) float64 {
	n := len(idx)
	m.cur, m.curIdx = d, idx
	m.e.work.run(n, 8, m.fnGather)
	m.cur, m.curIdx = Data{}, nil
	logits := m.forward(n, true)
	loss := m.lossIdx(logits, d.Y, idx, n)
	if grad {
		m.backward(n)
	}
	return loss
}

// lossIdx returns the mean softmax cross-entropy of n rows of logits
// against the labels of the samples idx, and leaves its gradient with
// respect to the logits in dlog. Rows are spread over the workers; their
// losses are summed in row order.
func (m *Model) lossIdx(logits []float32, labels []uint8, idx []int, n int) float64 {
	m.curLogits, m.curLabels, m.curIdx, m.curN = logits, labels, idx, n
	m.e.work.run(n, 64, m.fnLoss)
	m.curLogits, m.curLabels, m.curIdx = nil, nil, nil
	var total float64
	for _, v := range m.rowLoss[:n] {
		total += v
	}
	return total / float64(n)
}

func (m *Model) lossRange(lo, hi int) {
	c := m.cfg.Classes
	scale := 1 / float64(m.curN)
	for i := lo; i < hi; i++ {
		y := m.curLabels[m.curIdx[i]]
		m.rowLoss[i] = softmaxCE(m.curLogits[i*c:(i+1)*c], int(y), scale, m.dlog[i*c:(i+1)*c])
	}
}

// adam applies one Adam update with bias correction to every parameter.
func (m *Model) adam(lr float64) {
	t := float64(m.step)
	bc1 := 1 - math.Pow(adamBeta1, t)
	bc2 := 1 - math.Pow(adamBeta2, t)
	m.lr = float32(lr / bc1)
	m.isqrtBC2 = float32(1 / math.Sqrt(bc2))
	const b1, b2 = float32(adamBeta1), float32(adamBeta2)
	m.adamC = [7]float32{b1, 1 - b1, b2, 1 - b2, m.lr, m.isqrtBC2, adamEps}
	m.e.work.run((len(m.params)+7)/8, 1<<10, m.fnAdam)
}

// adamRange updates the parameters of blocks lo..hi of eight. Whole
// blocks go to the vector code where there is one, so that which code
// updates an element never depends on the number of threads.
func (m *Model) adamRange(lo, hi int) {
	lo, hi = lo*8, min(hi*8, len(m.params))
	p, g := m.params[lo:hi], m.grads[lo:hi]
	m1, m2 := m.m1[lo:hi], m.m2[lo:hi]
	lr, isq := m.lr, m.isqrtBC2
	const b1, b2 = float32(adamBeta1), float32(adamBeta2)
	done := adamVector(p, g, m1, m2, &m.adamC)
	for i := done; i < len(p); i++ {
		gi := g[i]
		a := b1*m1[i] + (1-b1)*gi
		b := b2*m2[i] + (1-b2)*gi*gi
		m1[i], m2[i] = a, b
		p[i] -= lr * a / (float32(math.Sqrt(float64(b)))*isq + adamEps)
	}
}

// evaluate returns the accuracy on d and, when perClass is not nil, fills
// it with the accuracy within each class. It must run between begin and
// its done.
func (m *Model) evaluate(d Data, perClass []float64) float64 {
	if d.N == 0 {
		return 0
	}
	if m.batch == 0 {
		m.alloc(min(DefaultBatch, d.N))
	}
	c := m.cfg.Classes
	var correct int
	var count []int
	if perClass != nil {
		count = make([]int, c)
		clear(perClass)
	}
	for b0 := 0; b0 < d.N; b0 += m.batch {
		n := min(m.batch, d.N-b0)
		m.cur = Data{X: d.X[b0*m.inSize():], N: n}
		m.curIdx = nil
		m.e.work.run(n, 8, m.fnGather)
		m.cur = Data{}
		logits := m.forward(n, false)
		for i := 0; i < n; i++ {
			p := argmax(logits[i*c : (i+1)*c])
			y := int(d.Y[b0+i])
			if p == y {
				correct++
				if perClass != nil {
					perClass[y]++
				}
			}
			if count != nil {
				count[y]++
			}
		}
	}
	for j := range count {
		if count[j] > 0 {
			perClass[j] /= float64(count[j])
		}
	}
	return float64(correct) / float64(d.N)
}

func argmax(z []float32) int {
	best := 0
	for j, v := range z {
		if v > z[best] {
			best = j
		}
	}
	return best
}

// Evaluate returns the accuracy on d and the accuracy within each class
// (0 for a class with no samples in d). Dropout is off.
func (m *Model) Evaluate(d Data) (acc float64, perClass []float64, err error) {
	if err := m.checkData("evaluation", d); err != nil {
		return 0, nil, err
	}
	if d.N == 0 {
		return 0, nil, fmt.Errorf("nn: evaluation data: %w", errNoData)
	}
	done := m.begin()
	defer done()
	perClass = make([]float64, m.cfg.Classes)
	acc = m.evaluate(d, perClass)
	return acc, perClass, nil
}

// Predict returns the most likely class of each sample of d (d.Y is not
// read and may be nil). It panics if d.X does not hold d.N images.
func (m *Model) Predict(d Data) []uint8 {
	in := m.inSize()
	if d.N < 0 || len(d.X) != d.N*in {
		panic(fmt.Sprintf("nn: Predict: %d bytes for %d images of %d bytes", len(d.X), d.N, in))
	}
	out := make([]uint8, d.N)
	if d.N == 0 {
		return out
	}
	done := m.begin()
	defer done()
	if m.batch == 0 {
		m.alloc(min(DefaultBatch, d.N))
	}
	c := m.cfg.Classes
	for b0 := 0; b0 < d.N; b0 += m.batch {
		n := min(m.batch, d.N-b0)
		m.cur = Data{X: d.X[b0*in:], N: n}
		m.curIdx = nil
		m.e.work.run(n, 8, m.fnGather)
		m.cur = Data{}
		logits := m.forward(n, false)
		for i := 0; i < n; i++ {
			out[b0+i] = uint8(argmax(logits[i*c : (i+1)*c]))
		}
	}
	return out
}
