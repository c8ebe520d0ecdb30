package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PrintDPI is the resolution of the PNG figures Write produces.
const PrintDPI = 300

// Figure sizes: a page-wide figure with room for a legend on the right.
const (
	figW    = 7 * vg.Inch
	figH    = 4 * vg.Inch
	legendW = 2 * vg.Inch
)

// figure is a plot with an optional legend drawn to its right.
type figure struct {
	name   string
	plot   *plot.Plot
	legend *plot.Legend
}

// hexColor parses "#rrggbb".
func hexColor(s string) color.NRGBA {
	var r, g, b uint8
	fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return color.NRGBA{R: r, G: g, B: b, A: 255}
}

func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// mixTicker labels the mix indices 00, 01, ...
type mixTicker int

func (n mixTicker) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for i := range int(n) {
		t = append(t, plot.Tick{Value: float64(i), Label: fmt.Sprintf("%02d", i)})
	}
	return t
}

// kindLegend adds one entry per layer kind (the colour of a CNN's first
// layer).
func kindLegend(l *plot.Legend, what string) {
	for _, k := range []LayerKind{Conv, Pool, Dropout, Dense} {
		s, _ := plotter.NewScatter(plotter.XYs{{}})
		s.GlyphStyle = draw.GlyphStyle{Color: hexColor(kindColor[k]), Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		l.Add(k.String()+" "+what, s)
	}
}

// decayFigure plots accuracy vs mix for the models: mean curves, bands of
// the range over seeds and, if reg, regression lines.
func decayFigure(name, title string, models []*Model, nmix int, reg bool) (*figure, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "mix (number of divergent labels)"
	p.Y.Label.Text = "test accuracy"
	p.X.Tick.Marker = mixTicker(nmix)
	p.X.Min, p.X.Max = 0, float64(max(nmix-1, 1))
	p.Y.Min, p.Y.Max = accBounds(models)
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	small := len(models) <= len(familyPalette) && models[0].Family == "mlp"
	for i, m := range models {
		c := hexColor(modelColor(m, i, len(models)))
		var mean, top, bot plotter.XYs
		for k := range nmix {
			a := m.MeanAcc(k)
			if math.IsNaN(a) {
				continue
			}
			lo, hi := m.accRange(k)
			mean = append(mean, plotter.XY{X: float64(k), Y: a})
			top = append(top, plotter.XY{X: float64(k), Y: hi})
			bot = append(bot, plotter.XY{X: float64(k), Y: lo})
		}
		if len(mean) == 0 {
			continue
		}
		if m.seeds() > 1 && len(top) > 1 {
			band := append(plotter.XYs{}, top...)
			for j := len(bot) - 1; j >= 0; j-- {
				band = append(band, bot[j])
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, fmt.Errorf("report: %s: %w", name, err)
			}
			poly.Color = withAlpha(c, 40)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, err := plotter.NewLine(mean)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", name, err)
		}
		line.Color = c
		line.Width = vg.Points(1.2)
		if !small {
			line.Width = vg.Points(0.6)
			line.Color = withAlpha(c, 170)
		}
		p.Add(line)
		if reg && !math.IsNaN(m.Slope) {
			f := plotter.NewFunction(func(x float64) float64 { return m.Intercept + m.Slope*x })
			f.Color = withAlpha(c, 110)
			f.Width = vg.Points(0.5)
			f.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			p.Add(f)
		}
		if small {
			leg.Add(specText(m), line)
		}
	}
	if !small {
		kindLegend(&leg, "first")
	}
	if reg {
		f := plotter.NewFunction(func(float64) float64 { return 0 })
		f.Color = color.Gray{Y: 100}
		f.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		leg.Add("least squares", f)
	}
	if seedsOf(models) > 1 {
		poly, _ := plotter.NewPolygon(plotter.XYs{{}, {X: 1}, {X: 1, Y: 1}})
		poly.Color = color.Gray{Y: 200}
		poly.LineStyle.Width = 0
		leg.Add("range over seeds", poly)
	}
	return &figure{name: name, plot: p, legend: &leg}, nil
}

// seedsOf returns the largest number of seeds of any model.
func seedsOf(models []*Model) int {
	n := 0
	for _, m := range models {
		n = max(n, m.seeds())
	}
	return n
}

// scatterFigure plots one glyph per model at xy with radius r (points).
func scatterFigure(name, title, xl, yl string, models []*Model, xy func(*Model) (x, y float64, ok bool), r func(*Model) vg.Length) (*figure, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xl
	p.Y.Label.Text = yl
	p.Add(plotter.NewGrid())
	var pts plotter.XYs
	var sel []*Model
	for _, m := range models {
		if x, y, ok := xy(m); ok {
			pts = append(pts, plotter.XY{X: x, Y: y})
			sel = append(sel, m)
		}
	}
	// Big glyphs first so small ones stay visible.
	idx := make([]int, len(sel))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return r(sel[idx[a]]) > r(sel[idx[b]]) })
	ordered := make(plotter.XYs, len(idx))
	om := make([]*Model, len(idx))
	for i, j := range idx {
		ordered[i], om[i] = pts[j], sel[j]
	}
	if len(ordered) > 0 {
		s, err := plotter.NewScatter(ordered)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", name, err)
		}
		s.GlyphStyleFunc = func(i int) draw.GlyphStyle {
			m := om[i]
			g := draw.GlyphStyle{Color: withAlpha(hexColor(kindColor[m.FirstKind()]), 200), Radius: r(m), Shape: draw.CircleGlyph{}}
			if m.Family == "mlp" {
				g.Shape = draw.RingGlyph{}
				g.Color = hexColor(kindColor[Dense])
			}
			return g
		}
		p.Add(s)
	}
	leg := plot.NewLegend()
	kindLegend(&leg, "first (CNN)")
	ring, _ := plotter.NewScatter(plotter.XYs{{}})
	ring.GlyphStyle = draw.GlyphStyle{Color: hexColor(kindColor[Dense]), Radius: vg.Points(3), Shape: draw.RingGlyph{}}
	leg.Add("MLP", ring)
	return &figure{name: name, plot: p, legend: &leg}, nil
}

// maxAccFigure plots max accuracy vs decay, circle radius = depth.
func maxAccFigure(models []*Model) (*figure, error) {
	rad := func(m *Model) vg.Length { return vg.Points(depthRadius(m.Depth) * 0.75) }
	f, err := scatterFigure("maxacc_decay", "Max accuracy vs decay (radius = depth)", "decay (slope of accuracy per mix)", "max accuracy",
		models, func(m *Model) (float64, float64, bool) {
			return m.Slope, m.MaxAcc, !math.IsNaN(m.Slope) && !math.IsNaN(m.MaxAcc)
		}, rad)
	if err != nil {
		return nil, err
	}
	maxDepth := 0
	for _, m := range models {
		maxDepth = max(maxDepth, m.Depth)
	}
	for d := 1; d <= maxDepth; d++ {
		if d > 2 && d < maxDepth && d%2 == 1 {
			continue
		}
		s, _ := plotter.NewScatter(plotter.XYs{{}})
		s.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 120}, Radius: rad(&Model{Depth: d}), Shape: draw.RingGlyph{}}
		f.legend.Add(fmt.Sprintf("depth %d", d), s)
	}
	return f, nil
}

// paramsFigure plots decay vs parameters (log scale), dot size = max
// accuracy.
func paramsFigure(models []*Model) (*figure, error) {
	a0, a1 := math.Inf(1), math.Inf(-1)
	for _, m := range models {
		if !math.IsNaN(m.MaxAcc) {
			a0, a1 = math.Min(a0, m.MaxAcc), math.Max(a1, m.MaxAcc)
		}
	}
	rad := func(m *Model) vg.Length {
		if !(a1 > a0) {
			return vg.Points(4)
		}
		return vg.Points(1.5 + 6*(m.MaxAcc-a0)/(a1-a0))
	}
	f, err := scatterFigure("params_decay", "Parameters vs decay (size = max accuracy)", "parameters", "decay (slope of accuracy per mix)",
		models, func(m *Model) (float64, float64, bool) {
			return float64(m.Params), m.Slope, m.Params > 0 && !math.IsNaN(m.Slope) && !math.IsNaN(m.MaxAcc)
		}, rad)
	if err != nil {
		return nil, err
	}
	f.plot.X.Scale = plot.LogScale{}
	f.plot.X.Tick.Marker = plot.LogTicks{Prec: -1}
	if a1 > a0 {
		for _, a := range []float64{a0, (a0 + a1) / 2, a1} {
			s, _ := plotter.NewScatter(plotter.XYs{{}})
			s.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 120}, Radius: rad(&Model{MaxAcc: a}), Shape: draw.RingGlyph{}}
			f.legend.Add(fmt.Sprintf("max acc %.3f", a), s)
		}
	}
	return f, nil
}

// figures builds every static figure the input supports.
func figures(in *Input) ([]*figure, error) {
	var mlps, cnns, all []*Model
	for i := range in.Models {
		m := &in.Models[i]
		all = append(all, m)
		if m.Family == "mlp" {
			mlps = append(mlps, m)
		} else {
			cnns = append(cnns, m)
		}
	}
	var out []*figure
	add := func(f *figure, err error) error {
		if err == nil {
			out = append(out, f)
		}
		return err
	}
	nmix := len(in.Mixes)
	if len(mlps) > 0 {
		if err := add(decayFigure("decay_mlp", "Decay curves, fully-connected networks", mlps, nmix, false)); err != nil {
			return nil, err
		}
	}
	if len(cnns) > 0 {
		if err := add(decayFigure("decay_cnn", "Decay curves, random CNNs", cnns, nmix, true)); err != nil {
			return nil, err
		}
	}
	if len(all) > 0 {
		if err := add(maxAccFigure(all)); err != nil {
			return nil, err
		}
		if err := add(paramsFigure(all)); err != nil {
			return nil, err
		}
	}
	if len(cnns) > 0 {
		out = append(out, archFigure(cnns))
	}
	if len(in.Perceptron) > 0 {
		out = append(out, weightsFigure(in.Perceptron))
	}
	return out, nil
}

// draw renders the figure onto a canvas of size figW×figH.
func (f *figure) draw(c vg.CanvasSizer) {
	dc := draw.New(c)
	if f.legend == nil {
		f.plot.Draw(dc)
		return
	}
	f.plot.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	f.legend.Top, f.legend.Left = true, true
	f.legend.Draw(draw.Crop(dc, figW-legendW, 0, 0, -vg.Points(8)))
}

// svg renders the figure as SVG.
func (f *figure) svg() ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(figW, figH))
	f.draw(c)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: %s.svg: %w", f.name, err)
	}
	return buf.Bytes(), nil
}

// png renders the figure as PNG at dpi dots per inch.
func (f *figure) png(dpi int) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(figW, figH), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	f.draw(c)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: %s.png: %w", f.name, err)
	}
	return buf.Bytes(), nil
}
