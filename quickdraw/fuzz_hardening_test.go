package quickdraw

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseContentRange feeds arbitrary Content-Range headers (what a
// mirror answers to a range request) to the parser: no panic, and what it
// accepts is a well-formed range within the total it announces and prints
// back to the same numbers.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-79/80", "bytes 0-0/*", "bytes 80-159/1000", "bytes 5-4/10",
		"bytes -1-3/4", "bytes 0-9/9", "bytes 0-9223372036854775807/*", "bytes 1-2/+3", "bytes=0-1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		start, end, total, err := parseContentRange(h)
		if err != nil {
			if !strings.Contains(err.Error(), "bad Content-Range") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if end < start || (total != -1 && total <= end) || total < -1 {
			t.Fatalf("%q: accepted start %d, end %d, total %d", h, start, end, total)
		}
		tot := "*"
		if total >= 0 {
			tot = strconv.FormatInt(total, 10)
		}
		s2, e2, t2, err := parseContentRange("bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10) + "/" + tot)
		if err != nil || s2 != start || e2 != end || t2 != total {
			t.Fatalf("%q: printed back it gives %d %d %d %v", h, s2, e2, t2, err)
		}
	})
}

// FuzzCachePath checks that no category name, whatever a list or a user
// gives, leads the HTTP source's cache outside its folder: a name is
// either refused or lands one level inside the format's sub-folder.
func FuzzCachePath(f *testing.F) {
	for _, s := range []string{"cat", "..", "../../etc/passwd", "a/b", `a\b`, "smiley face", ".", "x\x00y", "\u2215etc"} {
		f.Add(s)
	}
	s := &httpSource{cache: "/cache/root"}
	f.Fuzz(func(t *testing.T, name string) {
		for _, form := range []Format{Bitmap, Simplified} {
			p, err := s.cachePath(name, form)
			if err != nil {
				return
			}
			dir := filepath.Join(s.cache, form.dir())
			if filepath.Dir(p) != dir || !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Fatalf("category %q caches at %q, outside %q", name, p, dir)
			}
		}
	})
}

// FuzzOpenHTTP feeds arbitrary mirror URLs to the HTTP source: what it
// accepts keeps its cache folder inside the cache root, whatever the host
// and path segments (dots, escapes, colons) say.
func FuzzOpenHTTP(f *testing.F) {
	for _, s := range []string{"https://storage.googleapis.com/quickdraw_dataset/full", "http://h:8080/a/b/", "http://../x",
		"http://h/%2e%2e/%2e%2e/etc", "http://h/a%2F..%2F..%2Fb", "https://h/./x", "http://[::1]:80/q", "http://h/a\\..\\b"} {
		f.Add(s)
	}
	const root = "/cache/root"
	f.Fuzz(func(t *testing.T, location string) {
		s, err := openHTTP(location, Options{CacheDir: root})
		if err != nil {
			return
		}
		if filepath.Clean(s.cache) != s.cache || !strings.HasPrefix(s.cache, root+string(filepath.Separator)) {
			t.Fatalf("source %q caches in %q, outside %q", location, s.cache, root)
		}
		for _, form := range []Format{Bitmap, Simplified} {
			if p, err := s.cachePath("cat", form); err != nil || !strings.HasPrefix(p, s.cache+string(filepath.Separator)) {
				t.Fatalf("source %q: cache path %q, %v", location, p, err)
			}
		}
	})
}
