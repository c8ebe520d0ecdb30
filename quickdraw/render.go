package quickdraw

import "math"

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
	// renderSS is the supersampling factor per axis: coverage of each
	// pixel is estimated from renderSS×renderSS sample points.
	renderSS = 8
)

// Render draws a simplified drawing into img[:784] as a 28×28 grayscale
// image (row-major, 0 = background, 255 = ink), the way the official
// numpy_bitmap files are made from the simplified strokes (see the
// package documentation for the geometry and how close it gets). Each
// pixel's value is round(255 × the fraction of the pixel covered by the
// union of the stroke lines), the coverage estimated on an 8×8 grid of
// sample points per pixel. It panics if len(img) < 784.
func Render(d Drawing, img []byte) {
	if len(img) < Pixels {
		panic("quickdraw: Render: image shorter than 784 bytes")
	}
	var r renderer
	r.render(d, img[:Pixels])
}

// renderer holds the supersampled coverage grid of one drawing.
type renderer struct {
	grid [Side * renderSS * Side * renderSS]bool
}

func (r *renderer) render(d Drawing, img []byte) {
	const n = Side * renderSS
	clear(r.grid[:])
	var maxX, maxY uint8
	for _, s := range d.Strokes {
		for i := range s.X {
			maxX = max(maxX, s.X[i])
			maxY = max(maxY, s.Y[i])
		}
	}
	total := renderSide + 2*renderPadding + renderLine
	scale := float64(n) / total // sample units per drawing unit
	shift := (renderPadding + renderLine/2)
	offX := (renderSide-float64(maxX))/2 + shift
	offY := (renderSide-float64(maxY))/2 + shift
	rad := renderLine / 2 * scale
	// Sample (i, j) sits at the centre of its sub-pixel: (i+0.5, j+0.5).
	pt := func(s Stroke, k int) (float64, float64) {
		return (float64(s.X[k]) + offX) * scale, (float64(s.Y[k]) + offY) * scale
	}
	for _, s := range d.Strokes {
		if len(s.X) == 1 {
			x, y := pt(s, 0)
			r.capsule(x, y, x, y, rad)
			continue
		}
		for k := 1; k < len(s.X); k++ {
			x0, y0 := pt(s, k-1)
			x1, y1 := pt(s, k)
			r.capsule(x0, y0, x1, y1, rad)
		}
	}
	for py := 0; py < Side; py++ {
		for px := 0; px < Side; px++ {
			c := 0
			for sy := 0; sy < renderSS; sy++ {
				row := r.grid[(py*renderSS+sy)*n+px*renderSS:]
				for sx := 0; sx < renderSS; sx++ {
					if row[sx] {
						c++
					}
				}
			}
			img[py*Side+px] = uint8((c*255 + renderSS*renderSS/2) / (renderSS * renderSS))
		}
	}
}

// capsule marks every sample within distance rad of the segment (x0,y0)–(x1,y1).
func (r *renderer) capsule(x0, y0, x1, y1, rad float64) {
	const n = Side * renderSS
	lo := func(v float64) int { return max(0, int(math.Floor(v-0.5))) }
	hi := func(v float64) int { return min(n-1, int(math.Ceil(v-0.5))) }
	ix0, ix1 := lo(min(x0, x1)-rad), hi(max(x0, x1)+rad)
	iy0, iy1 := lo(min(y0, y1)-rad), hi(max(y0, y1)+rad)
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	r2 := rad * rad
	for iy := iy0; iy <= iy1; iy++ {
		py := float64(iy) + 0.5 - y0
		row := r.grid[iy*n:]
		for ix := ix0; ix <= ix1; ix++ {
			if row[ix] {
				continue
			}
			px := float64(ix) + 0.5 - x0
			t := 0.0
			if l2 > 0 {
				t = min(1, max(0, (px*dx+py*dy)/l2))
			}
			ex, ey := px-t*dx, py-t*dy
			if ex*ex+ey*ey <= r2 {
				row[ix] = true
			}
		}
	}
}
