package quickdraw

import (
	"math"
	"slices"
	"sync"
)

// Geometry of the official rendering of simplified drawings to 28×28
// bitmaps, as published by the dataset's maintainers in
// github.com/googlecreativelab/quickdraw-dataset issue #19 (the
// vector_to_raster function): the strokes, in a 256-unit square, are
// centred (offset (256 - max)/2 on each axis), padded by
// renderPadding + renderLine/2 units on every side, scaled so the
// 256 + 2*renderPadding + renderLine units span 28 pixels, and stroked
// with anti-aliased lines renderLine units wide with round caps and joins.
const (
	renderSide    = 256.0
	renderLine    = 16.0
	renderPadding = 16.0
	// renderSS is the number of sample rows per pixel row, sampled at
	// their centres, as in cairo's scan converter (GRID_Y = 15). Along each
	// sample row the covered length is computed exactly.
	renderSS = 15
)

// Render draws a simplified drawing into img[:784] as a 28×28 grayscale
// image (row-major, 0 = background, 255 = ink), the way the official
// numpy_bitmap files are made from the simplified strokes (see the package
// documentation for the geometry and how close it gets). Each pixel's value
// is built as cairo builds it: each stroke covers the fraction s of the
// pixel inside the union of its line segments, each swept by cairo's
// 12-sided pen (exact along x, sampled on 15 rows per pixel along y), and strokes are composited in order, in 8 bits,
// c ← m + c·(255 − m)/255 with m = round(255·s). It panics if len(img) < 784.
func Render(d Drawing, img []byte) {
	if len(img) < Pixels {
		panic("quickdraw: Render: image shorter than 784 bytes")
	}
	r := rendererPool.Get().(*renderer)
	r.render(d, img[:Pixels])
	rendererPool.Put(r)
}

var rendererPool = sync.Pool{New: func() any { return new(renderer) }}

// span is a covered interval [a, b] of one sample row, in pixel units.
type span struct{ a, b float64 }

// renderer holds, for each sample row, the intervals the strokes cover.
type renderer struct {
	rows   [Side * renderSS][]span
	lo, hi int             // sample rows touched by the current stroke
	stroke [Pixels]float64 // coverage of the current stroke
	cov    [Pixels]uint8   // the image so far
}

func (r *renderer) render(d Drawing, img []byte) {
	for i := range r.rows {
		r.rows[i] = r.rows[i][:0]
	}
	clear(r.cov[:])
	var maxX, maxY uint8
	for _, s := range d.Strokes {
		for i := range s.X {
			maxX = max(maxX, s.X[i])
			maxY = max(maxY, s.Y[i])
		}
	}
	// Work in pixel units.
	scale := Side / (renderSide + 2*renderPadding + renderLine)
	shift := renderPadding + renderLine/2
	offX := (renderSide-float64(maxX))/2 + shift
	offY := (renderSide-float64(maxY))/2 + shift
	rad := renderLine / 2 * scale
	pt := func(s Stroke, k int) (float64, float64) {
		return (float64(s.X[k]) + offX) * scale, (float64(s.Y[k]) + offY) * scale
	}
	// Each stroke is the union of its segments' capsules (one cairo
	// stroke() call); strokes are then composited one over the other as
	// cairo's OVER operator does: c ← c + s·(1 − c).
	for _, s := range d.Strokes {
		r.lo, r.hi = len(r.rows), -1
		if len(s.X) == 1 {
			x, y := pt(s, 0)
			r.capsule(x, y, x, y, rad)
		}
		for k := 1; k < len(s.X); k++ {
			x0, y0 := pt(s, k-1)
			x1, y1 := pt(s, k)
			r.capsule(x0, y0, x1, y1, rad)
		}
		r.flushStroke()
	}
	copy(img, r.cov[:])
}

// flushStroke turns the spans of one stroke into pixel coverage and
// composites it over the coverage so far.
func (r *renderer) flushStroke() {
	if r.hi < r.lo {
		return
	}
	const w = 1.0 / renderSS // weight of one sample row
	pyLo, pyHi := r.lo/renderSS, r.hi/renderSS
	clear(r.stroke[pyLo*Side : (pyHi+1)*Side])
	for iy := r.lo; iy <= r.hi; iy++ {
		row := r.rows[iy]
		if len(row) == 0 {
			continue
		}
		slices.SortFunc(row, func(p, q span) int {
			switch {
			case p.a < q.a:
				return -1
			case p.a > q.a:
				return 1
			}
			return 0
		})
		cov := r.stroke[(iy/renderSS)*Side:][:Side]
		a, b := row[0].a, row[0].b
		for _, s := range row[1:] {
			if s.a <= b {
				b = max(b, s.b)
				continue
			}
			addSpan(cov, a, b, w)
			a, b = s.a, s.b
		}
		addSpan(cov, a, b, w)
		r.rows[iy] = row[:0]
	}
	// 8-bit OVER of white through the stroke's coverage mask m:
	// d ← m + d·(255 − m)/255, the product rounded as pixman's MUL_UN8.
	for i := pyLo * Side; i < (pyHi+1)*Side; i++ {
		m := int(math.Round(255 * min(1, r.stroke[i])))
		t := int(r.cov[i])*(255-m) + 0x80
		r.cov[i] = uint8(m + ((t>>8)+t)>>8)
	}
}

// addSpan adds w times the length of [a, b] ∩ pixel to each pixel of a row.
func addSpan(cov []float64, a, b, w float64) {
	a, b = max(a, 0), min(b, Side)
	if b <= a {
		return
	}
	for px := int(a); px < Side && float64(px) < b; px++ {
		lo, hi := max(a, float64(px)), min(b, float64(px+1))
		if hi > lo {
			cov[px] += w * (hi - lo)
		}
	}
}

// capsule records, on every sample row it crosses, the interval covered by
// the pen swept along the segment (x0,y0)–(x1,y1): a rectangle of half-width
// rad and, at each end, the pen polygon (see penSides). The union is
// convex, so each row meets it in one interval, the span of the pieces'
// intervals.
func (r *renderer) capsule(x0, y0, x1, y1, rad float64) {
	lo := max(0, int(math.Ceil((min(y0, y1)-rad)*renderSS-0.5)))
	hi := min(len(r.rows)-1, int(math.Floor((max(y0, y1)+rad)*renderSS-0.5)))
	dx, dy := x1-x0, y1-y0
	l := math.Hypot(dx, dy)
	var nx, ny float64
	if l > 0 {
		nx, ny = -dy/l*rad, dx/l*rad
	}
	// Rectangle corners, in order around it.
	quad := [4][2]float64{{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x1 - nx, y1 - ny}, {x0 - nx, y0 - ny}}
	r2 := rad * rad
	for iy := lo; iy <= hi; iy++ {
		yc := (float64(iy) + 0.5) / renderSS
		a, b := math.Inf(1), math.Inf(-1)
		// The pen at both ends (plain comparisons: no NaN handling).
		if e := yc - y0; e*e <= r2 {
			h := penHalf(e, rad)
			a, b = x0-h, x0+h
		}
		if e := yc - y1; e*e <= r2 {
			h := penHalf(e, rad)
			if x1-h < a {
				a = x1 - h
			}
			if x1+h > b {
				b = x1 + h
			}
		}
		if l > 0 {
			for k := range 4 {
				p, q := &quad[k], &quad[(k+1)&3]
				py, qy := p[1], q[1]
				if py > qy {
					p, q = q, p
					py, qy = qy, py
				}
				if yc < py || yc > qy {
					continue
				}
				var xa, xb float64
				if py == qy {
					xa, xb = p[0], q[0]
				} else {
					xa = p[0] + (yc-py)/(qy-py)*(q[0]-p[0])
					xb = xa
				}
				if xa > xb {
					xa, xb = xb, xa
				}
				if xa < a {
					a = xa
				}
				if xb > b {
					b = xb
				}
			}
		}
		if a < b {
			r.rows[iy] = append(r.rows[iy], span{a, b})
			r.lo, r.hi = min(r.lo, iy), max(r.hi, iy)
		}
	}
}

// penSides is the number of sides of the polygon cairo draws for a round
// pen of radius 0.74 pixel at its default tolerance of 0.1 pixel:
// ceil(2π / acos(1 − 0.1/0.7368)) = 12, vertices at angles 2πk/12.
const penSides = 12

// penHalf returns the half-width at height e of the pen polygon of radius rad
// (vertices at angles 2πk/penSides, so one vertex points along +x).
func penHalf(e, rad float64) float64 {
	e = math.Abs(e) / rad
	if e >= 1 {
		return 0
	}
	for k := 0; k < penSides/4; k++ {
		t0, t1 := 2*math.Pi*float64(k)/penSides, 2*math.Pi*float64(k+1)/penSides
		s0, s1 := math.Sin(t0), math.Sin(t1)
		if e <= s1 {
			c0, c1 := math.Cos(t0), math.Cos(t1)
			return rad * (c0 + (e-s0)/(s1-s0)*(c1-c0))
		}
	}
	return 0
}
