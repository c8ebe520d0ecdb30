package measure

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/quickdraw"
)

var update = flag.Bool("update", false, "rewrite golden files")

func openData(t *testing.T) quickdraw.Source {
	t.Helper()
	src, err := quickdraw.Open(testenv.QuickDraw(t), quickdraw.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func bitmapCategories(t *testing.T, src quickdraw.Source) []string {
	var cats []string
	for _, c := range quickdraw.Categories() {
		ok, err := src.Has(context.Background(), c, quickdraw.Bitmap)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			cats = append(cats, c)
		}
	}
	if len(cats) != 28 {
		t.Fatalf("%d bitmap categories, want 28", len(cats))
	}
	return cats
}

func TestMeasure(t *testing.T) {
	src := openData(t)
	ctx := context.Background()
	r, err := Measure(ctx, src, "smiley face", 100)
	if err != nil {
		t.Fatal(err)
	}
	// Independent average: read the rows and add them as float64.
	br, err := src.Bitmaps(ctx, "smiley face", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, quickdraw.Pixels)
	img := make([]byte, quickdraw.Pixels)
	n := 0
	for br.Next(img) == nil {
		for i, v := range img {
			want[i] += float64(v) / 100
		}
		n++
	}
	br.Close()
	if r.Category != "smiley face" || r.Format != quickdraw.Bitmap || r.Drawings != 100 || n != 100 {
		t.Fatalf("got %s %v %d drawings", r.Category, r.Format, r.Drawings)
	}
	for i := range want {
		if math.Abs(r.Average[i]-want[i]) > 1e-9 {
			t.Fatalf("pixel %d: %v, want %v", i, r.Average[i], want[i])
		}
	}
	if r.Entropy != Entropy(r.Average) || r.Variance != Variance(r.Average) || r.Entropy < 1 || r.Entropy > 8 {
		t.Fatalf("entropy %v variance %v", r.Entropy, r.Variance)
	}

	// A category with strokes only is measured from rendered strokes.
	r, err = Measure(ctx, src, "ant", 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != quickdraw.Simplified || r.Drawings != 25 || r.Entropy <= 0 {
		t.Fatalf("ant: %v, %d drawings, entropy %v", r.Format, r.Drawings, r.Entropy)
	}

	if _, err := Measure(ctx, src, "zigzag", 0); err == nil || !strings.Contains(err.Error(), "zigzag") {
		t.Fatalf("zigzag: %v", err)
	}
}

func TestMeasureAll(t *testing.T) {
	src := openData(t)
	ctx := context.Background()
	cats := []string{"zigzag", "rainbow", "ant", "cat", "The Mona Lisa", "eye"}
	var calls []int
	one, err := MeasureAll(ctx, src, cats, 200, 1, func(done, total int) {
		if total != 6 {
			t.Errorf("progress total %d, want 6", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []int{1, 2, 3, 4, 5, 6}) {
		t.Errorf("progress calls %v", calls)
	}
	four, err := MeasureAll(ctx, src, cats, 200, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, r := range one {
		names = append(names, r.Category)
		f := four[i]
		if r.Category != f.Category || r.Entropy != f.Entropy || r.Variance != f.Variance || !slices.Equal(r.Average, f.Average) {
			t.Errorf("%s: results differ between 1 and 4 workers", r.Category)
		}
	}
	// zigzag is not in the source: skipped; order is the caller's.
	if !slices.Equal(names, []string{"rainbow", "ant", "cat", "The Mona Lisa", "eye"}) {
		t.Errorf("categories %q", names)
	}
	if one[0].Drawings != 200 || one[1].Drawings != 25 || one[1].Format != quickdraw.Simplified {
		t.Errorf("drawings %d, %d", one[0].Drawings, one[1].Drawings)
	}

	if _, err := MeasureAll(ctx, src, []string{"cat", "dog", "cat"}, 1, 2, nil); err == nil || !strings.Contains(err.Error(), `"cat" given twice`) {
		t.Errorf("duplicate: %v", err)
	}
}

// A corrupt file stops MeasureAll with an error that names it.
func TestMeasureAllBadFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "numpy_bitmap"), 0o755)
	good := []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }")
	good = append(good, bytes.Repeat([]byte(" "), 128-len(good)-1)...)
	good = append(good, '\n')
	good = append(good, make([]byte, 784)...)
	good[200] = 255
	os.WriteFile(filepath.Join(dir, "numpy_bitmap", "apple.npy"), good, 0o644)
	os.WriteFile(filepath.Join(dir, "numpy_bitmap", "cat.npy"), good[:500], 0o644)
	src, err := quickdraw.Open(dir, quickdraw.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := MeasureAll(context.Background(), src, []string{"apple"}, 0, 2, nil)
	if err != nil || len(res) != 1 || res[0].Drawings != 1 || res[0].Entropy == 0 {
		t.Fatalf("apple: %v %v", res, err)
	}
	_, err = MeasureAll(context.Background(), src, []string{"apple", "cat"}, 0, 2, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "numpy_bitmap", "cat.npy")) || !strings.Contains(err.Error(), "truncated at row 0 of 1") {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureAll(ctx, src, []string{"apple"}, 0, 1, nil); err == nil {
		t.Fatal("cancelled context: no error")
	}
}

// TestRankRealData checks the direction of the measures on the 28 bitmap
// categories of the test data (all their drawings). What the data shows:
//
//   - by entropy, rainbow (2nd) and eye (11th) rank in the convergent half
//     and cat (26th) and dog (21st) in the divergent half; clock ranks 25th:
//     its average is a sharp ring around a wide grey disc, and the disc's
//     many grey levels raise the entropy.
//   - by variance, low is convergent too: cat (28th), bird (27th) and dog
//     (26th) have the highest variance (a wide bright blob), rainbow (6th)
//     a low one. Taking high variance as convergent would make cat the
//     most convergent label.
func TestRankRealData(t *testing.T) {
	src := openData(t)
	res, err := MeasureAll(context.Background(), src, bitmapCategories(t, src), 0, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	rankOf := func(by string) map[string]int {
		ranked, err := Rank(res, by)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, r := range ranked {
			m[r.Category] = r.Rank
			t.Logf("%-8s %2d %-12s %5d drawings  entropy %.4f  variance %.5f", by, r.Rank, r.Category, r.Drawings, r.Entropy, r.Variance)
		}
		return m
	}
	e := rankOf("entropy")
	for _, c := range []string{"rainbow", "eye"} {
		for _, d := range []string{"cat", "dog"} {
			if e[c] >= e[d] {
				t.Errorf("entropy: %s (rank %d) not more convergent than %s (rank %d)", c, e[c], d, e[d])
			}
		}
		if e[c] > 14 {
			t.Errorf("entropy: %s rank %d, want the convergent half", c, e[c])
		}
	}
	for _, d := range []string{"cat", "dog"} {
		if e[d] <= 14 {
			t.Errorf("entropy: %s rank %d, want the divergent half", d, e[d])
		}
	}
	v := rankOf("variance")
	if v["rainbow"] > 7 || v["cat"] < 26 || v["dog"] < 22 {
		t.Errorf("variance ranks: rainbow %d, cat %d, dog %d", v["rainbow"], v["cat"], v["dog"])
	}
}

func TestRank(t *testing.T) {
	in := []Result{
		{Category: "b", Entropy: 2, Variance: 0.1},
		{Category: "a", Entropy: 2, Variance: 0.3},
		{Category: "c", Entropy: 1, Variance: 0.2},
	}
	got, err := Rank(in, "entropy")
	if err != nil {
		t.Fatal(err)
	}
	order := func(rs []Result) string {
		var s []string
		for _, r := range rs {
			s = append(s, fmt.Sprintf("%s%d", r.Category, r.Rank))
		}
		return strings.Join(s, " ")
	}
	if o := order(got); o != "c1 a2 b3" { // tie between a and b broken by name
		t.Errorf("by entropy: %s", o)
	}
	if in[0].Rank != 0 || in[0].Category != "b" {
		t.Error("Rank modified its input")
	}
	got, _ = Rank(in, "variance")
	if o := order(got); o != "b1 c2 a3" {
		t.Errorf("by variance: %s", o)
	}
	_, err = Rank(in, "beauty")
	if err == nil || err.Error() != `measure: unknown measure "beauty" (valid: autoencoder, entropy, fisher, swap, variance)` {
		t.Errorf("unknown measure: %v", err)
	}
	if n := Names(); !slices.Equal(n, []string{"autoencoder", "entropy", "fisher", "swap", "variance"}) {
		t.Errorf("Names() = %v", n)
	}

	// A registered measure joins Names and Rank; high-is-convergent works.
	Register("test-ink", Scorer{Score: func(r Result) float64 { return r.Variance }, LowIsConvergent: false})
	defer func() { regMu.Lock(); delete(registry, "test-ink"); regMu.Unlock() }()
	if !slices.Contains(Names(), "test-ink") {
		t.Error("registered measure not in Names")
	}
	got, _ = Rank(in, "test-ink")
	if o := order(got); o != "a1 c2 b3" {
		t.Errorf("by test-ink: %s", o)
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register("entropy", Scorer{Score: func(Result) float64 { return 0 }})
}

func TestWriteCSVGolden(t *testing.T) {
	ranked := []Result{
		{Category: "rainbow", Format: quickdraw.Bitmap, Drawings: 1000, Entropy: 6.023712, Variance: 0.048, Rank: 1},
		{Category: "The Eiffel Tower", Format: quickdraw.Simplified, Drawings: 25, Entropy: 6.5, Variance: 0.0625, Rank: 2},
		{Category: "cat", Format: quickdraw.Bitmap, Drawings: 4960, Entropy: 7.0622, Variance: 1.0 / 3, Rank: 3},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, ranked); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "measures.csv")
	if *update {
		os.WriteFile(golden, b.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.Bytes(), want)
	}
}

func TestWriteAveragePNG(t *testing.T) {
	avg := make([]float64, quickdraw.Pixels)
	for i := range avg {
		avg[i] = float64(i%300) - 20.4 // clamps below 0 and above 255
	}
	var b bytes.Buffer
	if err := WriteAveragePNG(&b, avg); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok || g.Bounds() != image.Rect(0, 0, 28, 28) {
		t.Fatalf("got %T %v", img, img.Bounds())
	}
	for i, v := range avg {
		want := uint8(math.Round(min(255, max(0, v))))
		if got := g.GrayAt(i%28, i/28).Y; got != want {
			t.Fatalf("pixel %d = %d, want %d", i, got, want)
		}
	}
	if err := WriteAveragePNG(io.Discard, avg[:10]); err == nil || !strings.Contains(err.Error(), "10 pixels") {
		t.Errorf("short image: %v", err)
	}
}

func BenchmarkMeasure(b *testing.B) {
	src, err := quickdraw.Open(testenv.QuickDraw(b), quickdraw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(src.String(), "numpy_bitmap", "cat.npy"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		if _, err := Measure(context.Background(), src, "cat", 0); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleEntropy() {
	// Half the pixels blank, half inked: two levels, one bit.
	avg := make([]float64, 784)
	for i := 392; i < 784; i++ {
		avg[i] = 90
	}
	fmt.Printf("entropy %.2f bits, variance %.2f\n", Entropy(avg), Variance(avg))
	// Output: entropy 1.00 bits, variance 0.25
}

func ExampleRank() {
	results := []Result{
		{Category: "cat", Entropy: 7.06},
		{Category: "rainbow", Entropy: 6.02},
		{Category: "eye", Entropy: 6.57},
	}
	ranked, err := Rank(results, "entropy")
	if err != nil {
		panic(err)
	}
	for _, r := range ranked {
		fmt.Println(r.Rank, r.Category)
	}
	// Output:
	// 1 rainbow
	// 2 eye
	// 3 cat
}

// Measure every category of a source in parallel and rank them.
func ExampleMeasureAll() {
	src, err := quickdraw.Open(filepath.Join(testenv.RepoRoot(), "..", "shared", "quickdraw"), quickdraw.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	results, err := MeasureAll(context.Background(), src, quickdraw.Categories(), 1000, 0, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ranked, _ := Rank(results, "entropy")
	WriteCSV(os.Stdout, ranked)
}

// Measuring through an HTTP mirror of the test data gives the same results
// as the folder, bitmaps and strokes alike, with parallel workers.
func TestMeasureAllHTTP(t *testing.T) {
	dir := testenv.QuickDraw(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	remote, err := quickdraw.Open(srv.URL, quickdraw.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	local := openData(t)
	cats := []string{"rainbow", "smiley face", "ant", "zigzag", "The Great Wall of China", "bee"}
	for _, limit := range []int{50, 300} { // the second resumes the cached files
		want, err := MeasureAll(context.Background(), local, cats, limit, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MeasureAll(context.Background(), remote, cats, limit, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || len(got) != len(want) {
			t.Fatalf("%d results over HTTP, %d from the folder", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Category != w.Category || g.Format != w.Format || g.Drawings != w.Drawings || !slices.Equal(g.Average, w.Average) {
				t.Errorf("limit %d: %s differs over HTTP", limit, w.Category)
			}
		}
	}
}
