package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/findings"
	"github.com/fluens-lab/fluens/report"
)

func init() { rootCmd.AddCommand(newReportCmd()) }

func newReportCmd() *cobra.Command {
	var runs, data, out string
	var withFindings bool
	cmd := &cobra.Command{
		Use:   "report --runs RUNS --data PREP --out REPORT",
		Short: "Write the interactive HTML report and the figures for papers",
		Long: `report reads the result store RUNS (from fluens train) and the prepared
data folder PREP (from fluens prepare) and writes REPORT/index.html, one
self-contained page that opens from disk with no network (average images,
mixes, decay curves, max accuracy vs decay, architectures, perceptron
weights, measures, the run's settings; hover a model to highlight it in
every chart), and REPORT/figures/, each chart as SVG and as a 300 dpi PNG.
REPORT is replaced as a whole, never left half-written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runs == "" || out == "" {
				return fmt.Errorf("report: --runs and --out are required")
			}
			if withFindings && data == "" {
				return fmt.Errorf("report: --findings needs --data")
			}
			return runReportFindings(runs, data, out, withFindings, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder (from fluens train)")
	cmd.Flags().StringVar(&data, "data", "", "prepared data folder (from fluens prepare); without it the data sections stay empty")
	cmd.Flags().StringVar(&out, "out", "", "report folder to write")
	cmd.Flags().BoolVar(&withFindings, "findings", false, "add the Findings section (as fluens findings; trains the autoencoder and swap-one-class measures: a minute or more)")
	return cmd
}

// runReport writes the report of the store runs and the prepared folder
// prep into out, and says where it is on w.
func runReport(runs, prep, out string, w io.Writer) error {
	return runReportFindings(runs, prep, out, false, w)
}

// runReportFindings is runReport, with the Findings section when
// withFindings.
func runReportFindings(runs, prep, out string, withFindings bool, w io.Writer) error {
	in, err := report.Load(runs, prep)
	if err != nil {
		return err
	}
	if withFindings {
		f, err := findings.Compute(context.Background(), findings.Options{Runs: runs, Data: prep, Baselines: true})
		if err != nil {
			return err
		}
		in.Findings = f
	}
	if err := report.Write(out, in); err != nil {
		return err
	}
	for _, warn := range in.Run.Warnings {
		fmt.Fprintln(w, "report: warning:", warn)
	}
	fmt.Fprintf(w, "report: %d models, %d jobs: %s\n", len(in.Models), in.Run.Jobs, filepath.Join(out, "index.html"))
	return nil
}
