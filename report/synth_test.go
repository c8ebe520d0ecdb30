package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// evilLabel is a label name that must render as text, never run.
const evilLabel = "<script>alert(1)</script>"

// synthInput builds a realistic fake Input: nLabels labels whose averages
// range from sharp to blurred, 11 mixes, the 12 MLPs and nCNN random CNNs
// with seeds accuracies per mix decaying with the mix index, and the
// perceptron's weights. The same arguments give the same Input.
func synthInput(nLabels, nCNN, seeds int, seed uint64) *Input {
	rng := rand.New(rand.NewPCG(seed, 7))
	in := &Input{
		Title:   "synthetic report",
		Measure: "entropy",
		Measures: []MeasureInfo{
			{Name: "entropy", LowIsConvergent: true},
			{Name: "variance", LowIsConvergent: false},
		},
	}
	for i := range nLabels {
		name := fmt.Sprintf("label %02d", i)
		if i == 3 {
			name = evilLabel
		}
		// Sharpness falls with i: small i = convergent.
		width := 1.5 + 8*float64(i)/float64(max(nLabels-1, 1))
		avg := make([]float64, 784)
		cx, cy := 13.5+rng.Float64()*2-1, 13.5+rng.Float64()*2-1
		for p := range avg {
			dx, dy := float64(p%28)-cx, float64(p/28)-cy
			r := math.Hypot(dx, dy)
			ring := math.Exp(-(r - 7) * (r - 7) / (2 * width * width / 4))
			avg[p] = 255 * ring * (0.6 + 0.4*float64(i%3)/2)
		}
		in.Labels = append(in.Labels, Label{
			Name:     name,
			Drawings: 1000 + 37*i,
			Source:   "bitmap",
			Measures: map[string]float64{"entropy": entropy(avg), "variance": variance(avg)},
			Average:  avg,
		})
	}
	order := in.orderBy("entropy")
	for k := range 10 {
		in.Convergent = append(in.Convergent, in.Labels[order[k]].Name)
		in.Divergent = append(in.Divergent, in.Labels[order[len(order)-1-k]].Name)
	}
	for m := range 11 {
		mix := Mix{Name: fmt.Sprintf("conv_div_mix_%02d", m)}
		for s := range 10 {
			name := in.Convergent[s]
			if s < m {
				name = in.Divergent[s]
			}
			mix.Slots = append(mix.Slots, name)
			var ds [][]byte
			for range 3 {
				ds = append(ds, synthDrawing(rng))
			}
			mix.Samples = append(mix.Samples, ds)
		}
		in.Mixes = append(in.Mixes, mix)
	}
	for _, h := range [][]int{{}, {16}, {32}, {64}, {128}, {256}, {512}, {32, 32}, {64, 64}, {128, 128}, {256, 256}, {512, 512}} {
		m := Model{Family: "mlp", Depth: len(h)}
		var parts []string
		in0 := 784
		for _, u := range h {
			parts = append(parts, fmt.Sprintf("F%d", u))
			m.Layers = append(m.Layers, Layer{Kind: Dense, Text: fmt.Sprintf("F%d", u)})
			m.Params += int64(in0*u + u)
			in0 = u
		}
		m.Params += int64(in0*10 + 10)
		m.Spec = strings.Join(parts, "-")
		if m.Spec == "" {
			m.Spec = "linear" // zoo's spec of the perceptron
		}
		base := 0.86 + 0.02*math.Log2(float64(max(in0, 8)))/9
		synthAcc(&m, rng, base, 0.012+0.004*rng.Float64(), seeds)
		in.Models = append(in.Models, m)
	}
	for c := range nCNN {
		m := Model{Family: "cnn"}
		depth := 1 + rng.IntN(6)
		fc := false
		var parts []string
		for range depth {
			var l Layer
			switch k := rng.IntN(4); {
			case fc && k < 2:
				k = 3
				fallthrough
			case k == 3:
				fc = true
				l = Layer{Kind: Dense, Text: fmt.Sprintf("F%d", 16<<rng.IntN(7))}
			case k == 0:
				l = Layer{Kind: Conv, Text: fmt.Sprintf("C%dk%d", 8<<rng.IntN(5), 3+2*rng.IntN(2))}
			case k == 1:
				l = Layer{Kind: Pool, Text: "P2"}
			default:
				l = Layer{Kind: Dropout, Text: fmt.Sprintf("D0.%d", 1+rng.IntN(5))}
			}
			m.Layers = append(m.Layers, l)
			parts = append(parts, l.Text)
		}
		m.Depth = depth
		m.Spec = strings.Join(parts, "-")
		if c == 1 {
			m.Spec += `-"<b>&amp;`
		}
		m.Params = int64(1000 + rng.IntN(2_000_000))
		m.FLOPs = m.Params * int64(2+rng.IntN(30))
		base := 0.70 + 0.2*rng.Float64()
		if m.FirstKind() == Conv {
			base += 0.05
		}
		synthAcc(&m, rng, base, 0.008+0.02*rng.Float64(), seeds)
		in.Models = append(in.Models, m)
	}
	for i := range in.Models {
		in.Models[i].ID = fmt.Sprintf("m%04x%s", i, strings.Repeat("0", 8))
	}
	for _, mix := range in.Mixes {
		pw := PerceptronWeights{Mix: mix.Name}
		for range 10 {
			w := make([]float32, 784)
			cx, cy := 8+12*rng.Float64(), 8+12*rng.Float64()
			for p := range w {
				dx, dy := float64(p%28)-cx, float64(p/28)-cy
				w[p] = float32(math.Exp(-(dx*dx+dy*dy)/30) - 0.3 + 0.1*rng.NormFloat64())
			}
			pw.Classes = append(pw.Classes, w)
		}
		in.Perceptron = append(in.Perceptron, pw)
	}
	in.Run = Run{
		Command:    "fluens run --source ../shared/quickdraw --out run",
		Settings:   []KV{{"epochs", "2"}, {"batch", "512"}, {"learning rate", "0.001"}, {"seeds", fmt.Sprint(seeds)}},
		DataHashes: []KV{{"conv_div_mix_00", "sha256:0123abcd"}, {"labels.json", "sha256:" + evilLabel}},
		Engine:     "fluens-nn 0.1.0",
		Seed:       int64(seed),
		Started:    time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
		Finished:   time.Date(2026, 12, 3, 10, 9, 30, 0, time.UTC),
		Jobs:       len(in.Models) * 11 * seeds,
	}
	return in
}

// synthAcc fills the model's accuracies (decaying linearly from base with
// noise) and its decay statistics.
func synthAcc(m *Model, rng *rand.Rand, base, decay float64, seeds int) {
	m.Acc = make([][]float64, 11)
	for k := range 11 {
		for range seeds {
			a := base - decay*float64(k) + 0.01*rng.NormFloat64()
			m.Acc[k] = append(m.Acc[k], math.Max(0.05, math.Min(0.999, a)))
		}
	}
	var xs, ys []float64
	m.MaxAcc = math.Inf(-1)
	for k := range 11 {
		a := m.MeanAcc(k)
		xs, ys = append(xs, float64(k)), append(ys, a)
		m.MaxAcc = math.Max(m.MaxAcc, a)
	}
	m.Intercept, m.Slope, m.R2 = leastSquares(xs, ys)
	m.SlopeLo, m.SlopeHi = math.NaN(), math.NaN()
	if seeds > 1 {
		m.SlopeLo, m.SlopeHi = m.Slope-0.002, m.Slope+0.002
	}
}

// leastSquares fits y = a + b x.
func leastSquares(xs, ys []float64) (a, b, r2 float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy, syy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
		syy += ys[i] * ys[i]
	}
	b = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	a = (sy - b*sx) / n
	r := (n*sxy - sx*sy) / math.Sqrt((n*sxx-sx*sx)*(n*syy-sy*sy))
	return a, b, r * r
}

// entropy is the normalized sample entropy of DESIGN.md.
func entropy(avg []float64) float64 {
	var hi float64
	for _, v := range avg {
		hi = math.Max(hi, v)
	}
	var hist [256]float64
	for _, v := range avg {
		hist[int(math.Round(255*v/hi))]++
	}
	var h float64
	for _, c := range hist {
		if c > 0 {
			p := c / float64(len(avg))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// variance is the variance of the max-normalized average.
func variance(avg []float64) float64 {
	var hi, s, ss float64
	for _, v := range avg {
		hi = math.Max(hi, v)
	}
	for _, v := range avg {
		s += v / hi
		ss += (v / hi) * (v / hi)
	}
	n := float64(len(avg))
	return ss/n - (s/n)*(s/n)
}

// synthDrawing draws a random closed stroke.
func synthDrawing(rng *rand.Rand) []byte {
	d := make([]byte, 784)
	cx, cy, r := 14+2*rng.NormFloat64(), 14+2*rng.NormFloat64(), 5+5*rng.Float64()
	for t := 0.0; t < 2*math.Pi; t += 0.05 {
		x := int(cx + r*math.Cos(t)*(1+0.2*math.Sin(3*t)))
		y := int(cy + r*math.Sin(t))
		if x >= 0 && x < 28 && y >= 0 && y < 28 {
			d[y*28+x] = 255
		}
	}
	return d
}
