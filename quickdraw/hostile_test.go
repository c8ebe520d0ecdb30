package quickdraw

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fluens-lab/fluens/internal/hostile"
)

// A .npy header claiming 10^12 rows over 64 MiB of streamed rows: every
// row there is reads, then an error naming the file and the shortfall,
// with memory independent of the claim and of the stream.
func TestHostileNPYRowCount(t *testing.T) {
	const dataLen = 64 << 20
	s := hostile.NewStream(makeNPY(1, dict("(1000000000000, 784)"), nil), []byte{0, 255, 7}, dataLen)
	var err error
	n := 0
	alloc := hostile.AllocDuring(func() {
		var r *BitmapReader
		r, err = NewBitmapReader(s, "huge.npy", 0)
		if err != nil {
			return
		}
		img := make([]byte, Pixels)
		for ; ; n++ {
			if err = r.Next(img); err != nil {
				break
			}
		}
	})
	if want := "npy: huge.npy: truncated at row 85598 of 1000000000000"; err == nil || err.Error() != want {
		t.Fatalf("after %d rows: %v, want %q", n, err, want)
	}
	if alloc > hostile.Bound {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
	t.Logf("%d rows, then %v; %d KiB allocated", n, err, alloc>>10)
}

// The same claim in a file of a source folder: the first read names the
// file and the missing row.
func TestHostileNPYFile(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "numpy_bitmap"), 0o755)
	p := filepath.Join(dir, "numpy_bitmap", "cat.npy")
	if err := os.WriteFile(p, makeNPY(1, dict("(1000000000000, 784)"), nil), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rerr error
	alloc := hostile.AllocDuring(func() {
		r, err := src.Bitmaps(context.Background(), "cat", 0)
		if err != nil {
			rerr = err
			return
		}
		defer r.Close()
		rerr = r.Next(make([]byte, Pixels))
	})
	if want := "npy: " + p + ": truncated at row 0 of 1000000000000"; rerr == nil || rerr.Error() != want {
		t.Fatalf("got %v, want %q", rerr, want)
	}
	if alloc > hostile.Bound {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}

// oneGiBLine is a simplified .ndjson stream of one 1 GiB line that never
// ends its JSON.
func oneGiBLine() *hostile.Stream {
	return hostile.NewStream([]byte(`{"word":"cat","drawing":[[[`), []byte("1,2,3,"), 1<<30)
}

// A 1 GiB line: the error comes after MaxLine bytes, not after the line,
// and memory stays bounded.
func TestHostileNDJSONLine(t *testing.T) {
	s := oneGiBLine()
	var err error
	alloc := hostile.AllocDuring(func() {
		var r *StrokeReader
		r, err = NewStrokeReader(s, "huge.ndjson", 0)
		if err == nil {
			_, err = r.Next()
		}
	})
	if want := "ndjson: huge.ndjson:1: line longer than 1048576 bytes"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if s.Consumed() > 4*MaxLine {
		t.Errorf("read %d MiB of the line before refusing it", s.Consumed()>>20)
	}
	if alloc > hostile.Bound {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}

// The 1 GiB line served by an HTTP mirror: the download stops with the
// error, and the cache holds no more than was read.
func TestHostileNDJSONLineHTTP(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := oneGiBLine()
		w.Header().Set("Content-Length", "1073741851")
		buf := make([]byte, 32<<10)
		for {
			k, err := s.Read(buf)
			if err != nil {
				return
			}
			if _, err := w.Write(buf[:k]); err != nil {
				sent.Store(s.Consumed())
				return // the client hung up
			}
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	src, err := Open(srv.URL, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	var rerr error
	alloc := hostile.AllocDuring(func() {
		r, err := src.Strokes(context.Background(), "cat", 10)
		if err != nil {
			rerr = err
			return
		}
		_, rerr = r.Next()
		r.Close()
	})
	if rerr == nil || !strings.Contains(rerr.Error(), "line longer than 1048576 bytes") || !strings.Contains(rerr.Error(), "/simplified/cat.ndjson") {
		t.Fatalf("got %v, want the line length error naming the URL", rerr)
	}
	if alloc > hostile.Bound {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
	var cached int64
	filepath.Walk(cache, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			cached += fi.Size()
			if strings.HasSuffix(p, "cat.ndjson") {
				t.Errorf("%s: a partial download was taken for the whole file", p)
			}
		}
		return nil
	})
	if cached > 8*MaxLine {
		t.Errorf("the cache holds %d MiB of the bad line", cached>>20)
	}
	t.Logf("%v; cached %d KiB, server sent %d KiB before the hang-up", rerr, cached>>10, sent.Load()>>10)
}

// A mirror that announces more bytes than it sends (a dropped connection)
// gives an error naming the URL and the cut (not a JSON error about the
// half line the cut left), and the partial download is never taken
// for the whole file: the next read resumes it, and the cache then holds
// the exact file.
func TestHostileShortDownload(t *testing.T) {
	lines := strings.Repeat(goodLine+"\n", 10)
	var cut atomic.Bool
	cut.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cut.Load() {
			http.ServeContent(w, r, "cat.ndjson", timeZero, strings.NewReader(lines))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(lines)))
		w.Write([]byte(lines[:len(lines)/2+3])) // four lines and a bit
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection
	}))
	defer srv.Close()
	cache := t.TempDir()
	src, err := Open(srv.URL, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	readAll := func() (int, error) {
		r, err := src.Strokes(context.Background(), "cat", 0)
		if err != nil {
			return 0, err
		}
		defer r.Close()
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				if err == io.EOF {
					return n, nil
				}
				return n, err
			}
			n++
		}
	}
	n, err := readAll()
	if err == nil || !strings.Contains(err.Error(), "/simplified/cat.ndjson") || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("cut download: %d drawings, %v; want an unexpected EOF naming the URL", n, err)
	}
	t.Logf("%d drawings, then %v", n, err)
	final := filepath.Join(src.(*httpSource).cache, "simplified", "cat.ndjson")
	if _, err := os.Stat(final); err == nil {
		t.Fatal("the cut download was taken for the whole file")
	}
	cut.Store(false)
	if n, err := readAll(); err != nil || n != 10 {
		t.Fatalf("resumed download: %d drawings, %v; want 10", n, err)
	}
	if b, err := os.ReadFile(final); err != nil || string(b) != lines {
		t.Fatalf("cached file after the resume: %d bytes, %v; want the %d of the file", len(b), err, len(lines))
	}
}
