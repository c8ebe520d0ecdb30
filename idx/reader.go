package idx

import (
	"errors"
	"io"
)

// MaxItemBytes is the largest item (one image or label) a reader
// accepts: far above a 28×28 image, far below what a lying header could
// make a caller allocate.
const MaxItemBytes = 64 << 20

// Reader streams the items of an IDX file of unsigned bytes, one at a time
// (an item is one image of an images file, one label of a labels file),
// holding no more than one item in memory: for datasets too large to load.
type Reader struct {
	r      io.Reader
	h      Header
	size   int // bytes per item
	next   int // index of the next item
	closer io.Closer
}

// NewReader reads the header of an IDX file (gzipped or not) from r and
// returns a reader of its items. If r is an io.Closer, Close closes it.
func NewReader(r io.Reader) (*Reader, error) {
	dr, err := Decompress(r)
	if err != nil {
		return nil, formatError("%v", err)
	}
	h, err := ReadHeader(dr)
	if err != nil {
		return nil, err
	}
	_, size, err := h.check()
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: dr, h: h, size: int(size)}
	if c, ok := r.(io.Closer); ok {
		rd.closer = c
	}
	return rd, nil
}

// Header returns the file's header.
func (r *Reader) Header() Header { return r.h }

// Len returns the number of items the header announces.
func (r *Reader) Len() int { return r.h.Dims[0] }

// ItemSize returns the bytes of one item: the product of the dimensions
// after the first (1 for labels, rows·cols for images).
func (r *Reader) ItemSize() int { return r.size }

// Next fills item[:ItemSize()] with the next item. After the last item it
// checks that the file ends there and returns io.EOF; data that ends early
// or runs on is an error wrapping ErrFormat. It panics if item is shorter
// than ItemSize.
func (r *Reader) Next(item []byte) error {
	if len(item) < r.size {
		panic("idx: Reader.Next: item buffer too short")
	}
	if r.next >= r.Len() {
		if r.next == r.Len() {
			r.next++
			if err := expectEOF(r.r); err != nil {
				return err
			}
		}
		return io.EOF
	}
	if _, err := io.ReadFull(r.r, item[:r.size]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return formatError("truncated: item %d of %d is missing", r.next, r.Len())
		}
		return formatError("item %d: %v", r.next, err)
	}
	r.next++
	return nil
}

// Close closes the underlying reader if it is an io.Closer.
func (r *Reader) Close() error {
	if r.closer != nil {
		c := r.closer
		r.closer = nil
		return c.Close()
	}
	return nil
}
