package quickdraw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
)

// makeNPY builds a .npy file of the given format version with the given
// header dict, padded as numpy pads it (to a multiple of 64 bytes), followed
// by data.
func makeNPY(major byte, dict string, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	h := dict
	for (pre+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{major, 0})
	if major >= 2 {
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	}
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func rowsData(n int) []byte {
	d := make([]byte, n*Pixels)
	for i := range d {
		d[i] = byte(i*7 + i/Pixels)
	}
	return d
}

func dict(shape string) string {
	return "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }"
}

func TestBitmapReader(t *testing.T) {
	data := rowsData(3)
	tests := []struct {
		name     string
		file     []byte
		limit    int
		wantRows int
	}{
		{"v1", makeNPY(1, dict("(3, 784)"), data), 0, 3},
		{"v2", makeNPY(2, dict("(3, 784)"), data), 0, 3},
		{"v3", makeNPY(3, dict("(3, 784)"), data), 0, 3},
		{"shape 28x28", makeNPY(1, dict("(3, 28, 28)"), data), 0, 3},
		{"limit", makeNPY(1, dict("(3, 784)"), data), 2, 2},
		{"limit above N", makeNPY(1, dict("(3, 784)"), data), 10, 3},
		{"keys reordered, no spaces", makeNPY(1, "{'shape':(3,784),'fortran_order':False,'descr':'<u1'}", data), 0, 3},
		{"empty", makeNPY(1, dict("(0, 784)"), nil), 0, 0},
		{"extra data ignored", makeNPY(1, dict("(1, 784)"), data), 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewBitmapReader(bytes.NewReader(tt.file), "x.npy", tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rows() != tt.wantRows {
				t.Fatalf("Rows() = %d, want %d", r.Rows(), tt.wantRows)
			}
			img := make([]byte, Pixels)
			for i := 0; i < tt.wantRows; i++ {
				if err := r.Next(img); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if !bytes.Equal(img, data[i*Pixels:(i+1)*Pixels]) {
					t.Fatalf("row %d differs", i)
				}
			}
			if err := r.Next(img); err != io.EOF {
				t.Fatalf("after last row: %v, want io.EOF", err)
			}
		})
	}
}

func TestBitmapReaderErrors(t *testing.T) {
	data := rowsData(3)
	long := makeNPY(2, dict("(3, 784)"), data)
	binary.LittleEndian.PutUint32(long[8:], 1<<20)
	tests := []struct {
		name string
		file []byte
		want string // substring of the error
	}{
		{"bad magic", append([]byte("\x93NUMPZ\x01\x00"), makeNPY(1, dict("(3, 784)"), data)[8:]...), "bad magic"},
		{"not npy", []byte("PK\x03\x04 this is a zip file"), "bad magic"},
		{"empty file", nil, "unexpected EOF"},
		{"version 9", append([]byte(npyMagic+"\x09\x00"), makeNPY(1, dict("(3, 784)"), data)[8:]...), "version 9.0"},
		{"float dtype", makeNPY(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 784), }", data), `dtype "<f4"`},
		{"int16 dtype", makeNPY(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (3, 784), }", data), "want uint8"},
		{"fortran", makeNPY(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (3, 784), }", data), "fortran_order"},
		{"shape 785", makeNPY(1, dict("(3, 785)"), data), "shape (3, 785)"},
		{"shape 1-d", makeNPY(1, dict("(2352,)"), data), "shape (2352,)"},
		{"shape 3x28x29", makeNPY(1, dict("(3, 28, 29)"), data), "shape (3, 28, 29)"},
		{"no shape", makeNPY(1, "{'descr': '|u1', 'fortran_order': False}", data), "missing 'shape'"},
		{"not a dict", makeNPY(1, "[1, 2]", data), "unexpected"},
		{"garbage dict", makeNPY(1, "{'descr': |u1}", data), "header"},
		{"duplicate key", makeNPY(1, "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (3, 784)}", data), "duplicate"},
		{"absurd header length", long, "exceeds"},
		{"truncated header", makeNPY(1, dict("(3, 784)"), data)[:40], "unexpected EOF"},
		{"rows overflow", makeNPY(1, dict("(99999999999999999999, 784)"), data), "out of range"},
		{"rows too many", makeNPY(1, dict("(2000000000000000, 784)"), data), "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBitmapReader(bytes.NewReader(tt.file), "bad.npy", 0)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "bad.npy") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q: want it to name bad.npy and say %q", err, tt.want)
			}
		})
	}
}

func TestBitmapReaderTruncated(t *testing.T) {
	data := rowsData(3)
	f := makeNPY(1, dict("(3, 784)"), data)
	f = f[:len(f)-Pixels-100] // row 1 is cut short
	r, err := NewBitmapReader(bytes.NewReader(f), "short.npy", 0)
	if err != nil {
		t.Fatal(err)
	}
	img := make([]byte, Pixels)
	if err := r.Next(img); err != nil {
		t.Fatal(err)
	}
	err = r.Next(img)
	if err == nil || err.Error() != "npy: short.npy: truncated at row 1 of 3" {
		t.Fatalf("got %v, want truncated at row 1 of 3", err)
	}
}

// A header claiming 10^12 rows must not allocate in proportion.
func TestBitmapReaderHugeHeader(t *testing.T) {
	f := makeNPY(1, dict("(1000000000000, 784)"), rowsData(2))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := NewBitmapReader(bytes.NewReader(f), "huge.npy", 0)
	if err != nil {
		t.Fatal(err)
	}
	img := make([]byte, Pixels)
	n := 0
	for ; ; n++ {
		if err = r.Next(img); err != nil {
			break
		}
	}
	runtime.ReadMemStats(&after)
	if r.Total() != 1e12 || n != 2 || err == nil || !strings.Contains(err.Error(), "truncated at row 2 of 1000000000000") {
		t.Fatalf("total %d, read %d rows, err %v", r.Total(), n, err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("allocated %d bytes for a 10^12-row header", d)
	}
}

func TestBitmapReaderRealData(t *testing.T) {
	dir := testenv.QuickDraw(t)
	f, err := os.Open(filepath.Join(dir, "numpy_bitmap", "smiley face.npy"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewBitmapReader(f, f.Name(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img := make([]byte, Pixels)
	n, ink := 0, 0
	for {
		err := r.Next(img)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range img {
			if v > 0 {
				ink++
			}
		}
		n++
	}
	// The data's README: smiley face has 1,000 drawings.
	if n != 1000 || r.Rows() != 1000 {
		t.Fatalf("read %d rows, Rows() %d; want 1000", n, r.Rows())
	}
	if avg := float64(ink) / float64(n); avg < 100 || avg > 400 {
		t.Fatalf("mean non-zero pixels %.1f: not drawings", avg)
	}
}

func BenchmarkBitmapReader(b *testing.B) {
	dir := testenv.QuickDraw(b)
	p := filepath.Join(dir, "numpy_bitmap", "cat.npy")
	raw, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	img := make([]byte, Pixels)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		r, err := NewBitmapReader(bytes.NewReader(raw), p, 0)
		if err != nil {
			b.Fatal(err)
		}
		for r.Next(img) == nil {
		}
	}
}

// BenchmarkBitmapFile reads cat.npy from the file system (page cache).
func BenchmarkBitmapFile(b *testing.B) {
	dir := testenv.QuickDraw(b)
	p := filepath.Join(dir, "numpy_bitmap", "cat.npy")
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	img := make([]byte, Pixels)
	b.SetBytes(st.Size())
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewBitmapReader(f, p, 0)
		if err != nil {
			b.Fatal(err)
		}
		for r.Next(img) == nil {
		}
		r.Close()
	}
}

func FuzzBitmapReader(f *testing.F) {
	f.Add(makeNPY(1, dict("(2, 784)"), rowsData(2)), 0)
	f.Add(makeNPY(2, dict("(1, 28, 28)"), rowsData(1)), 1)
	f.Add(makeNPY(1, dict("(5, 784)"), rowsData(1)), 3)
	f.Add(makeNPY(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 784)}", nil), 0)
	f.Add([]byte(npyMagic+"\x01\x00\xff\xff{"), 0)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		r, err := NewBitmapReader(bytes.NewReader(b), "fuzz.npy", limit)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "npy: fuzz.npy: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if r.Rows() < 0 || int64(r.Rows()) > r.Total() || (limit > 0 && r.Rows() > limit) {
			t.Fatalf("Rows %d, Total %d, limit %d", r.Rows(), r.Total(), limit)
		}
		img := make([]byte, Pixels)
		n := 0
		for {
			err := r.Next(img)
			if err == io.EOF {
				break
			}
			if err != nil {
				if !strings.Contains(err.Error(), "truncated") {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			n++
			if n > len(b)/Pixels {
				t.Fatalf("read %d rows from %d bytes", n, len(b))
			}
		}
		if n > r.Rows() {
			t.Fatalf("read %d rows, Rows() = %d", n, r.Rows())
		}
	})
}
