package sweep_test

import (
	"fmt"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

// Jobs lists model × mix × seed with content-addressed keys; a Runner then
// runs them against a store (see fluens train).
func ExampleJobs() {
	models, _ := zoo.Build("mlp", 0, zoo.DefaultSeed)
	mixes := []sweep.Mix{{Name: "conv_div_mix_00", Index: 0, Hash: "aa"}, {Name: "conv_div_mix_01", Index: 1, Hash: "bb"}}
	jobs := sweep.Jobs(models[:2], mixes, sweep.Seeds(1), sweep.Paper)
	for _, j := range jobs {
		fmt.Println(j.Index, j.Model.Spec, j.Mix.Name, j.Seed)
	}
	// Output:
	// 0 linear conv_div_mix_00 1
	// 1 linear conv_div_mix_01 1
	// 2 F16 conv_div_mix_00 1
	// 3 F16 conv_div_mix_01 1
}
