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
	var withFindings, skipDamaged bool
	cmd := &cobra.Command{
		Use:   "report --runs RUNS --data PREP --out REPORT",
		Short: "Write the interactive HTML report and the figures for papers",
		Long: `report reads the result store RUNS (from fluens train) and the prepared
data folder PREP (from fluens prepare) and writes REPORT/index.html, one
self-contained page that opens from disk with no network (average images,
mixes, decay curves, max accuracy vs decay, architectures, perceptron
weights, measures, the run's settings; hover a model to highlight it in
every chart), and REPORT/figures/, each chart as SVG and as a 300 dpi PNG.
REPORT is replaced as a whole, never left half-written.

A damaged record in RUNS/jobs (truncated, not JSON, another job's) stops
report before it writes anything, as it stops fluens results: the error
lists each damaged file and its problem. fluens train on RUNS with the
settings that made it (RUNS/sweep.json) redoes those jobs; --skip-damaged
instead warns about each damaged record on stderr and in the report's
settings section, and reports on the intact ones.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runs == "" || out == "" {
				return fmt.Errorf("report: --runs and --out are required")
			}
			if withFindings && data == "" {
				return fmt.Errorf("report: --findings needs --data")
			}
			o := reportOptions{Runs: runs, Prep: data, Out: out, Findings: withFindings, SkipDamaged: skipDamaged}
			return runReportFindings(o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder (from fluens train)")
	cmd.Flags().StringVar(&data, "data", "", "prepared data folder (from fluens prepare); without it the data sections stay empty")
	cmd.Flags().StringVar(&out, "out", "", "report folder to write")
	cmd.Flags().BoolVar(&withFindings, "findings", false, "add the Findings section (as fluens findings; trains the autoencoder and swap-one-class measures: a minute or more)")
	cmd.Flags().BoolVar(&skipDamaged, "skip-damaged", false, "warn about damaged records and report on the intact ones (default: fail, writing nothing)")
	return cmd
}

// reportOptions are the settings of fluens report (and of the report step
// of fluens run).
type reportOptions struct {
	// Runs is the result store, Prep the prepared folder ("" leaves the
	// data sections empty), Out the report folder.
	Runs, Prep, Out string
	// Findings adds the Findings section.
	Findings bool
	// SkipDamaged leaves damaged records out with a warning each instead
	// of failing before anything is written.
	SkipDamaged bool
}

// runReportFindings writes the report of the store o.Runs and the prepared
// folder o.Prep into o.Out, with the Findings section when o.Findings, and
// says where it is on w. Damaged records are an error, before anything is
// written, unless o.SkipDamaged: then each gets a warning on errw (and on
// the page).
func runReportFindings(o reportOptions, w, errw io.Writer) error {
	in, err := report.Load(o.Runs, o.Prep, report.LoadOptions{SkipDamaged: o.SkipDamaged})
	if err != nil {
		return err
	}
	if o.Findings {
		f, err := findings.Compute(context.Background(), findings.Options{Runs: o.Runs, Data: o.Prep, Baselines: true, SkipDamaged: o.SkipDamaged})
		if err != nil {
			return err
		}
		in.Findings = f
	}
	if err := report.Write(o.Out, in); err != nil {
		return err
	}
	for _, warn := range in.Run.Warnings {
		fmt.Fprintln(errw, "report: warning:", warn)
	}
	fmt.Fprintf(w, "report: %d models, %d jobs: %s\n", len(in.Models), in.Run.Jobs, filepath.Join(o.Out, "index.html"))
	return nil
}
