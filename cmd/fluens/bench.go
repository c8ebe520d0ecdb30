package main

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/nn"
	"github.com/fluens-lab/fluens/nn/gemm"
)

func init() { rootCmd.AddCommand(newBenchCmd()) }

// benchFigure is one line of fluens bench.
type benchFigure struct {
	Name         string  `json:"name"`
	ImagesPerSec float64 `json:"images_per_sec,omitempty"`
	GFLOPS       float64 `json:"gflops,omitempty"`
	PctOfPeak    float64 `json:"pct_of_peak,omitempty"` // GEMM: percent of fma_peak
	Threads      int     `json:"threads"`
	Kernel       string  `json:"kernel"`
	Seconds      float64 `json:"seconds"`
}

func newBenchCmd() *cobra.Command {
	var (
		asJSON   bool
		threads  int
		duration time.Duration
		batch    int
		only     []string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the matrix kernels and the training throughput",
		Long: `bench measures this machine's float32 FMA ceiling (fma_peak: independent
fused multiply-adds on registers, no memory traffic), times float32 matrix
products (GFLOP/s, and the percentage of fma_peak) at 512×784×512,
512×512×256 and 1024×1024×1024 (M×K×N) and trains the three workloads of issue #3 on
random 28×28 images at batch 512 (images per second, full Adam steps):

  W1  perceptron 784→10
  W2  MLP 784→512→256→10
  W3  CNN conv3×3·32 → pool → conv3×3·64 → pool → dropout 0.25 → dense 128 → dense 10

Each figure runs for --duration after a warm-up. Results do not depend on
--threads; only the speed does. bench/compare.sh runs it beside PyTorch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if threads <= 0 {
				return fmt.Errorf("bench: --threads %d: must be positive", threads)
			}
			if duration <= 0 {
				return fmt.Errorf("bench: --duration %v: must be positive", duration)
			}
			want := map[string]bool{}
			for _, n := range only {
				want[n] = true
			}
			pick := func(name string) bool { return len(want) == 0 || want[name] }
			kernel := gemm.Kernel()
			var figs []benchFigure
			emit := func(f benchFigure) {
				figs = append(figs, f)
				if asJSON {
					return
				}
				switch {
				case f.PctOfPeak > 0:
					fmt.Fprintf(cmd.OutOrStdout(), "%-22s %10.1f GFLOP/s   threads %d  kernel %s  %.0f%% of fma_peak\n", f.Name, f.GFLOPS, f.Threads, f.Kernel, f.PctOfPeak)
				case f.GFLOPS > 0:
					fmt.Fprintf(cmd.OutOrStdout(), "%-22s %10.1f GFLOP/s   threads %d  kernel %s\n", f.Name, f.GFLOPS, f.Threads, f.Kernel)
				default:
					fmt.Fprintf(cmd.OutOrStdout(), "%-22s %10.0f images/s  threads %d  kernel %s\n", f.Name, f.ImagesPerSec, f.Threads, f.Kernel)
				}
			}
			// The ceiling is measured whenever a GEMM figure is asked for,
			// so that each GEMM line can say how close to it it comes.
			peak := 0.0
			if pick("fma_peak") || wantsGemm(want) {
				start := time.Now()
				peak = gemm.PeakGFLOPS(threads, min(duration, time.Second))
				if peak > 0 && pick("fma_peak") {
					emit(benchFigure{Name: "fma_peak", GFLOPS: peak, Threads: threads, Kernel: kernel, Seconds: time.Since(start).Seconds()})
				}
			}
			for _, s := range [][3]int{{512, 784, 512}, {512, 512, 256}, {1024, 1024, 1024}} {
				name := fmt.Sprintf("gemm_%dx%dx%d", s[0], s[1], s[2])
				if !pick(name) {
					continue
				}
				start := time.Now()
				g := gemm.Bench(s[0], s[1], s[2], threads, duration)
				f := benchFigure{Name: name, GFLOPS: g, Threads: threads, Kernel: kernel, Seconds: time.Since(start).Seconds()}
				if peak > 0 {
					f.PctOfPeak = math.Round(1000*g/peak) / 10
				}
				emit(f)
			}
			for _, w := range []string{"W1", "W2", "W3"} {
				if !pick(w) {
					continue
				}
				layers, _ := nn.Workload(w)
				start := time.Now()
				ips, err := nn.BenchTrain(layers, threads, batch, duration)
				if err != nil {
					return fmt.Errorf("bench %s: %w", w, err)
				}
				emit(benchFigure{Name: w, ImagesPerSec: ips, Threads: threads, Kernel: kernel, Seconds: time.Since(start).Seconds()})
			}
			if len(figs) == 0 && want["fma_peak"] && len(want) == 1 {
				return fmt.Errorf("bench: fma_peak needs an assembly kernel; this CPU runs the %s path", kernel)
			}
			if len(figs) == 0 {
				return fmt.Errorf("bench: --only %v names no figure (fma_peak, gemm_512x784x512, gemm_512x512x256, gemm_1024x1024x1024, W1, W2, W3)", only)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(figs)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print a JSON array of figures")
	f.IntVar(&threads, "threads", min(2, runtime.GOMAXPROCS(0)), "goroutines per product and per training step")
	f.DurationVar(&duration, "duration", 3*time.Second, "measuring time per figure")
	f.IntVar(&batch, "batch", nn.DefaultBatch, "training batch size")
	f.StringSliceVar(&only, "only", nil, "run only these figures (comma-separated names)")
	return cmd
}

// wantsGemm reports whether the --only set (empty: everything) asks for a
// GEMM figure.
func wantsGemm(want map[string]bool) bool {
	if len(want) == 0 {
		return true
	}
	for n := range want {
		if strings.HasPrefix(n, "gemm_") {
			return true
		}
	}
	return false
}
