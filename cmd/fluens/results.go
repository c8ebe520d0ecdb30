package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/decay"
	"github.com/fluens-lab/fluens/sweep"
)

func init() { rootCmd.AddCommand(newResultsCmd()) }

func newResultsCmd() *cobra.Command {
	var runs, out string
	var skipDamaged bool
	cmd := &cobra.Command{
		Use:   "results --runs RUNS",
		Short: "Summarise a result store: decay per model, results.csv, models.csv and seeds.csv",
		Long: `results reads every record of the result store RUNS (written by fluens
train), fits each model's decay (least-squares slope of test accuracy against
mix index, r², max accuracy, and over seeds the mean slope with a 95%
confidence interval), prints a table and writes into RUNS, or --out:
results.csv (one row per job), models.csv (one row per model) and seeds.csv
(one row per model and seed: that seed's slope, intercept, r², max accuracy
and accuracy on mix 0).

A damaged record in RUNS/jobs (truncated, not JSON, another job's) stops
results before it writes anything: the error lists each damaged file and its
problem. fluens train on RUNS with the settings that made it (RUNS/sweep.json)
redoes those jobs; --skip-damaged instead warns about each damaged record and
summarises the intact ones.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runs == "" {
				return fmt.Errorf("results: --runs is required")
			}
			if out == "" {
				out = runs
			}
			o := resultsOptions{Runs: runs, Out: out, SkipDamaged: skipDamaged}
			_, err := runResults(o, cmd.OutOrStdout(), cmd.ErrOrStderr())
			return err
		},
	}
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder (from fluens train)")
	cmd.Flags().StringVar(&out, "out", "", "folder for results.csv, models.csv and seeds.csv (default: RUNS)")
	cmd.Flags().BoolVar(&skipDamaged, "skip-damaged", false, "warn about damaged records and summarise the intact ones (default: fail, writing nothing)")
	return cmd
}

// resultsOptions are the settings of fluens results (and of the results
// step of fluens run).
type resultsOptions struct {
	Runs, Out   string
	SkipDamaged bool
	// Remedy, if not empty, replaces the advice that ends the error about
	// damaged records.
	Remedy string
}

// studyRemedy is the advice of fluens run about damaged records left in
// its store runs after its train step, which redoes those of its own jobs.
func studyRemedy(runs string) string {
	return fmt.Sprintf("the train step redid the damaged records of this study's jobs; these are not among them (another profile or --seeds?): remove them, or summarise the rest with fluens results --runs %s --skip-damaged", runs)
}

// runResults summarises the store in o.Runs into o.Out/results.csv,
// models.csv and seeds.csv and prints the table to w. Damaged records are
// an error, before anything is written, unless o.SkipDamaged: then each
// gets a warning on errw and the intact ones are summarised.
func runResults(o resultsOptions, w, errw io.Writer) ([]*decay.Model, error) {
	runs, out := o.Runs, o.Out
	if st, err := os.Stat(filepath.Join(runs, sweep.JobsDir)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("results: %s is not a result store (no %s/ folder; run fluens train)", runs, sweep.JobsDir)
	}
	store := &sweep.Store{Dir: runs}
	recs, problems, err := store.Records()
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 && !o.SkipDamaged {
		return nil, &sweep.DamagedError{Op: "results", Dir: runs, Problems: problems, Intact: len(recs), Remedy: o.Remedy}
	}
	for _, p := range problems {
		fmt.Fprintf(errw, "results: skipping damaged record: %v\n", p)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("results: %s holds no finished job", runs)
	}
	models, err := decay.Summarize(recs)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"results.csv", func(w io.Writer) error { return decay.WriteResultsCSV(w, recs) }},
		{"models.csv", func(w io.Writer) error { return decay.WriteModelsCSV(w, models) }},
		{"seeds.csv", func(w io.Writer) error { return decay.WriteSeedsCSV(w, models) }},
	}
	var paths []string
	for _, f := range files {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			return nil, err
		}
		p := filepath.Join(out, f.name)
		if err := sweep.WriteFileAtomic(p, b.Bytes()); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tfamily\tspec\tparams\tmixes\tseeds\tmax acc\tacc mix 0\tslope\t95% CI\tr²\t")
	for _, m := range models {
		ci := "–"
		if !math.IsNaN(m.SlopeLow) {
			ci = fmt.Sprintf("[%+.4f, %+.4f]", m.SlopeLow, m.SlopeHigh)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.4f\t%.4f\t%+.4f\t%s\t%.3f\t\n", m.ID, m.Family, m.Spec, m.Params,
			len(m.Mixes), m.Seeds(), m.MaxAcc, m.AccAt(0), m.Slope, ci, m.R2)
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	skipped := ""
	if len(problems) > 0 {
		skipped = fmt.Sprintf(" (%d damaged records skipped)", len(problems))
	}
	fmt.Fprintf(w, "results: %d jobs%s, %d models; wrote %s, %s and %s\n", len(recs), skipped, len(models),
		paths[0], paths[1], paths[2])
	return models, nil
}
