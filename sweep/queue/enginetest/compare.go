package enginetest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/fluens-lab/fluens/sweep"
)

// CompareStores reports the first difference between the results of two
// stores: the same job keys, records equal in every field but where, when
// and with how many threads a job ran (Host, Start, End, Seconds,
// Threads), and byte-identical weights files. It is how the tests check
// that an engine (the queue, Slurm) stores exactly what the local runner
// does.
func CompareStores(a, b *sweep.Store) error {
	ra, pa, err := a.Records()
	if err != nil {
		return err
	}
	rb, pb, err := b.Records()
	if err != nil {
		return err
	}
	if len(pa) > 0 || len(pb) > 0 {
		return fmt.Errorf("enginetest: damaged records: %v %v", pa, pb)
	}
	if len(ra) != len(rb) {
		return fmt.Errorf("enginetest: %s holds %d records, %s %d", a.Dir, len(ra), b.Dir, len(rb))
	}
	for i := range ra {
		x, y := *ra[i], *rb[i]
		if x.Key != y.Key {
			return fmt.Errorf("enginetest: %s holds %.12s…, %s holds %.12s… instead", a.Dir, x.Key, b.Dir, y.Key)
		}
		for _, r := range []*sweep.Record{&x, &y} {
			r.Host, r.Start, r.End, r.Seconds, r.Threads = "", time.Time{}, time.Time{}, 0, 0
		}
		if !reflect.DeepEqual(x, y) {
			return fmt.Errorf("enginetest: records of %.12s… (%s on %s) differ:\n%+v\n%+v", x.Key, x.Spec, x.Mix, x, y)
		}
		if x.Weights != "" {
			wa, err := os.ReadFile(filepath.Join(a.Dir, sweep.JobsDir, x.Weights))
			if err != nil {
				return err
			}
			wb, err := os.ReadFile(filepath.Join(b.Dir, sweep.JobsDir, y.Weights))
			if err != nil {
				return err
			}
			if !bytes.Equal(wa, wb) {
				return fmt.Errorf("enginetest: weights %s differ", x.Weights)
			}
		}
	}
	return nil
}
