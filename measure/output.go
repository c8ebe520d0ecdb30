package measure

import (
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/fluens-lab/fluens/quickdraw"
)

// WriteCSV writes one row per result under the header
// name,format,drawings,entropy,variance,[more…,]rank. format is "bitmap" or
// "strokes"; the measures are written with the shortest representation
// that reads back to the same float64. The columns between variance and
// rank are the names of Result.Scores held by any result, sorted; a
// result without a score (not computed, or a training-based measure of a
// category with too few drawings) has an empty cell.
func WriteCSV(w io.Writer, ranked []Result) error {
	cw := csv.NewWriter(w)
	extra := map[string]bool{}
	for _, r := range ranked {
		for k := range r.Scores {
			extra[k] = true
		}
	}
	more := slices.Sorted(maps.Keys(extra))
	head := append([]string{"name", "format", "drawings", "entropy", "variance"}, more...)
	if err := cw.Write(append(head, "rank")); err != nil {
		return err
	}
	for _, r := range ranked {
		rec := []string{
			r.Category,
			r.Format.String(),
			strconv.Itoa(r.Drawings),
			strconv.FormatFloat(r.Entropy, 'g', -1, 64),
			strconv.FormatFloat(r.Variance, 'g', -1, 64),
		}
		for _, k := range more {
			v, ok := r.Scores[k]
			if !ok || math.IsNaN(v) {
				rec = append(rec, "")
				continue
			}
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		rec = append(rec, strconv.Itoa(r.Rank))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteAveragePNG writes a 784-pixel average image as a 28×28 8-bit
// grayscale PNG, as is: 0 (background) black, 255 (ink) white, like the
// bitmaps themselves; each value is rounded to the nearest level and
// clamped to 0–255. The image is not normalized by its maximum.
func WriteAveragePNG(w io.Writer, avg []float64) error {
	if len(avg) != quickdraw.Pixels {
		return fmt.Errorf("measure: average image has %d pixels, want %d", len(avg), quickdraw.Pixels)
	}
	img := image.NewGray(image.Rect(0, 0, quickdraw.Side, quickdraw.Side))
	for i, v := range avg {
		img.SetGray(i%quickdraw.Side, i/quickdraw.Side, color.Gray{Y: uint8(math.Round(min(255, max(0, v))))})
	}
	return png.Encode(w, img)
}
