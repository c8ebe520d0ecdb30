package mix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/quickdraw"
)

// Pixels is the size of one 28×28 drawing.
const Pixels = 28 * 28

// Settings are the choices that make a bundle; the same settings and source
// data give the same bundle, byte for byte.
type Settings struct {
	PerClass     int     `json:"per_class"`     // drawings of each label, train and test together
	TestFraction float64 `json:"test_fraction"` // share of each label's drawings held out for testing
	Seed         uint64  `json:"seed"`          // seeds the splits and the orders
	Measure      string  `json:"measure"`       // the measure that ranked the labels
	Source       string  `json:"source"`        // where the drawings came from (folder or URL)
}

// DefaultSettings returns the settings of the Forma Fluens experiment:
// 1,000 drawings per label, a fifth of them for testing, seed 1, ranked
// by normalized sample entropy.
func DefaultSettings() Settings {
	return Settings{PerClass: 1000, TestFraction: 0.2, Seed: 1, Measure: "entropy"}
}

// Check validates the numbers of s.
func (s Settings) Check() error {
	if s.PerClass <= 0 {
		return fmt.Errorf("mix: per-class count %d: must be positive", s.PerClass)
	}
	if !(s.TestFraction > 0 && s.TestFraction < 1) {
		return fmt.Errorf("mix: test fraction %v: must be strictly between 0 and 1", s.TestFraction)
	}
	if n := s.TestCount(); n < 1 || n >= s.PerClass {
		return fmt.Errorf("mix: test fraction %v of %d drawings gives %d test drawings per label: need at least 1 for test and 1 for training",
			s.TestFraction, s.PerClass, n)
	}
	return nil
}

// TestCount returns the number of each label's drawings held out for
// testing: PerClass·TestFraction, rounded to the nearest integer.
func (s Settings) TestCount() int { return int(math.Round(float64(s.PerClass) * s.TestFraction)) }

// Label holds one label's drawings, split once for every mix: Train and
// Test are flat runs of 784-byte images.
type Label struct {
	Name   string
	Format quickdraw.Format // bitmaps, or strokes rendered by quickdraw.Render
	Train  []byte
	Test   []byte
}

// Bundle is everything the export stage writes: the label lists, the
// mixes, the measures behind the choice, the settings, and each label's
// split drawings.
type Bundle struct {
	Convergent []string
	Divergent  []string
	Mixes      []Mix
	// Measures holds the measured categories, ranked most convergent first
	// (filled by whoever ranked them; Build leaves it as given).
	Measures []measure.Result
	Settings Settings
	Labels   map[string]*Label
}

// Set is a labelled set of 28×28 images: image i is
// Images[i*784:(i+1)*784] and its label (slot index) is Labels[i].
type Set struct {
	Images []byte
	Labels []uint8
}

// Len returns the number of images in s.
func (s Set) Len() int { return len(s.Labels) }

// Build loads s.PerClass drawings of every label of conv and div from src
// (with quickdraw.Images: bitmaps where present, rendered strokes
// otherwise), splits each label's drawings into train and test with a
// shuffle seeded by s.Seed and the label's name, and returns the bundle of
// the len(conv)+1 mixes. workers labels load at once (1 when ≤ 0);
// progress, if not nil, is called after each label loaded with the count done.
// The result does not depend on workers.
func Build(ctx context.Context, src quickdraw.Source, conv, div []string, s Settings, workers int, progress func(done, total int)) (*Bundle, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if len(conv) != len(div) || len(conv) == 0 {
		return nil, fmt.Errorf("mix: %w: %d convergent and %d divergent labels", ErrLists, len(conv), len(div))
	}
	names := append(append([]string(nil), conv...), div...)
	b := &Bundle{
		Convergent: append([]string(nil), conv...),
		Divergent:  append([]string(nil), div...),
		Mixes:      Mixes(conv, div),
		Settings:   s,
		Labels:     make(map[string]*Label, len(names)),
	}
	labels := make([]*Label, len(names))
	errs := make([]error, len(names))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu   sync.Mutex
		done int
		next = make(chan int)
		wg   sync.WaitGroup
	)
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range next {
				labels[i], errs[i] = loadLabel(ctx, src, names[i], s)
				if errs[i] != nil {
					cancel()
					continue
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(names))
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range names {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	// Report the first failure in list order, not a cancellation it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		b.Labels[names[i]] = labels[i]
	}
	return b, nil
}

// ErrTooFew is wrapped by the error of a label with fewer drawings than
// the per-class count asks for.
var ErrTooFew = errors.New("too few drawings")

// loadLabel reads the first s.PerClass drawings of one label and splits them.
func loadLabel(ctx context.Context, src quickdraw.Source, name string, s Settings) (*Label, error) {
	r, f, err := quickdraw.Images(ctx, src, name, s.PerClass)
	if err != nil {
		return nil, fmt.Errorf("mix: label %q: %w", name, err)
	}
	defer r.Close()
	all := make([]byte, s.PerClass*Pixels)
	n := 0
	for ; n < s.PerClass; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		err := r.Next(all[n*Pixels : (n+1)*Pixels])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("mix: label %q: %w", name, err)
		}
	}
	if n < s.PerClass {
		return nil, fmt.Errorf("mix: label %q: %w: %s holds %d %s drawings, the per-class count is %d",
			name, ErrTooFew, src, n, f, s.PerClass)
	}
	perm := permutation(stream(s.Seed, "fluens/mix split", name), s.PerClass)
	nTest := s.TestCount()
	l := &Label{Name: name, Format: f, Test: make([]byte, 0, nTest*Pixels), Train: make([]byte, 0, (s.PerClass-nTest)*Pixels)}
	for j, i := range perm {
		img := all[i*Pixels : (i+1)*Pixels]
		if j < nTest {
			l.Test = append(l.Test, img...)
		} else {
			l.Train = append(l.Train, img...)
		}
	}
	return l, nil
}

// Sets assembles the train and test sets of mix k: every drawing of each
// slot's label, labelled with the slot index, in an order shuffled by the
// seed and the mix's name. A label's test drawings are the same in every
// mix that holds it.
func (b *Bundle) Sets(k int) (train, test Set, err error) {
	if k < 0 || k >= len(b.Mixes) {
		return Set{}, Set{}, fmt.Errorf("mix: no mix %d (have 0–%d)", k, len(b.Mixes)-1)
	}
	m := b.Mixes[k]
	var trainParts, testParts [][]byte
	for _, name := range m.Labels {
		l, ok := b.Labels[name]
		if !ok {
			return Set{}, Set{}, fmt.Errorf("mix: %s: label %q was not loaded", m.Name(), name)
		}
		trainParts = append(trainParts, l.Train)
		testParts = append(testParts, l.Test)
	}
	train = assemble(trainParts, stream(b.Settings.Seed, "fluens/mix order train", m.Name()))
	test = assemble(testParts, stream(b.Settings.Seed, "fluens/mix order test", m.Name()))
	return train, test, nil
}

// assemble concatenates the images of each slot, labelled with the slot
// index, in the order of a permutation drawn from g.
func assemble(parts [][]byte, g *rand.PCG) Set {
	n := 0
	for _, p := range parts {
		n += len(p) / Pixels
	}
	src := make([][]byte, 0, n)
	lab := make([]uint8, 0, n)
	for slot, p := range parts {
		for i := 0; i < len(p); i += Pixels {
			src = append(src, p[i:i+Pixels])
			lab = append(lab, uint8(slot))
		}
	}
	s := Set{Images: make([]byte, n*Pixels), Labels: make([]uint8, n)}
	for j, i := range permutation(g, n) {
		copy(s.Images[j*Pixels:], src[i])
		s.Labels[j] = lab[i]
	}
	return s
}
