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
	cmd := &cobra.Command{
		Use:   "results --runs RUNS",
		Short: "Summarise a result store: decay per model, results.csv and models.csv",
		Long: `results reads every record of the result store RUNS (written by fluens
train), fits each model's decay (least-squares slope of test accuracy against
mix index, r², max accuracy, and over seeds the mean slope with a 95%
confidence interval), prints a table and writes results.csv (one row per job)
and models.csv (one row per model) into RUNS, or --out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runs == "" {
				return fmt.Errorf("results: --runs is required")
			}
			if out == "" {
				out = runs
			}
			_, err := runResults(runs, out, cmd.OutOrStdout())
			return err
		},
	}
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder (from fluens train)")
	cmd.Flags().StringVar(&out, "out", "", "folder for results.csv and models.csv (default: RUNS)")
	return cmd
}

// runResults summarises the store in runs into out/results.csv and
// out/models.csv and prints the table to w.
func runResults(runs, out string, w io.Writer) ([]*decay.Model, error) {
	if st, err := os.Stat(filepath.Join(runs, sweep.JobsDir)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("results: %s is not a result store (no %s/ folder; run fluens train)", runs, sweep.JobsDir)
	}
	store := &sweep.Store{Dir: runs}
	recs, problems, err := store.Records()
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fmt.Fprintf(w, "results: skipping %v\n", p)
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
	var rb, mb bytes.Buffer
	if err := decay.WriteResultsCSV(&rb, recs); err != nil {
		return nil, err
	}
	if err := decay.WriteModelsCSV(&mb, models); err != nil {
		return nil, err
	}
	if err := sweep.WriteFileAtomic(filepath.Join(out, "results.csv"), rb.Bytes()); err != nil {
		return nil, err
	}
	if err := sweep.WriteFileAtomic(filepath.Join(out, "models.csv"), mb.Bytes()); err != nil {
		return nil, err
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
	fmt.Fprintf(w, "results: %d jobs, %d models; wrote %s and %s\n", len(recs), len(models),
		filepath.Join(out, "results.csv"), filepath.Join(out, "models.csv"))
	return models, nil
}
