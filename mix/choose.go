package mix

import (
	"fmt"

	"github.com/fluens-lab/fluens/measure"
)

// Choose picks the Slots most convergent and the Slots most divergent
// labels of ranked (ordered most convergent first, as measure.Rank
// returns) among the categories measured on at least perClass drawings.
// conv[0] is the most convergent label, div[0] the most divergent: mix k
// swaps the k most convergent labels for the k most divergent ones. It is
// an error when fewer than 2·Slots categories qualify.
func Choose(ranked []measure.Result, perClass int) (conv, div []string, err error) {
	var ok []string
	for _, r := range ranked {
		if r.Drawings >= perClass {
			ok = append(ok, r.Category)
		}
	}
	if len(ok) < 2*Slots {
		return nil, nil, fmt.Errorf("mix: %w: only %d of %d measured categories have at least %d drawings (the per-class count); %d are needed (lower --per-class or add categories)",
			ErrTooFew, len(ok), len(ranked), perClass, 2*Slots)
	}
	conv = append([]string(nil), ok[:Slots]...)
	for i := range Slots {
		div = append(div, ok[len(ok)-1-i])
	}
	return conv, div, nil
}
