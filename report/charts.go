package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Colours of the layer kinds (the seed's: conv blue, pool red, dropout
// orange, fc green).
var kindColor = [...]string{
	Conv:    "#1f77b4",
	Pool:    "#d62728",
	Dropout: "#ff7f0e",
	Dense:   "#2ca02c",
	Other:   "#7f7f7f",
}

// familyPalette colours the models of a small family one by one.
var familyPalette = []string{
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#17becf", "#8c564b",
}

// modelColor returns the colour of model i of a family of n models: one
// colour each for the (12) MLPs, otherwise the colour of its first layer's
// kind.
func modelColor(m *Model, i, n int) string {
	if m.Family == "mlp" && n <= len(familyPalette) {
		return familyPalette[i]
	}
	return kindColor[m.FirstKind()]
}

// mixTick names mix index v by its two digits.
func mixTick(v float64) string { return fmt.Sprintf("%02d", int(math.Round(v))) }

// accBounds returns a rounded accuracy range covering every accuracy of the
// models.
func accBounds(models []*Model) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, m := range models {
		for i := range m.Acc {
			a, b := m.accRange(i)
			if !math.IsNaN(a) {
				lo, hi = math.Min(lo, a), math.Max(hi, b)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	lo = math.Max(0, math.Floor(lo*20-0.5)/20)
	hi = math.Min(1, math.Ceil(hi*20+0.5)/20)
	return lo, hi
}

// maxBands is the largest number of models whose seed bands a decay chart
// shows all at once.
const maxBands = 40

// decayChart draws accuracy vs mix for the models: the mean over seeds as a
// curve, the range over seeds as a band and, if reg, each model's
// least-squares line.
func decayChart(id string, models []*Model, nmix int, reg bool) string {
	var b svgBuf
	lo, hi := accBounds(models)
	f := newFrame(720, 380, 0, float64(max(nmix-1, 1)), lo, hi, false, false)
	f.xLabel, f.yLabel = "mix (number of divergent labels)", "test accuracy"
	f.xTicks = make([]float64, 0, nmix)
	for i := range nmix {
		f.xTicks = append(f.xTicks, float64(i))
	}
	f.xTickText = mixTick
	f.open(&b, id, "decay", "decay curves: test accuracy on each mix")
	f.clipDef(&b, id+"-clip")
	b.p(`<g clip-path="url(#%s-clip)">`, esc(id))
	bands := false
	for _, m := range models {
		if m.seeds() > 1 {
			bands = true
			break
		}
	}
	if bands {
		// With many models the bands would cover the chart in grey: they
		// are drawn only for the highlighted model (class hide).
		bandClass := "band"
		if len(models) > maxBands {
			bandClass = "band hide"
		}
		b.p(`<g class="bands">`)
		for i, m := range models {
			var top, bot []string
			for k := range nmix {
				l, h := m.accRange(k)
				if math.IsNaN(l) {
					continue
				}
				x := num(f.x.at(float64(k)))
				top = append(top, x+","+num(f.y.at(h)))
				bot = append(bot, x+","+num(f.y.at(l)))
			}
			if len(top) < 2 {
				continue
			}
			b.p(`<polygon class="%s" data-model="%s" fill="%s" points="`, bandClass, esc(m.ID), modelColor(m, i, len(models)))
			for _, p := range top {
				b.p("%s ", p)
			}
			for j := len(bot) - 1; j >= 0; j-- {
				b.p("%s ", bot[j])
			}
			b.p(`"/>`)
		}
		b.p(`</g>`)
	}
	if reg {
		b.p(`<g class="regs">`)
		for i, m := range models {
			if math.IsNaN(m.Slope) {
				continue
			}
			x1 := float64(nmix - 1)
			b.p(`<line class="reg" data-model="%s" stroke="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>`,
				esc(m.ID), modelColor(m, i, len(models)),
				num(f.x.at(0)), num(f.y.at(m.Intercept)), num(f.x.at(x1)), num(f.y.at(m.Intercept+m.Slope*x1)))
		}
		b.p(`</g>`)
	}
	b.p(`<g class="curves">`)
	for i, m := range models {
		b.p(`<polyline class="curve" data-model="%s" stroke="%s" points="`, esc(m.ID), modelColor(m, i, len(models)))
		for k := range nmix {
			a := m.MeanAcc(k)
			if math.IsNaN(a) {
				continue
			}
			b.p("%s,%s ", num(f.x.at(float64(k))), num(f.y.at(a)))
		}
		b.p(`"/>`)
	}
	b.p(`</g></g>`)
	f.close(&b)
	return b.String()
}

// depthRadius is the radius of a circle for a model of the given depth.
func depthRadius(d int) float64 { return 2.5 + 1.6*float64(d) }

// pad widens [lo, hi] by 5% on each side (or by a small amount if empty).
func pad(lo, hi float64) (float64, float64) {
	d := hi - lo
	if d <= 0 {
		d = math.Max(math.Abs(lo)*0.1, 0.01)
	}
	return lo - 0.05*d, hi + 0.05*d
}

// maxAccChart draws max accuracy vs decay (slope), circle radius = depth. If
// zoom > 0, only models whose max accuracy exceeds zoom are drawn, on axes
// fitted to them.
func maxAccChart(id string, models []*Model, zoom float64) string {
	var sel []*Model
	for _, m := range models {
		if !math.IsNaN(m.Slope) && !math.IsNaN(m.MaxAcc) && (zoom <= 0 || m.MaxAcc > zoom) {
			sel = append(sel, m)
		}
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, m := range sel {
		x0, x1 = math.Min(x0, m.Slope), math.Max(x1, m.Slope)
		y0, y1 = math.Min(y0, m.MaxAcc), math.Max(y1, m.MaxAcc)
	}
	if len(sel) == 0 {
		x0, x1, y0, y1 = -0.05, 0, 0, 1
	}
	x0, x1 = pad(x0, x1)
	_, y1 = pad(y0, y1)
	if zoom > 0 {
		y0 = zoom
	} else {
		y0, _ = pad(y0, y1)
	}
	f := newFrame(720, 400, x0, x1, math.Max(0, y0), math.Min(y1, 1), false, false)
	f.xLabel, f.yLabel = "decay (slope of accuracy per mix)", "max accuracy over the mixes"
	label := "max accuracy vs decay, circle radius = depth"
	note := ""
	if zoom > 0 {
		label += fmt.Sprintf(", zoomed onto max accuracy > %g", zoom)
		if len(sel) == 0 {
			note = fmt.Sprintf("no model reaches a max accuracy above %g", zoom)
		}
	}
	return scatter(id, f, label, note, sel, func(m *Model) (x, y, r float64) {
		return m.Slope, m.MaxAcc, depthRadius(m.Depth)
	})
}

// paramsChart draws parameters (log scale) vs decay, dot size = max
// accuracy.
func paramsChart(id string, models []*Model) string {
	var sel []*Model
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	a0, a1 := math.Inf(1), math.Inf(-1)
	for _, m := range models {
		if math.IsNaN(m.Slope) || m.Params <= 0 {
			continue
		}
		sel = append(sel, m)
		p := float64(m.Params)
		x0, x1 = math.Min(x0, p), math.Max(x1, p)
		y0, y1 = math.Min(y0, m.Slope), math.Max(y1, m.Slope)
		a0, a1 = math.Min(a0, m.MaxAcc), math.Max(a1, m.MaxAcc)
	}
	if len(sel) == 0 {
		x0, x1, y0, y1 = 1, 10, -0.05, 0
	}
	x0 = math.Pow(10, math.Floor(math.Log10(x0)))
	x1 = math.Pow(10, math.Ceil(math.Log10(x1)))
	if x1 <= x0 {
		x1 = x0 * 10
	}
	y0, y1 = pad(y0, y1)
	f := newFrame(720, 400, x0, x1, y0, y1, true, false)
	f.xLabel, f.yLabel = "parameters (log scale)", "decay (slope of accuracy per mix)"
	return scatter(id, f, "parameters vs decay, dot size = max accuracy", "", sel, func(m *Model) (x, y, r float64) {
		r = 6
		if a1 > a0 {
			r = 2 + 8*(m.MaxAcc-a0)/(a1-a0)
		}
		return float64(m.Params), m.Slope, r
	})
}

// scatter draws one circle per model; MLPs are hollow, CNNs filled with
// the colour of their first layer's kind.
func scatter(id string, f *frame, label, note string, models []*Model, xyr func(*Model) (x, y, r float64)) string {
	var b svgBuf
	f.open(&b, id, "scatter", label)
	if note != "" {
		b.p(`<text class="note" x="%s" y="%s" text-anchor="middle">%s</text>`, num(f.w/2), num(f.h/2), esc(note))
	}
	// Big circles first so that small ones stay reachable.
	order := make([]*Model, len(models))
	copy(order, models)
	sort.SliceStable(order, func(i, j int) bool {
		_, _, ri := xyr(order[i])
		_, _, rj := xyr(order[j])
		return ri > rj
	})
	b.p(`<g class="dots">`)
	for _, m := range order {
		x, y, r := xyr(m)
		c := kindColor[m.FirstKind()]
		if m.Family == "mlp" {
			b.p(`<circle class="dot mlp" data-model="%s" cx="%s" cy="%s" r="%s" stroke="%s"/>`, esc(m.ID), num(f.x.at(x)), num(f.y.at(y)), num(r), c)
		} else {
			b.p(`<circle class="dot" data-model="%s" cx="%s" cy="%s" r="%s" fill="%s"/>`, esc(m.ID), num(f.x.at(x)), num(f.y.at(y)), num(r), c)
		}
	}
	b.p(`</g>`)
	f.close(&b)
	return b.String()
}

// archChart draws each model as a column of colour-coded layers, input side
// on top, sorted by max accuracy (best left); a bar above each column shows
// its max accuracy.
func archChart(id string, models []*Model) string {
	order := make([]*Model, len(models))
	copy(order, models)
	sort.SliceStable(order, func(i, j int) bool {
		ai, aj := order[i].MaxAcc, order[j].MaxAcc
		if math.IsNaN(aj) {
			return !math.IsNaN(ai)
		}
		return ai > aj
	})
	depth := 1
	for _, m := range order {
		depth = max(depth, len(m.Layers))
	}
	colW := math.Min(36, math.Max(4, 960/float64(max(len(order), 1))))
	const left, top, barH, layerH, gap = 56, 10, 60, 14, 6
	w := math.Max(720, left+colW*float64(len(order))+10)
	h := top + barH + gap + layerH*float64(depth+1) + 26
	var b svgBuf
	b.p(`<svg id="%s" class="chart arch" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="architectures sorted by max accuracy" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), num(w), num(h), num(w), num(h))
	b.p(`<g class="axis"><text x="%d" y="%s" text-anchor="end">max acc</text><text x="%d" y="%s" text-anchor="end">layers</text>`,
		left-6, num(top+barH/2), left-6, num(top+barH+gap+layerH/2+4))
	b.p(`<text class="label" x="%d" y="%s">models, best max accuracy first (input side on top; grey = output layer)</text></g>`,
		left, num(h-6))
	for i, m := range order {
		x := left + colW*float64(i)
		b.p(`<g class="col" data-model="%s" transform="translate(%s 0)">`, esc(m.ID), num(x))
		b.p(`<rect class="hit" x="0" y="%d" width="%s" height="%s"/>`, top, num(colW), num(h-top-26))
		if a := m.MaxAcc; !math.IsNaN(a) {
			bh := barH * math.Max(0, math.Min(1, a))
			b.p(`<rect class="accbar" x="0.5" y="%s" width="%s" height="%s"/>`, num(top+barH-bh), num(colW-1), num(bh))
		}
		y := float64(top + barH + gap)
		for _, l := range m.Layers {
			b.p(`<rect x="0.5" y="%s" width="%s" height="%d" fill="%s"/>`, num(y), num(colW-1), layerH-1, kindColor[l.Kind])
			y += layerH
		}
		b.p(`<rect x="0.5" y="%s" width="%s" height="%d" fill="#bbb"/>`, num(y), num(colW-1), layerH-1)
		b.p(`</g>`)
	}
	b.p(`</svg>`)
	return b.String()
}

// auc returns the probability that a convergent label scores as more
// convergent than a divergent one under a measure (ties count half), the
// area under the ROC curve of separating the two groups.
func auc(conv, div []float64, lowIsConvergent bool) float64 {
	if len(conv) == 0 || len(div) == 0 {
		return math.NaN()
	}
	var s float64
	for _, c := range conv {
		for _, d := range div {
			switch {
			case c == d:
				s += 0.5
			case (c < d) == lowIsConvergent:
				s++
			}
		}
	}
	return s / float64(len(conv)*len(div))
}

// separationChart draws, for each measure, every label's value on a strip:
// convergent labels blue, divergent red, others grey, with the AUC of the
// separation.
func separationChart(id string, in *Input) string {
	conv, div := setOf(in.Convergent), setOf(in.Divergent)
	const w, rowH, left, right = 720.0, 56.0, 110.0, 90.0
	h := rowH*float64(len(in.Measures)) + 30
	var b svgBuf
	b.p(`<svg id="%s" class="chart sep" viewBox="0 0 %s %s" role="img" aria-label="convergent vs divergent labels under each measure" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), num(w), num(h))
	for r, mi := range in.Measures {
		lo, hi := math.Inf(1), math.Inf(-1)
		var cv, dv []float64
		for _, l := range in.Labels {
			v, ok := l.Measures[mi.Name]
			if !ok || math.IsNaN(v) {
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			if conv[l.Name] {
				cv = append(cv, v)
			} else if div[l.Name] {
				dv = append(dv, v)
			}
		}
		if math.IsInf(lo, 1) {
			continue
		}
		lo, hi = pad(lo, hi)
		s := scale{d0: lo, d1: hi, p0: left, p1: w - right}
		if !mi.LowIsConvergent {
			s.p0, s.p1 = s.p1, s.p0 // convergent always on the left
		}
		y := 14 + rowH*float64(r)
		b.p(`<g class="strip"><text x="%s" y="%s" text-anchor="end" class="label">%s</text>`, num(left-8), num(y+16), esc(mi.Name))
		b.p(`<line class="frame" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(left), num(w-right), num(y+16), num(y+16))
		b.p(`<text x="%s" y="%s" class="small">%s</text><text x="%s" y="%s" text-anchor="end" class="small">%s</text>`,
			num(left), num(y+40), esc(fmtTick(s.d0, false)), num(w-right), num(y+40), esc(fmtTick(s.d1, false)))
		if !mi.LowIsConvergent {
			b.p(`<text x="%s" y="%s" text-anchor="middle" class="small">axis reversed: high = convergent</text>`, num((left+w-right)/2), num(y+40))
		}
		for pass := range 2 {
			for _, l := range in.Labels {
				v, ok := l.Measures[mi.Name]
				if !ok || math.IsNaN(v) {
					continue
				}
				special := conv[l.Name] || div[l.Name]
				if special != (pass == 1) {
					continue
				}
				cls := "other"
				if conv[l.Name] {
					cls = "conv"
				} else if div[l.Name] {
					cls = "div"
				}
				b.p(`<circle class="lab %s" cx="%s" cy="%s" r="%s" data-tip="%s"/>`, cls, num(s.at(v)), num(y+16), num(map[bool]float64{true: 4.5, false: 3}[special]), esc(labelTip(in, &l)))
			}
		}
		b.p(`<text x="%s" y="%s" class="small">AUC %s</text></g>`, num(w-right+8), num(y+20), esc(fmtFloat(auc(cv, dv, mi.LowIsConvergent), 3)))
	}
	b.p(`</svg>`)
	return b.String()
}

// setOf returns the set of the strings.
func setOf(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// fmtFloat formats v with prec significant digits, "–" for NaN.
func fmtFloat(v float64, prec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', prec, 64)
}
