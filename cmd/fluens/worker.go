package main

import (
	"fmt"
	"log"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/sweep/queue"
)

func init() { rootCmd.AddCommand(newWorkerCmd()) }

func newWorkerCmd() *cobra.Command {
	var (
		n natsFlags
		w queue.Worker
	)
	cmd := &cobra.Command{
		Use:   "worker --nats URL",
		Short: "Train jobs from a NATS work queue (see fluens queue)",
		Long: `worker pulls jobs from the work queue of fluens queue submit, trains each
and publishes its result (the record and the weights it keeps), then
acknowledges the job. While a job trains the worker tells the server it is
alive after every epoch and every quarter of --ack-wait; a worker killed
mid-job has its job delivered to another one.

Each job names the prepared data folder as the submitter saw it; give --data
when this machine has its copy elsewhere. The mix's content hash must match
the submitter's either way. The worker refuses to connect to a server beyond
loopback without credentials (--token, or --user and --password).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if w.Slots < 1 {
				return fmt.Errorf("worker: --jobs must be at least 1 (have %d)", w.Slots)
			}
			conn, err := n.connect("fluens worker")
			if err != nil {
				return err
			}
			defer conn.Close()
			lg := log.New(cmd.OutOrStdout(), "", log.LstdFlags)
			w.Conn, w.Logf = conn, lg.Printf
			lg.Printf("worker: connected to %s, %d job(s) at a time, %d threads for large models", conn.ConnectedUrlRedacted(), w.Slots, w.Threads)
			err = w.Run(ctx)
			if ctx.Err() != nil {
				lg.Printf("worker: interrupted")
				return nil
			}
			return err
		},
	}
	addNATSFlags(cmd, &n)
	f := cmd.Flags()
	f.StringVar(&w.Data, "data", "", "prepared data folder on this machine (default: the path each job names)")
	f.IntVar(&w.Slots, "jobs", 1, "jobs trained at once")
	f.IntVar(&w.Threads, "threads", runtime.NumCPU(), "engine threads of a large model")
	f.StringVar(&w.Name, "name", "", "name of this worker in results (default host/pid)")
	f.DurationVar(&w.IdleExit, "idle-exit", 0, "exit after this long without a job (0 = never)")
	f.IntVar(&w.MaxJobs, "max-jobs", 0, "exit after this many jobs (0 = never)")
	return cmd
}
