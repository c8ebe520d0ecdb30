package sweep

import (
	"context"
	"testing"

	"github.com/fluens-lab/fluens/zoo"
)

func TestTrainOne(t *testing.T) {
	prep := tinyPrep(t, 100, 2)
	mixes, err := FindMixes(prep)
	if err != nil {
		t.Fatal(err)
	}
	models := []zoo.Model{{Family: zoo.MLP, Spec: zoo.MustParse("linear")}, {Family: zoo.CNN, Spec: zoo.MustParse("C8k3-P2-F32")}}
	jobs := Jobs(models, mixes, Seeds(1), Hyper{Epochs: 3, Batch: 64, LR: 0.003})
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Store: store, Workers: 2}
	sum, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", sum)
	recs, probs, err := store.Records()
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	for _, rec := range recs {
		t.Logf("%s %s acc %.3f loss %v %.2fs", rec.Spec, rec.Mix, rec.Accuracy, rec.TrainLoss, rec.Seconds)
	}
}
