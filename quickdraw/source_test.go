package quickdraw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/internal/testenv"
)

func TestCategories(t *testing.T) {
	c := Categories()
	if len(c) != 345 {
		t.Fatalf("%d categories, want 345", len(c))
	}
	seen := map[string]bool{}
	for _, n := range c {
		if seen[n] {
			t.Errorf("%q twice", n)
		}
		seen[n] = true
		if !validName(n) || strings.TrimSpace(n) != n {
			t.Errorf("bad name %q", n)
		}
	}
	for _, n := range []string{"smiley face", "zigzag", "The Eiffel Tower", "aircraft carrier", "t-shirt", "teddy-bear", "cat", "dog", "clock"} {
		if !seen[n] || !IsCategory(n) {
			t.Errorf("missing %q", n)
		}
	}
	if c[0] != "aircraft carrier" || c[344] != "zigzag" || c[66] != "cello" || c[67] != "cell phone" {
		t.Errorf("not the official order: %q … %q, %q, %q", c[0], c[344], c[66], c[67])
	}
	c[0] = "changed"
	if Categories()[0] != "aircraft carrier" {
		t.Error("Categories returned its internal slice")
	}
	if IsCategory("Cat") || IsCategory("") {
		t.Error("IsCategory accepts a non-category")
	}
}

// The simplified folder of the test data holds every category but zigzag.
func TestCategoriesMatchData(t *testing.T) {
	src, err := Open(testenv.QuickDraw(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, c := range Categories() {
		ok, err := src.Has(context.Background(), c, Simplified)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			missing = append(missing, c)
		}
	}
	if !slices.Equal(missing, []string{"zigzag"}) {
		t.Fatalf("missing %v, want [zigzag]", missing)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	for _, tt := range []struct{ loc, want string }{
		{filepath.Join(dir, "nope"), "does not exist"},
		{file, "is not a folder"},
		{dir, "holds neither numpy_bitmap/ nor simplified/"},
		{"http://", "has no host"},
		{"https://example.com/a/../b", "cannot name a cache folder"},
	} {
		_, err := Open(tt.loc, Options{CacheDir: dir})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), strings.TrimSuffix(tt.loc, "/")) {
			t.Errorf("Open(%q): %v, want %q", tt.loc, err, tt.want)
		}
	}
}

func TestDirSource(t *testing.T) {
	dir := testenv.QuickDraw(t)
	src, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ok, _ := src.Has(ctx, "smiley face", Bitmap); !ok {
		t.Error("no smiley face bitmaps")
	}
	if ok, _ := src.Has(ctx, "zigzag", Simplified); ok {
		t.Error("zigzag strokes found")
	}
	_, err = src.Bitmaps(ctx, "zigzag", 10)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "numpy_bitmap", "zigzag.npy")) {
		t.Errorf("missing category: %v, want an error naming the file", err)
	}
	for _, bad := range []string{"../x", "a/b", "..", ""} {
		if _, err := src.Bitmaps(ctx, bad, 1); err == nil || !strings.Contains(err.Error(), "invalid category name") {
			t.Errorf("Bitmaps(%q): %v", bad, err)
		}
		if _, err := src.Has(ctx, bad, Simplified); err == nil {
			t.Errorf("Has(%q): no error", bad)
		}
	}
}

func TestImages(t *testing.T) {
	src, err := Open(testenv.QuickDraw(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		cat  string
		f    Format
		rows int
		n    int
	}{
		{"cat", Bitmap, 30, 30},
		{"ant", Simplified, -1, 25},
	} {
		r, f, err := Images(ctx, src, tt.cat, 30)
		if err != nil {
			t.Fatal(err)
		}
		img := make([]byte, Pixels)
		n := 0
		for r.Next(img) == nil {
			n++
		}
		r.Close()
		if f != tt.f || r.Rows() != tt.rows || n != tt.n {
			t.Errorf("%s: format %v rows %d n %d, want %v %d %d", tt.cat, f, r.Rows(), n, tt.f, tt.rows, tt.n)
		}
	}
	_, _, err = Images(ctx, src, "zigzag", 1)
	if !errors.Is(err, ErrNoCategory) || !strings.Contains(err.Error(), "numpy_bitmap/zigzag.npy nor simplified/zigzag.ndjson") {
		t.Errorf("zigzag: %v", err)
	}
}

// mirror serves a folder over HTTP (with Range support, from
// http.FileServer) and records the requests it gets.
type mirror struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // "METHOD path range"
}

func newMirror(t *testing.T, dir string) *mirror {
	m := &mirror{}
	fs := http.FileServer(http.Dir(dir))
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.reqs = append(m.reqs, r.Method+" "+r.URL.Path+" "+r.Header.Get("Range"))
		m.mu.Unlock()
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *mirror) take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.reqs
	m.reqs = nil
	return r
}

func readAll(t *testing.T, r ImageReader) []byte {
	t.Helper()
	var all []byte
	img := make([]byte, Pixels)
	for {
		err := r.Next(img)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, img...)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestHTTPSource(t *testing.T) {
	dir := testenv.QuickDraw(t)
	m := newMirror(t, dir)
	cache := t.TempDir()
	ctx := context.Background()
	local, _ := Open(dir, Options{})
	src, err := Open(m.URL+"/", Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if src.String() != m.URL {
		t.Errorf("String() = %q", src.String())
	}
	want := func(cat string, limit int) []byte {
		r, err := local.Bitmaps(ctx, cat, limit)
		if err != nil {
			t.Fatal(err)
		}
		return readAll(t, r)
	}
	get := func(cat string, limit int) []byte {
		r, err := src.Bitmaps(ctx, cat, limit)
		if err != nil {
			t.Fatal(err)
		}
		return readAll(t, r)
	}

	// First read: a header probe, then exactly the rows asked for.
	if got := get("smiley face", 10); !bytes.Equal(got, want("smiley face", 10)) {
		t.Fatal("HTTP rows differ from the folder's")
	}
	if reqs := m.take(); !slices.Equal(reqs, []string{
		"GET /numpy_bitmap/smiley face.npy bytes=0-127",
		"GET /numpy_bitmap/smiley face.npy bytes=128-7967", // 128 + 10*784 - 1
	}) {
		t.Fatalf("requests %q", reqs)
	}
	part := filepath.Join(cache, strings.ReplaceAll(strings.TrimPrefix(m.URL, "http://"), ":", "_"), "numpy_bitmap", "smiley face.npy.part")
	if st, err := os.Stat(part); err != nil || st.Size() != 128+10*Pixels {
		t.Fatalf("cache file %s: %v, %v", part, st, err)
	}

	// Second read of as many rows or fewer: from the cache only.
	if got := get("smiley face", 5); !bytes.Equal(got, want("smiley face", 5)) {
		t.Fatal("cached rows differ")
	}
	if reqs := m.take(); len(reqs) != 0 {
		t.Fatalf("cached read made requests %q", reqs)
	}

	// A larger limit asks only for the missing rows.
	if got := get("smiley face", 25); !bytes.Equal(got, want("smiley face", 25)) {
		t.Fatal("resumed rows differ")
	}
	if reqs := m.take(); !slices.Equal(reqs, []string{"GET /numpy_bitmap/smiley face.npy bytes=7968-19727"}) {
		t.Fatalf("resume requests %q", reqs)
	}

	// All rows: the file completes and loses its .part suffix.
	if got := get("smiley face", 0); !bytes.Equal(got, want("smiley face", 0)) || len(got) != 1000*Pixels {
		t.Fatal("full read differs")
	}
	m.take()
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf(".part still there: %v", err)
	}
	if _, err := os.Stat(strings.TrimSuffix(part, ".part")); err != nil {
		t.Error(err)
	}
	if got := get("smiley face", 0); len(got) != 1000*Pixels || len(m.take()) != 0 {
		t.Error("complete cached file not used")
	}

	// Has: HEAD, and the cache answers without a request.
	if ok, err := src.Has(ctx, "cat", Bitmap); !ok || err != nil {
		t.Errorf("Has(cat) = %v, %v", ok, err)
	}
	if ok, err := src.Has(ctx, "zigzag", Simplified); ok || err != nil {
		t.Errorf("Has(zigzag) = %v, %v", ok, err)
	}
	if reqs := m.take(); len(reqs) != 2 || !strings.HasPrefix(reqs[0], "HEAD ") {
		t.Errorf("Has requests %q", reqs)
	}
	if ok, _ := src.Has(ctx, "smiley face", Bitmap); !ok || len(m.take()) != 0 {
		t.Error("Has on a cached file made a request")
	}

	// A missing file names its URL.
	_, err = src.Bitmaps(ctx, "zigzag", 3)
	if err == nil || !strings.Contains(err.Error(), m.URL+"/numpy_bitmap/zigzag.npy") || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing: %v", err)
	}
}

func TestHTTPStrokes(t *testing.T) {
	dir := testenv.QuickDraw(t)
	m := newMirror(t, dir)
	ctx := context.Background()
	cache := t.TempDir()
	src, err := Open(m.URL, Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := Open(dir, Options{})
	read := func(s Source, limit int) []Drawing {
		r, err := s.Strokes(ctx, "The Eiffel Tower", limit)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var ds []Drawing
		for {
			d, err := r.Next()
			if err == io.EOF {
				return ds
			}
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
	}
	if got, want := read(src, 3), read(local, 3); len(got) != 3 || !slicesEqualDrawings(got, want) {
		t.Fatal("HTTP drawings differ")
	}
	if reqs := m.take(); !slices.Equal(reqs, []string{"GET /simplified/The Eiffel Tower.ndjson bytes=0-"}) {
		t.Fatalf("requests %q", reqs)
	}
	// The streamed prefix is cached: 2 drawings need no request.
	if got := read(src, 2); len(got) != 2 || len(m.take()) != 0 {
		t.Fatal("cached strokes not used")
	}
	// All of them: resumes after the cached prefix (if the first read did
	// not already stream the whole small file), then completes.
	if got, want := read(src, 0), read(local, 0); !slicesEqualDrawings(got, want) || len(got) != 25 {
		t.Fatalf("full read: %d drawings", len(got))
	}
	reqs := m.take()
	if len(reqs) > 1 || (len(reqs) == 1 && strings.HasSuffix(reqs[0], "bytes=0-")) {
		t.Fatalf("resume requests %q", reqs)
	}
	if got := read(src, 0); len(got) != 25 || len(m.take()) != 0 {
		t.Fatal("complete cached file not used")
	}
	orig, _ := os.ReadFile(filepath.Join(dir, "simplified", "The Eiffel Tower.ndjson"))
	cached, err := os.ReadFile(filepath.Join(cache, strings.ReplaceAll(strings.TrimPrefix(m.URL, "http://"), ":", "_"), "simplified", "The Eiffel Tower.ndjson"))
	if err != nil || !bytes.Equal(orig, cached) {
		t.Fatalf("cached file differs from the original (%d vs %d bytes): %v", len(cached), len(orig), err)
	}
}

func slicesEqualDrawings(a, b []Drawing) bool {
	return len(a) == len(b) && slices.EqualFunc(a, b, func(x, y Drawing) bool {
		return x.KeyID == y.KeyID && len(x.Strokes) == len(y.Strokes) && bytes.Equal(x.Strokes[0].X, y.Strokes[0].X)
	})
}

// A server that claims more rows than it serves gets a clear error.
func TestHTTPShortFile(t *testing.T) {
	data := makeNPY(1, dict("(5, 784)"), rowsData(2))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x.npy", timeZero, bytes.NewReader(data))
	}))
	defer srv.Close()
	src, _ := Open(srv.URL, Options{CacheDir: t.TempDir()})
	_, err := src.Bitmaps(context.Background(), "cat", 4)
	if err == nil || !strings.Contains(err.Error(), "/numpy_bitmap/cat.npy") {
		t.Fatalf("got %v", err)
	}
	t.Log(err)
}

var timeZero time.Time

// Open a folder laid out like the official dataset (or an HTTP mirror such
// as DefaultURL) and read the first drawings of a category.
func ExampleOpen() {
	src, err := Open(filepath.Join(testenv.RepoRoot(), "..", "shared", "quickdraw"), Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, format, err := Images(context.Background(), src, "smiley face", 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	img := make([]byte, Pixels)
	n := 0
	for r.Next(img) == nil {
		n++ // img holds 28×28 pixels, 0 = background, 255 = ink
	}
	fmt.Println(n, "drawings from", format)
}

func ExampleRender() {
	d := Drawing{Strokes: []Stroke{{X: []uint8{0, 255}, Y: []uint8{0, 255}}}} // a diagonal
	img := make([]byte, Pixels)
	Render(d, img)
	for y := 0; y < Side; y += 4 {
		fmt.Print("|")
		for x := 0; x < Side; x += 2 {
			c := " "
			if img[y*Side+x] > 128 {
				c = "#"
			}
			fmt.Print(c)
		}
		fmt.Println("|")
	}
	// Output:
	// |              |
	// |  #           |
	// |    #         |
	// |      #       |
	// |        #     |
	// |          #   |
	// |            # |
}

// A server without Range support (always 200 with the whole file) still
// gives the right rows, and a resumed read skips the cached prefix.
func TestHTTPNoRangeSupport(t *testing.T) {
	dir := testenv.QuickDraw(t)
	raw, err := os.ReadFile(filepath.Join(dir, "numpy_bitmap", "eye.npy"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/numpy_bitmap/eye.npy" {
			http.NotFound(w, r)
			return
		}
		w.Write(raw) // ignores Range
	}))
	defer srv.Close()
	src, _ := Open(srv.URL, Options{CacheDir: t.TempDir()})
	local, _ := Open(dir, Options{})
	for _, limit := range []int{3, 7, 0} {
		r, err := src.Bitmaps(context.Background(), "eye", limit)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := local.Bitmaps(context.Background(), "eye", limit)
		if got, want := readAll(t, r), readAll(t, l); !bytes.Equal(got, want) {
			t.Fatalf("limit %d: rows differ (%d vs %d bytes)", limit, len(got), len(want))
		}
	}
}

// A server whose Content-Range does not match the request is refused.
func TestHTTPBadContentRange(t *testing.T) {
	data := makeNPY(1, dict("(5, 784)"), rowsData(5))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 10-137/"+fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(data[10:138])
	}))
	defer srv.Close()
	src, _ := Open(srv.URL, Options{CacheDir: t.TempDir()})
	_, err := src.Bitmaps(context.Background(), "cat", 1)
	if err == nil || !strings.Contains(err.Error(), "asked for bytes=0-127") {
		t.Fatalf("got %v", err)
	}
}

// A server that refuses HEAD is asked for one byte instead; other
// statuses are errors naming the URL.
func TestHTTPHasWithoutHEAD(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodHead:
			w.WriteHeader(http.StatusMethodNotAllowed)
		case strings.Contains(r.URL.Path, "cat"):
			w.Write([]byte("x"))
		case strings.Contains(r.URL.Path, "dog"):
			w.WriteHeader(http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	src, _ := Open(strings.ToUpper(srv.URL[:4])+srv.URL[4:], Options{CacheDir: t.TempDir()})
	ctx := context.Background()
	if ok, err := src.Has(ctx, "cat", Bitmap); !ok || err != nil {
		t.Errorf("cat: %v %v", ok, err)
	}
	if ok, err := src.Has(ctx, "bee", Bitmap); ok || err != nil {
		t.Errorf("bee: %v %v", ok, err)
	}
	if _, err := src.Has(ctx, "dog", Bitmap); err == nil || !strings.Contains(err.Error(), "/numpy_bitmap/dog.npy: GET 500") {
		t.Errorf("dog: %v", err)
	}
}
