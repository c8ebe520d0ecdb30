package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/quickdraw"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/zoo"
)

func init() { rootCmd.AddCommand(newRunCmd()) }

// profile is a named set of study settings.
type profile struct {
	Name string `json:"name"`
	// Prepare: the mix settings (drawings per label, test fraction, seed,
	// measure).
	Prepare mix.Settings `json:"prepare"`
	// Train: the zoo (MLPs and CNNs of the sampler; Cheapest > 0 keeps only
	// the Cheapest CNNs by FLOPs among those holding a convolution, half
	// of them starting with one),
	// hyperparameters and seeds.
	Zoo      string      `json:"zoo"`
	CNNs     int         `json:"cnns"`
	Cheapest int         `json:"cheapest_conv_cnns,omitempty"`
	ZooSeed  uint64      `json:"zoo_seed"`
	Hyper    sweep.Hyper `json:"hyper"`
	Seeds    int         `json:"seeds"`
}

// profiles are the settings of fluens run. paper is the seed's study
// (Forma Fluens: 12 MLPs and 100 random CNNs, 30 epochs of Adam at 0.001,
// batch 512). quick keeps the same data and the same MLPs, takes the 8
// cheapest CNNs (by FLOPs) that hold a convolution from the same sample
// (4 starting with a convolution, 4 with pooling or dropout),
// and trains 3 epochs on batches of 128, so the whole study runs in
// minutes on two cores.
var profiles = map[string]profile{
	"paper": {Name: "paper", Prepare: mix.DefaultSettings(), Zoo: "all", CNNs: zoo.PaperCNNs,
		ZooSeed: zoo.DefaultSeed, Hyper: sweep.Paper, Seeds: 1},
	"quick": {Name: "quick", Prepare: mix.DefaultSettings(), Zoo: "all", CNNs: zoo.PaperCNNs, Cheapest: 8,
		ZooSeed: zoo.DefaultSeed, Hyper: sweep.Hyper{Epochs: 3, Batch: 128, LR: 0.001}, Seeds: 1},
}

func newRunCmd() *cobra.Command {
	var (
		source, out, prof string
		workers, seeds    int
	)
	cmd := &cobra.Command{
		Use:   "run --out DIR [--source SRC] [--profile quick|paper]",
		Short: "Run the whole study: prepare, train, results, report",
		Long: `run runs the whole study into DIR: it prepares the mixes from the QuickDraw
source into DIR/prep (as fluens prepare), trains the zoo on every mix into
the result store DIR/runs (as fluens train), and summarises the decay into
DIR/runs/results.csv, models.csv and seeds.csv (as fluens results), and
writes the interactive report DIR/report/index.html with its figures (as
fluens report).

--profile quick (the default) trains the 12 MLPs and the 8 cheapest of the
100 sampled CNNs that hold a convolution (4 that start with one, 4 that start
with pooling or dropout), for 3 epochs (batch 128, lr 0.001),
and finishes in minutes on two cores; --profile paper uses the seed's settings: 12 MLPs and 100
CNNs, 30 epochs, batch 512, lr 0.001. The settings are printed at the start
and recorded in DIR/run.json. --seeds K trains every model K times, so every
slope and accuracy gets a 95% confidence interval; the report then carries a
Findings section (as fluens findings).

run resumes: an existing DIR/prep with the same settings is reused, and
jobs already in DIR/runs are skipped.`,
		Example: `  fluens run --source ../shared/quickdraw --out run
  fluens run --source ../shared/quickdraw --out paper --profile paper`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, ok := profiles[prof]
			if !ok {
				return fmt.Errorf("run: --profile %q is unknown (want quick or paper)", prof)
			}
			if out == "" {
				return errors.New("run: --out is required: the folder to write")
			}
			if seeds < 0 {
				return fmt.Errorf("run: --seeds must be at least 1 (have %d)", seeds)
			}
			if seeds > 0 {
				p.Seeds = seeds
			}
			if workers < 1 {
				return fmt.Errorf("run: --workers must be at least 1 (have %d)", workers)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runStudy(ctx, p, source, out, workers, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", quickdraw.DefaultURL, "QuickDraw folder (numpy_bitmap/, simplified/) or base URL")
	f.StringVar(&out, "out", "", "folder of the study (required)")
	f.StringVar(&prof, "profile", "quick", "settings: quick or paper")
	f.IntVar(&workers, "workers", runtime.NumCPU(), "cores to use")
	f.IntVar(&seeds, "seeds", 0, "train every model this many times (0: the profile's, 1)")
	return cmd
}

// runRecord is DIR/run.json: what a study ran with.
type runRecord struct {
	Profile  profile   `json:"profile"`
	Source   string    `json:"source"`
	Workers  int       `json:"workers"`
	Version  string    `json:"fluens_version"`
	Engine   string    `json:"engine"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Seconds  float64   `json:"seconds,omitempty"`
	Steps    []step    `json:"steps"`
	Finished bool      `json:"finished"`
}

type step struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func runStudy(ctx context.Context, p profile, source, out string, workers int, w io.Writer) error {
	start := time.Now()
	p.Prepare.Source = source
	rec := runRecord{Profile: p, Source: source, Workers: workers, Version: version, Engine: sweep.EngineVersion,
		Start: start.UTC().Round(time.Second)}
	settings, _ := json.MarshalIndent(p, "", "  ")
	fmt.Fprintf(w, "run: profile %s, source %s, out %s, %d workers\n%s\n", p.Name, source, out, workers, settings)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	save := func() error {
		b, _ := json.MarshalIndent(rec, "", "  ")
		return sweep.WriteFileAtomic(filepath.Join(out, "run.json"), append(b, '\n'))
	}
	timed := func(name string, fn func() error) error {
		t := time.Now()
		fmt.Fprintf(w, "run: step %s\n", name)
		if err := fn(); err != nil {
			return err
		}
		rec.Steps = append(rec.Steps, step{name, time.Since(t).Seconds()})
		fmt.Fprintf(w, "run: step %s done in %.1fs\n", name, time.Since(t).Seconds())
		return save()
	}
	if err := save(); err != nil {
		return err
	}
	prep := filepath.Join(out, "prep")
	runs := filepath.Join(out, "runs")

	// 1. Prepare the mixes (reused when already there with the same settings).
	if err := timed("prepare", func() error { return prepareStep(ctx, p, source, prep, workers, w) }); err != nil {
		return err
	}
	// 2. Train the zoo on every mix.
	if err := timed("train", func() error {
		o := defaultTrainOptions()
		o.Data, o.Runs = prep, runs
		o.Zoo, o.CNNs, o.Cheapest, o.ZooSeed = p.Zoo, p.CNNs, p.Cheapest, p.ZooSeed
		o.Hyper, o.Seeds, o.Workers = p.Hyper, p.Seeds, workers
		return runTrain(ctx, o, w)
	}); err != nil {
		return err
	}
	// 3. Summarise the decay. The train step redid every damaged record of
	// its own jobs, so one left is not a job of this study (another
	// profile or --seeds, or a foreign file): fail as fluens results does.
	if err := timed("results", func() error {
		o := resultsOptions{Runs: runs, Out: runs, Remedy: studyRemedy(runs)}
		_, err := runResults(o, w, w)
		return err
	}); err != nil {
		return err
	}
	// 4. Report: the interactive page and the figures for papers.
	report := filepath.Join(out, "report")
	withFindings := p.Seeds > 1 // the observations need seeds for their intervals
	if err := timed("report", func() error {
		return runReportFindings(reportOptions{Runs: runs, Prep: prep, Out: report, Findings: withFindings}, w, w)
	}); err != nil {
		return err
	}

	rec.End = time.Now().UTC().Round(time.Second)
	rec.Seconds = time.Since(start).Seconds()
	rec.Finished = true
	if err := save(); err != nil {
		return err
	}
	fmt.Fprintf(w, "run: done in %s; models.csv in %s; report in %s\n", time.Since(start).Round(time.Second), runs, filepath.Join(report, "index.html"))
	return nil
}

// prepareStep writes the prepared folder, or reuses an existing one made
// with the same settings and source.
func prepareStep(ctx context.Context, p profile, source, prep string, workers int, w io.Writer) error {
	if _, err := os.Stat(prep); err == nil {
		old, err := idx.Open(prep)
		if err != nil {
			return fmt.Errorf("run: %s exists but is not a complete prepared folder (remove it): %w", prep, err)
		}
		s := old.Manifest.Settings
		if s != p.Prepare {
			return fmt.Errorf("run: %s was prepared with other settings (%+v, want %+v): use another --out or remove it", prep, s, p.Prepare)
		}
		fmt.Fprintf(w, "run: reusing %s\n", prep)
		return nil
	}
	pp := newPrepProgress(w)
	_, err := idx.Prepare(ctx, idx.PrepareOptions{
		Source: source, Out: prep, Settings: p.Prepare, Workers: workers,
		Progress: pp.update, Log: pp.log,
	})
	pp.finish()
	return err
}
