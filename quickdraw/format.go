package quickdraw

import "fmt"

// Format is the form in which a category's drawings are stored.
type Format int

const (
	// Bitmap is the official numpy_bitmap form: <category>.npy, uint8
	// rows of 28×28 pixels.
	Bitmap Format = iota
	// Simplified is the official simplified stroke form:
	// <category>.ndjson, one drawing a line, strokes in 0–255 space.
	Simplified
)

// String returns "bitmap" or "strokes".
func (f Format) String() string {
	switch f {
	case Bitmap:
		return "bitmap"
	case Simplified:
		return "strokes"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// dir is the folder of the official layout that holds files of this format.
func (f Format) dir() string {
	if f == Bitmap {
		return "numpy_bitmap"
	}
	return "simplified"
}

// ext is the file extension of this format, with its dot.
func (f Format) ext() string {
	if f == Bitmap {
		return ".npy"
	}
	return ".ndjson"
}

// relPath is the slash-separated path of a category's file in the official layout.
func (f Format) relPath(category string) string {
	return f.dir() + "/" + category + f.ext()
}
