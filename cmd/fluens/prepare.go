package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/measure"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/quickdraw"
)

func init() { rootCmd.AddCommand(newPrepareCmd()) }

func newPrepareCmd() *cobra.Command {
	def := mix.DefaultSettings()
	var (
		source, out, measureName, conv, div string
		perClass, workers                   int
		testFraction                        float64
		seed                                uint64
		force                               bool
	)
	cmd := &cobra.Command{
		Use:   "prepare --out DIR [--source SRC]",
		Short: "Turn QuickDraw drawings into the eleven MNIST-format mixes",
		Long: `prepare measures every QuickDraw category the source holds (bitmaps, or
rendered strokes where a category has none), ranks them from most convergent
to most divergent, takes the 10 most convergent and the 10 most divergent
labels among those with at least --per-class drawings (or the lists given
with --convergent and --divergent), and writes the prepared folder:
conv_div_mix_00 … conv_div_mix_10 in MNIST IDX format, labels.json,
measures.csv, averages/*.png and a README with the attribution.

The folder is written beside DIR and renamed into place when complete, so
an interrupted run leaves no folder that looks finished.`,
		Example: `  fluens prepare --source ../shared/quickdraw --out prep
  fluens prepare --out prep --per-class 2000 --measure variance --force
  fluens prepare --source ../shared/quickdraw --out prep \
      --convergent clock,eye,rainbow --divergent cat,dog,bird`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("prepare: --out is required: the folder to write")
			}
			if perClass <= 0 {
				return fmt.Errorf("prepare: --per-class %d: must be positive", perClass)
			}
			if !(testFraction > 0 && testFraction < 1) {
				return fmt.Errorf("prepare: --test-fraction %v: must be strictly between 0 and 1", testFraction)
			}
			if _, err := measure.Lookup(measureName); err != nil {
				return fmt.Errorf("prepare: --measure %q is unknown (valid: %s)", measureName, strings.Join(measure.Names(), ", "))
			}
			cl, dl := mix.ParseList(conv), mix.ParseList(div)
			if (len(cl) == 0) != (len(dl) == 0) {
				return errors.New("prepare: give both --convergent and --divergent, or neither")
			}
			if err := idx.CheckDest(out, force); errors.Is(err, idx.ErrExists) && !force {
				return fmt.Errorf("prepare: --out %s already exists; pass --force to replace it", out)
			} else if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			p := newPrepProgress(cmd.OutOrStdout())
			start := time.Now()
			prep, err := idx.Prepare(ctx, idx.PrepareOptions{
				Source: source,
				Out:    out,
				Settings: mix.Settings{PerClass: perClass, TestFraction: testFraction, Seed: seed,
					Measure: measureName},
				Convergent: cl,
				Divergent:  dl,
				Workers:    workers,
				Force:      force,
				Progress:   p.update,
				Log:        p.log,
			})
			p.finish()
			if err != nil && ctx.Err() != nil {
				return fmt.Errorf("prepare: interrupted; %s was not written", out)
			}
			if err != nil {
				return err
			}
			m := prep.Manifest
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s in %.1fs: %d mixes of %d train and %d test images\n",
				out, time.Since(start).Seconds(), len(m.Mixes), m.Mixes[0].Train, m.Mixes[0].Test)
			fmt.Fprintf(cmd.OutOrStdout(), "convergent: %s\ndivergent:  %s\n",
				strings.Join(m.Convergent, ", "), strings.Join(m.Divergent, ", "))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", quickdraw.DefaultURL, "QuickDraw folder (numpy_bitmap/, simplified/) or base URL")
	f.StringVar(&out, "out", "", "prepared folder to write (required)")
	f.IntVar(&perClass, "per-class", def.PerClass, "drawings per label, train and test together")
	f.Float64Var(&testFraction, "test-fraction", def.TestFraction, "share of each label's drawings held out for testing, in (0,1)")
	f.StringVar(&measureName, "measure", def.Measure, "convergence measure to rank by ("+strings.Join(measure.Names(), ", ")+")")
	f.StringVar(&conv, "convergent", "", "comma-separated convergent labels, slot order (default: chosen by --measure)")
	f.StringVar(&div, "divergent", "", "comma-separated divergent labels, as many as --convergent")
	f.Uint64Var(&seed, "seed", def.Seed, "seed of the train/test splits and the orders")
	f.IntVar(&workers, "workers", 0, "categories read at once (0: one per CPU)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	return cmd
}

// prepProgress shows prepare's stages: on a terminal one line rewritten in
// place with an ETA, otherwise a plain log line at the end of each stage.
type prepProgress struct {
	mu    sync.Mutex
	out   io.Writer
	tty   bool
	stage string
	start time.Time
	last  time.Time
	shown bool
}

func newPrepProgress(out io.Writer) *prepProgress {
	tty := false
	if f, ok := out.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &prepProgress{out: out, tty: tty}
}

var prepStageNames = map[string]string{
	"measure": "measuring categories",
	"load":    "loading labels",
	"export":  "writing mixes",
}

func (p *prepProgress) update(stage string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if stage != p.stage {
		p.endLine()
		p.stage, p.start = stage, now
	}
	name := prepStageNames[stage]
	if name == "" {
		name = stage
	}
	if !p.tty {
		if done == total {
			fmt.Fprintf(p.out, "%s: %d/%d done in %.1fs\n", name, done, total, now.Sub(p.start).Seconds())
		}
		return
	}
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	eta := "?"
	if done > 0 {
		rest := time.Duration(float64(now.Sub(p.start)) / float64(done) * float64(total-done))
		eta = rest.Round(time.Second).String()
	}
	fmt.Fprintf(p.out, "\r\x1b[K%s: %d/%d (%d%%), ETA %s", name, done, total, 100*done/max(total, 1), eta)
	p.shown = true
}

func (p *prepProgress) log(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLine()
	fmt.Fprintf(p.out, format+"\n", args...)
}

// endLine ends a progress line left open on a terminal.
func (p *prepProgress) endLine() {
	if p.tty && p.shown {
		fmt.Fprintln(p.out)
		p.shown = false
	}
}

func (p *prepProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLine()
}
