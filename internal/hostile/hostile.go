// Package hostile makes hostile inputs for fluens's hardening tests on the
// fly, of any size, without files and without holding them in memory: a
// stream of a prefix followed by gigabytes of a repeated pattern, and a
// gzip bomb compressed as it is read. AllocDuring measures what a reader
// allocates on them, to hold it under Bound.
package hostile

import (
	"compress/gzip"
	"io"
	"runtime"
	"sync/atomic"
)

// Bound is the most a reader may allocate on hostile input, whatever size
// the input has or claims.
const Bound = 64 << 20

// AllocDuring returns the bytes allocated (runtime.MemStats.TotalAlloc)
// while f runs, after a garbage collection.
func AllocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Stream yields a prefix, then n bytes repeating a pattern, then io.EOF,
// producing each byte only when it is read.
type Stream struct {
	prefix  []byte
	pattern []byte
	n       int64 // pattern bytes left
	off     int64 // pattern bytes given
	read    int64 // bytes given in all
}

// NewStream returns a stream of prefix followed by n bytes of pattern
// (which must not be empty when n > 0).
func NewStream(prefix, pattern []byte, n int64) *Stream {
	return &Stream{prefix: prefix, pattern: pattern, n: n}
}

// Read implements io.Reader.
func (s *Stream) Read(b []byte) (int, error) {
	if len(s.prefix) > 0 {
		k := copy(b, s.prefix)
		s.prefix = s.prefix[k:]
		s.read += int64(k)
		return k, nil
	}
	if s.n == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > s.n {
		b = b[:s.n]
	}
	for i := range b {
		b[i] = s.pattern[(s.off+int64(i))%int64(len(s.pattern))]
	}
	s.off += int64(len(b))
	s.n -= int64(len(b))
	s.read += int64(len(b))
	return len(b), nil
}

// Consumed returns the bytes read from the stream so far.
func (s *Stream) Consumed() int64 { return s.read }

// GzipBomb returns a gzip stream (RFC 1952) of prefix followed by inflated
// zero bytes, compressed by a goroutine as it is read (1 GiB of zeros is
// about 1 MiB of gzip), and a counter of the compressed bytes read. Stop
// ends the goroutine; call it when done.
func GzipBomb(prefix []byte, inflated int64) (r io.Reader, consumed *atomic.Int64, stop func()) {
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestCompression)
		zw.Write(prefix)
		zeros := make([]byte, 64<<10)
		for left := inflated; left > 0; left -= int64(len(zeros)) {
			if _, err := zw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(zw.Close())
	}()
	consumed = new(atomic.Int64)
	return &counting{pr, consumed}, consumed, func() { pr.Close() }
}

type counting struct {
	r io.Reader
	n *atomic.Int64
}

func (c *counting) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n.Add(int64(k))
	return k, err
}
