package findings_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/fluens-lab/fluens/findings"
)

// Spearman's ρ with its percentile bootstrap interval, as findings reports
// every correlation.
func ExampleSpearmanCI() {
	width := []float64{16, 32, 64, 128, 256, 512}
	maxAcc := []float64{0.72, 0.75, 0.74, 0.77, 0.79, 0.80}
	e := findings.SpearmanCI(width, maxAcc, 2000, rand.New(rand.NewPCG(1, 1)))
	fmt.Printf("ρ = %.3f over %d models\n", e.Value, e.N)
	// Output: ρ = 0.943 over 6 models
}

// Compute reads a result store and the prepared folder it was trained on;
// WriteText prints every observation with its verdict and 95% CI, and the
// judging of the measures.
func ExampleCompute() {
	f, err := findings.Compute(context.Background(), findings.Options{
		Runs: "run/runs", Data: "run/prep",
		Measures:  []string{"entropy", "variance", "fisher", "autoencoder"},
		Baselines: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	f.WriteText(os.Stdout)
}
