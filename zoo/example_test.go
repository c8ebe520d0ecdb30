package zoo_test

import (
	"fmt"

	"github.com/fluens-lab/fluens/zoo"
)

func ExampleParse() {
	s, err := zoo.Parse("C32k3-P2-D0.25-F128")
	if err != nil {
		panic(err)
	}
	fmt.Println(s, s.Depth(), s.Params(), s.FLOPs())
	// Output: C32k3-P2-D0.25-F128 4 804554 2059776
}

func ExampleBuild() {
	models, err := zoo.Build("all", 3, zoo.DefaultSeed)
	if err != nil {
		panic(err)
	}
	for _, m := range models[10:] {
		fmt.Println(m.Family, m.Spec)
	}
	// Output:
	// mlp F256-F256
	// mlp F512-F512
	// cnn C128k3-P2
	// cnn P2-D0.2
	// cnn D0.15-D0.35-C16k5-P2-D0.2-D0.1
}
