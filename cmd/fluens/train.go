package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

func init() { rootCmd.AddCommand(newTrainCmd()) }

// trainOptions are the settings of a sweep (fluens train, and the train
// step of fluens run).
type trainOptions struct {
	Data        string      `json:"data"`
	Runs        string      `json:"runs"`
	Zoo         string      `json:"zoo"`
	CNNs        int         `json:"cnns"`
	Cheapest    int         `json:"cheapest_conv_cnns,omitempty"` // keep only the n cheapest CNNs holding a convolution, half of them starting with one (quick profile)
	ZooSeed     uint64      `json:"zoo_seed"`
	Hyper       sweep.Hyper `json:"hyper"`
	Seeds       int         `json:"seeds"`
	Workers     int         `json:"workers"`
	JobIndex    int         `json:"job_index"` // -1: all jobs
	SaveWeights bool        `json:"save_weights"`
	BigFLOPs    int64       `json:"big_flops"`
}

func defaultTrainOptions() trainOptions {
	return trainOptions{
		Zoo: "all", CNNs: zoo.PaperCNNs, ZooSeed: zoo.DefaultSeed, Hyper: sweep.Paper,
		Seeds: 1, Workers: runtime.NumCPU(), JobIndex: -1, BigFLOPs: sweep.DefaultBigFLOPs,
	}
}

func newTrainCmd() *cobra.Command {
	o := defaultTrainOptions()
	cmd := &cobra.Command{
		Use:   "train --data PREP --runs RUNS",
		Short: "Train every model of the zoo on every mix (resumable sweep)",
		Long: `train trains every model of the zoo on every mix found in the prepared data
folder PREP (written by fluens prepare) with every seed 1..--seeds, and
stores one JSON record per finished job in RUNS/jobs/<key>.json, where the
key is a hash of the spec, mix, data, seed, hyperparameters and engine.

A second run with the same arguments skips what is done; a run killed at any
moment and started again finishes the rest. Several train processes may
share one RUNS folder: a job runs in one of them at a time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runTrain(ctx, o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "prepared data folder (from fluens prepare)")
	f.StringVar(&o.Runs, "runs", "", "result store folder")
	f.StringVar(&o.Zoo, "zoo", o.Zoo, "which models: mlp, cnn or all")
	f.IntVar(&o.CNNs, "cnns", o.CNNs, "number of random CNNs")
	f.Uint64Var(&o.ZooSeed, "zoo-seed", o.ZooSeed, "seed of the CNN sampler")
	f.IntVar(&o.Hyper.Epochs, "epochs", o.Hyper.Epochs, "training epochs")
	f.IntVar(&o.Hyper.Batch, "batch", o.Hyper.Batch, "mini-batch size")
	f.Float64Var(&o.Hyper.LR, "lr", o.Hyper.LR, "Adam learning rate")
	f.IntVar(&o.Seeds, "seeds", o.Seeds, "train each model with seeds 1..N")
	f.IntVar(&o.Workers, "workers", o.Workers, "cores to use")
	f.IntVar(&o.JobIndex, "job-index", o.JobIndex, "run only job I of the deterministic job list (0-based; -1 = all)")
	f.BoolVar(&o.SaveWeights, "save-weights", false, "keep every model's weights (the perceptron's are always kept)")
	f.Int64Var(&o.BigFLOPs, "big-flops", o.BigFLOPs, "models of at least this many FLOPs per image train alone with all cores")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("runs")
	return cmd
}

func (o trainOptions) validate() error {
	switch {
	case o.Data == "":
		return fmt.Errorf("train: --data is required")
	case o.Runs == "":
		return fmt.Errorf("train: --runs is required")
	case o.Seeds < 1:
		return fmt.Errorf("train: --seeds must be at least 1 (have %d)", o.Seeds)
	case o.Workers < 1:
		return fmt.Errorf("train: --workers must be at least 1 (have %d)", o.Workers)
	case o.JobIndex < -1:
		return fmt.Errorf("train: --job-index must be 0 or more (have %d)", o.JobIndex)
	case o.BigFLOPs < 1:
		return fmt.Errorf("train: --big-flops must be positive (have %d)", o.BigFLOPs)
	}
	if err := o.Hyper.Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// models returns the zoo of the options.
func (o trainOptions) models() ([]zoo.Model, error) {
	models, err := zoo.Build(zoo.Which(o.Zoo), o.CNNs, o.ZooSeed)
	if err != nil {
		return nil, fmt.Errorf("train: --zoo: %w", err)
	}
	if o.Cheapest > 0 {
		// Half the CNNs start with a convolution and half with pooling or
		// dropout, so that the seed's observation comparing the two can be
		// tested on a quick study too (the cheapest CNNs overall almost
		// all start with pooling, which shrinks every later layer).
		var mlps, convFirst, otherFirst []zoo.Model
		for _, m := range models {
			switch {
			case m.Family != zoo.CNN:
				mlps = append(mlps, m)
			case m.Spec.Layers[0].Kind == zoo.Conv:
				convFirst = append(convFirst, m)
			case m.Spec.HasConv():
				otherFirst = append(otherFirst, m)
			}
		}
		half := o.Cheapest / 2
		models = append(mlps, zoo.Cheapest(convFirst, o.Cheapest-half)...)
		models = append(models, zoo.Cheapest(otherFirst, half)...)
	}
	return models, nil
}

// runTrain runs a sweep with options o, writing progress to out.
func runTrain(ctx context.Context, o trainOptions, out io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	models, err := o.models()
	if err != nil {
		return err
	}
	mixes, err := sweep.FindMixes(o.Data)
	if err != nil {
		return err
	}
	jobs := sweep.Jobs(models, mixes, sweep.Seeds(o.Seeds), o.Hyper)
	if o.JobIndex >= 0 {
		if o.JobIndex >= len(jobs) {
			return fmt.Errorf("train: --job-index %d: the sweep has %d jobs (0..%d)", o.JobIndex, len(jobs), len(jobs)-1)
		}
		jobs = jobs[o.JobIndex : o.JobIndex+1]
	}
	store, err := sweep.OpenStore(o.Runs)
	if err != nil {
		return err
	}
	if o.JobIndex < 0 {
		b, _ := json.MarshalIndent(struct {
			trainOptions
			Engine string `json:"engine"`
			Models int    `json:"models"`
			Mixes  int    `json:"mixes"`
			Jobs   int    `json:"jobs"`
		}{o, sweep.EngineVersion, len(models), len(mixes), len(jobs)}, "", "  ")
		if err := sweep.WriteFileAtomic(filepath.Join(o.Runs, "sweep.json"), append(b, '\n')); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "train: %d models × %d mixes × %d seeds = %d jobs; %d epochs, batch %d, lr %g; %d workers\n",
		len(models), len(mixes), o.Seeds, len(jobs), o.Hyper.Epochs, o.Hyper.Batch, o.Hyper.LR, o.Workers)
	p := newProgress(out, jobs, o.Workers)
	r := &sweep.Runner{Store: store, Workers: o.Workers, BigFLOPs: o.BigFLOPs, SaveWeights: o.SaveWeights, Events: p.event}
	sum, err := r.Run(ctx, jobs)
	p.finish()
	fmt.Fprintf(out, "train: %d jobs: %d already done, %d trained, %d finished by another process, %d failed, %d damaged records redone; store %s\n",
		sum.Total, sum.Skipped, sum.Ran, sum.Others, sum.Failed, sum.Corrupt, o.Runs)
	return err
}

// progress shows a sweep's progress: on a terminal a bar with an ETA and a
// line per worker, redrawn in place; otherwise plain log lines.
type progress struct {
	mu sync.Mutex
	// left is the estimated cost of the jobs not yet done, spent that of
	// the jobs this process trained: the ETA is elapsed × left / spent.
	left, spent float64
	out         io.Writer
	tty         bool
	total       int
	done        int
	ran         int
	start       time.Time
	lines       []string // one per worker slot
	drawn       int      // lines drawn last time
	lastDraw    time.Time
}

func newProgress(out io.Writer, jobs []sweep.Job, workers int) *progress {
	tty := false
	if f, ok := out.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	p := &progress{out: out, tty: tty, total: len(jobs), start: time.Now(), lines: make([]string, workers)}
	for i := range jobs {
		p.left += jobCost(&jobs[i])
	}
	return p
}

// jobCost estimates a job's training time up to a constant: epochs × the
// forward FLOPs per image plus a per-image overhead (reading, shuffling,
// evaluating) worth about 50,000 FLOPs.
func jobCost(j *sweep.Job) float64 {
	return float64(j.Hyper.Epochs) * (float64(j.Model.Spec.FLOPs()) + 5e4)
}

func (p *progress) event(e sweep.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	j := e.Job
	name := fmt.Sprintf("%s on %s seed %d", j.Model.Spec, j.Mix.Name, j.Seed)
	switch e.Kind {
	case sweep.Skipped:
		p.done++
		p.left -= jobCost(j)
	case sweep.Corrupt:
		p.log("damaged record, running again: %v", e.Err)
	case sweep.Busy:
		p.log("job %d (%s) is running in another process; will wait for it", j.Index, name)
	case sweep.Started:
		p.lines[e.Worker] = fmt.Sprintf("%s  (%d thr) starting", name, e.Threads)
		if !p.tty {
			p.log("start job %d: %s (%d threads)", j.Index, name, e.Threads)
		}
	case sweep.Epoch:
		p.lines[e.Worker] = fmt.Sprintf("%s  (%d thr) epoch %d/%d loss %.4f", name, e.Threads, e.Epoch, j.Hyper.Epochs, e.Loss)
	case sweep.Finished:
		p.done++
		p.ran++
		p.left -= jobCost(j)
		p.spent += jobCost(j)
		p.lines[e.Worker] = ""
		p.log("[%d/%d] %s: accuracy %.4f in %.1fs%s", p.done, p.total, name, float64(e.Record.Accuracy), e.Record.Seconds, p.eta())
	case sweep.Failed:
		p.done++
		p.left -= jobCost(j)
		p.lines[e.Worker] = ""
		p.log("job %d (%s) failed: %v", j.Index, name, e.Err)
	}
	if p.tty && (e.Kind != sweep.Epoch || time.Since(p.lastDraw) > 200*time.Millisecond) {
		p.draw()
	}
}

func (p *progress) eta() string {
	if p.spent == 0 {
		return ""
	}
	eta := time.Duration(float64(time.Since(p.start)) * max(p.left, 0) / p.spent)
	return fmt.Sprintf(", ETA %s", eta.Round(time.Second))
}

// log prints a line above the live block (terminal) or as is.
func (p *progress) log(format string, args ...any) {
	if p.tty {
		p.clear()
	}
	fmt.Fprintf(p.out, format+"\n", args...)
}

func (p *progress) clear() {
	for i := 0; i < p.drawn; i++ {
		fmt.Fprint(p.out, "\x1b[1A\x1b[2K")
	}
	p.drawn = 0
}

func (p *progress) draw() {
	p.clear()
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = p.done * width / p.total
	}
	fmt.Fprintf(p.out, "[%s%s] %d/%d jobs%s\n", strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.done, p.total, p.eta())
	p.drawn = 1
	for i, l := range p.lines {
		if l == "" {
			l = "idle"
		}
		fmt.Fprintf(p.out, "  w%d %s\n", i, l)
		p.drawn++
	}
	p.lastDraw = time.Now()
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.clear()
	}
}
