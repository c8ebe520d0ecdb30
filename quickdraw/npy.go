package quickdraw

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Side is the side of a QuickDraw bitmap in pixels; Pixels = Side*Side is
// the length of one row of a numpy_bitmap file.
const (
	Side   = 28
	Pixels = Side * Side
)

// npyMagic opens every .npy file (numpy.lib.format).
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header length that a reader accepts. NumPy itself
// refuses headers over 10,000 bytes by default (max_header_size); the
// official files have 118-byte headers.
const maxNPYHeader = 1 << 16

// npyHeader is what the header of a .npy file says about its array.
type npyHeader struct {
	rows       int64 // first dimension of the shape
	dataOffset int64 // bytes before the first row: magic, version, length field, dict
}

// size is the total length in bytes of a well-formed file with this header.
func (h npyHeader) size() int64 { return h.dataOffset + h.rows*Pixels }

// readNPYHeader reads and checks the header of a .npy file holding QuickDraw
// bitmaps: dtype uint8, C order, shape (N, 784) or (N, 28, 28).
//
// Format (numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// the 6-byte magic "\x93NUMPY", a major and a minor version byte, the header
// length as little-endian uint16 (version 1.0) or uint32 (2.0 and 3.0), then
// the header: an ASCII (UTF-8 in 3.0) Python dict literal with the keys
// 'descr', 'fortran_order' and 'shape', padded with spaces and ended by '\n'.
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return npyHeader{}, fmt.Errorf("reading magic: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, fmt.Errorf("not a .npy file (bad magic %q)", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen, off int64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return npyHeader{}, fmt.Errorf("reading header length: %w", noEOF(err))
		}
		hlen, off = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, fmt.Errorf("reading header length: %w", noEOF(err))
		}
		hlen, off = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return npyHeader{}, fmt.Errorf("unsupported .npy format version %d.%d", major, minor)
	}
	if hlen > maxNPYHeader {
		return npyHeader{}, fmt.Errorf("header length %d exceeds %d bytes", hlen, maxNPYHeader)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return npyHeader{}, fmt.Errorf("reading %d-byte header: %w", hlen, noEOF(err))
	}
	rows, err := parseNPYDict(string(buf))
	if err != nil {
		return npyHeader{}, err
	}
	return npyHeader{rows: rows, dataOffset: off + hlen}, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: a header cut short is truncated.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maxRows bounds the row count a header may claim (2^40 rows of 784 bytes
// is far beyond any real file). Nothing is allocated in proportion to it.
const maxRows = 1 << 40

// parseNPYDict checks the header dict and returns the number of rows.
func parseNPYDict(s string) (int64, error) {
	p := &pyParser{s: s}
	v, err := p.value()
	if err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	p.space()
	if p.i != len(s) {
		return 0, fmt.Errorf("header: trailing data at byte %d", p.i)
	}
	d, ok := v.(map[string]any)
	if !ok {
		return 0, errors.New("header is not a dict")
	}
	descr, ok := d["descr"].(string)
	if !ok {
		return 0, errors.New("header: missing 'descr'")
	}
	switch descr {
	case "|u1", "<u1", ">u1", "=u1", "u1", "|B", "B":
	default:
		return 0, fmt.Errorf("dtype %q, want uint8 ('|u1')", descr)
	}
	fo, ok := d["fortran_order"].(bool)
	if !ok {
		return 0, errors.New("header: missing 'fortran_order'")
	}
	if fo {
		return 0, errors.New("fortran_order is True, want C order")
	}
	shape, ok := d["shape"].([]int64)
	if !ok {
		return 0, errors.New("header: missing 'shape'")
	}
	switch {
	case len(shape) == 2 && shape[1] == Pixels:
	case len(shape) == 3 && shape[1] == Side && shape[2] == Side:
	default:
		return 0, fmt.Errorf("shape %s, want (N, %d)", fmtShape(shape), Pixels)
	}
	if shape[0] < 0 || shape[0] > maxRows {
		return 0, fmt.Errorf("shape %s: row count out of range", fmtShape(shape))
	}
	return shape[0], nil
}

func fmtShape(s []int64) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.FormatInt(v, 10)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// pyParser parses the subset of Python literals found in .npy headers:
// dicts with string keys, strings, True/False, integers and tuples of integers.
type pyParser struct {
	s     string
	i     int
	depth int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) errf(format string, a ...any) error {
	return fmt.Errorf("byte %d: "+format, append([]any{p.i}, a...)...)
}

func (p *pyParser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end")
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 8 {
		return nil, p.errf("nested too deeply")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict()
	case c == '(':
		return p.tuple()
	case c == '\'' || c == '"':
		return p.str()
	case c >= '0' && c <= '9':
		return p.int()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	default:
		return nil, p.errf("unexpected %q", c)
	}
}

func (p *pyParser) dict() (any, error) {
	p.i++ // {
	d := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errf("dict key is not a string")
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("expected ':'")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if _, dup := d[key]; dup {
			return nil, p.errf("duplicate key %q", key)
		}
		d[key] = v
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		return nil, p.errf("expected ',' or '}'")
	}
}

func (p *pyParser) tuple() (any, error) {
	p.i++ // (
	t := []int64{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			return t, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n, ok := v.(int64)
		if !ok {
			return nil, p.errf("tuple element is not an integer")
		}
		if len(t) == 32 {
			return nil, p.errf("tuple too long")
		}
		t = append(t, n)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			return t, nil
		}
		return nil, p.errf("expected ',' or ')'")
	}
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return nil, p.errf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.IndexByte(v, '\\') >= 0 {
		return nil, p.errf("escapes in strings are not supported")
	}
	p.i += j + 2
	return v, nil
}

func (p *pyParser) int() (any, error) {
	j := p.i
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return nil, p.errf("integer %q out of range", p.s[p.i:j])
	}
	p.i = j
	if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long suffix
		p.i++
	}
	return n, nil
}

// BitmapReader streams the rows of a numpy_bitmap .npy file, one 28×28
// drawing at a time, holding only a small read buffer in memory.
type BitmapReader struct {
	r     io.Reader
	c     io.Closer
	name  string
	total int64
	rows  int
	next  int
}

// NewBitmapReader reads the .npy header from r and returns a reader of its
// first limit rows (all rows when limit ≤ 0). name identifies the file in
// errors. If r is an io.Closer, Close closes it.
func NewBitmapReader(r io.Reader, name string, limit int) (*BitmapReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	h, err := readNPYHeader(br)
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", name, err)
	}
	rows := h.rows
	if limit > 0 && int64(limit) < rows {
		rows = int64(limit)
	}
	b := &BitmapReader{r: br, name: name, total: h.rows, rows: int(rows)}
	if c, ok := r.(io.Closer); ok {
		b.c = c
	}
	return b, nil
}

// Rows returns the number of rows the reader yields: the smaller of the
// file's row count and the limit.
func (b *BitmapReader) Rows() int { return b.rows }

// Total returns the row count that the file's header declares.
func (b *BitmapReader) Total() int64 { return b.total }

// Next fills img[:784] with the next drawing (row-major, 0 = background,
// 255 = ink). It returns io.EOF after the last row, and an error naming the
// file and row when the data ends early. It panics if len(img) < 784.
func (b *BitmapReader) Next(img []byte) error {
	if len(img) < Pixels {
		panic("quickdraw: BitmapReader.Next: image shorter than 784 bytes")
	}
	if b.next >= b.rows {
		return io.EOF
	}
	if _, err := io.ReadFull(b.r, img[:Pixels]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("npy: %s: truncated at row %d of %d", b.name, b.next, b.total)
		}
		return fmt.Errorf("npy: %s: row %d: %w", b.name, b.next, err)
	}
	b.next++
	return nil
}

// Close closes the underlying reader if it is an io.Closer.
func (b *BitmapReader) Close() error {
	if b.c != nil {
		c := b.c
		b.c = nil
		return c.Close()
	}
	return nil
}
