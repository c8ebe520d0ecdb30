package decay_test

import (
	"fmt"
	"os"

	"github.com/fluens-lab/fluens/decay"
	"github.com/fluens-lab/fluens/sweep"
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

func ExampleWriteSeedsCSV() {
	h := sweep.Hyper{Epochs: 30, Batch: 512, LR: 0.001}
	var recs []*sweep.Record
	for seed, accs := range map[int64][]float64{1: {0.90, 0.85, 0.80}, 2: {0.88, 0.86, 0.78}} {
		for k, acc := range accs {
			recs = append(recs, &sweep.Record{Key: fmt.Sprint(seed, k), ModelID: "m1", Spec: "F64", Family: "mlp",
				MixIndex: k, Seed: seed, Hyper: h, Engine: "e1", Accuracy: sweep.Float(acc)})
		}
	}
	models, err := decay.Summarize(recs)
	if err != nil {
		panic(err)
	}
	if err := decay.WriteSeedsCSV(os.Stdout, models); err != nil {
		panic(err)
	}
	// Output:
	// id,spec,family,epochs,batch,lr,engine,seed,mixes,slope,intercept,r2,max_acc,acc_mix_00
	// m1,F64,mlp,30,512,0.001,e1,1,3,-0.04999999999999999,0.8999999999999999,1,0.9,0.9
	// m1,F64,mlp,30,512,0.001,e1,2,3,-0.04999999999999999,0.8899999999999999,0.8928571428571426,0.88,0.88
}
