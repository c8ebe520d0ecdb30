package quickdraw

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoCategory is wrapped by the error Images returns when the source holds
// the category in neither format.
var ErrNoCategory = errors.New("category not in source")

// ImageReader streams 28×28 drawings, one row of 784 bytes at a time
// (row-major, 0 = background, 255 = ink).
type ImageReader interface {
	// Rows returns the number of images the reader will yield, or -1 when
	// it is not known in advance (rendered strokes: the .ndjson file is
	// not counted before reading).
	Rows() int
	// Next fills img[:784] with the next image; io.EOF after the last.
	Next(img []byte) error
	// Close releases the underlying file or connection.
	Close() error
}

// Images returns the first limit drawings of a category as 28×28 images
// (all when limit ≤ 0): the official bitmaps where the source has them,
// otherwise the simplified strokes drawn with Render. The returned Format
// says which. A category the source lacks gives an error wrapping
// ErrNoCategory.
func Images(ctx context.Context, src Source, category string, limit int) (ImageReader, Format, error) {
	ok, err := src.Has(ctx, category, Bitmap)
	if err != nil {
		return nil, Bitmap, err
	}
	if ok {
		r, err := src.Bitmaps(ctx, category, limit)
		if err != nil {
			return nil, Bitmap, err
		}
		return r, Bitmap, nil
	}
	ok, err = src.Has(ctx, category, Simplified)
	if err != nil {
		return nil, Simplified, err
	}
	if !ok {
		return nil, Bitmap, fmt.Errorf("quickdraw: %s: category %q has neither %s nor %s: %w",
			src, category, Bitmap.relPath(category), Simplified.relPath(category), ErrNoCategory)
	}
	sr, err := src.Strokes(ctx, category, limit)
	if err != nil {
		return nil, Simplified, err
	}
	return &renderReader{sr: sr}, Simplified, nil
}

// renderReader turns a StrokeReader into an ImageReader with Render.
type renderReader struct {
	sr *StrokeReader
}

func (r *renderReader) Rows() int { return -1 }

func (r *renderReader) Next(img []byte) error {
	d, err := r.sr.Next()
	if err != nil {
		return err
	}
	Render(d, img)
	return nil
}

func (r *renderReader) Close() error { return r.sr.Close() }
