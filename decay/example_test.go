package decay_test

import (
	"fmt"

	"github.com/fluens-lab/fluens/decay"
)

func ExampleFitCurve() {
	mix := []float64{0, 1, 2, 3, 4}
	acc := []float64{0.90, 0.86, 0.83, 0.77, 0.74}
	f := decay.FitCurve(mix, acc)
	fmt.Printf("slope %.3f intercept %.3f r² %.3f max %.2f\n", f.Slope, f.Intercept, f.R2, f.MaxAcc)
	// Output: slope -0.041 intercept 0.902 r² 0.989 max 0.90
}

func ExampleMeanCI() {
	slopes := []float64{-0.012, -0.010, -0.011}
	m, lo, hi := decay.MeanCI(slopes, 0.95)
	fmt.Printf("%.4f [%.4f, %.4f]\n", m, lo, hi)
	// Output: -0.0110 [-0.0135, -0.0085]
}
