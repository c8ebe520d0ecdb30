package measure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/fluens-lab/fluens/quickdraw"
)

// Names of the measures that read the drawings again (registered in the
// measure registry, so `fluens prepare --measure` accepts them).
const (
	// Autoencoder is the test L2 cost of a label's autoencoder (low is
	// convergent).
	Autoencoder = "autoencoder"
	// Swap is the swap-one-class accuracy (high is convergent); its
	// spread over base sets is stored as SwapSD.
	Swap = "swap"
	// SwapSD is the standard deviation of Swap over the base sets (a
	// column of measures.csv, not a ranking measure).
	SwapSD = "swap_sd"
	// Fisher is Fisher's discriminant ratio F1 of the label against each
	// base set's labels pooled, averaged over the base sets (high is
	// convergent: the label stands apart). Training-free.
	Fisher = "fisher"
)

// Settings of the measures that read the drawings, when they run inside
// Rank or Compute (package-level functions take their own configs).
const (
	// MinTrainDrawings is the fewest drawings a category needs for the
	// training-based measures and Fisher; categories with fewer (the
	// stroke-only categories of the test data hold 25) get no score, an
	// empty cell in measures.csv.
	MinTrainDrawings = 100
	// TrainTestFraction is the share of a category's drawings held out as
	// its test drawings.
	TrainTestFraction = 0.2
	// DefaultSeed seeds the splits, base sets and training runs.
	DefaultSeed = 1
	// DefaultBaseSets and DefaultBaseSize shape the swap-one-class and
	// Fisher base sets: 3 sets of 4 labels drawn from the categories with
	// at least MinTrainDrawings drawings.
	DefaultBaseSets = 3
	DefaultBaseSize = 4
)

func init() {
	score := func(name string) func(Result) float64 {
		return func(r Result) float64 {
			if v, ok := r.Scores[name]; ok {
				return v
			}
			return math.NaN()
		}
	}
	Register(Autoencoder, Scorer{
		Score:           score(Autoencoder),
		LowIsConvergent: true,
		Doc:             "test L2 cost of a 784→32→784 autoencoder trained on the label (trains; slow)",
		Fill:            fillAutoencoder,
	})
	Register(Swap, Scorer{
		Score: score(Swap),
		Doc:   "swap-one-class: the label's test accuracy beside 3 base sets of 4 labels (trains; slowest)",
		Fill:  fillSwap,
	})
	Register(Fisher, Scorer{
		Score: score(Fisher),
		Doc:   "Fisher's discriminant ratio F1 of the label against the base sets (Ho & Basu 2002)",
		Fill:  fillFisher,
	})
}

// Compute computes the named measures for the results that lack them,
// storing them in each Result.Scores (results are changed in place).
// Entropy and variance are always there; naming them is not an error.
func Compute(ctx context.Context, results []Result, names ...string) error {
	for _, n := range names {
		s, err := Lookup(n)
		if err != nil {
			return err
		}
		if s.Fill != nil {
			if err := s.Fill(ctx, results); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadSplit reads the first limit drawings of a category (all when
// limit ≤ 0) from src and splits them into training and test drawings: a
// permutation drawn from seed and the category's name puts
// round(TrainTestFraction·n) of them (at least one) in Test.
func LoadSplit(ctx context.Context, src quickdraw.Source, category string, limit int, seed uint64) (Split, error) {
	r, _, err := quickdraw.Images(ctx, src, category, limit)
	if err != nil {
		return Split{}, err
	}
	defer r.Close()
	const d = quickdraw.Pixels
	var all []byte
	img := make([]byte, d)
	for {
		err := r.Next(img)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Split{}, err
		}
		all = append(all, img...)
	}
	n := len(all) / d
	if n < 2 {
		return Split{}, fmt.Errorf("measure: %s: %d drawings: need at least 2 to split", category, n)
	}
	nt := min(max(1, int(math.Round(TrainTestFraction*float64(n)))), n-1)
	perm := rand.New(rand.NewPCG(nameSeed(seed, category), 0x5b1)).Perm(n)
	var s Split
	for i, j := range perm {
		if i < n-nt {
			s.Train = append(s.Train, all[j*d:(j+1)*d]...)
		} else {
			s.Test = append(s.Test, all[j*d:(j+1)*d]...)
		}
	}
	return s, nil
}

func (r Result) split(ctx context.Context) (Split, error) {
	if r.src == nil {
		return Split{}, fmt.Errorf("measure: %s: no source to read the drawings from (results must come from Measure or MeasureAll)", r.Category)
	}
	return LoadSplit(ctx, r.src, r.Category, r.limit, DefaultSeed)
}

// forEach runs fn on the indices of results that need name (eligible and
// not yet scored), up to GOMAXPROCS at once; the first error stops it.
func forEach(ctx context.Context, results []Result, name string, fn func(ctx context.Context, i int) error) error {
	var todo []string
	pos := map[string]int{}
	for i, r := range results {
		if _, ok := r.Scores[name]; !ok && r.Drawings >= MinTrainDrawings {
			todo = append(todo, r.Category)
			pos[r.Category] = i
		}
	}
	return parallel(ctx, todo, func(ctx context.Context, c string) error { return fn(ctx, pos[c]) })
}

func setScore(r *Result, name string, v float64) {
	if r.Scores == nil {
		r.Scores = map[string]float64{}
	}
	r.Scores[name] = v
}

func fillAutoencoder(ctx context.Context, results []Result) error {
	return forEach(ctx, results, Autoencoder, func(ctx context.Context, i int) error {
		s, err := results[i].split(ctx)
		if err != nil {
			return err
		}
		v, err := AutoencoderCost(s.Train, s.Test, AutoencoderConfig{Seed: nameSeed(DefaultSeed, results[i].Category)})
		if err != nil {
			return fmt.Errorf("measure: %s: %w", results[i].Category, err)
		}
		setScore(&results[i], Autoencoder, v)
		return nil
	})
}

// baseSplits draws the base sets among the results with enough drawings
// and loads their labels' drawings.
func baseSplits(ctx context.Context, results []Result) (names []BaseSet, splits map[string]Split, err error) {
	var eligible []string
	byName := map[string]Result{}
	for _, r := range results {
		if r.Drawings >= MinTrainDrawings {
			eligible = append(eligible, r.Category)
			byName[r.Category] = r
		}
	}
	names = BaseSets(eligible, DefaultBaseSets, DefaultBaseSize, DefaultSeed)
	if names == nil {
		return nil, nil, fmt.Errorf("measure: base sets need at least %d categories with %d drawings or more (have %d)",
			DefaultBaseSize+1, MinTrainDrawings, len(eligible))
	}
	splits = map[string]Split{}
	for _, set := range names {
		for _, n := range append(slices.Clone(set.Labels), set.Spare) {
			if _, ok := splits[n]; ok {
				continue
			}
			if splits[n], err = byName[n].split(ctx); err != nil {
				return nil, nil, err
			}
		}
	}
	return names, splits, nil
}

// basesFor returns the splits of the base sets to score label against.
func basesFor(label string, sets []BaseSet, splits map[string]Split) [][]Split {
	var out [][]Split
	for _, set := range sets {
		var b []Split
		for _, n := range set.For(label) {
			b = append(b, splits[n])
		}
		out = append(out, b)
	}
	return out
}

// anyMissing reports whether a label with enough drawings to train on
// still lacks the named score.
func anyMissing(results []Result, name string) bool {
	return slices.ContainsFunc(results, func(r Result) bool {
		_, ok := r.Scores[name]
		return !ok && r.Drawings >= MinTrainDrawings
	})
}

func fillSwap(ctx context.Context, results []Result) error {
	if !anyMissing(results, Swap) {
		return nil
	}
	names, splits, err := baseSplits(ctx, results)
	if err != nil {
		return err
	}
	return forEach(ctx, results, Swap, func(ctx context.Context, i int) error {
		s, err := results[i].split(ctx)
		if err != nil {
			return err
		}
		sc, err := SwapOneClass(ctx, s, basesFor(results[i].Category, names, splits), SwapConfig{Seed: DefaultSeed})
		if err != nil {
			return fmt.Errorf("measure: %s: %w", results[i].Category, err)
		}
		setScore(&results[i], Swap, sc.Mean)
		setScore(&results[i], SwapSD, sc.SD)
		return nil
	})
}

func fillFisher(ctx context.Context, results []Result) error {
	if !anyMissing(results, Fisher) {
		return nil
	}
	names, splits, err := baseSplits(ctx, results)
	if err != nil {
		return err
	}
	return forEach(ctx, results, Fisher, func(ctx context.Context, i int) error {
		s, err := results[i].split(ctx)
		if err != nil {
			return err
		}
		v, err := FisherVsBases(s, basesFor(results[i].Category, names, splits))
		if err != nil {
			return fmt.Errorf("measure: %s: %w", results[i].Category, err)
		}
		setScore(&results[i], Fisher, v)
		return nil
	})
}

// FisherVsBases returns the mean, over the base sets, of FisherF1 of the
// label's training drawings (class 1) against the pooled training
// drawings of the set's labels (class 0).
func FisherVsBases(label Split, bases [][]Split) (float64, error) {
	if len(bases) == 0 {
		return 0, errors.New("measure: fisher: no base sets")
	}
	sum := 0.0
	for _, base := range bases {
		var x []byte
		var y []uint8
		for _, b := range base {
			x = append(x, b.Train...)
			for range b.TrainLen() {
				y = append(y, 0)
			}
		}
		x = append(x, label.Train...)
		for range label.TrainLen() {
			y = append(y, 1)
		}
		f, err := FisherF1(x, y, 2)
		if err != nil {
			return 0, err
		}
		sum += f
	}
	return sum / float64(len(bases)), nil
}

// ScoreSplits computes the named measures for categories whose drawings
// are already split (for instance the labels of a prepared folder, read
// back from its mixes), returning category → measure → value. Entropy and
// variance are computed on the average of all of a category's drawings;
// swap-one-class and Fisher draw their base sets among the given
// categories (DefaultBaseSets sets of DefaultBaseSize, from seed), and
// swap also yields SwapSD. Categories are scored up to GOMAXPROCS at
// once; the values do not depend on the number of workers.
func ScoreSplits(ctx context.Context, splits map[string]Split, names []string, seed uint64) (map[string]map[string]float64, error) {
	cats := slices.Sorted(maps.Keys(splits))
	out := make(map[string]map[string]float64, len(cats))
	results := make([]Result, len(cats))
	for i, c := range cats {
		if err := splits[c].check(); err != nil {
			return nil, fmt.Errorf("measure: %s: %w", c, err)
		}
		out[c] = map[string]float64{}
		avg := make([]float64, quickdraw.Pixels)
		n := 0
		for _, part := range [][]byte{splits[c].Train, splits[c].Test} {
			for j, v := range part {
				avg[j%quickdraw.Pixels] += float64(v)
			}
			n += len(part) / quickdraw.Pixels
		}
		for j := range avg {
			avg[j] /= float64(n)
		}
		results[i] = Result{Category: c, Drawings: n, Average: avg, Entropy: Entropy(avg), Variance: Variance(avg)}
	}
	var sets []BaseSet
	need := slices.ContainsFunc(names, func(n string) bool { return n == Swap || n == Fisher })
	if need {
		if sets = BaseSets(cats, DefaultBaseSets, DefaultBaseSize, seed); sets == nil {
			return nil, fmt.Errorf("measure: base sets need at least %d categories (have %d)", DefaultBaseSize+1, len(cats))
		}
	}
	var mu sync.Mutex
	set := func(c, name string, v float64) {
		mu.Lock()
		out[c][name] = v
		mu.Unlock()
	}
	for _, name := range names {
		s, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		var fn func(ctx context.Context, c string) error
		switch name {
		case Autoencoder:
			fn = func(ctx context.Context, c string) error {
				v, err := AutoencoderCost(splits[c].Train, splits[c].Test, AutoencoderConfig{Seed: nameSeed(seed, c)})
				set(c, name, v)
				return err
			}
		case Swap:
			fn = func(ctx context.Context, c string) error {
				sc, err := SwapOneClass(ctx, splits[c], basesFor(c, sets, splits), SwapConfig{Seed: nameSeed(seed, c)})
				set(c, Swap, sc.Mean)
				set(c, SwapSD, sc.SD)
				return err
			}
		case Fisher:
			fn = func(ctx context.Context, c string) error {
				v, err := FisherVsBases(splits[c], basesFor(c, sets, splits))
				set(c, name, v)
				return err
			}
		default:
			if s.Fill != nil {
				return nil, fmt.Errorf("measure: ScoreSplits cannot compute %q", name)
			}
			for i, c := range cats {
				out[c][name] = s.Score(results[i])
			}
			continue
		}
		if err := parallel(ctx, cats, func(ctx context.Context, c string) error {
			if err := fn(ctx, c); err != nil {
				return fmt.Errorf("measure: %s: %s: %w", name, c, err)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parallel runs fn on each item, up to GOMAXPROCS at once, and returns
// the first error in the order of items (a cancellation it caused aside).
func parallel(ctx context.Context, items []string, fn func(ctx context.Context, item string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int, len(items))
	for i := range items {
		next <- i
	}
	close(next)
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(items), 1)) {
		wg.Go(func() {
			for i := range next {
				if errs[i] = ctx.Err(); errs[i] != nil {
					continue
				}
				if errs[i] = fn(ctx, items[i]); errs[i] != nil {
					cancel()
				}
			}
		})
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}
