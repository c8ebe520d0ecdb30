package sweep

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluens-lab/fluens/zoo"
)

// TestRunner trains the perceptron and a small CNN on two mixes of real
// data (a folder without labels.json), then checks the records, the kept
// weights, the skip of a second run and the redo of a damaged record.
func TestRunner(t *testing.T) {
	prep := tinyPrep(t, 100, 2)
	mixes, err := FindMixes(prep)
	if err != nil {
		t.Fatal(err)
	}
	if len(mixes) != 2 || mixes[1].Name != "conv_div_mix_01" || mixes[1].Index != 1 || len(mixes[0].Hash) != 64 || mixes[0].Hash == mixes[1].Hash {
		t.Fatalf("mixes %+v", mixes)
	}
	models := []zoo.Model{{Family: zoo.MLP, Spec: zoo.MustParse("linear")}, {Family: zoo.CNN, Spec: zoo.MustParse("C8k3-P2-F32")}}
	jobs := Jobs(models, mixes, Seeds(1), Hyper{Epochs: 3, Batch: 64, LR: 0.003})
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var events []EventKind
	r := &Runner{Store: store, Workers: 2, Events: func(e Event) { events = append(events, e.Kind) }}
	sum, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Ran != 4 || sum.Skipped != 0 || sum.Failed != 0 {
		t.Errorf("first run: %+v", sum)
	}
	count := map[EventKind]int{}
	for _, k := range events {
		count[k]++
	}
	if count[Started] != 4 || count[Finished] != 4 || count[Epoch] != 12 {
		t.Errorf("events %v", count)
	}
	for _, j := range jobs {
		rec, err := store.Load(j.Key)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Spec != j.Model.Spec.String() || rec.Mix != j.Mix.Name || rec.DataHash != j.Mix.Hash || rec.Params != j.Model.Spec.Params() ||
			len(rec.TestAcc) != 3 || len(rec.PerClass) != 10 || rec.TrainImages != 800 || rec.TestImages != 200 || rec.Engine != EngineVersion {
			t.Errorf("record %+v", rec)
		}
		// Ten classes: chance is 0.1; the real data is learnable.
		if rec.Accuracy < 0.4 || float64(rec.Accuracy) != float64(rec.TestAcc[2]) {
			t.Errorf("%s on %s: accuracy %v (per epoch %v)", rec.Spec, rec.Mix, rec.Accuracy, rec.TestAcc)
		}
		_, err = os.Stat(filepath.Join(store.Dir, JobsDir, j.Key+".safetensors"))
		if kept := err == nil; kept != (j.Model.Spec.Depth() == 0) || kept != (rec.Weights != "") {
			t.Errorf("%s: weights kept %v, record says %q", rec.Spec, kept, rec.Weights)
		}
	}
	// A second run does nothing; a damaged record is redone.
	os.WriteFile(filepath.Join(store.Dir, JobsDir, jobs[3].Key+".json"), []byte(`{"key": "`), 0o644)
	sum, err = r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 3 || sum.Corrupt != 1 || sum.Ran != 1 {
		t.Errorf("second run: %+v", sum)
	}
	if _, err := store.Load(jobs[3].Key); err != nil {
		t.Error(err)
	}
}
