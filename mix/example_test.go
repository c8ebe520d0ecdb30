package mix_test

import (
	"fmt"

	"github.com/fluens-lab/fluens/mix"
)

// The series slides from the convergent list to the divergent one, one
// slot at a time; slot i keeps its index.
func ExampleMixes() {
	for _, m := range mix.Mixes([]string{"clock", "eye", "rainbow"}, []string{"cat", "dog", "bird"}) {
		fmt.Println(m.Name(), m.Labels)
	}
	// Output:
	// conv_div_mix_00 [clock eye rainbow]
	// conv_div_mix_01 [cat eye rainbow]
	// conv_div_mix_02 [cat dog rainbow]
	// conv_div_mix_03 [cat dog bird]
}
