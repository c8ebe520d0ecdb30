package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Magic numbers of the two MNIST files, from the IDX description on
// http://yann.lecun.com/exdb/mnist/: two zero bytes, the data type (0x08 =
// unsigned byte) and the number of dimensions.
const (
	MagicImages = 0x00000803 // 2051: unsigned bytes, 3 dimensions (count, rows, cols)
	MagicLabels = 0x00000801 // 2049: unsigned bytes, 1 dimension (count)
)

// typeUbyte is the IDX type code of unsigned bytes, the only one fluens reads.
const typeUbyte = 0x08

// MaxDataBytes is the most data (after decompression) that a reader accepts
// from one IDX file, whatever its header claims: 4 GiB, enough for 5 million
// 28×28 images. Readers grow their buffers only as data arrives, so a header
// claiming more than the file holds costs no memory, and a gzip bomb stops
// at this cap.
var MaxDataBytes int64 = 4 << 30

// ErrFormat is wrapped by every error about malformed IDX data.
var ErrFormat = errors.New("not a valid IDX file")

// formatError returns an error wrapping ErrFormat with a message.
func formatError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Header is the header of an IDX file: its data type code and dimensions.
type Header struct {
	Type byte  // data type code; fluens reads only 0x08 (unsigned byte)
	Dims []int // sizes of the dimensions, outermost first
}

// Magic returns the header's magic number (0, 0, type, number of dims).
func (h Header) Magic() uint32 { return uint32(h.Type)<<8 | uint32(len(h.Dims)) }

// dataBytes returns the number of data bytes the header announces, or an
// error when that number overflows or exceeds MaxDataBytes.
func (h Header) dataBytes() (int64, error) {
	n := int64(1)
	for _, d := range h.Dims {
		if d < 0 {
			return 0, formatError("negative dimension %d", d)
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, formatError("dimensions %v overflow", h.Dims)
		}
		n *= int64(d)
	}
	if n > MaxDataBytes {
		return 0, formatError("dimensions %v announce %d bytes, more than the limit of %d", h.Dims, n, MaxDataBytes)
	}
	return n, nil
}

// check validates the header of an unsigned-byte file and returns the
// bytes of data it announces and of one item (the product of the
// dimensions after the first), within MaxDataBytes and MaxItemBytes.
func (h Header) check() (data, item int64, err error) {
	if h.Type != typeUbyte {
		return 0, 0, formatError("bad magic %#08x: data type %#02x is not unsigned byte (0x08)", h.Magic(), h.Type)
	}
	for i, d := range h.Dims[1:] {
		if d == 0 {
			return 0, 0, formatError("dimension %d is zero: items of no bytes", i+1)
		}
	}
	if item, err = (Header{Dims: h.Dims[1:]}).dataBytes(); err != nil {
		return 0, 0, err
	}
	if item > MaxItemBytes {
		// A reader allocates an item: a few bytes of header must not cost
		// a gigabyte, even for a file announcing no item.
		return 0, 0, formatError("items of %d bytes (dimensions %v), more than the limit of %d", item, h.Dims, MaxItemBytes)
	}
	if data, err = h.dataBytes(); err != nil {
		return 0, 0, err
	}
	return data, item, nil
}

// Decompress returns a reader of r's bytes, gunzipped when they start with
// the gzip magic bytes 1f 8b (RFC 1952), unchanged otherwise.
func Decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// ReadHeader reads an IDX header: the magic number, then one big-endian
// int32 per dimension.
func ReadHeader(r io.Reader) (Header, error) {
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return Header{}, formatError("header: %v", eofToTruncated(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return Header{}, formatError("bad magic %#08x: the first two bytes must be zero", binary.BigEndian.Uint32(magic[:]))
	}
	h := Header{Type: magic[2]}
	nd := int(magic[3])
	if nd == 0 {
		return Header{}, formatError("bad magic %#08x: zero dimensions", binary.BigEndian.Uint32(magic[:]))
	}
	buf := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Header{}, formatError("header: %v", eofToTruncated(err))
	}
	h.Dims = make([]int, nd)
	for i := range h.Dims {
		d := int32(binary.BigEndian.Uint32(buf[4*i:]))
		if d < 0 {
			return Header{}, formatError("dimension %d is negative (%d)", i, d)
		}
		h.Dims[i] = int(d)
	}
	return h, nil
}

func eofToTruncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("truncated")
	}
	return err
}

// readData reads exactly n bytes from r, growing its buffer only as data
// arrives (so a header announcing more than r holds allocates nothing
// beyond what r delivers), then checks that r holds nothing more.
func readData(r io.Reader, n int64) ([]byte, error) {
	const chunk = 1 << 20
	buf := make([]byte, min(n, chunk))
	got := 0
	for int64(got) < n {
		if got == len(buf) {
			buf = append(buf, make([]byte, min(n, 2*int64(len(buf)))-int64(len(buf)))...)
		}
		m, err := r.Read(buf[got:])
		got += m
		if errors.Is(err, io.EOF) {
			if int64(got) < n {
				return nil, formatError("truncated: header announces %d data bytes, file holds %d", n, got)
			}
			break
		}
		switch {
		case err == nil:
		case int64(got) == n:
			return nil, formatError("after the data: %v", err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, formatError("truncated: stream ends after %d of %d announced data bytes", got, n)
		default:
			return nil, formatError("data: %v", err)
		}
	}
	if err := expectEOF(r); err != nil {
		return nil, err
	}
	return buf, nil
}

// expectEOF reports an error when r holds more bytes.
func expectEOF(r io.Reader) error {
	var one [1]byte
	for {
		m, err := r.Read(one[:])
		if m > 0 {
			return formatError("trailing data after the announced size")
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return formatError("after the data: %v", err)
		}
	}
}

// Decode reads a whole IDX file of unsigned bytes from r (gzipped or not):
// its header and data. It checks that the data has exactly the size the
// header announces.
func Decode(r io.Reader) (Header, []byte, error) {
	dr, err := Decompress(r)
	if err != nil {
		return Header{}, nil, err
	}
	h, err := ReadHeader(dr)
	if err != nil {
		return Header{}, nil, err
	}
	n, _, err := h.check()
	if err != nil {
		return Header{}, nil, err
	}
	data, err := readData(dr, n)
	if err != nil {
		return Header{}, nil, err
	}
	return h, data, nil
}

// Images is a set of grayscale images in IDX layout: Pixels holds N images
// of Rows×Cols bytes each, row-major, one after another.
type Images struct {
	N, Rows, Cols int
	Pixels        []byte
}

// DecodeImages reads an images file (magic 2051) from r.
func DecodeImages(r io.Reader) (Images, error) {
	h, data, err := Decode(r)
	if err != nil {
		return Images{}, err
	}
	if h.Magic() != MagicImages {
		return Images{}, formatError("bad magic %#08x: want %#08x (images: unsigned bytes, 3 dimensions)", h.Magic(), MagicImages)
	}
	return Images{N: h.Dims[0], Rows: h.Dims[1], Cols: h.Dims[2], Pixels: data}, nil
}

// DecodeLabels reads a labels file (magic 2049) from r. When classes > 0,
// every label must be below classes.
func DecodeLabels(r io.Reader, classes int) ([]uint8, error) {
	h, data, err := Decode(r)
	if err != nil {
		return nil, err
	}
	if h.Magic() != MagicLabels {
		return nil, formatError("bad magic %#08x: want %#08x (labels: unsigned bytes, 1 dimension)", h.Magic(), MagicLabels)
	}
	if classes > 0 {
		for i, l := range data {
			if int(l) >= classes {
				return nil, formatError("label %d of item %d is out of range 0–%d", l, i, classes-1)
			}
		}
	}
	return data, nil
}

// ReadImages reads an images file, gzipped or not.
func ReadImages(path string) (Images, error) {
	f, err := os.Open(path)
	if err != nil {
		return Images{}, fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	im, err := DecodeImages(f)
	if err != nil {
		return Images{}, fmt.Errorf("idx: %s: %w", path, err)
	}
	return im, nil
}

// ReadLabels reads a labels file, gzipped or not. When classes > 0, every
// label must be below classes.
func ReadLabels(path string, classes int) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	l, err := DecodeLabels(f, classes)
	if err != nil {
		return nil, fmt.Errorf("idx: %s: %w", path, err)
	}
	return l, nil
}

// Encode writes an IDX file of unsigned bytes with the given dimensions to
// w, uncompressed. len(data) must be the product of dims.
func Encode(w io.Writer, dims []int, data []byte) error {
	if len(dims) == 0 || len(dims) > 255 {
		return fmt.Errorf("idx: %d dimensions, want 1–255", len(dims))
	}
	n := 1
	hdr := make([]byte, 4+4*len(dims))
	hdr[2], hdr[3] = typeUbyte, byte(len(dims))
	for i, d := range dims {
		if d < 0 || d > math.MaxInt32 {
			return fmt.Errorf("idx: dimension %d out of range", d)
		}
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("idx: dimensions %v need %d bytes, have %d", dims, n, len(data))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// EncodeImages writes an images file (magic 2051) to w, uncompressed.
func EncodeImages(w io.Writer, im Images) error {
	return Encode(w, []int{im.N, im.Rows, im.Cols}, im.Pixels)
}

// EncodeLabels writes a labels file (magic 2049) to w, uncompressed.
func EncodeLabels(w io.Writer, labels []uint8) error {
	return Encode(w, []int{len(labels)}, labels)
}

// WriteFile writes an IDX file atomically (temporary file, fsync, rename),
// gzipped when path ends in ".gz". The gzip stream carries no name and no
// time, so the same data always gives the same bytes (level 6, the
// default: level 9 is twenty times slower on drawings for 1% less).
func WriteFile(path string, dims []int, data []byte) error {
	return writeAtomic(path, encoder(path, dims, data))
}

// encoder returns a function that writes an IDX file, gzipped when path
// ends in ".gz".
func encoder(path string, dims []int, data []byte) func(w io.Writer) error {
	return func(w io.Writer) error {
		if !strings.HasSuffix(path, ".gz") {
			return Encode(w, dims, data)
		}
		zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		if err != nil {
			return err
		}
		if err := Encode(zw, dims, data); err != nil {
			return err
		}
		return zw.Close()
	}
}

// WriteImages writes an images file atomically, gzipped when path ends in ".gz".
func WriteImages(path string, im Images) error {
	return WriteFile(path, []int{im.N, im.Rows, im.Cols}, im.Pixels)
}

// WriteLabels writes a labels file atomically, gzipped when path ends in ".gz".
func WriteLabels(path string, labels []uint8) error {
	return WriteFile(path, []int{len(labels)}, labels)
}
