package mix

import (
	"errors"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/quickdraw"
)

// FuzzParseList feeds arbitrary --convergent/--divergent flag values to
// ParseList and CheckLists (against the 345 official categories): no
// panic, names come back trimmed and in order, and what CheckLists accepts
// is two lists of equal length within 1–Slots of distinct official names;
// what it refuses wraps ErrLists.
func FuzzParseList(f *testing.F) {
	f.Add("clock, eye,rainbow", "cat,dog , The Eiffel Tower")
	f.Add("smiley face", "smiley face")
	f.Add(" , ,", "")
	f.Add("clock,clock", "cat,dog")
	f.Add("Clock", "ca")
	f.Add(strings.Repeat("a,", 30), "x")
	cats := quickdraw.Categories()
	official := make(map[string]bool)
	for _, c := range cats {
		official[c] = true
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		conv, div := ParseList(a), ParseList(b)
		for _, l := range [][]string{conv, div} {
			for _, n := range l {
				if n != strings.TrimSpace(n) {
					t.Fatalf("name %q not trimmed", n)
				}
			}
		}
		if strings.TrimSpace(a) == "" != (conv == nil) {
			t.Fatalf("ParseList(%q) = %q", a, conv)
		}
		if conv != nil && strings.Join(conv, ",") != strings.Join(trimAll(strings.Split(a, ",")), ",") {
			t.Fatalf("ParseList(%q) = %q: names lost or reordered", a, conv)
		}
		err := CheckLists(conv, div, cats)
		if err != nil {
			if !errors.Is(err, ErrLists) {
				t.Fatalf("CheckLists error %q does not wrap ErrLists", err)
			}
			return
		}
		if len(conv) != len(div) || len(conv) < 1 || len(conv) > Slots {
			t.Fatalf("accepted lists of %d and %d names", len(conv), len(div))
		}
		seen := make(map[string]bool)
		for _, n := range append(append([]string{}, conv...), div...) {
			if !official[n] || seen[n] {
				t.Fatalf("accepted %q (official %v, repeated %v)", n, official[n], seen[n])
			}
			seen[n] = true
		}
		if ms := Mixes(conv, div); len(ms) != len(conv)+1 {
			t.Fatalf("%d mixes of %d slots", len(ms), len(conv))
		}
	})
}

func trimAll(s []string) []string {
	for i := range s {
		s[i] = strings.TrimSpace(s[i])
	}
	return s
}
