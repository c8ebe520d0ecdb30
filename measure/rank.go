package measure

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// A Scorer scores one measured category. Each measure says which direction
// is convergent: Rank puts the most convergent category first.
type Scorer struct {
	// Score returns the category's value of the measure.
	Score func(Result) float64
	// LowIsConvergent is true when a lower score means a sharper,
	// more convergent average.
	LowIsConvergent bool
	// Doc describes the measure in one line.
	Doc string
	// Fill, if not nil, computes the measure for the results that lack it
	// (storing it in Result.Scores), reading their drawings again: the
	// measures that train. Rank calls it before sorting; Compute calls it
	// on demand.
	Fill func(ctx context.Context, results []Result) error
}

var (
	regMu    sync.RWMutex
	registry = map[string]Scorer{
		"entropy": {
			Score:           func(r Result) float64 { return r.Entropy },
			LowIsConvergent: true,
			Doc:             "normalized sample entropy of the average image (bits)",
		},
		"variance": {
			Score:           func(r Result) float64 { return r.Variance },
			LowIsConvergent: true,
			Doc:             "normalized sample variance of the average image",
		},
	}
)

// Register adds a named measure to the registry used by Names and Rank. It
// panics if the name is empty or already registered.
func Register(name string, s Scorer) {
	regMu.Lock()
	defer regMu.Unlock()
	if name == "" || s.Score == nil {
		panic("measure: Register: empty name or nil Score")
	}
	if _, dup := registry[name]; dup {
		panic("measure: Register: duplicate measure " + name)
	}
	registry[name] = s
}

// Lookup returns the registered measure with the given name.
func Lookup(name string) (Scorer, error) {
	regMu.RLock()
	s, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return Scorer{}, fmt.Errorf("measure: unknown measure %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names returns the names of the registered measures, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Rank returns a copy of results sorted by the named measure, most
// convergent first, with Rank set to 1, 2, …. Equal scores are ordered by
// category name; categories without a score (NaN: a training-based
// measure of a category with too few drawings) come last. A measure that
// trains is computed first (as Compute, without cancellation; see
// RankContext). An unknown name is an error that lists the valid names.
func Rank(results []Result, by string) ([]Result, error) {
	return RankContext(context.Background(), results, by)
}

// RankContext is Rank with a context for the measures that train.
func RankContext(ctx context.Context, results []Result, by string) ([]Result, error) {
	s, err := Lookup(by)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(results)
	for i := range out {
		out[i].Scores = maps.Clone(out[i].Scores)
	}
	if s.Fill != nil {
		if err := s.Fill(ctx, out); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b Result) int {
		sa, sb := s.Score(a), s.Score(b)
		if na, nb := math.IsNaN(sa), math.IsNaN(sb); na || nb {
			if na && nb {
				return strings.Compare(a.Category, b.Category)
			}
			if na {
				return 1
			}
			return -1
		}
		if !s.LowIsConvergent {
			sa, sb = -sa, -sb
		}
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return strings.Compare(a.Category, b.Category)
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, nil
}
