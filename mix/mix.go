package mix

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Slots is the number of label slots of a Forma Fluens mix: 10 convergent
// and 10 divergent labels give the 11 mixes mix_00 … mix_10.
const Slots = 10

// Mix is one dataset of the series: its index k (0 … n) and the label of
// each slot. Slot i holds the i-th divergent label when i < k, the i-th
// convergent label otherwise, so mix k+1 differs from mix k in slot k only.
type Mix struct {
	Index  int
	Labels []string
}

// Name returns the folder name of the mix, "conv_div_mix_NN".
func (m Mix) Name() string { return Name(m.Index) }

// Name returns the folder name of mix k, "conv_div_mix_NN" (DESIGN.md, Export).
func Name(k int) string { return fmt.Sprintf("conv_div_mix_%02d", k) }

// Mixes returns the len(conv)+1 mixes of the series that slides from conv
// to div, one slot at a time (DESIGN.md, step 3): mix k replaces slots
// 0 … k-1 by the corresponding divergent labels, and slot i keeps its
// index throughout. It panics if the lists differ in length (CheckLists
// reports that as an error).
func Mixes(conv, div []string) []Mix {
	if len(conv) != len(div) {
		panic("mix: Mixes: lists of different lengths")
	}
	mixes := make([]Mix, len(conv)+1)
	for k := range mixes {
		labels := make([]string, len(conv))
		for i := range labels {
			if i < k {
				labels[i] = div[i]
			} else {
				labels[i] = conv[i]
			}
		}
		mixes[k] = Mix{Index: k, Labels: labels}
	}
	return mixes
}

// ErrLists is wrapped by every error about the convergent and divergent
// label lists.
var ErrLists = errors.New("bad label lists")

// CheckLists validates label lists given by hand: equal lengths between 1
// and Slots, no name twice (within or across the lists), and every name
// among available, the categories the source holds.
func CheckLists(conv, div []string, available []string) error {
	if len(conv) != len(div) {
		return fmt.Errorf("%w: %d convergent labels but %d divergent; give as many of each", ErrLists, len(conv), len(div))
	}
	if len(conv) < 1 || len(conv) > Slots {
		return fmt.Errorf("%w: %d labels per list; give between 1 and %d", ErrLists, len(conv), Slots)
	}
	have := make(map[string]bool, len(available))
	for _, a := range available {
		have[a] = true
	}
	seen := make(map[string]string)
	for _, l := range []struct {
		name   string
		labels []string
	}{{"convergent", conv}, {"divergent", div}} {
		for _, n := range l.labels {
			if strings.TrimSpace(n) == "" {
				return fmt.Errorf("%w: empty label name in the %s list", ErrLists, l.name)
			}
			if prev, ok := seen[n]; ok {
				if prev == l.name {
					return fmt.Errorf("%w: %q appears twice in the %s list", ErrLists, n, l.name)
				}
				return fmt.Errorf("%w: %q appears in both the convergent and the divergent list", ErrLists, n)
			}
			seen[n] = l.name
			if !have[n] {
				return fmt.Errorf("%w: unknown label %q in the %s list: not among the %d categories of the source%s",
					ErrLists, n, l.name, len(available), suggest(n, available))
			}
		}
	}
	return nil
}

// suggest returns a hint naming close category names, or "".
func suggest(name string, available []string) string {
	var close []string
	low := strings.ToLower(name)
	for _, a := range available {
		la := strings.ToLower(a)
		if la == low || strings.Contains(la, low) || strings.Contains(low, la) {
			close = append(close, a)
		}
	}
	sort.Strings(close)
	if len(close) == 0 || len(close) > 5 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", strings.Join(close, `" or "`))
}

// ParseList splits a comma-separated list of labels, trimming spaces
// around each name (names keep their inner spaces: "smiley face").
func ParseList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}
