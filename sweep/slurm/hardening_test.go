package slurm

import (
	"strings"
	"testing"

	hostileinput "github.com/fluens-lab/fluens/internal/hostile"
)

// An array spec of many large ranges (found by FuzzParseArraySpec: the
// fuzzing process ran out of memory) is refused in a fixed memory bound,
// whatever the number of its elements.
func TestParseArraySpecBounded(t *testing.T) {
	spec := strings.Repeat("0-3999999,", 200) + "0"
	var err error
	alloc := hostileinput.AllocDuring(func() { _, _, err = ParseArraySpec(spec) })
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("got %v, want a refusal", err)
	}
	if alloc > hostileinput.Bound {
		t.Errorf("allocated %d MiB for a %d-byte spec", alloc>>20, len(spec))
	}
	// The largest array Slurm allows parses, in one allocation.
	var ix []int
	alloc = hostileinput.AllocDuring(func() { ix, _, err = ParseArraySpec("0-4000000") })
	if err != nil || len(ix) != 4000001 || ix[4000000] != 4000000 {
		t.Errorf("0-4000000: %d indices, %v", len(ix), err)
	}
	if alloc > hostileinput.Bound {
		t.Errorf("allocated %d MiB for 0-4000000", alloc>>20)
	}
}
