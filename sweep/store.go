package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Record is the result of one finished job, stored as <key>.json.
type Record struct {
	Key      string `json:"key"`
	ModelID  string `json:"model_id"`
	Spec     string `json:"spec"`
	Family   string `json:"family"`
	Depth    int    `json:"depth"`
	Params   int    `json:"params"`
	FLOPs    int64  `json:"flops"`
	Mix      string `json:"mix"`
	MixIndex int    `json:"mix_index"`
	DataHash string `json:"data_hash"`
	Seed     int64  `json:"seed"`
	Hyper

	TrainImages int `json:"train_images"`
	TestImages  int `json:"test_images"`
	// TrainLoss and TestAcc hold one value per epoch: the mean training
	// loss of the epoch and the test accuracy after it.
	TrainLoss []Float `json:"train_loss"`
	TestAcc   []Float `json:"test_acc"`
	// Accuracy is the final test accuracy; PerClass the accuracy of each
	// label slot on the test set.
	Accuracy Float   `json:"accuracy"`
	PerClass []Float `json:"per_class"`
	// Weights is the file name (in the store's jobs folder) of the saved
	// weights, "" when they were not kept.
	Weights string `json:"weights,omitempty"`

	Engine  string    `json:"engine"`
	Threads int       `json:"threads"`
	Host    string    `json:"host"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"seconds"`
}

// Store is a result store: a folder holding jobs/<key>.json for every
// finished job (and <key>.lock while it runs, <key>.safetensors when its
// weights are kept).
type Store struct {
	Dir string
}

// JobsDir is the store's sub-folder of records.
const JobsDir = "jobs"

// OpenStore opens (creating it if needed) the result store in dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, JobsDir), 0o755); err != nil {
		return nil, fmt.Errorf("sweep: result store: %w", err)
	}
	return &Store{Dir: dir}, nil
}

// ErrNoRecord is returned by Load for a job without a record.
var ErrNoRecord = errors.New("no record")

// ErrCorrupt is wrapped by the error of a record that does not parse or
// does not belong to its key (a truncated or foreign file).
var ErrCorrupt = errors.New("corrupt record")

func (s *Store) path(key, ext string) string {
	return filepath.Join(s.Dir, JobsDir, key+ext)
}

// Load reads the record of key. It returns an error wrapping ErrNoRecord
// when there is none and one wrapping ErrCorrupt when the file is damaged;
// a key that is not 64 hex digits is refused.
func (s *Store) Load(key string) (*Record, error) {
	if !isKey(key) {
		return nil, fmt.Errorf("sweep: %q is not a job key (64 hex digits)", key)
	}
	p := s.path(key, ".json")
	b, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sweep: %s: %w", p, ErrNoRecord)
		}
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return parseRecord(p, key, b)
}

func parseRecord(path, key string, b []byte) (*Record, error) {
	var r Record
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w: %v", path, ErrCorrupt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("sweep: %s: %w: trailing data", path, ErrCorrupt)
	}
	switch {
	case r.Key != key:
		return nil, fmt.Errorf("sweep: %s: %w: holds key %.12s…", path, ErrCorrupt, r.Key)
	case len(r.TestAcc) != r.Epochs || len(r.TrainLoss) != r.Epochs:
		return nil, fmt.Errorf("sweep: %s: %w: %d epochs but %d losses and %d accuracies", path, ErrCorrupt, r.Epochs, len(r.TrainLoss), len(r.TestAcc))
	case len(r.PerClass) == 0 || r.Spec == "" || r.Mix == "":
		return nil, fmt.Errorf("sweep: %s: %w: missing fields", path, ErrCorrupt)
	case r.Weights != "" && r.Weights != key+".safetensors":
		// Readers open the weights by this name: it must be the job's own file.
		return nil, fmt.Errorf("sweep: %s: %w: weights file %q is not the job's", path, ErrCorrupt, r.Weights)
	}
	return &r, nil
}

// Put writes r as <r.Key>.json atomically (r.Key must be 64 hex digits): a temporary file in the same
// folder, fsync, rename, fsync of the folder.
func (s *Store) Put(r *Record) error {
	if !isKey(r.Key) {
		// The key names the file: one from a message or a damaged record
		// must not lead outside the store.
		return fmt.Errorf("sweep: record key %q is not a job key (64 hex digits)", r.Key)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: record %s: %w", r.Key, err)
	}
	return writeFileAtomic(s.path(r.Key, ".json"), append(b, '\n'))
}

// removeTemps removes the temporary files a killed writer of job key left
// behind. Only the holder of the job's lock writes them, so the caller must
// hold it.
func (s *Store) removeTemps(key string) {
	matches, _ := filepath.Glob(filepath.Join(s.Dir, JobsDir, "."+key+".*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// removeStaleLock removes the lock file of a job that has its record: a
// process killed between writing the record and unlocking leaves it. A
// live holder in that window finds it gone, which is harmless: the record
// already tells every process the job is done.
func (s *Store) removeStaleLock(key string) {
	os.Remove(s.path(key, ".lock"))
}

// Records reads every record of the store, sorted by key. Damaged files
// are skipped and reported in problems.
func (s *Store) Records() (recs []*Record, problems []error, err error) {
	dir := filepath.Join(s.Dir, JobsDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep: result store: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		key, ok := strings.CutSuffix(name, ".json")
		if !ok || !isKey(key) {
			continue
		}
		r, err := s.Load(key)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Key < recs[j].Key })
	return recs, problems, nil
}

// MaxListed is the number of damaged records a DamagedError names.
const MaxListed = 10

// DamagedError is the error of a reader that refuses a result store
// holding damaged records, the problems of Store.Records, rather than
// work on the intact ones. Its message names each damaged file with its
// problem (the first MaxListed, then how many more), says that nothing
// was written and ends with a remedy.
type DamagedError struct {
	// Op prefixes the message: the command or package refusing the store
	// ("results", "report", "findings").
	Op string
	// Dir is the store's folder.
	Dir string
	// Problems holds the error of each damaged record, each naming its
	// file and wrapping ErrCorrupt.
	Problems []error
	// Intact is the number of intact records in the store.
	Intact int
	// Remedy, if not empty, replaces the advice that ends the message:
	// run fluens train again on Dir with the settings recorded in
	// Dir/sweep.json, or pass --skip-damaged to use the intact records.
	Remedy string
}

// Error lists the damaged records and the remedy, one per line.
func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d damaged record", e.Op, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, " in %s; nothing written:", filepath.Join(e.Dir, JobsDir))
	for i, p := range e.Problems {
		if i == MaxListed {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Problems)-MaxListed)
			break
		}
		fmt.Fprintf(&b, "\n  %v", p)
	}
	remedy := e.Remedy
	if remedy == "" {
		remedy = fmt.Sprintf("run fluens train on %s again with the --data and settings that made it (recorded in %s) to redo those jobs, or pass --skip-damaged to summarise the %d intact records",
			e.Dir, filepath.Join(e.Dir, "sweep.json"), e.Intact)
	}
	fmt.Fprintf(&b, "\n%s", remedy)
	return b.String()
}

// Unwrap returns the problems, so errors.Is(err, ErrCorrupt) holds for a
// DamagedError.
func (e *DamagedError) Unwrap() []error { return e.Problems }

func isKey(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder that is synced and renamed into place, then syncs the folder, so
// path holds either its old content or all of data, never a part.
func writeFileAtomic(path string, data []byte) (err error) {
	return writeAtomic(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

func writeAtomic(path string, write func(f *os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("sweep: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sweep: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sweep: %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // best effort: some file systems refuse to sync folders
		d.Close()
	}
	return nil
}

// WriteFileAtomic writes data to path atomically (temporary file in the
// same folder, fsync, rename). Commands use it for CSV and settings files.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data) }
