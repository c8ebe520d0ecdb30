package report

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// rects is a plotter of filled rectangles in data coordinates.
type rects []rect

type rect struct {
	x0, y0, x1, y1 float64
	c              color.Color
}

func (rs rects) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, r := range rs {
		x0, x1, y0, y1 := tx(r.x0), tx(r.x1), ty(r.y0), ty(r.y1)
		c.FillPolygon(r.c, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	}
}

func (rs rects) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, r := range rs {
		xmin, xmax = math.Min(xmin, math.Min(r.x0, r.x1)), math.Max(xmax, math.Max(r.x0, r.x1))
		ymin, ymax = math.Min(ymin, math.Min(r.y0, r.y1)), math.Max(ymax, math.Max(r.y0, r.y1))
	}
	return
}

// archFigure draws the models as columns of colour-coded layers (input
// side on top, the output layer grey), sorted by max accuracy, best left,
// with a bar of each model's max accuracy above its column.
func archFigure(models []*Model) *figure {
	order := make([]*Model, len(models))
	copy(order, models)
	sort.SliceStable(order, func(i, j int) bool {
		ai, aj := order[i].MaxAcc, order[j].MaxAcc
		if math.IsNaN(aj) {
			return !math.IsNaN(ai)
		}
		return ai > aj
	})
	const barH = 3.0 // the accuracy bar's height for accuracy 1, in layer rows
	var rs rects
	depth := 0
	for i, m := range order {
		x0, x1 := float64(i)+0.05, float64(i)+0.95
		if a := m.MaxAcc; !math.IsNaN(a) {
			rs = append(rs, rect{x0, 0.3, x1, 0.3 + barH*math.Max(0, math.Min(1, a)), color.Gray{Y: 140}})
		}
		for j, l := range m.Layers {
			rs = append(rs, rect{x0, -float64(j) - 0.05, x1, -float64(j) - 0.95, hexColor(kindColor[l.Kind])})
		}
		j := len(m.Layers)
		rs = append(rs, rect{x0, -float64(j) - 0.05, x1, -float64(j) - 0.95, color.Gray{Y: 190}})
		depth = max(depth, j+1)
	}
	p := plot.New()
	p.Title.Text = "Architectures, sorted by max accuracy"
	p.X.Label.Text = "models, best max accuracy first"
	p.X.Tick.Marker = plot.ConstantTicks{}
	p.X.Min, p.X.Max = 0, float64(max(len(order), 1))
	p.Y.Min, p.Y.Max = -float64(depth), 0.3+barH
	var ticks []plot.Tick
	for j := range depth - 1 {
		ticks = append(ticks, plot.Tick{Value: -float64(j) - 0.5, Label: fmt.Sprintf("layer %d", j+1)})
	}
	for _, a := range []float64{0, 0.5, 1} {
		ticks = append(ticks, plot.Tick{Value: 0.3 + barH*a, Label: fmt.Sprintf("acc %.1f", a)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Add(rs)
	leg := plot.NewLegend()
	for _, k := range []LayerKind{Conv, Pool, Dropout, Dense} {
		poly, _ := plotter.NewPolygon(plotter.XYs{{}, {X: 1}, {X: 1, Y: 1}})
		poly.Color = hexColor(kindColor[k])
		poly.LineStyle.Width = 0
		leg.Add(k.String(), poly)
	}
	out, _ := plotter.NewPolygon(plotter.XYs{{}, {X: 1}, {X: 1, Y: 1}})
	out.Color = color.Gray{Y: 190}
	out.LineStyle.Width = 0
	leg.Add("output layer", out)
	return &figure{name: "architectures", plot: p, legend: &leg}
}

// weightsFigure draws the perceptron's positive weights as 28×28 images,
// classes (rows) × mixes (columns).
func weightsFigure(ws []PerceptronWeights) *figure {
	p := plot.New()
	p.Title.Text = "Perceptron: positive weights, classes × mixes"
	p.X.Label.Text = "mix"
	p.Y.Label.Text = "class (slot)"
	var xt, yt []plot.Tick
	classes := 0
	for k, w := range ws {
		for c, cw := range w.Classes {
			p.Add(plotter.NewImage(weightImage(cw), float64(k)+0.04, -float64(c)-0.96, float64(k)+0.96, -float64(c)-0.04))
			classes = max(classes, c+1)
		}
		xt = append(xt, plot.Tick{Value: float64(k) + 0.5, Label: shortMix(w.Mix)})
	}
	for c := range classes {
		yt = append(yt, plot.Tick{Value: -float64(c) - 0.5, Label: fmt.Sprint(c)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Min, p.X.Max = 0, float64(len(ws))
	p.Y.Min, p.Y.Max = -float64(classes), 0
	return &figure{name: "perceptron_weights", plot: p}
}
