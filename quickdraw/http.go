package quickdraw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// npyProbe is how many bytes the first range request of a .npy asks for:
// enough for the header of the official files (128 bytes, format 1.0).
const npyProbe = 128

// httpSource reads a QuickDraw mirror over HTTP(S), caching what it fetched.
//
// Cache layout: <cache>/<host>/<url path>/numpy_bitmap/<category>.npy once a
// file is complete, <category>.npy.part while only a prefix of it is cached.
// A .part file always holds a byte prefix of the remote file: a later read
// that needs more rows asks for exactly the missing byte range and appends it.
type httpSource struct {
	base   *url.URL
	cache  string
	client *http.Client

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func openHTTP(location string, opt Options) (*httpSource, error) {
	u, err := url.Parse(strings.TrimRight(location, "/"))
	if err != nil {
		return nil, fmt.Errorf("quickdraw: source URL %s: %w", location, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("quickdraw: source URL %s has no host", location)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("quickdraw: source URL %s: query or fragment not allowed", location)
	}
	cache := opt.CacheDir
	if cache == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("quickdraw: no cache folder for %s (set Options.CacheDir): %w", location, err)
		}
		cache = filepath.Join(d, "fluens", "quickdraw")
	}
	// Mirror the URL: host (":" made "_"), then each path segment.
	parts := []string{cache, strings.ReplaceAll(u.Host, ":", "_")}
	for _, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if seg == "" {
			continue
		}
		if !validName(seg) || strings.ContainsAny(seg, ":") {
			return nil, fmt.Errorf("quickdraw: source URL %s: path segment %q cannot name a cache folder", location, seg)
		}
		parts = append(parts, seg)
	}
	if !validName(parts[1]) {
		return nil, fmt.Errorf("quickdraw: source URL %s: bad host", location)
	}
	c := opt.Client
	if c == nil {
		c = http.DefaultClient
	}
	return &httpSource{base: u, cache: filepath.Join(parts...), client: c, locks: map[string]*sync.Mutex{}}, nil
}

func (s *httpSource) String() string { return s.base.String() }

// url returns the URL of a category's file, the name escaped (spaces → %20).
func (s *httpSource) url(category string, f Format) string {
	return s.base.String() + "/" + f.dir() + "/" + url.PathEscape(category+f.ext())
}

// cachePath returns where a category's file is cached.
func (s *httpSource) cachePath(category string, f Format) (string, error) {
	if !validName(category) {
		return "", fmt.Errorf("quickdraw: invalid category name %q", category)
	}
	return filepath.Join(s.cache, f.dir(), category+f.ext()), nil
}

// lock serializes work on one cache file within this source.
func (s *httpSource) lock(p string) func() {
	s.mu.Lock()
	m := s.locks[p]
	if m == nil {
		m = new(sync.Mutex)
		s.locks[p] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (s *httpSource) Has(ctx context.Context, category string, f Format) (bool, error) {
	p, err := s.cachePath(category, f)
	if err != nil {
		return false, err
	}
	for _, q := range []string{p, p + ".part"} {
		if st, err := os.Stat(q); err == nil && st.Size() > 0 {
			return true, nil
		}
	}
	u := s.url(category, f)
	code, status, err := s.probe(ctx, http.MethodHead, u)
	if err == nil && code == http.StatusMethodNotAllowed {
		// A server without HEAD: ask for the first byte instead.
		code, status, err = s.probe(ctx, http.MethodGet, u)
	}
	if err != nil {
		return false, err
	}
	switch code {
	case http.StatusOK, http.StatusPartialContent:
		return true, nil
	case http.StatusNotFound, http.StatusForbidden:
		// The public bucket answers 403 for names it does not hold.
		return false, nil
	}
	return false, fmt.Errorf("quickdraw: %s: %s", u, status)
}

// probe makes a HEAD request, or a GET of the first byte, and returns the status.
func (s *httpSource) probe(ctx context.Context, method, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return 0, "", fmt.Errorf("quickdraw: %s: %w", u, err)
	}
	if method == http.MethodGet {
		req.Header.Set("Range", "bytes=0-0")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("quickdraw: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, method + " " + resp.Status, nil
}

// fetchRange asks for bytes [from, to] (to < 0: to the end) of u. It returns
// the body positioned at byte from, the number of bytes the body holds from
// there (-1 if unknown) and the total size of the remote file (-1 if
// unknown). A server that ignores ranges (200) is handled by skipping the
// first from bytes.
func (s *httpSource) fetchRange(ctx context.Context, u string, from, to int64) (io.ReadCloser, int64, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("quickdraw: %s: %w", u, err)
	}
	rng := "bytes=" + strconv.FormatInt(from, 10) + "-"
	if to >= 0 {
		rng += strconv.FormatInt(to, 10)
	}
	req.Header.Set("Range", rng)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("quickdraw: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, end, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			resp.Body.Close()
			return nil, 0, 0, fmt.Errorf("quickdraw: %s: %w", u, err)
		}
		if start != from || (to >= 0 && end > to) || (resp.ContentLength >= 0 && resp.ContentLength != end-start+1) {
			resp.Body.Close()
			return nil, 0, 0, fmt.Errorf("quickdraw: %s: asked for %s, got %q (%d bytes)", u, rng, resp.Header.Get("Content-Range"), resp.ContentLength)
		}
		return resp.Body, end - start + 1, total, nil
	case http.StatusOK:
		if resp.ContentLength >= 0 && resp.ContentLength < from {
			resp.Body.Close()
			return nil, 0, 0, fmt.Errorf("quickdraw: %s: file is %d bytes, shorter than the %d already cached", u, resp.ContentLength, from)
		}
		if _, err := io.CopyN(io.Discard, resp.Body, from); err != nil {
			resp.Body.Close()
			return nil, 0, 0, fmt.Errorf("quickdraw: %s: %w", u, noEOF(err))
		}
		n := int64(-1)
		if resp.ContentLength >= 0 {
			n = resp.ContentLength - from
		}
		return resp.Body, n, resp.ContentLength, nil
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		return nil, 0, 0, fmt.Errorf("quickdraw: %s: range %s not satisfiable (file shorter than expected)", u, rng)
	case http.StatusNotFound, http.StatusForbidden:
		resp.Body.Close()
		return nil, 0, 0, fmt.Errorf("quickdraw: %s: %s (no such category file)", u, resp.Status)
	}
	resp.Body.Close()
	return nil, 0, 0, fmt.Errorf("quickdraw: GET %s: %s", u, resp.Status)
}

// parseContentRange parses "bytes start-end/total" (total may be "*": -1).
func parseContentRange(h string) (start, end, total int64, err error) {
	bad := fmt.Errorf("bad Content-Range %q", h)
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, 0, 0, bad
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, 0, bad
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, 0, bad
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, 0, bad
	}
	if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
		return 0, 0, 0, bad
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total <= end {
			return 0, 0, 0, bad
		}
	}
	return start, end, total, nil
}

// appendRange fetches bytes [from, to] of u and appends them to the file at
// part (which holds exactly from bytes). It returns the remote file size (-1
// if unknown).
func (s *httpSource) appendRange(ctx context.Context, u, part string, from, to int64) (int64, error) {
	body, length, total, err := s.fetchRange(ctx, u, from, to)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		return 0, fmt.Errorf("quickdraw: cache: %w", err)
	}
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("quickdraw: cache: %w", err)
	}
	want := to - from + 1
	if to < 0 {
		want = -1
	}
	if length >= 0 && (want < 0 || length < want) {
		want = length // the file ends before byte to
	}
	var n int64
	if want >= 0 {
		n, err = io.CopyN(f, body, want)
	} else {
		n, err = io.Copy(f, body)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if err == io.EOF {
			return 0, fmt.Errorf("quickdraw: %s: body ended after %d of %d bytes", u, n, want)
		}
		return 0, fmt.Errorf("quickdraw: %s: %w", u, err)
	}
	return total, nil
}

func fileSize(p string) (int64, error) {
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("quickdraw: cache: %w", err)
	}
	return st.Size(), nil
}

// readPrefix returns the npy header of the cached prefix at part.
func readCachedHeader(part string) (npyHeader, error) {
	f, err := os.Open(part)
	if err != nil {
		return npyHeader{}, err
	}
	defer f.Close()
	return readNPYHeader(f)
}

func (s *httpSource) Bitmaps(ctx context.Context, category string, limit int) (*BitmapReader, error) {
	p, err := s.cachePath(category, Bitmap)
	if err != nil {
		return nil, err
	}
	u := s.url(category, Bitmap)
	defer s.lock(p)()
	if f, err := os.Open(p); err == nil { // complete file cached
		r, err := NewBitmapReader(f, p, limit)
		if err != nil {
			f.Close()
			return nil, err
		}
		return r, nil
	}
	part := p + ".part"
	have, err := fileSize(part)
	if err != nil {
		return nil, err
	}
	// The header: probe the first bytes, then the rest of the header if
	// it is longer than the probe.
	var h npyHeader
	for {
		if have > 0 {
			h, err = readCachedHeader(part)
			if err == nil {
				break
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) || have >= maxNPYHeader+12 {
				return nil, fmt.Errorf("npy: %s (cached from %s): %w", part, u, err)
			}
		}
		to := int64(npyProbe - 1)
		if have >= npyProbe {
			// Header longer than the probe: its length is in the prefix.
			var pre [12]byte
			f, err := os.Open(part)
			if err != nil {
				return nil, fmt.Errorf("quickdraw: cache: %w", err)
			}
			_, err = io.ReadFull(f, pre[:])
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("quickdraw: cache: %s: %w", part, err)
			}
			hl := int64(binaryHeaderLen(pre[:]))
			to = hl - 1
			if to < have {
				return nil, fmt.Errorf("npy: %s: header does not parse", u)
			}
		}
		total, err := s.appendRange(ctx, u, part, have, to)
		if err != nil {
			return nil, err
		}
		if have, err = fileSize(part); err != nil {
			return nil, err
		}
		if total >= 0 && have >= total {
			// Whole file fetched in the probe: parse and finish below.
			h, err = readCachedHeader(part)
			if err != nil {
				return nil, fmt.Errorf("npy: %s: %w", u, err)
			}
			break
		}
	}
	need := h.size()
	if limit > 0 && int64(limit) < h.rows {
		need = h.dataOffset + int64(limit)*Pixels
	}
	if have < need {
		total, err := s.appendRange(ctx, u, part, have, need-1)
		if err != nil {
			return nil, err
		}
		if total >= 0 && total != h.size() {
			return nil, fmt.Errorf("npy: %s: file is %d bytes but its header declares %d rows (%d bytes)", u, total, h.rows, h.size())
		}
		have = need
	}
	name := part
	if have >= h.size() {
		if err := os.Rename(part, p); err != nil {
			return nil, fmt.Errorf("quickdraw: cache: %w", err)
		}
		name = p
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("quickdraw: cache: %w", err)
	}
	r, err := NewBitmapReader(f, name, limit)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// binaryHeaderLen returns the total length (preamble + dict) of an npy
// header from its first 12 bytes, or 0 if they are not an npy preamble.
func binaryHeaderLen(pre []byte) int {
	if !bytes.HasPrefix(pre, []byte(npyMagic)) {
		return 0
	}
	switch pre[6] {
	case 1:
		return 10 + (int(pre[8]) | int(pre[9])<<8)
	case 2, 3:
		return 12 + int(uint32(pre[8])|uint32(pre[9])<<8|uint32(pre[10])<<16|uint32(pre[11])<<24)
	}
	return 0
}

func (s *httpSource) Strokes(ctx context.Context, category string, limit int) (*StrokeReader, error) {
	p, err := s.cachePath(category, Simplified)
	if err != nil {
		return nil, err
	}
	u := s.url(category, Simplified)
	unlock := s.lock(p)
	if f, err := os.Open(p); err == nil { // complete file cached
		unlock()
		return NewStrokeReader(f, p, limit)
	}
	part := p + ".part"
	have, err := fileSize(part)
	if err != nil {
		unlock()
		return nil, err
	}
	if limit > 0 && have > 0 {
		n, err := countLines(part, limit)
		if err != nil {
			unlock()
			return nil, err
		}
		if n >= limit {
			f, err := os.Open(part)
			unlock()
			if err != nil {
				return nil, fmt.Errorf("quickdraw: cache: %w", err)
			}
			return NewStrokeReader(f, part, limit)
		}
	}
	// Stream the cached prefix, then the rest of the file from the server,
	// appending what arrives to the prefix.
	body, _, total, err := s.fetchRange(ctx, u, have, -1)
	if err != nil {
		unlock()
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		body.Close()
		unlock()
		return nil, fmt.Errorf("quickdraw: cache: %w", err)
	}
	rf, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		body.Close()
		unlock()
		return nil, fmt.Errorf("quickdraw: cache: %w", err)
	}
	wf, err := os.OpenFile(part, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		rf.Close()
		body.Close()
		unlock()
		return nil, fmt.Errorf("quickdraw: cache: %w", err)
	}
	sr := &streamCache{
		r:      io.MultiReader(io.LimitReader(rf, have), io.TeeReader(body, wf)),
		closes: []io.Closer{body, wf, rf},
		part:   part, final: p, total: total, unlock: unlock,
	}
	return NewStrokeReader(sr, u, limit)
}

// streamCache reads a cached prefix followed by the server's body, writing
// the body into the cache as it goes; on Close it renames the cache file to
// its final name when it holds the whole remote file.
type streamCache struct {
	r      io.Reader
	closes []io.Closer
	part   string
	final  string
	total  int64
	unlock func()
	err    error
}

func (c *streamCache) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

func (c *streamCache) Close() error {
	if c.unlock == nil {
		return nil
	}
	defer func() { c.unlock(); c.unlock = nil }()
	var err error
	for _, x := range c.closes {
		if e := x.Close(); e != nil && err == nil {
			err = e
		}
	}
	if err == nil && c.err == nil && c.total >= 0 {
		if sz, e := fileSize(c.part); e == nil && sz == c.total {
			err = os.Rename(c.part, c.final)
		}
	}
	return err
}

// countLines counts newline-terminated lines in the file at p, stopping at max.
func countLines(p string, max int) (int, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, fmt.Errorf("quickdraw: cache: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if n >= max {
			return n, nil
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("quickdraw: cache: %w", err)
		}
	}
}
