package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/fluens-lab/fluens/zoo"
)

// Hyper holds the training hyperparameters of a sweep.
type Hyper struct {
	Epochs int     `json:"epochs"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"`
}

// Paper is the seed's setting: 30 epochs of Adam at learning rate 0.001
// with mini-batches of 512.
var Paper = Hyper{Epochs: 30, Batch: 512, LR: 0.001}

// Validate reports a hyperparameter out of range.
func (h Hyper) Validate() error {
	switch {
	case h.Epochs < 1:
		return fmt.Errorf("sweep: epochs must be at least 1 (have %d)", h.Epochs)
	case h.Batch < 1:
		return fmt.Errorf("sweep: batch must be at least 1 (have %d)", h.Batch)
	case !(h.LR > 0) || h.LR > 10:
		return fmt.Errorf("sweep: learning rate must be in (0, 10] (have %g)", h.LR)
	}
	return nil
}

// Job is one training run: a model on a mix with a seed.
type Job struct {
	Index int // position in the job list
	Model zoo.Model
	Mix   Mix
	Seed  int64
	Hyper Hyper
	Key   string // content-addressed key, see Key
}

// keyFields is what a job key hashes, in this order, as JSON.
type keyFields struct {
	Spec     string  `json:"spec"`
	Mix      string  `json:"mix"`
	DataHash string  `json:"data"`
	Seed     int64   `json:"seed"`
	Epochs   int     `json:"epochs"`
	Batch    int     `json:"batch"`
	LR       float64 `json:"lr"`
	Engine   string  `json:"engine"`
}

// Key returns the content-addressed key of training spec on a mix with the
// given data hash, seed and hyperparameters under engine version engine:
// the hex SHA-256 of the JSON object
// {"spec","mix","data","seed","epochs","batch","lr","engine"} in that order.
// Anything that can change the result changes the key.
func Key(spec zoo.Spec, mix, dataHash string, seed int64, h Hyper, engine string) string {
	b, err := json.Marshal(keyFields{spec.String(), mix, dataHash, seed, h.Epochs, h.Batch, h.LR, engine})
	if err != nil {
		panic(err) // plain strings and numbers always marshal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Jobs returns the job list: every model × every mix × every seed, in that
// nesting order (models outermost), each with its key under EngineVersion.
// The list depends only on its arguments.
func Jobs(models []zoo.Model, mixes []Mix, seeds []int64, h Hyper) []Job {
	jobs := make([]Job, 0, len(models)*len(mixes)*len(seeds))
	for _, m := range models {
		for _, x := range mixes {
			for _, s := range seeds {
				jobs = append(jobs, Job{
					Index: len(jobs), Model: m, Mix: x, Seed: s, Hyper: h,
					Key: Key(m.Spec, x.Name, x.Hash, s, h, EngineVersion),
				})
			}
		}
	}
	return jobs
}

// Seeds returns the seeds 1..n, the seeds of a sweep with --seeds n.
func Seeds(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i + 1)
	}
	return s
}
