package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/findings"
	"github.com/fluens-lab/fluens/measure"
)

func init() { rootCmd.AddCommand(newFindingsCmd()) }

func newFindingsCmd() *cobra.Command {
	var (
		runs, data, measures string
		asJSON, noBaselines  bool
		skipDamaged          bool
		seed                 uint64
		boot                 int
	)
	cmd := &cobra.Command{
		Use:   "findings --runs RUNS --data PREP",
		Short: "Test the seed's observations and judge the convergence measures, with 95% CIs",
		Long: `findings reads a result store (fluens train --runs) and the prepared folder it
was trained on, and states each of the seed's observations (accuracy decays;
networks decay similarly; wider MLPs do better; higher mix_00 accuracy goes
with less decay; CNNs starting with a convolution beat those starting with
pooling or dropout; more parameters go with less decay) as holds, does not
hold or inconclusive, with the statistic and its 95% confidence interval.

Rule: each observation predicts the sign of a statistic; a 95% CI wholly on
the predicted side of zero means it holds, wholly on the other side that it
does not, otherwise it is inconclusive. "Networks decay similarly" is a
one-way ANOVA of the per-seed slopes by model (p < 0.05: does not hold).

It then judges every convergence measure (--measures) against learnability,
each label's per-class test accuracy averaged over the models, mixes and
seeds: Spearman ρ with a bootstrap CI, the AUC separating the convergent from
the divergent labels, and Kendall's τ_b between measures. Measures missing
from measures.csv are computed on the labels' drawings in PREP (autoencoder
and swap train small networks: about a minute or more on two cores).
Per mix, Fisher's F1 and the cumulative spectral gradient are correlated with
the zoo's mean accuracy.

A damaged record in RUNS/jobs (truncated, not JSON, another job's) stops
findings before it writes anything, as it stops fluens results: the error
lists each damaged file and its problem. fluens train on RUNS with the
settings that made it (RUNS/sweep.json) redoes those jobs; --skip-damaged
instead warns about each damaged record on stderr, leaves it out and says
so in the findings' notes.`,
		Example: `  fluens findings --runs run/runs --data run/prep
  fluens findings --runs run/runs --data run/prep --measures entropy,variance,fisher --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runs == "" || data == "" {
				return errors.New("findings: --runs and --data are required")
			}
			var names []string
			if measures != "" {
				for _, n := range strings.Split(measures, ",") {
					n = strings.TrimSpace(n)
					if _, err := measure.Lookup(n); err != nil {
						return fmt.Errorf("findings: --measures: %q is unknown (valid: %s)", n, strings.Join(measure.Names(), ", "))
					}
					names = append(names, n)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			logw := cmd.ErrOrStderr()
			f, err := findings.Compute(ctx, findings.Options{Runs: runs, Data: data, Seed: seed, Bootstrap: boot,
				Measures: names, Baselines: !noBaselines, SkipDamaged: skipDamaged,
				Progress: func(format string, a ...any) { fmt.Fprintf(logw, format+"\n", a...) }})
			if err != nil {
				return err
			}
			if asJSON {
				return f.WriteJSON(cmd.OutOrStdout())
			}
			return f.WriteText(cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&runs, "runs", "", "result store (from fluens train)")
	fl.StringVar(&data, "data", "", "prepared data folder the store was trained on")
	fl.StringVar(&measures, "measures", "", "comma-separated measures to judge (default: all: "+strings.Join(measure.Names(), ", ")+")")
	fl.BoolVar(&asJSON, "json", false, "write JSON instead of text")
	fl.BoolVar(&noBaselines, "no-baselines", false, "skip the per-mix Fisher F1 and CSG")
	fl.Uint64Var(&seed, "seed", 1, "seed of the bootstrap and of the measures that train")
	fl.IntVar(&boot, "bootstrap", 2000, "bootstrap resamples")
	fl.BoolVar(&skipDamaged, "skip-damaged", false, "warn about damaged records and leave them out (default: fail, writing nothing)")
	return cmd
}
