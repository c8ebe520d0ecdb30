package hostile

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestStream(t *testing.T) {
	s := NewStream([]byte("head:"), []byte("ab"), 5)
	b, err := io.ReadAll(s)
	if err != nil || string(b) != "head:ababa" || s.Consumed() != 10 {
		t.Fatalf("%q, %v, consumed %d", b, err, s.Consumed())
	}
	// A gigabyte costs no more than one read's buffer.
	big := NewStream(nil, []byte{7}, 1<<30)
	buf := make([]byte, 1<<20)
	alloc := AllocDuring(func() {
		for {
			if _, err := big.Read(buf); err != nil {
				break
			}
		}
	})
	if big.Consumed() != 1<<30 || alloc > 1<<20 {
		t.Errorf("read %d bytes allocating %d", big.Consumed(), alloc)
	}
}

func TestGzipBomb(t *testing.T) {
	r, consumed, stop := GzipBomb([]byte("x"), 10<<20)
	defer stop()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil || len(b) != 10<<20+1 || b[0] != 'x' || !bytes.Equal(b[1:100], make([]byte, 99)) {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	if c := consumed.Load(); c <= 0 || c > 64<<10 {
		t.Errorf("%d bytes of gzip for 10 MiB of zeros", c)
	}
}
