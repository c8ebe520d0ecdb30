package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomData returns n random images of size in with labels below classes.
func randomData(seed uint64, n, in, classes int) Data {
	r := rand.New(rand.NewPCG(seed, 1))
	d := Data{X: make([]byte, n*in), Y: make([]uint8, n), N: n}
	for i := range d.X {
		d.X[i] = byte(r.IntN(256))
	}
	for i := range d.Y {
		d.Y[i] = uint8(r.IntN(classes))
	}
	return d
}

// Gradient checks: every parameter's analytic gradient against a central
// finite difference (L(w+h) − L(w−h))/2h of the float32 forward pass, with
// h = 1e-3 (the loss is summed in float64). A parameter whose one-sided
// differences disagree by more than 3e-3 sits on a kink (a ReLU at zero or
// a max-pool tie within ±h) and is skipped; at most 5% may be. Tolerance
// for the rest: the relative error ‖g − ĝ‖/‖g + ĝ‖ must be below 5e-3 and
// every parameter must agree within 2e-3 absolute or 10% relative (a
// bias or a first-layer weight crosses many ReLU kinks of small slope
// change at once, which the kink test does not see).
func TestGradients(t *testing.T) {
	const (
		h       = 1e-3
		normTol = 5e-3
		kinkTol = 3e-3
	)
	tests := []struct {
		name    string
		layers  []LayerSpec
		h, w, c int
	}{
		{"softmax-ce", nil, 4, 4, 2},
		{"dense", []LayerSpec{{Kind: Dense, Units: 7}}, 4, 4, 2},
		{"dense-relu-dense", []LayerSpec{{Kind: Dense, Units: 9}, {Kind: Dense, Units: 6}}, 4, 4, 1},
		{"conv3", []LayerSpec{{Kind: Conv, Filters: 3, Kernel: 3}}, 6, 5, 2},
		{"conv5", []LayerSpec{{Kind: Conv, Filters: 2, Kernel: 5}}, 6, 6, 2},
		{"conv2-even", []LayerSpec{{Kind: Conv, Filters: 2, Kernel: 2}}, 5, 5, 1},
		{"conv3-conv5", []LayerSpec{{Kind: Conv, Filters: 3, Kernel: 3}, {Kind: Conv, Filters: 2, Kernel: 5}}, 6, 6, 2},
		{"conv-pool", []LayerSpec{{Kind: Conv, Filters: 3, Kernel: 3}, {Kind: MaxPool}}, 6, 6, 1},
		{"conv-pool-odd", []LayerSpec{{Kind: Conv, Filters: 2, Kernel: 3}, {Kind: MaxPool}}, 7, 5, 1},
		{"dense-dropout-dense", []LayerSpec{{Kind: Dense, Units: 10}, {Kind: Dropout, Rate: 0.4}, {Kind: Dense, Units: 5}}, 3, 3, 2},
		{"conv-dropout", []LayerSpec{{Kind: Conv, Filters: 3, Kernel: 3}, {Kind: Dropout, Rate: 0.3}}, 5, 5, 1},
		{"mlp", []LayerSpec{{Kind: Dense, Units: 12}, {Kind: Dense, Units: 8}, {Kind: Dense, Units: 6}}, 5, 5, 1},
		{"cnn", []LayerSpec{
			{Kind: Conv, Filters: 4, Kernel: 3}, {Kind: MaxPool}, {Kind: Conv, Filters: 5, Kernel: 3},
			{Kind: MaxPool}, {Kind: Dropout, Rate: 0.25}, {Kind: Dense, Units: 8},
		}, 8, 8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n, classes = 5, 4
			m, err := New(tt.layers, Config{Seed: 3, InputH: tt.h, InputW: tt.w, InputC: tt.c, Classes: classes})
			if err != nil {
				t.Fatal(err)
			}
			d := randomData(7, n, tt.h*tt.w*tt.c, classes)
			idx := []int{0, 1, 2, 3, 4}
			done := m.begin()
			defer done()
			m.alloc(n)
			m.e.stepSeed = 12345 // one fixed dropout mask for every evaluation
			l0 := m.lossGrad(d, idx, true)
			analytic := append([]float32(nil), m.grads...)
			var diff2, sum2 float64
			bad, kinks := 0, 0
			for i := range m.params {
				w := m.params[i]
				m.params[i] = w + h
				lp := m.lossGrad(d, idx, false)
				m.params[i] = w - h
				lm := m.lossGrad(d, idx, false)
				m.params[i] = w
				if math.Abs((lp-l0)/h-(l0-lm)/h) > kinkTol {
					kinks++
					continue
				}
				num := (lp - lm) / (2 * h)
				a := float64(analytic[i])
				diff2 += (a - num) * (a - num)
				sum2 += (a + num) * (a + num)
				if e := math.Abs(a - num); e > 2e-3 && e > 0.1*math.Max(math.Abs(a), math.Abs(num)) {
					bad++
					if bad <= 3 {
						t.Logf("param %d: analytic %.6g, numeric %.6g", i, a, num)
					}
				}
			}
			rel := math.Sqrt(diff2) / math.Max(math.Sqrt(sum2), 1e-12)
			t.Logf("%d params, relative error %.2e, %d on kinks", len(m.params), rel, kinks)
			if rel > normTol || bad > 0 {
				t.Errorf("gradient check failed: relative error %.3g (want < %g), %d of %d parameters off", rel, normTol, bad, len(m.params))
			}
			if float64(kinks) > 0.05*float64(len(m.params)) {
				t.Errorf("%d of %d parameters on kinks: the check says little", kinks, len(m.params))
			}
			if sum2 == 0 {
				t.Error("all gradients are zero")
			}
		})
	}
}

// TestConvChunks checks that processing a batch in chunks of samples (as
// large batches are) gives the gradients of processing it whole.
func TestConvChunks(t *testing.T) {
	layers := []LayerSpec{{Kind: Conv, Filters: 3, Kernel: 3}, {Kind: Conv, Filters: 4, Kernel: 3}, {Kind: MaxPool}, {Kind: Conv, Filters: 2, Kernel: 5}, {Kind: Dense, Units: 6}}
	d := randomData(4, 9, 8*8*1, 4)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	grads := func(capFloats int) ([]float32, float64) {
		old := colCap
		colCap = capFloats
		defer func() { colCap = old }()
		m, err := New(layers, Config{Seed: 2, InputH: 8, InputW: 8, Classes: 4})
		if err != nil {
			t.Fatal(err)
		}
		done := m.begin()
		defer done()
		m.alloc(len(idx))
		if capFloats == 1 {
			for _, l := range m.layers {
				if c, ok := l.(*conv); ok && c.chunk != 1 {
					t.Fatalf("chunk %d, want 1", c.chunk)
				}
			}
		}
		loss := m.lossGrad(d, idx, true)
		return append([]float32(nil), m.grads...), loss
	}
	whole, l1 := grads(1 << 30)
	chunked, l2 := grads(1)
	if math.Abs(l1-l2) > 1e-6 {
		t.Errorf("loss %v whole, %v in chunks", l1, l2)
	}
	var diff2, norm2 float64
	for i := range whole {
		e := float64(whole[i] - chunked[i])
		diff2 += e * e
		norm2 += float64(whole[i]) * float64(whole[i])
	}
	if rel := math.Sqrt(diff2 / norm2); rel > 1e-5 || norm2 == 0 {
		t.Errorf("chunked gradients differ from whole-batch ones by %.2e (relative)", rel)
	}
}

// TestAdamVector checks the vector Adam step against the Go loop.
func TestAdamVector(t *testing.T) {
	if !haveAdamAVX {
		t.Skip("no vector Adam on this machine")
	}
	const n = 103
	r := rand.New(rand.NewPCG(1, 2))
	mk := func() []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = r.Float32() - 0.5
		}
		return s
	}
	p, g, m1, m2 := mk(), mk(), mk(), mk()
	for i := range m2 {
		m2[i] *= m2[i]
	}
	c := [7]float32{0.9, 1 - float32(0.9), 0.999, 1 - float32(0.999), 0.003, 1.7, 1e-8}
	p2, m12, m22 := append([]float32(nil), p...), append([]float32(nil), m1...), append([]float32(nil), m2...)
	done := adamVector(p, g, m1, m2, &c)
	if done != n&^7 {
		t.Fatalf("vector code did %d elements, want %d", done, n&^7)
	}
	for i := 0; i < done; i++ {
		gi := g[i]
		a := c[0]*m12[i] + c[1]*gi
		b := c[2]*m22[i] + c[3]*gi*gi
		want := p2[i] - c[4]*a/(float32(math.Sqrt(float64(b)))*c[5]+c[6])
		if d := math.Abs(float64(p[i] - want)); d > 1e-6*math.Abs(float64(want))+1e-9 || math.Abs(float64(m1[i]-a)) > 1e-7 || math.Abs(float64(m2[i]-b)) > 1e-7 {
			t.Fatalf("element %d: p %v m1 %v m2 %v, want %v %v %v", i, p[i], m1[i], m2[i], want, a, b)
		}
	}
	for i := done; i < n; i++ {
		if p[i] != p2[i] {
			t.Fatalf("element %d past the vector part changed", i)
		}
	}
}

// TestScaleVector checks the vector byte conversion against the table.
func TestScaleVector(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]float32, len(src))
	done := scaleVector(dst, src)
	if haveScaleAVX2 && done != 296 {
		t.Fatalf("vector code converted %d bytes, want 296", done)
	}
	for i := 0; i < done; i++ {
		if math.Float32bits(dst[i]) != math.Float32bits(byteScale[src[i]]) {
			t.Fatalf("byte %d: %v, table %v", src[i], dst[i], byteScale[src[i]])
		}
	}
	if byteScale[255] != 1 || byteScale[0] != 0 {
		t.Errorf("table ends %v %v, want 0 and 1", byteScale[0], byteScale[255])
	}
}

func TestExpNeg(t *testing.T) {
	var worst float64
	for i := 0; i <= 200000; i++ {
		x := -90 * float64(i) / 200000
		got, want := float64(expNeg(float32(x))), math.Exp(float64(float32(x)))
		if want < 1.2e-38 { // subnormal in float32: 0 will do
			if got > 1.2e-38 {
				t.Fatalf("expNeg(%v) = %v, want about %v", x, got, want)
			}
			continue
		}
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 5e-7 {
		t.Errorf("largest relative error %.2e, want ≤ 5e-7", worst)
	}
	t.Logf("largest relative error %.2e", worst)
	if expNeg(0) != 1 {
		t.Errorf("expNeg(0) = %v", expNeg(0))
	}
	if v := expNeg(float32(math.NaN())); v == v {
		t.Errorf("expNeg(NaN) = %v", v)
	}
}

// TestMaskAndColSumsVector checks the vector ReLU mask and column sums
// against their Go loops, bit for bit, including NaN, ±0 and lengths that
// are not multiples of the vector width.
func TestMaskAndColSumsVector(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 70, 1000} {
		y := make([]float32, n)
		dy := make([]float32, n)
		for i := range y {
			y[i] = r.Float32() - 0.5
			dy[i] = r.Float32() - 0.5
		}
		y[0] = float32(math.NaN())
		if n > 2 {
			y[1] = float32(math.Copysign(0, -1))
			y[2] = 0
		}
		want := append([]float32(nil), dy...)
		for i, v := range y {
			if v <= 0 {
				want[i] = 0
			}
		}
		got := append([]float32(nil), dy...)
		reluMask(got, y)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("mask n=%d: dy[%d] = %g, want %g (y %g)", n, i, got[i], want[i], y[i])
			}
		}

		const rows, off = 13, 3
		ld := n + 5
		m := make([]float32, rows*ld)
		for i := range m {
			m[i] = r.Float32() - 0.5
		}
		m[off] = float32(math.Copysign(0, -1)) // -0 + +0 start: +0, as the Go loop
		sums := make([]float32, n)
		colSums(sums, m, rows, ld, off)
		for j := 0; j < n; j++ {
			var s float32
			for i := 0; i < rows; i++ {
				s += m[i*ld+off+j]
			}
			if math.Float32bits(sums[j]) != math.Float32bits(s) {
				t.Fatalf("colSums n=%d: column %d = %g, want %g", n, j, sums[j], s)
			}
		}
	}
}
