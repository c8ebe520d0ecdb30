package sweep

import (
	"testing"

	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/zoo"
)

// TestParamsMatchEngine checks zoo's parameter count against the engine's
// for the MLPs and the paper's CNN sample (those under 5M parameters, to
// keep memory small), and that every spec converts to a valid engine stack.
func TestParamsMatchEngine(t *testing.T) {
	models, err := zoo.Build("all", zoo.PaperCNNs, zoo.DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, m := range models {
		layers := Layers(m.Spec)
		if err := nn.Validate(layers, 28, 28, 1); err != nil {
			t.Errorf("%s: engine rejects it: %v", m.Spec, err)
			continue
		}
		if m.Spec.Params() > 5_000_000 {
			continue
		}
		net, err := nn.New(layers, nn.Config{Seed: 1})
		if err != nil {
			t.Fatalf("%s: %v", m.Spec, err)
		}
		if got, want := net.ParamCount(), m.Spec.Params(); got != want {
			t.Errorf("%s: engine has %d parameters, zoo counts %d", m.Spec, got, want)
		}
		checked++
	}
	if checked < 80 {
		t.Errorf("only %d models checked", checked)
	}
}

func TestLayers(t *testing.T) {
	got := Layers(zoo.MustParse("C32k5-P2-D0.25-F128"))
	want := []nn.LayerSpec{{Kind: nn.Conv, Filters: 32, Kernel: 5}, {Kind: nn.MaxPool}, {Kind: nn.Dropout, Rate: 0.25}, {Kind: nn.Dense, Units: 128}}
	if len(got) != len(want) {
		t.Fatalf("Layers: %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("layer %d: %v, want %v", i, got[i], want[i])
		}
	}
	if len(Layers(zoo.Spec{})) != 0 {
		t.Error("the perceptron has hidden layers")
	}
}
