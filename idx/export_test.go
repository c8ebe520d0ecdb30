package idx

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/quickdraw"
)

// testCategories are the 28 bitmap categories of the test data and a few
// stroke-only ones, enough for Choose at a small per-class count while
// keeping the tests quick.
var testCategories = []string{
	"airplane", "apple", "banana", "bee", "bicycle", "bird", "book", "boomerang", "candle", "car",
	"cat", "clock", "cloud", "cookie", "diamond", "dog", "eye", "fish", "flower", "guitar",
	"house", "octopus", "rainbow", "smiley face", "snowman", "train", "tree", "umbrella",
	"ocean", "moustache", "The Eiffel Tower",
}

func prepareOptions(source, out string) PrepareOptions {
	return PrepareOptions{
		Source:     source,
		Out:        out,
		Settings:   mix.Settings{PerClass: 120, TestFraction: 0.25, Seed: 5, Measure: "entropy"},
		Categories: testCategories,
		Workers:    2,
	}
}

// prepared runs Prepare once per test binary on the local test data and
// returns its folder.
var prepared = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "fluens-idx-test-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "prep")
	_, err = Prepare(context.Background(), prepareOptions(os.Getenv("FLUENS_IDX_TESTDATA"), out))
	return out, err
})

func preparedDir(t *testing.T) string {
	t.Helper()
	os.Setenv("FLUENS_IDX_TESTDATA", testenv.QuickDraw(t))
	dir, err := prepared()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := prepared(); err == nil && dir != "" && strings.Contains(dir, "fluens-idx-test-") {
		os.RemoveAll(filepath.Dir(dir))
	}
	os.Exit(code)
}

func TestPrepareFolder(t *testing.T) {
	dir := preparedDir(t)
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest
	if len(m.Convergent) != mix.Slots || len(m.Divergent) != mix.Slots || p.Len() != mix.Slots+1 {
		t.Fatalf("%d convergent, %d divergent, %d mixes", len(m.Convergent), len(m.Divergent), p.Len())
	}
	for _, f := range []string{MeasuresFile, ReadmeFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	readme, _ := os.ReadFile(filepath.Join(dir, ReadmeFile))
	for _, want := range []string{"made available by Google, Inc.", "CC BY 4.0", "Hendrik Strobelt", "formafluens.io/client/mix.html"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, MeasuresFile))
	if lines := strings.Count(string(csv), "\n"); lines != len(testCategories)+1 {
		t.Errorf("measures.csv has %d lines, want %d", lines, len(testCategories)+1)
	}
	if len(m.Averages) != len(testCategories) {
		t.Errorf("%d averages, want %d", len(m.Averages), len(testCategories))
	}
	for label, rel := range m.Averages {
		png, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("average of %q: %v", label, err)
		}
	}
	var prevTest map[string][]string
	for k := range p.Len() {
		e := m.Mixes[k]
		train, test, err := p.Mix(k)
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != 10*90 || test.Len() != 10*30 || train.Rows != 28 || train.Cols != 28 {
			t.Fatalf("%s: %d train, %d test of %d×%d", e.Name, train.Len(), test.Len(), train.Rows, train.Cols)
		}
		if k > 0 {
			var diff []int
			for i := range e.Labels {
				if e.Labels[i] != m.Mixes[k-1].Labels[i] {
					diff = append(diff, i)
				}
			}
			if !slices.Equal(diff, []int{k - 1}) {
				t.Errorf("%s differs from the mix before in slots %v", e.Name, diff)
			}
		}
		// The test drawings of a label are the same in every mix.
		byLabel := map[string][]string{}
		for i, l := range test.Labels {
			name := e.Labels[l]
			byLabel[name] = append(byLabel[name], string(test.Image(i)))
		}
		for name, imgs := range byLabel {
			slices.Sort(imgs)
			if prev, ok := prevTest[name]; ok && !slices.Equal(prev, imgs) {
				t.Errorf("%s: test drawings of %q differ from the mix before", e.Name, name)
			}
		}
		prevTest = byLabel
	}
}

// The same data through a local HTTP mirror gives byte-identical IDX files.
func TestPrepareHTTPMirrorIdentical(t *testing.T) {
	local := preparedDir(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(testenv.QuickDraw(t))))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "prep")
	opt := prepareOptions(srv.URL, out)
	opt.QuickDraw = quickdraw.Options{CacheDir: t.TempDir(), Client: srv.Client()}
	p, err := Prepare(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := Open(local)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Manifest.Convergent, lp.Manifest.Convergent) || !slices.Equal(p.Manifest.Divergent, lp.Manifest.Divergent) {
		t.Errorf("lists differ: HTTP %v %v, folder %v %v", p.Manifest.Convergent, p.Manifest.Divergent, lp.Manifest.Convergent, lp.Manifest.Divergent)
	}
	for k, e := range lp.Manifest.Mixes {
		for _, f := range Files {
			a, err1 := os.ReadFile(filepath.Join(local, e.Name, f))
			b, err2 := os.ReadFile(filepath.Join(out, e.Name, f))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s/%s differs between folder and HTTP sources", e.Name, f)
			}
		}
		if p.Manifest.Mixes[k].ContentHash != e.ContentHash {
			t.Errorf("%s: content hashes differ", e.Name)
		}
	}
	if p.Manifest.Settings.Source != srv.URL {
		t.Errorf("source recorded as %q", p.Manifest.Settings.Source)
	}
}

func smallBundle(t *testing.T) *mix.Bundle {
	t.Helper()
	src, err := quickdraw.Open(testenv.QuickDraw(t), quickdraw.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := mix.Build(context.Background(), src, []string{"clock", "eye"}, []string{"cat", "dog"},
		mix.Settings{PerClass: 20, TestFraction: 0.5, Seed: 1, Measure: "entropy", Source: "../shared/quickdraw"}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func siblings(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestExportRefusesAndReplaces(t *testing.T) {
	b := smallBundle(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "precious")
	os.WriteFile(keep, []byte("x"), 0o644)
	err := Export(dir, b, ExportOptions{})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v, want ErrExists naming %s", err, dir)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatal("refused export touched the existing folder")
	}
	if err := Export(dir, b, ExportOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keep); !errors.Is(err, os.ErrNotExist) {
		t.Error("forced export kept a file of the old folder")
	}
	if got := siblings(t, dir); !slices.Equal(got, []string{"out"}) {
		t.Errorf("folder beside the output holds %v, want only out", got)
	}
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 3 || p.Manifest.Mixes[1].Labels[0] != "cat" || p.Manifest.Mixes[1].Labels[1] != "eye" {
		t.Errorf("mixes %+v", p.Manifest.Mixes)
	}
}

// An export that fails half-way leaves neither the output nor its
// temporary folder behind.
func TestExportFailureLeavesNothing(t *testing.T) {
	b := smallBundle(t)
	delete(b.Labels, "dog") // mix 2 cannot be assembled: the export fails after writing mixes 0 and 1
	dir := filepath.Join(t.TempDir(), "out")
	err := Export(dir, b, ExportOptions{})
	if err == nil || !strings.Contains(err.Error(), `"dog"`) {
		t.Fatalf("got %v, want an error about dog", err)
	}
	if got := siblings(t, dir); len(got) != 0 {
		t.Errorf("failed export left %v", got)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open after a failed export: %v", err)
	}
	// An interrupted export (cancelled context) leaves nothing either.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Export(dir, smallBundle(t), ExportOptions{Context: ctx}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled export: %v", err)
	}
	if got := siblings(t, dir); len(got) != 0 {
		t.Errorf("cancelled export left %v", got)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/labels.json")

// TestManifestGolden pins labels.json of a small export, sha256 of every
// IDX file included: the splits, the orders and the bytes written must not
// change unnoticed. (The digests also depend on compress/flate's output,
// stable across Go releases so far; if a Go release changes it, check the
// decoded data and rerun with -update.)
func TestManifestGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Export(dir, smallBundle(t), ExportOptions{Workers: 3}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "labels.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("labels.json differs from %s:\n%s", golden, got)
	}
}

func TestOpenErrors(t *testing.T) {
	b := smallBundle(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := Export(dir, b, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNotPrepared) || !strings.Contains(err.Error(), "labels.json") {
		t.Errorf("empty folder: %v", err)
	}
	// A changed IDX file is caught by its digest.
	p, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "conv_div_mix_01", TestLabelsFile)
	if err := WriteLabels(f, []uint8{0, 1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Mix(1); err == nil || !strings.Contains(err.Error(), "changed after prepare") || !strings.Contains(err.Error(), f) {
		t.Errorf("changed file: %v", err)
	}
	if _, _, err := p.Mix(0); err != nil {
		t.Errorf("untouched mix 0: %v", err)
	}
	// A missing file makes the folder not prepared.
	os.Remove(f)
	if _, err := Open(dir); !errors.Is(err, ErrNotPrepared) || !strings.Contains(err.Error(), "conv_div_mix_01") {
		t.Errorf("missing file: %v", err)
	}
	// A manifest whose lists disagree with its mixes.
	mf := filepath.Join(dir, ManifestFile)
	raw, _ := os.ReadFile(mf)
	os.WriteFile(mf, bytes.Replace(raw, []byte(`"cat"`), []byte(`"cow"`), 1), 0o644)
	if _, err := Open(dir); !errors.Is(err, ErrNotPrepared) {
		t.Errorf("inconsistent manifest: %v", err)
	}
}

func TestPrepareChecksFirst(t *testing.T) {
	src := testenv.QuickDraw(t)
	existing := t.TempDir()
	tests := []struct {
		name string
		edit func(*PrepareOptions)
		want string
	}{
		{"unknown measure", func(o *PrepareOptions) { o.Settings.Measure = "sharpness" }, `unknown measure "sharpness" (valid: `},
		{"test fraction", func(o *PrepareOptions) { o.Settings.TestFraction = 1 }, "test fraction 1"},
		{"per class", func(o *PrepareOptions) { o.Settings.PerClass = 0 }, "per-class count 0"},
		{"one list", func(o *PrepareOptions) { o.Convergent = []string{"cat"} }, "give both"},
		{"name twice", func(o *PrepareOptions) { o.Convergent, o.Divergent = []string{"cat"}, []string{"cat"} }, `"cat" appears in both`},
		{"unknown label", func(o *PrepareOptions) { o.Convergent, o.Divergent = []string{"cat"}, []string{"unicorn"} }, `unknown label "unicorn"`},
		{"too few drawings", func(o *PrepareOptions) {
			o.Settings.PerClass = 600
			o.Convergent, o.Divergent = []string{"cat"}, []string{"bee"}
		}, "too few drawings"},
		{"too few categories", func(o *PrepareOptions) { o.Settings.PerClass = 3000 }, "only 15 of 31 measured categories have at least 3000"},
		{"existing output", func(o *PrepareOptions) { o.Out = existing }, "already exists"},
		{"missing source", func(o *PrepareOptions) { o.Source = filepath.Join(existing, "nowhere") }, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "prep")
			opt := prepareOptions(src, out)
			tt.edit(&opt)
			_, err := Prepare(context.Background(), opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if opt.Out == out {
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("failed prepare left %s", out)
				}
			}
		})
	}
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"smiley face":      "smiley face",
		"The Eiffel Tower": "The Eiffel Tower",
		"t-shirt":          "t-shirt",
		"../../etc/passwd": "_.._.._etc_passwd",
		"..":               "_..",
		"a\\b":             "a_b",
		"":                 "_",
		"café":             "caf_",
	} {
		got := SafeFileName(in)
		if got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(got, `/\`) || filepath.Base(got) != got || strings.HasPrefix(got, ".") {
			t.Errorf("SafeFileName(%q) = %q escapes its folder", in, got)
		}
	}
	used := map[string]bool{}
	if a, b := uniqueName("x", used), uniqueName("X", used); a != "x" || b != "X-2" {
		t.Errorf("unique names %q %q", a, b)
	}
}

// TestPythonReaders loads a prepared mix as TensorFlow's old read_data_sets
// (tensorflow/contrib/learn/datasets/mnist.py: gzip, big-endian _read32,
// magic 2051/2049, numpy.frombuffer) does, re-implemented with numpy in
// testdata/load_mnist.py, and, where torchvision is installed, with
// torchvision.datasets.MNIST itself.
func TestPythonReaders(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no " + py)
	}
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("no numpy for " + py)
	}
	dir := preparedDir(t)
	mixDir := filepath.Join(dir, "conv_div_mix_03")
	_, test, err := ReadDir(mixDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, reader := range []string{"tf", "torchvision"} {
		t.Run(reader, func(t *testing.T) {
			if reader == "torchvision" {
				if testing.Short() {
					t.Skip("importing torchvision takes seconds")
				}
				if err := exec.Command(py, "-c", "import torchvision").Run(); err != nil {
					t.Skip("torchvision is not installed for " + py)
				}
			}
			cmd := exec.Command(py, filepath.Join("testdata", "load_mnist.py"), reader, mixDir, t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			// The script prints: train count, test count, sum of test pixels, test labels joined.
			var want strings.Builder
			sum := 0
			for _, p := range test.Images {
				sum += int(p)
			}
			labels := make([]string, test.Len())
			for i, l := range test.Labels {
				labels[i] = string(rune('0' + l))
			}
			want.WriteString(strings.Join([]string{"900", "300", strconv.Itoa(sum), strings.Join(labels, "")}, " "))
			if got := strings.TrimSpace(string(out)); got != want.String() {
				t.Errorf("python %s reader says\n%.200s\nwant\n%.200s", reader, got, want.String())
			}
		})
	}
}

// BenchmarkPrepare runs the whole `fluens prepare` on the local test data
// with the default settings (1,000 drawings per label, all categories).
func BenchmarkPrepare(b *testing.B) {
	src := testenv.QuickDraw(b)
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "prep")
		_, err := Prepare(context.Background(), PrepareOptions{Source: src, Out: out, Settings: mix.DefaultSettings()})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDir writes one mix of 8,000 train and 2,000 test drawings.
func BenchmarkWriteDir(b *testing.B) {
	src, err := quickdraw.Open(testenv.QuickDraw(b), quickdraw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r, err := src.Bitmaps(context.Background(), "cat", 4000)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	pix := make([]byte, 0, 10000*784)
	img := make([]byte, 784)
	for r.Next(img) == nil {
		pix = append(pix, img...)
	}
	pix = append(pix, pix...)
	pix = append(pix, pix[:2000*784]...)
	train := Dataset{Rows: 28, Cols: 28, Images: pix[:8000*784], Labels: make([]uint8, 8000)}
	test := Dataset{Rows: 28, Cols: 28, Images: pix[8000*784:], Labels: make([]uint8, 2000)}
	b.SetBytes(int64(len(pix)))
	dir := b.TempDir()
	for b.Loop() {
		if err := WriteDir(dir, train, test); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "labels.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":"fluens-prepared/1","convergent":["a"],"divergent":["b"],"mixes":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseManifest(raw)
		if err != nil {
			return
		}
		// What parses is consistent: n+1 mixes of n slots sliding from one list to the other.
		n := len(m.Convergent)
		if len(m.Divergent) != n || len(m.Mixes) != n+1 {
			t.Fatalf("%d/%d lists, %d mixes", n, len(m.Divergent), len(m.Mixes))
		}
		if !slices.Equal(m.Mixes[0].Labels, m.Convergent) || !slices.Equal(m.Mixes[n].Labels, m.Divergent) {
			t.Fatal("mixes do not run from the convergent to the divergent list")
		}
	})
}
