package report_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/fluens-lab/fluens/report"
)

// A report can be written from hand-made input: here two MLPs on three
// mixes.
func ExampleWrite() {
	in := &report.Input{
		Mixes: []report.Mix{{Name: "conv_div_mix_00"}, {Name: "conv_div_mix_01"}, {Name: "conv_div_mix_02"}},
		Models: []report.Model{
			{ID: "a1", Spec: "F64", Family: "mlp", Depth: 1, Params: 50890,
				Layers: []report.Layer{{Kind: report.Dense, Text: "F64"}},
				Acc:    [][]float64{{0.91}, {0.88}, {0.86}}, Slope: -0.025, Intercept: 0.908, R2: 0.99, MaxAcc: 0.91},
			{ID: "b2", Spec: "F512-F512", Family: "mlp", Depth: 2, Params: 669706,
				Layers: []report.Layer{{Kind: report.Dense, Text: "F512"}, {Kind: report.Dense, Text: "F512"}},
				Acc:    [][]float64{{0.94}, {0.93}, {0.91}}, Slope: -0.015, Intercept: 0.942, R2: 0.96, MaxAcc: 0.94},
		},
	}
	dir, err := os.MkdirTemp("", "report")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "report")
	if err := report.Write(out, in); err != nil {
		log.Fatal(err)
	}
	figs, _ := filepath.Glob(filepath.Join(out, "figures", "*"))
	for _, f := range figs {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// decay_mlp.png
	// decay_mlp.svg
	// maxacc_decay.png
	// maxacc_decay.svg
	// params_decay.png
	// params_decay.svg
}
