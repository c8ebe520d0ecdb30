package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluens-lab/fluens/zoo"
)

func testRecord(key string) *Record {
	return &Record{Key: key, ModelID: "x", Spec: "F16", Family: "mlp", Mix: "conv_div_mix_00",
		Hyper: Hyper{Epochs: 2, Batch: 8, LR: 0.01}, TrainLoss: []Float{1, 0.5}, TestAcc: []Float{0.5, 0.6},
		Accuracy: 0.6, PerClass: []Float{0.5, 0.7}}
}

func TestStore(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Repeat("ab", 32)
	if _, err := s.Load(key); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("Load of a missing record: %v", err)
	}
	r := testRecord(key)
	if err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(key)
	if err != nil || got.Accuracy != 0.6 || len(got.TestAcc) != 2 {
		t.Fatalf("Load after Put: %+v, %v", got, err)
	}
	path := filepath.Join(s.Dir, JobsDir, key+".json")
	whole, _ := os.ReadFile(path)
	other := strings.Repeat("cd", 32)
	damage := []struct {
		name string
		data []byte
	}{
		{"truncated", whole[:len(whole)/2]},
		{"empty", nil},
		{"trailing", append(append([]byte{}, whole...), "{}"...)},
		{"foreign key", []byte(strings.Replace(string(whole), key, other, 1))},
		{"short history", []byte(strings.Replace(string(whole), `"epochs": 2`, `"epochs": 3`, 1))},
		{"unknown field", []byte(strings.Replace(string(whole), `"key"`, `"kee": 1, "key"`, 1))},
	}
	for _, d := range damage {
		if err := os.WriteFile(path, d.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load(key)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s record: err %v, want ErrCorrupt naming %s", d.name, err, path)
		}
		recs, probs, err := s.Records()
		if err != nil || len(recs) != 0 || len(probs) != 1 {
			t.Errorf("%s record: Records gives %d records, %d problems, %v", d.name, len(recs), len(probs), err)
		}
	}
	// NaN losses survive as null.
	r.TrainLoss[0] = Float(nanValue())
	if err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load(key); err != nil || got.TrainLoss[0] == got.TrainLoss[0] {
		t.Errorf("NaN loss: %v, %v", got.TrainLoss, err)
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(filepath.Join(s.Dir, JobsDir))
	if len(ents) != 1 {
		t.Errorf("store holds %d files, want 1", len(ents))
	}
}

func nanValue() float64 { var z float64; return z / z }

func TestLock(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Repeat("0", 64)
	a, err := s.TryLock(key)
	if err != nil || a == nil {
		t.Fatalf("first TryLock: %v, %v", a, err)
	}
	b, err := s.TryLock(key)
	if err != nil || b != nil {
		t.Fatalf("second TryLock while held: %v, %v", b, err)
	}
	content, _ := os.ReadFile(filepath.Join(s.Dir, JobsDir, key+".lock"))
	if !strings.Contains(string(content), "pid ") {
		t.Errorf("lock file holds %q", content)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	c, err := s.TryLock(key)
	if err != nil || c == nil {
		t.Fatalf("TryLock after Unlock: %v, %v", c, err)
	}
	c.Unlock()
	// A holder that dies without unlocking: closing its descriptor (as the
	// kernel does at exit) frees the lock even though the file stays.
	d, _ := s.TryLock(key)
	d.f.Close()
	e, err := s.TryLock(key)
	if err != nil || e == nil {
		t.Fatalf("TryLock after the holder's descriptor closed: %v, %v", e, err)
	}
	e.Unlock()
}

func TestKeys(t *testing.T) {
	mixes := []Mix{{Name: "conv_div_mix_00", Index: 0, Hash: "h0"}, {Name: "conv_div_mix_01", Index: 1, Hash: "h1"}}
	models := []zoo.Model{{Family: zoo.MLP, Spec: zoo.MustParse("linear")}, {Family: zoo.MLP, Spec: zoo.MustParse("F16")}}
	jobs := Jobs(models, mixes, Seeds(2), Paper)
	if len(jobs) != 8 {
		t.Fatalf("%d jobs, want 8", len(jobs))
	}
	keys := make(map[string]bool)
	for i, j := range jobs {
		if j.Index != i || len(j.Key) != 64 {
			t.Errorf("job %d: index %d key %q", i, j.Index, j.Key)
		}
		keys[j.Key] = true
	}
	if len(keys) != 8 {
		t.Errorf("%d distinct keys for 8 jobs", len(keys))
	}
	// models outermost, then mixes, then seeds.
	if jobs[0].Model.Spec.String() != "linear" || jobs[3].Mix.Name != "conv_div_mix_01" || jobs[3].Seed != 2 || jobs[4].Model.Spec.String() != "F16" {
		t.Errorf("job order: %v %v %v", jobs[3].Mix.Name, jobs[3].Seed, jobs[4].Model.Spec)
	}
	base := Key(zoo.MustParse("F16"), "m", "h", 1, Paper, "e")
	if base != Key(zoo.MustParse("F16"), "m", "h", 1, Paper, "e") {
		t.Error("Key is not deterministic")
	}
	for name, k := range map[string]string{
		"spec":   Key(zoo.MustParse("F32"), "m", "h", 1, Paper, "e"),
		"mix":    Key(zoo.MustParse("F16"), "n", "h", 1, Paper, "e"),
		"data":   Key(zoo.MustParse("F16"), "m", "i", 1, Paper, "e"),
		"seed":   Key(zoo.MustParse("F16"), "m", "h", 2, Paper, "e"),
		"epochs": Key(zoo.MustParse("F16"), "m", "h", 1, Hyper{29, 512, 0.001}, "e"),
		"batch":  Key(zoo.MustParse("F16"), "m", "h", 1, Hyper{30, 256, 0.001}, "e"),
		"lr":     Key(zoo.MustParse("F16"), "m", "h", 1, Hyper{30, 512, 0.002}, "e"),
		"engine": Key(zoo.MustParse("F16"), "m", "h", 1, Paper, "f"),
	} {
		if k == base {
			t.Errorf("changing the %s does not change the key", name)
		}
	}
}

func TestFindMixesErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := FindMixes(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := FindMixes(dir); err == nil || !strings.Contains(err.Error(), "no conv_div_mix_NN") {
		t.Errorf("empty folder: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "conv_div_mix_00"), 0o755)
	if _, err := FindMixes(dir); err == nil || !strings.Contains(err.Error(), "lacks train-images-idx3-ubyte.gz") {
		t.Errorf("empty mix: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "labels.json"), []byte("{"), 0o644)
	if _, err := FindMixes(dir); err == nil || !strings.Contains(err.Error(), "labels.json") {
		t.Errorf("bad labels.json: %v", err)
	}
}

// TestDamagedError checks the message of a DamagedError: singular and
// plural, the list cut at MaxListed with the count left out, the default
// remedy or the caller's, and errors.Is through its problems.
func TestDamagedError(t *testing.T) {
	problems := func(n int) []error {
		var ps []error
		for i := range n {
			ps = append(ps, fmt.Errorf("sweep: r/jobs/%02d.json: %w: unexpected EOF", i, ErrCorrupt))
		}
		return ps
	}
	for _, tt := range []struct {
		name     string
		err      DamagedError
		want     []string
		unwanted []string
	}{
		{"one", DamagedError{Op: "report", Dir: "r", Problems: problems(1), Intact: 4},
			[]string{"report: 1 damaged record in " + filepath.Join("r", JobsDir) + "; nothing written:\n  sweep: r/jobs/00.json", "run fluens train on r again",
				filepath.Join("r", "sweep.json"), "pass --skip-damaged to summarise the 4 intact records"},
			[]string{"records in", "more"}},
		{"cut", DamagedError{Op: "findings", Dir: "r", Problems: problems(MaxListed + 2)},
			[]string{"findings: 12 damaged records in", "r/jobs/09.json", "\n  … and 2 more\n", "summarise the 0 intact records"},
			[]string{"r/jobs/10.json", "r/jobs/11.json"}},
		{"remedy", DamagedError{Op: "results", Dir: "r", Problems: problems(2), Intact: 1, Remedy: "remove them"},
			[]string{"results: 2 damaged records", "unexpected EOF\nremove them"},
			[]string{"fluens train", "--skip-damaged"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error = &tt.err
			msg := err.Error()
			for _, s := range tt.want {
				if !strings.Contains(msg, s) {
					t.Errorf("message lacks %q:\n%s", s, msg)
				}
			}
			for _, s := range tt.unwanted {
				if strings.Contains(msg, s) {
					t.Errorf("message has %q:\n%s", s, msg)
				}
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Error("errors.Is(err, ErrCorrupt) is false")
			}
		})
	}
}
