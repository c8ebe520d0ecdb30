package sweep

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/zoo"
)

// EngineVersion names the training engine's behaviour; it is part of every
// job key, so results of an engine that trains differently are never
// mistaken for current ones. Change it whenever nn's results change.
const EngineVersion = "fluens-nn/1"

// Layers converts a zoo spec into the engine's hidden-layer descriptions.
func Layers(s zoo.Spec) []nn.LayerSpec {
	out := make([]nn.LayerSpec, len(s.Layers))
	for i, l := range s.Layers {
		switch l.Kind {
		case zoo.Conv:
			out[i] = nn.LayerSpec{Kind: nn.Conv, Filters: l.Filters, Kernel: l.Kernel}
		case zoo.Pool:
			out[i] = nn.LayerSpec{Kind: nn.MaxPool}
		case zoo.Dropout:
			out[i] = nn.LayerSpec{Kind: nn.Dropout, Rate: l.Rate}
		case zoo.Dense:
			out[i] = nn.LayerSpec{Kind: nn.Dense, Units: l.Units}
		default:
			panic(fmt.Sprintf("sweep: unknown zoo layer kind %v", l.Kind))
		}
	}
	return out
}

func toData(images []byte, labels []uint8) nn.Data {
	return nn.Data{X: images, Y: labels, N: len(labels)}
}

// train runs job j on data d with the given number of engine threads and
// returns its record (without writing it). weights, if not "", is where the
// trained weights are saved. epoch, if not nil, is called after each epoch.
func train(ctx context.Context, j *Job, d *Data, threads int, weights string, epoch func(int, float64)) (*Record, error) {
	start := time.Now()
	m, err := nn.New(Layers(j.Model.Spec), nn.Config{Seed: j.Seed, Threads: threads})
	if err != nil {
		return nil, fmt.Errorf("sweep: model %s: %w", j.Model.Spec, err)
	}
	if got, want := m.ParamCount(), j.Model.Spec.Params(); got != want {
		return nil, fmt.Errorf("sweep: model %s: engine has %d parameters, zoo counts %d", j.Model.Spec, got, want)
	}
	train, test := toData(d.Train.Images, d.Train.Labels), toData(d.Test.Images, d.Test.Labels)
	h, err := m.Train(ctx, train, test, nn.TrainConfig{
		Epochs: j.Hyper.Epochs, Batch: j.Hyper.Batch, LR: j.Hyper.LR, Seed: j.Seed, Progress: epoch,
	})
	if err != nil {
		return nil, fmt.Errorf("sweep: job %d (%s on %s, seed %d): %w", j.Index, j.Model.Spec, j.Mix.Name, j.Seed, err)
	}
	acc, perClass, err := m.Evaluate(test)
	if err != nil {
		return nil, fmt.Errorf("sweep: job %d: %w", j.Index, err)
	}
	r := &Record{
		Key: j.Key, ModelID: j.Model.Spec.ID(), Spec: j.Model.Spec.String(), Family: string(j.Model.Family),
		Depth: j.Model.Spec.Depth(), Params: j.Model.Spec.Params(), FLOPs: j.Model.Spec.FLOPs(),
		Mix: j.Mix.Name, MixIndex: j.Mix.Index, DataHash: j.Mix.Hash, Seed: j.Seed, Hyper: j.Hyper,
		TrainImages: train.N, TestImages: test.N,
		Accuracy: Float(acc), PerClass: floats(perClass),
		Engine: EngineVersion, Threads: threads,
	}
	for _, e := range h.Epochs {
		r.TrainLoss = append(r.TrainLoss, Float(e.Loss))
		r.TestAcc = append(r.TestAcc, Float(e.TestAccuracy))
	}
	if weights != "" {
		if err := m.SaveSafetensors(weights); err != nil {
			return nil, fmt.Errorf("sweep: job %d: %w", j.Index, err)
		}
		r.Weights = baseName(weights)
	}
	r.Host, _ = os.Hostname()
	r.Start = start.UTC().Round(time.Millisecond)
	end := time.Now()
	r.End = end.UTC().Round(time.Millisecond)
	r.Seconds = end.Sub(start).Seconds()
	return r, nil
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if os.IsPathSeparator(p[i]) {
			return p[i+1:]
		}
	}
	return p
}
