package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// header builds IDX header bytes by hand, as the spec on
// http://yann.lecun.com/exdb/mnist/ describes them.
func header(typ byte, dims ...uint32) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDecodeImagesLabels(t *testing.T) {
	pix := make([]byte, 2*28*28)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	imgs := append(header(8, 2, 28, 28), pix...)
	labs := append(header(8, 3), 0, 9, 4)
	for _, compress := range []bool{false, true} {
		in, lin := imgs, labs
		if compress {
			in, lin = gz(t, imgs), gz(t, labs)
		}
		im, err := DecodeImages(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("gzip %v: %v", compress, err)
		}
		if im.N != 2 || im.Rows != 28 || im.Cols != 28 || !bytes.Equal(im.Pixels, pix) {
			t.Errorf("gzip %v: got %d×%d×%d", compress, im.N, im.Rows, im.Cols)
		}
		l, err := DecodeLabels(bytes.NewReader(lin), 10)
		if err != nil {
			t.Fatalf("gzip %v: %v", compress, err)
		}
		if !bytes.Equal(l, []byte{0, 9, 4}) {
			t.Errorf("gzip %v: labels %v", compress, l)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	pix := make([]byte, 4)
	tests := []struct {
		name    string
		images  bool
		classes int
		in      []byte
		want    string
	}{
		{"empty", true, 0, nil, "truncated"},
		{"short header", true, 0, []byte{0, 0, 8}, "truncated"},
		{"nonzero magic", true, 0, append([]byte{1, 2, 8, 3}, header(8, 1, 2, 2)[4:]...), "bad magic"},
		{"labels as images", true, 0, append(header(8, 4), pix...), "bad magic 0x00000801"},
		{"images as labels", false, 0, append(header(8, 1, 2, 2), pix...), "bad magic 0x00000803"},
		{"float type", true, 0, append(header(0x0d, 1, 2, 2), pix...), "not unsigned byte"},
		{"zero dims", true, 0, []byte{0, 0, 8, 0}, "zero dimensions"},
		{"zero rows", true, 0, header(8, 0, 0, 2), "dimension 1 is zero"},
		{"negative dim", true, 0, header(8, 0x80000000, 2, 2), "negative"},
		{"truncated data", true, 0, append(header(8, 2, 2, 2), pix...), "truncated: header announces 8 data bytes, file holds 4"},
		{"trailing data", true, 0, append(header(8, 1, 2, 2), 1, 2, 3, 4, 5), "trailing data"},
		{"overflowing dims", true, 0, append(header(8, 1, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff), pix...), "overflow"},
		{"huge count", true, 0, append(header(8, 0x7fffffff, 28, 28), pix...), "more than the limit"},
		{"big count, little data", true, 0, append(header(8, 1000000, 28, 28), pix...), "truncated"},
		{"label out of range", false, 10, append(header(8, 3), 1, 10, 2), "label 10 of item 1 is out of range 0–9"},
		{"gzip trailing garbage", false, 0, append(gz(t, append(header(8, 1), 1)), 'x', 'y'), "after the data"},
		{"gzip truncated", false, 0, gz(t, append(header(8, 3), 1, 2, 3))[:20], "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.images {
				_, err = DecodeImages(bytes.NewReader(tt.in))
			} else {
				_, err = DecodeLabels(bytes.NewReader(tt.in), tt.classes)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %q does not wrap ErrFormat", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// A gzip bomb (a small file that inflates to far more than its header
// announces) stops right after the announced data.
func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(header(8, 10))
	zeros := make([]byte, 1<<20)
	for range 32 { // 32 MiB of zeros, about 32 KiB compressed
		zw.Write(zeros)
	}
	zw.Close()
	_, err := DecodeLabels(bytes.NewReader(buf.Bytes()), 0)
	if err == nil || !strings.Contains(err.Error(), "trailing data") {
		t.Fatalf("got %v, want trailing data error", err)
	}
}

func TestReadErrorsNameFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad-labels-idx1-ubyte")
	if err := os.WriteFile(p, []byte{0, 0, 8, 1, 0, 0, 0, 5, 1}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadLabels(p, 0)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("got %v, want an error naming %s and truncation", err, p)
	}
	_, err = ReadImages(filepath.Join(dir, "missing"))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("got %v, want an error naming the missing file", err)
	}
}

// TestBytesMatchSpec checks a written folder byte by byte against the IDX
// description on http://yann.lecun.com/exdb/mnist/, the layout that
// TensorFlow's old read_data_sets (tensorflow/contrib/learn/datasets/mnist.py:
// _read32 big-endian, magic 2051/2049) and torchvision's MNIST reader
// (read_sn3_pascalvincent_tensor) parse.
func TestBytesMatchSpec(t *testing.T) {
	dir := t.TempDir()
	train := testDataset(5, 3)
	test := testDataset(2, 4)
	if err := WriteDir(dir, train, test); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file  string
		magic uint32
		dims  []uint32
		data  []byte
	}{
		{TrainImagesFile, 2051, []uint32{5, 28, 28}, train.Images},
		{TrainLabelsFile, 2049, []uint32{5}, train.Labels},
		{TestImagesFile, 2051, []uint32{2, 28, 28}, test.Images},
		{TestLabelsFile, 2049, []uint32{2}, test.Labels},
	} {
		raw, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if raw[0] != 0x1f || raw[1] != 0x8b {
			t.Fatalf("%s: not gzip (starts % x)", c.file, raw[:2])
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var plain bytes.Buffer
		if _, err := plain.ReadFrom(zr); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		b := plain.Bytes()
		if got := binary.BigEndian.Uint32(b); got != c.magic {
			t.Errorf("%s: magic %d, want %d", c.file, got, c.magic)
		}
		for i, d := range c.dims {
			if got := binary.BigEndian.Uint32(b[4+4*i:]); got != d {
				t.Errorf("%s: dimension %d is %d, want %d", c.file, i, got, d)
			}
		}
		off := 4 + 4*len(c.dims)
		if !bytes.Equal(b[off:], c.data) {
			t.Errorf("%s: data differs", c.file)
		}
		if c.magic == 2049 {
			for i, l := range b[off:] {
				if l > 9 {
					t.Errorf("%s: label %d of item %d outside 0–9", c.file, l, i)
				}
			}
		}
	}
	gotTrain, gotTest, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !equalDataset(gotTrain, train) || !equalDataset(gotTest, test) {
		t.Error("ReadDir does not give back what WriteDir wrote")
	}
}

func TestWriteDeterministic(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	ds := testDataset(7, 1)
	for _, d := range []string{d1, d2} {
		if err := WriteDir(d, ds, ds); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range Files {
		a, _ := os.ReadFile(filepath.Join(d1, f))
		b, _ := os.ReadFile(filepath.Join(d2, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two writes of the same data differ", f)
		}
	}
}

func TestReadDirCountMismatch(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir, testDataset(5, 1), testDataset(2, 2)); err != nil {
		t.Fatal(err)
	}
	if err := WriteLabels(filepath.Join(dir, TestLabelsFile), []uint8{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadDir(dir)
	if !errors.Is(err, ErrCountMismatch) || !strings.Contains(err.Error(), TestLabelsFile) {
		t.Errorf("got %v, want a count mismatch naming %s", err, TestLabelsFile)
	}
}

func TestWriteDirRejectsBadSizes(t *testing.T) {
	bad := Dataset{Rows: 28, Cols: 28, Images: make([]byte, 100), Labels: []uint8{1}}
	if err := WriteDir(t.TempDir(), bad, testDataset(1, 1)); err == nil {
		t.Error("no error for 100 pixels and one 28×28 label")
	}
}

func testDataset(n, seed int) Dataset {
	d := Dataset{Rows: 28, Cols: 28, Images: make([]byte, n*784), Labels: make([]uint8, n)}
	for i := range d.Images {
		d.Images[i] = byte(i*seed + i/784)
	}
	for i := range d.Labels {
		d.Labels[i] = uint8((i + seed) % 10)
	}
	return d
}

func equalDataset(a, b Dataset) bool {
	return a.Rows == b.Rows && a.Cols == b.Cols && bytes.Equal(a.Images, b.Images) && bytes.Equal(a.Labels, b.Labels)
}

func FuzzDecode(f *testing.F) {
	f.Add(append(header(8, 1, 2, 2), 1, 2, 3, 4))
	f.Add(append(header(8, 3), 1, 2, 3))
	f.Add(gz(f, append(header(8, 2), 7, 9)))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Add(header(8, 0x7fffffff, 28, 28))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, data, err := Decode(bytes.NewReader(in))
		streamed, serr := readStream(in)
		if (err == nil) != (serr == nil) {
			t.Fatalf("Decode: %v, Reader: %v", err, serr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(data, streamed) {
			t.Fatal("Decode and Reader read different data")
		}
		n, err := h.dataBytes()
		if err != nil || int64(len(data)) != n {
			t.Fatalf("decoded %d bytes for dims %v (%v)", len(data), h.Dims, err)
		}
		// What decodes re-encodes to the same plain bytes.
		var buf bytes.Buffer
		if err := Encode(&buf, h.Dims, data); err != nil {
			t.Fatal(err)
		}
		h2, data2, err := Decode(&buf)
		if err != nil || h2.Magic() != h.Magic() || !bytes.Equal(data, data2) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// BenchmarkDecodeImages reads a gzipped images file of 10,000 drawings.
func BenchmarkDecodeImages(b *testing.B) {
	d := testDataset(10000, 3)
	path := filepath.Join(b.TempDir(), TrainImagesFile)
	if err := WriteImages(path, Images{N: d.Len(), Rows: 28, Cols: 28, Pixels: d.Images}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(d.Images)))
	for b.Loop() {
		if _, err := ReadImages(path); err != nil {
			b.Fatal(err)
		}
	}
}

// readStream reads all of an IDX file's data with a Reader.
func readStream(in []byte) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	var out []byte
	item := make([]byte, r.ItemSize())
	for {
		err := r.Next(item)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, item...)
	}
}

func TestReader(t *testing.T) {
	in := gz(t, append(header(8, 3, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
	r, err := NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if r.Len() != 3 || r.ItemSize() != 4 || r.Header().Magic() != MagicImages {
		t.Fatalf("len %d, item %d, magic %#x", r.Len(), r.ItemSize(), r.Header().Magic())
	}
	item := make([]byte, 4)
	for i := range 3 {
		if err := r.Next(item); err != nil || item[0] != byte(4*i+1) {
			t.Fatalf("item %d: %v %v", i, item, err)
		}
	}
	if err := r.Next(item); err != io.EOF {
		t.Fatalf("after the last: %v", err)
	}
	for _, c := range []struct {
		in   []byte
		want string
	}{
		{append(header(8, 3, 2), 1, 2, 3, 4), "item 2 of 3 is missing"},
		{append(header(8, 1, 2), 1, 2, 3), "trailing data"},
	} {
		_, err := readStream(c.in)
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}
