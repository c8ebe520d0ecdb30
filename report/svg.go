package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// esc escapes s for use as SVG/HTML text or a quoted attribute value.
func esc(s string) string { return html.EscapeString(s) }

// num formats a coordinate compactly (two decimals at most).
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// svgBuf builds an SVG document. Every string from data goes through esc.
type svgBuf struct {
	strings.Builder
}

func (b *svgBuf) p(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

// scale maps a data interval onto a pixel interval, linearly or in log10.
type scale struct {
	d0, d1 float64 // data
	p0, p1 float64 // pixels
	log    bool
}

func (s scale) at(v float64) float64 {
	d0, d1 := s.d0, s.d1
	if s.log {
		v, d0, d1 = math.Log10(v), math.Log10(d0), math.Log10(d1)
	}
	if d1 == d0 {
		return (s.p0 + s.p1) / 2
	}
	return s.p0 + (v-d0)/(d1-d0)*(s.p1-s.p0)
}

// ticks returns about n round tick values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var t []float64
	for v := math.Ceil(lo/step-1e-9) * step; v <= hi+step*1e-9; v += step {
		t = append(t, math.Round(v/step)*step)
	}
	return t
}

// logTicks returns the powers of ten within [lo, hi].
func logTicks(lo, hi float64) []float64 {
	var t []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		v := math.Pow(10, e)
		if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			t = append(t, v)
		}
	}
	return t
}

// fmtTick formats a tick label.
func fmtTick(v float64, log bool) string {
	if log {
		switch {
		case v >= 1e6:
			return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
		case v >= 1e3:
			return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
		}
	}
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// frame is a chart's plotting area with its axes.
type frame struct {
	w, h           float64
	x, y           scale
	xLabel, yLabel string
	xTicks         []float64
	xTickText      func(float64) string
}

// newFrame lays out a w×h chart with the given data ranges.
func newFrame(w, h float64, x0, x1, y0, y1 float64, xlog, ylog bool) *frame {
	const left, right, top, bottom = 56, 14, 12, 44
	return &frame{
		w: w, h: h,
		x: scale{d0: x0, d1: x1, p0: left, p1: w - right, log: xlog},
		y: scale{d0: y0, d1: y1, p0: h - bottom, p1: top, log: ylog},
	}
}

// open writes the svg element and the axes; the caller closes it with close.
func (f *frame) open(b *svgBuf, id, class, ariaLabel string) {
	b.p(`<svg id="%s" class="chart %s" viewBox="0 0 %s %s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), esc(class), num(f.w), num(f.h), esc(ariaLabel))
	b.p(`<g class="axis">`)
	yt := ticks(f.y.d0, f.y.d1, 5)
	if f.y.log {
		yt = logTicks(f.y.d0, f.y.d1)
	}
	for _, v := range yt {
		y := f.y.at(v)
		b.p(`<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(f.x.p0), num(f.x.p1), num(y), num(y))
		b.p(`<text x="%s" y="%s" text-anchor="end" dy="0.32em">%s</text>`, num(f.x.p0-6), num(y), esc(fmtTick(v, f.y.log)))
	}
	xt := f.xTicks
	if xt == nil {
		xt = ticks(f.x.d0, f.x.d1, 6)
		if f.x.log {
			xt = logTicks(f.x.d0, f.x.d1)
		}
	}
	for _, v := range xt {
		x := f.x.at(v)
		b.p(`<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(x), num(x), num(f.y.p0), num(f.y.p1))
		s := fmtTick(v, f.x.log)
		if f.xTickText != nil {
			s = f.xTickText(v)
		}
		b.p(`<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(x), num(f.y.p0+16), esc(s))
	}
	b.p(`<line class="frame" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(f.x.p0), num(f.x.p1), num(f.y.p0), num(f.y.p0))
	b.p(`<line class="frame" x1="%s" x2="%s" y1="%s" y2="%s"/>`, num(f.x.p0), num(f.x.p0), num(f.y.p0), num(f.y.p1))
	b.p(`<text class="label" x="%s" y="%s" text-anchor="middle">%s</text>`, num((f.x.p0+f.x.p1)/2), num(f.h-6), esc(f.xLabel))
	b.p(`<text class="label" transform="translate(12 %s) rotate(-90)" text-anchor="middle">%s</text>`, num((f.y.p0+f.y.p1)/2), esc(f.yLabel))
	b.p(`</g>`)
}

func (f *frame) close(b *svgBuf) { b.p(`</svg>`) }

// clipRect returns a clip-path definition for the plotting area.
func (f *frame) clipDef(b *svgBuf, id string) {
	b.p(`<defs><clipPath id="%s"><rect x="%s" y="%s" width="%s" height="%s"/></clipPath></defs>`,
		esc(id), num(f.x.p0), num(f.y.p1), num(f.x.p1-f.x.p0), num(f.y.p0-f.y.p1))
}
