package mix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/quickdraw"
)

func names(prefix string, n int) []string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("%s%d", prefix, i))
	}
	return s
}

func TestMixesSwapOneSlotAtATime(t *testing.T) {
	for _, n := range []int{1, 3, Slots} {
		conv, div := names("c", n), names("d", n)
		mixes := Mixes(conv, div)
		if len(mixes) != n+1 {
			t.Fatalf("n=%d: %d mixes, want %d", n, len(mixes), n+1)
		}
		if !slices.Equal(mixes[0].Labels, conv) || !slices.Equal(mixes[n].Labels, div) {
			t.Errorf("n=%d: first mix %v, last %v", n, mixes[0].Labels, mixes[n].Labels)
		}
		for k := 1; k <= n; k++ {
			var diff []int
			for i := range n {
				if mixes[k].Labels[i] != mixes[k-1].Labels[i] {
					diff = append(diff, i)
				}
			}
			if !slices.Equal(diff, []int{k - 1}) {
				t.Errorf("n=%d: mix %d differs from mix %d in slots %v, want [%d]", n, k, k-1, diff, k-1)
			}
			if mixes[k].Labels[k-1] != div[k-1] {
				t.Errorf("n=%d: slot %d of mix %d is %q, want %q", n, k-1, k, mixes[k].Labels[k-1], div[k-1])
			}
		}
	}
	if got := Name(7); got != "conv_div_mix_07" {
		t.Errorf("Name(7) = %q", got)
	}
}

func TestCheckLists(t *testing.T) {
	avail := append(names("c", 12), append(names("d", 12), "smiley face")...)
	tests := []struct {
		name      string
		conv, div []string
		want      string
	}{
		{"ok", names("c", 10), names("d", 10), ""},
		{"ok short", []string{"c1", "smiley face"}, []string{"d1", "d2"}, ""},
		{"unequal", names("c", 10), names("d", 9), "10 convergent labels but 9 divergent"},
		{"empty", nil, nil, "between 1 and 10"},
		{"too many", names("c", 11), names("d", 11), "between 1 and 10"},
		{"twice within", []string{"c1", "c1"}, []string{"d1", "d2"}, `"c1" appears twice in the convergent list`},
		{"twice across", []string{"c1", "d2"}, []string{"d1", "d2"}, `"d2" appears in both`},
		{"unknown", []string{"c1", "zebra"}, []string{"d1", "d2"}, `unknown label "zebra" in the convergent list`},
		{"unknown close", []string{"c1", "smiley"}, []string{"d1", "d2"}, `did you mean "smiley face"`},
		{"blank", []string{"c1", " "}, []string{"d1", "d2"}, "empty label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLists(tt.conv, tt.div, avail)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrLists) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrLists containing %q", err, tt.want)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	if got := ParseList(" smiley face, eye ,clock"); !slices.Equal(got, []string{"smiley face", "eye", "clock"}) {
		t.Errorf("got %q", got)
	}
	if got := ParseList("  "); got != nil {
		t.Errorf("got %q for blank", got)
	}
}

func TestChoose(t *testing.T) {
	var ranked []measure.Result
	for i := range 25 {
		d := 1000
		if i%5 == 4 {
			d = 500 // every fifth category has too few drawings
		}
		ranked = append(ranked, measure.Result{Category: fmt.Sprint("k", i), Drawings: d, Rank: i + 1})
	}
	conv, div, err := Choose(ranked, 1000)
	if err != nil {
		t.Fatal(err)
	}
	wantConv := []string{"k0", "k1", "k2", "k3", "k5", "k6", "k7", "k8", "k10", "k11"}
	wantDiv := []string{"k23", "k22", "k21", "k20", "k18", "k17", "k16", "k15", "k13", "k12"}
	if !slices.Equal(conv, wantConv) || !slices.Equal(div, wantDiv) {
		t.Errorf("got conv %v div %v\nwant conv %v div %v", conv, div, wantConv, wantDiv)
	}
	_, _, err = Choose(ranked, 1001)
	if !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), "only 0 of 25") || !strings.Contains(err.Error(), "at least 1001") {
		t.Errorf("got %v", err)
	}
}

func TestSettingsCheck(t *testing.T) {
	for _, s := range []Settings{
		{PerClass: 0, TestFraction: 0.2},
		{PerClass: 100, TestFraction: 0},
		{PerClass: 100, TestFraction: 1},
		{PerClass: 3, TestFraction: 0.1}, // rounds to 0 test drawings
	} {
		if err := s.Check(); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
	if err := DefaultSettings().Check(); err != nil {
		t.Error(err)
	}
}

func TestPermutationIsFixed(t *testing.T) {
	// The shuffle must never change across Go versions: pin its first
	// outputs. (Regenerate only with a deliberate format change.)
	p := permutation(stream(1, "fluens/mix split", "clock"), 10)
	q := slices.Clone(p)
	sort.Ints(q)
	if !slices.Equal(q, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("not a permutation: %v", p)
	}
	if want := []int{7, 9, 5, 4, 3, 1, 6, 0, 2, 8}; !slices.Equal(p, want) {
		t.Errorf("permutation %v, pinned %v: the split of every prepared folder would change", p, want)
	}
	if r := permutation(stream(1, "fluens/mix split", "clock"), 10); !slices.Equal(p, r) {
		t.Errorf("same seed, different permutations %v, %v", p, r)
	}
	if r := permutation(stream(2, "fluens/mix split", "clock"), 10); slices.Equal(p, r) {
		t.Errorf("seeds 1 and 2 give the same permutation %v", p)
	}
	if r := permutation(stream(1, "fluens/mix split", "eye"), 10); slices.Equal(p, r) {
		t.Errorf("labels clock and eye give the same permutation %v", p)
	}
}

// realLists are 3 convergent and 3 divergent labels of the test data,
// with enough drawings for the small per-class counts of these tests.
var realConv, realDiv = []string{"clock", "eye", "rainbow"}, []string{"cat", "dog", "bird"}

func buildReal(t *testing.T, s Settings, workers int) *Bundle {
	t.Helper()
	src, err := quickdraw.Open(testenv.QuickDraw(t), quickdraw.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Source = src.String()
	b, err := Build(context.Background(), src, realConv, realDiv, s, workers, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imagesOf returns the images of set s with the given slot label, sorted.
func imagesOf(s Set, slot uint8) []string {
	var out []string
	for i, l := range s.Labels {
		if l == slot {
			out = append(out, string(s.Images[i*Pixels:(i+1)*Pixels]))
		}
	}
	sort.Strings(out)
	return out
}

func TestBuildSlotInvariance(t *testing.T) {
	s := Settings{PerClass: 60, TestFraction: 0.25, Seed: 7}
	b := buildReal(t, s, 2)
	if len(b.Mixes) != 4 {
		t.Fatalf("%d mixes", len(b.Mixes))
	}
	// testOf[label] = that label's test images the first time it is seen.
	testOf := map[string][]string{}
	trainOf := map[string][]string{}
	for k, m := range b.Mixes {
		train, test, err := b.Sets(k)
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != 3*45 || test.Len() != 3*15 || len(train.Images) != train.Len()*Pixels {
			t.Fatalf("mix %d: %d train, %d test", k, train.Len(), test.Len())
		}
		for slot, name := range m.Labels {
			te, tr := imagesOf(test, uint8(slot)), imagesOf(train, uint8(slot))
			if len(te) != 15 || len(tr) != 45 {
				t.Fatalf("mix %d slot %d: %d test %d train", k, slot, len(te), len(tr))
			}
			if prev, ok := testOf[name]; ok {
				if !slices.Equal(prev, te) || !slices.Equal(trainOf[name], tr) {
					t.Errorf("mix %d: drawings of %q changed when another slot swapped", k, name)
				}
			} else {
				testOf[name], trainOf[name] = te, tr
			}
			// No drawing is in both train and test.
			for _, img := range te {
				if _, found := slices.BinarySearch(tr, img); found {
					t.Errorf("mix %d: a test drawing of %q is also in train", k, name)
					break
				}
			}
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	s := Settings{PerClass: 40, TestFraction: 0.2, Seed: 3}
	a := buildReal(t, s, 1)
	b := buildReal(t, s, 4)
	s.Seed = 4
	c := buildReal(t, s, 1)
	for k := range a.Mixes {
		atr, ate, _ := a.Sets(k)
		btr, bte, _ := b.Sets(k)
		if !bytes.Equal(atr.Images, btr.Images) || !bytes.Equal(atr.Labels, btr.Labels) ||
			!bytes.Equal(ate.Images, bte.Images) || !bytes.Equal(ate.Labels, bte.Labels) {
			t.Errorf("mix %d: 1 and 4 workers give different sets", k)
		}
		ctr, _, _ := c.Sets(k)
		if bytes.Equal(atr.Images, ctr.Images) {
			t.Errorf("mix %d: seeds 3 and 4 give the same train set", k)
		}
	}
	if _, _, err := a.Sets(len(a.Mixes)); err == nil {
		t.Error("no error for a mix past the last")
	}
}

func TestBuildErrors(t *testing.T) {
	src, err := quickdraw.Open(testenv.QuickDraw(t), quickdraw.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := Settings{PerClass: 499, TestFraction: 0.2, Seed: 1}
	// bee has 498 bitmaps in the test data.
	_, err = Build(ctx, src, []string{"clock", "eye"}, []string{"cat", "bee"}, s, 2, nil)
	if !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), `"bee"`) || !strings.Contains(err.Error(), "498") {
		t.Errorf("got %v, want too few drawings of bee", err)
	}
	_, err = Build(ctx, src, []string{"clock"}, []string{"no such thing"}, s, 1, nil)
	if err == nil || !strings.Contains(err.Error(), "no such thing") {
		t.Errorf("got %v, want an error naming the missing category", err)
	}
	s.TestFraction = 1.5
	if _, err = Build(ctx, src, []string{"clock"}, []string{"cat"}, s, 1, nil); err == nil {
		t.Error("no error for test fraction 1.5")
	}
}
