package measure

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/quickdraw"
)

func loadSplit(t *testing.T, src quickdraw.Source, cat string, n int) Split {
	t.Helper()
	s, err := LoadSplit(context.Background(), src, cat, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadSplit(t *testing.T) {
	src := openData(t)
	s := loadSplit(t, src, "eye", 100)
	if s.TrainLen() != 80 || s.TestLen() != 20 {
		t.Fatalf("split %d/%d, want 80/20", s.TrainLen(), s.TestLen())
	}
	again := loadSplit(t, src, "eye", 100)
	if !bytes.Equal(s.Train, again.Train) || !bytes.Equal(s.Test, again.Test) {
		t.Error("the same seed gave another split")
	}
	other, _ := LoadSplit(context.Background(), src, "eye", 100, 2)
	if bytes.Equal(s.Test, other.Test) {
		t.Error("another seed gave the same split")
	}
}

// meanImageCost is the mean squared error (x/255 scale) of predicting every
// test drawing by the training drawings' mean image: a trained autoencoder
// must beat it.
func meanImageCost(s Split) float64 {
	const d = quickdraw.Pixels
	mean := make([]float64, d)
	for i, v := range s.Train {
		mean[i%d] += float64(v) / 255
	}
	for i := range mean {
		mean[i] /= float64(s.TrainLen())
	}
	sum := 0.0
	for i, v := range s.Test {
		e := float64(v)/255 - mean[i%d]
		sum += e * e
	}
	return sum / float64(len(s.Test))
}

func TestAutoencoderCost(t *testing.T) {
	src := openData(t)
	cfg := AutoencoderConfig{Epochs: 8, Seed: 3}
	costs := map[string]float64{}
	for _, c := range []string{"rainbow", "cat"} {
		s := loadSplit(t, src, c, 400)
		v, err := AutoencoderCost(s.Train, s.Test, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if base := meanImageCost(s); !(v > 0 && v < base) {
			t.Errorf("%s: cost %v, want in (0, %v) (the mean image's cost)", c, v, base)
		}
		again, _ := AutoencoderCost(s.Train, s.Test, cfg)
		if again != v {
			t.Errorf("%s: %v then %v: not deterministic", c, v, again)
		}
		costs[c] = v
	}
	// The convergent rainbow compresses better than the divergent cat.
	if !(costs["rainbow"] < costs["cat"]) {
		t.Errorf("rainbow %v, cat %v: want rainbow lower", costs["rainbow"], costs["cat"])
	}
	for _, bad := range []struct{ train, test []byte }{{nil, make([]byte, 784)}, {make([]byte, 784), make([]byte, 10)}} {
		if _, err := AutoencoderCost(bad.train, bad.test, cfg); err == nil {
			t.Errorf("no error for %d/%d bytes", len(bad.train), len(bad.test))
		}
	}
}

func TestBaseSets(t *testing.T) {
	names := []string{"f", "a", "c", "b", "e", "d", "g"}
	sets := BaseSets(names, 3, 4, 7)
	if len(sets) != 3 {
		t.Fatalf("%d sets, want 3", len(sets))
	}
	for _, s := range sets {
		l := s.Labels
		if len(l) != 4 || !slices.IsSorted(l) || len(slices.Compact(slices.Clone(l))) != 4 || slices.Contains(l, s.Spare) {
			t.Errorf("bad set %v", s)
		}
		// A base label under test is replaced by the spare.
		f := s.For(l[0])
		if len(f) != 4 || slices.Contains(f, l[0]) || !slices.Contains(f, s.Spare) {
			t.Errorf("%v.For(%s) = %v", s, l[0], f)
		}
		if !slices.Equal(s.For(s.Spare), l) {
			t.Errorf("%v.For(spare) = %v", s, s.For(s.Spare))
		}
	}
	rev := slices.Clone(names)
	slices.Reverse(rev)
	if got := BaseSets(rev, 3, 4, 7); !slices.EqualFunc(got, sets, func(a, b BaseSet) bool { return slices.Equal(a.Labels, b.Labels) && a.Spare == b.Spare }) {
		t.Errorf("order of the names changed the sets: %v vs %v", got, sets)
	}
	if BaseSets(names[:4], 1, 4, 7) != nil {
		t.Error("sets from too few labels")
	}
}

func TestSwapOneClass(t *testing.T) {
	src := openData(t)
	sp := func(c string) Split { return loadSplit(t, src, c, 200) }
	bases := [][]Split{{sp("cat"), sp("dog"), sp("bird")}, {sp("apple"), sp("fish"), sp("house")}}
	cfg := SwapConfig{Epochs: 4, Seed: 1}
	rainbow, err := SwapOneClass(context.Background(), sp("rainbow"), bases, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rainbow.Acc) != 2 || math.IsNaN(rainbow.SD) || rainbow.Min > rainbow.Mean || rainbow.Mean > rainbow.Max {
		t.Errorf("score %+v", rainbow)
	}
	// A rainbow is easy to tell from animals and objects.
	if rainbow.Mean < 0.75 {
		t.Errorf("rainbow learned to %v, want ≥ 0.75", rainbow.Mean)
	}
	again, _ := SwapOneClass(context.Background(), sp("rainbow"), bases, cfg)
	if !slices.Equal(again.Acc, rainbow.Acc) {
		t.Errorf("not deterministic: %v then %v", rainbow.Acc, again.Acc)
	}
	if _, err := SwapOneClass(context.Background(), sp("rainbow"), nil, cfg); err == nil {
		t.Error("no error without base sets")
	}
	cnn := cfg
	cnn.Layers = []nn.LayerSpec{{Kind: nn.Dense, Units: 8}, {Kind: nn.Conv, Filters: 2, Kernel: 3}}
	if _, err := SwapOneClass(context.Background(), sp("rainbow"), bases, cnn); err == nil {
		t.Error("no error for a convolution after a dense layer")
	}
}

// drawings makes labelled drawings whose pixel p takes the given values.
func drawings(p int, vals []byte, labels []uint8) ([]byte, []uint8) {
	x := make([]byte, len(vals)*quickdraw.Pixels)
	for i, v := range vals {
		x[i*quickdraw.Pixels+p] = v
	}
	return x, labels
}

func TestFisherF1(t *testing.T) {
	// Pixel 5: class 0 {0, 10}, class 1 {100, 110}. Means 5 and 105,
	// overall 55: between = 4·50² = 10000, within = 4·25 = 100: F1 = 100.
	x, y := drawings(5, []byte{0, 10, 100, 110}, []uint8{0, 0, 1, 1})
	got, err := FisherF1(x, y, 2)
	if err != nil || math.Abs(got-100) > 1e-9 {
		t.Errorf("F1 = %v, %v; want 100", got, err)
	}
	// Perfect separation with no spread within classes: +Inf.
	x, y = drawings(5, []byte{0, 0, 100, 100}, []uint8{0, 0, 1, 1})
	if got, _ := FisherF1(x, y, 2); !math.IsInf(got, 1) {
		t.Errorf("F1 = %v, want +Inf", got)
	}
	// Same distributions: 0.
	x, y = drawings(5, []byte{0, 10, 0, 10}, []uint8{0, 0, 1, 1})
	if got, _ := FisherF1(x, y, 2); got != 0 {
		t.Errorf("F1 = %v, want 0", got)
	}
	if _, err := FisherF1(x, []uint8{0, 0, 0, 0}, 2); err == nil {
		t.Error("no error for an empty class")
	}
	if _, err := FisherF1(x[:10], y, 2); err == nil {
		t.Error("no error for a short buffer")
	}
}

func TestCSG(t *testing.T) {
	// Three classes, each drawn as noise in its own block of pixels: no
	// class has a neighbour of another, S is the identity, W too, L = 0:
	// CSG 0. With the labels shuffled the classes overlap: CSG > 0.
	const n = 30
	var x []byte
	var y, mixed []uint8
	for c := range 3 {
		for i := range n {
			img := make([]byte, quickdraw.Pixels)
			for p := range 50 {
				img[c*200+p] = byte(200 + (i*7+p*13)%50)
			}
			x = append(x, img...)
			y = append(y, uint8(c))
			mixed = append(mixed, uint8((i+c)%3))
		}
	}
	cfg := CSGConfig{M: 20, K: 3, Seed: 1}
	sep, err := CSG(x, y, 3, cfg)
	if err != nil || math.Abs(sep) > 1e-9 {
		t.Errorf("separable CSG = %v, %v; want 0", sep, err)
	}
	over, err := CSG(x, mixed, 3, cfg)
	if err != nil || !(over > 0.1) {
		t.Errorf("overlapping CSG = %v, %v; want > 0.1", over, err)
	}
	if _, err := CSG(x, y, 3, CSGConfig{M: 1, K: 5}); err == nil {
		t.Error("no error for fewer samples than neighbours")
	}
}

func TestRankByTrainedMeasure(t *testing.T) {
	src := openData(t)
	// "The Eiffel Tower" has only 25 stroke drawings: no score, ranked last.
	res, err := MeasureAll(context.Background(), src, []string{"rainbow", "cat", "eye", "apple", "dog", "The Eiffel Tower"}, 120, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ranked, err := Rank(res, Fisher)
	if err != nil {
		t.Fatal(err)
	}
	if last := ranked[len(ranked)-1]; last.Category != "The Eiffel Tower" || !math.IsNaN(Lookup2(t, Fisher).Score(last)) {
		t.Errorf("last %s", last.Category)
	}
	for _, r := range ranked[:5] {
		if v, ok := r.Scores[Fisher]; !ok || !(v > 0) {
			t.Errorf("%s: fisher %v, %v", r.Category, v, ok)
		}
	}
	if res[0].Scores != nil {
		t.Error("Rank changed its input's scores")
	}
	var b strings.Builder
	if err := WriteCSV(&b, ranked); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if lines[0] != "name,format,drawings,entropy,variance,fisher,rank" {
		t.Errorf("header %q", lines[0])
	}
	if !strings.HasPrefix(lines[6], "The Eiffel Tower,strokes,25,") || !strings.HasSuffix(lines[6], ",,6") {
		t.Errorf("stroke-only row %q: want an empty fisher cell", lines[6])
	}
	// Compute fills in place; a result made by hand has no source.
	if err := Compute(context.Background(), res[:1], Autoencoder); err != nil {
		t.Fatal(err)
	}
	if v := res[0].Scores[Autoencoder]; !(v > 0 && v < 1) {
		t.Errorf("autoencoder %v", v)
	}
	hand := []Result{{Category: "x", Drawings: 500}}
	if err := Compute(context.Background(), hand, Autoencoder); err == nil || !strings.Contains(err.Error(), "no source") {
		t.Errorf("hand-made result: %v", err)
	}
}

func Lookup2(t *testing.T, name string) Scorer {
	s, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScoreSplits(t *testing.T) {
	src := openData(t)
	splits := map[string]Split{}
	for _, c := range []string{"rainbow", "cat", "eye", "apple", "dog"} {
		splits[c] = loadSplit(t, src, c, 120)
	}
	got, err := ScoreSplits(context.Background(), splits, []string{"entropy", Fisher}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for c, m := range got {
		if !(m["entropy"] > 0 && m["entropy"] <= 8) || !(m[Fisher] > 0) {
			t.Errorf("%s: %v", c, m)
		}
	}
	if _, err := ScoreSplits(context.Background(), splits, []string{"beauty"}, 1); err == nil {
		t.Error("no error for an unknown measure")
	}
}

func BenchmarkAutoencoderCost(b *testing.B) {
	src, err := quickdraw.Open(testenv.QuickDraw(b), quickdraw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := LoadSplit(context.Background(), src, "cat", 1000, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := AutoencoderCost(s.Train, s.Test, AutoencoderConfig{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleFisherF1() {
	// Two classes told apart by pixel 0: {0, 10} against {100, 110}.
	x := make([]byte, 4*quickdraw.Pixels)
	for i, v := range []byte{0, 10, 100, 110} {
		x[i*quickdraw.Pixels] = v
	}
	f1, _ := FisherF1(x, []uint8{0, 0, 1, 1}, 2)
	fmt.Println(f1)
	// Output: 100
}

func BenchmarkSwapOneClass(b *testing.B) {
	src, err := quickdraw.Open(testenv.QuickDraw(b), quickdraw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var splits []Split
	for _, c := range []string{"cat", "dog", "bird", "apple", "rainbow"} {
		s, err := LoadSplit(context.Background(), src, c, 500, 1)
		if err != nil {
			b.Fatal(err)
		}
		splits = append(splits, s)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := SwapOneClass(context.Background(), splits[4], [][]Split{splits[:4]}, SwapConfig{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSG(b *testing.B) {
	src, err := quickdraw.Open(testenv.QuickDraw(b), quickdraw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var x []byte
	var y []uint8
	for c, name := range []string{"cat", "dog", "bird", "apple", "rainbow", "eye", "fish", "house", "book", "cloud"} {
		s, err := LoadSplit(context.Background(), src, name, 200, 1)
		if err != nil {
			b.Fatal(err)
		}
		x = append(x, s.Train...)
		for range s.TrainLen() {
			y = append(y, uint8(c))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := CSG(x, y, 10, CSGConfig{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
