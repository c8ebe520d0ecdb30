package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/slurm"
)

func init() { rootCmd.AddCommand(newSlurmCmd()) }

// sweepFlagSkip are fluens train's flags that an engine sets itself.
var sweepFlagSkip = map[string]bool{"job-index": true, "workers": true}

// addSweepFlags gives cmd the flags of fluens train that define a sweep
// (data, runs, zoo and training flags), so engines take the very flags
// train takes.
func addSweepFlags(cmd *cobra.Command) {
	newTrainCmd().Flags().VisitAll(func(fl *pflag.Flag) {
		if !sweepFlagSkip[fl.Name] {
			cmd.Flags().AddFlag(fl)
		}
	})
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("runs")
}

// sweepOptions reads the flags added by addSweepFlags back as train's
// options, with absolute data and store paths.
func sweepOptions(f *pflag.FlagSet) (trainOptions, error) {
	o := defaultTrainOptions()
	var errs []error
	get := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	o.Data, err = f.GetString("data")
	get(err)
	o.Runs, err = f.GetString("runs")
	get(err)
	o.Zoo, err = f.GetString("zoo")
	get(err)
	o.CNNs, err = f.GetInt("cnns")
	get(err)
	o.ZooSeed, err = f.GetUint64("zoo-seed")
	get(err)
	o.Hyper.Epochs, err = f.GetInt("epochs")
	get(err)
	o.Hyper.Batch, err = f.GetInt("batch")
	get(err)
	o.Hyper.LR, err = f.GetFloat64("lr")
	get(err)
	o.Seeds, err = f.GetInt("seeds")
	get(err)
	o.SaveWeights, err = f.GetBool("save-weights")
	get(err)
	o.BigFLOPs, err = f.GetInt64("big-flops")
	get(err)
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("reading the sweep flags: %w", err)
	}
	if err := o.validate(); err != nil {
		return o, err
	}
	for _, p := range []*string{&o.Data, &o.Runs} {
		if *p, err = filepath.Abs(*p); err != nil {
			return o, err
		}
	}
	return o, nil
}

// sweepJobs lists the jobs of options o, as fluens train does.
func sweepJobs(o trainOptions) ([]sweep.Job, error) {
	models, err := o.models()
	if err != nil {
		return nil, err
	}
	mixes, err := sweep.FindMixes(o.Data)
	if err != nil {
		return nil, err
	}
	return sweep.Jobs(models, mixes, sweep.Seeds(o.Seeds), o.Hyper), nil
}

// trainArgs returns the fluens train arguments that rebuild the sweep of
// the flags: the absolute data and store paths and every other sweep flag
// the user set, as --name=value.
func trainArgs(f *pflag.FlagSet, o trainOptions) []string {
	args := []string{"train", "--data=" + o.Data, "--runs=" + o.Runs}
	train := newTrainCmd().Flags()
	f.Visit(func(fl *pflag.Flag) {
		if fl.Name == "data" || fl.Name == "runs" || sweepFlagSkip[fl.Name] {
			return
		}
		if train.Lookup(fl.Name) == nil {
			return // the engine's own flag
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	return args
}

func newSlurmCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slurm",
		Short: "Run a sweep as a Slurm job array",
		Long: `slurm submits a sweep to a Slurm cluster as one job array, in which task i
runs "fluens train ... --job-index i" against the same result store (which
must be on a file system every node sees), and reports its progress.`,
	}
	cmd.AddCommand(newSlurmSubmitCmd(), newSlurmStatusCmd())
	return cmd
}

func newSlurmSubmitCmd() *cobra.Command {
	var so slurm.Options
	cmd := &cobra.Command{
		Use:   "submit --data PREP --runs RUNS [train flags]",
		Short: "Submit the jobs of a sweep that are not done as one job array",
		Long: `submit lists the sweep's jobs as fluens train does (same flags), leaves out
those with a record in RUNS and those an earlier array still holds, writes
an sbatch script to RUNS/slurm/ and submits it as one job array: task i runs
this very fluens binary as

  fluens train --data PREP --runs RUNS [flags] --workers C --job-index i

where C is --cpus-per-task. Task logs go to RUNS/slurm/fluens-<array>_<i>.out.
Submitting again submits only what is neither done nor queued.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSlurmSubmit(cmd.Context(), cmd.Flags(), so, cmd.OutOrStdout())
		},
	}
	addSweepFlags(cmd)
	f := cmd.Flags()
	f.IntVar(&so.Parallelism, "array-parallelism", 0, "most array tasks running at once (0 = no limit)")
	f.StringVar(&so.Partition, "partition", "", "Slurm partition (default: the cluster's)")
	f.StringVar(&so.Time, "time", "", "time limit of each task, e.g. 1:00:00 (default: the partition's)")
	f.IntVar(&so.CPUsPerTask, "cpus-per-task", 1, "CPUs of each task; a large model trains with that many threads")
	f.StringVar(&so.JobName, "job-name", "fluens", "Slurm job name")
	f.BoolVar(&so.DryRun, "dry-run", false, "print the script, submit nothing")
	return cmd
}

func runSlurmSubmit(ctx context.Context, f *pflag.FlagSet, so slurm.Options, out io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if so.CPUsPerTask < 1 {
		return fmt.Errorf("slurm: --cpus-per-task must be at least 1 (have %d)", so.CPUsPerTask)
	}
	o, err := sweepOptions(f)
	if err != nil {
		return err
	}
	jobs, err := sweepJobs(o)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("slurm: locating the fluens binary: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return fmt.Errorf("slurm: locating the fluens binary: %w", err)
	}
	command := append([]string{exe}, trainArgs(f, o)...)
	command = append(command, fmt.Sprintf("--workers=%d", so.CPUsPerTask))
	var store *sweep.Store
	if so.DryRun {
		store = &sweep.Store{Dir: o.Runs}
	} else if store, err = sweep.OpenStore(o.Runs); err != nil {
		return err
	}
	sub, err := slurm.Submit(ctx, store, jobs, command, so)
	if err != nil {
		return err
	}
	switch {
	case len(sub.Indices) == 0:
		fmt.Fprintf(out, "slurm: nothing to submit: of %d jobs, %d are done and %d queued\n", len(jobs), sub.Done, sub.Queued)
	case so.DryRun:
		fmt.Fprint(out, sub.Script)
		fmt.Fprintf(out, "# dry run: %d of %d jobs would be submitted (%d done, %d queued)\n", len(sub.Indices), len(jobs), sub.Done, sub.Queued)
	default:
		fmt.Fprintf(out, "slurm: submitted array %d: %d of %d jobs (%d done, %d queued); script %s\n",
			sub.ArrayJobID, len(sub.Indices), len(jobs), sub.Done, sub.Queued, sub.ScriptPath)
	}
	return nil
}

func newSlurmStatusCmd() *cobra.Command {
	var runs string
	cmd := &cobra.Command{
		Use:   "status --runs RUNS",
		Short: "Count a Slurm sweep's jobs: done, running, pending, failed",
		Long: `status reads the submissions in RUNS/slurm/, the records in RUNS and
squeue, and counts the jobs of the latest submission's sweep. A job is done
when its record is in the store, running or pending when an array task in
that state holds it, and failed when it was submitted, is no longer queued
and has no record (its log is named).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store := &sweep.Store{Dir: runs}
			st, err := slurm.StatusOf(cmd.Context(), store)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%d jobs: %d done, %d running, %d pending, %d failed", st.Total, st.Done, st.Running, st.Pending, st.Failed)
			if st.Unsubmitted > 0 {
				fmt.Fprintf(out, ", %d not submitted", st.Unsubmitted)
			}
			fmt.Fprintf(out, " (squeue --%s)\n", st.Method)
			for _, fl := range st.Failures {
				state := fl.State
				if state == "" {
					state = "ended"
				}
				fmt.Fprintf(out, "failed: job %d (%s…) %s; log %s\n", fl.Index, fl.Key[:12], strings.ToLower(state), fl.Log)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder")
	cmd.MarkFlagRequired("runs")
	return cmd
}
