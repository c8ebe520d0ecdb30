package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue"
)

func init() { rootCmd.AddCommand(newQueueCmd()) }

// natsFlags are the connection flags of every queue command.
type natsFlags struct {
	url  string
	auth queue.Auth
}

// addAuthFlags adds the credential flags; their defaults come from
// FLUENS_NATS_TOKEN, FLUENS_NATS_USER and FLUENS_NATS_PASSWORD, so that
// secrets need not appear on a command line (where ps shows them).
func addAuthFlags(f *pflag.FlagSet, a *queue.Auth) {
	f.StringVar(&a.Token, "token", os.Getenv("FLUENS_NATS_TOKEN"), "NATS token (default $FLUENS_NATS_TOKEN)")
	f.StringVar(&a.User, "user", os.Getenv("FLUENS_NATS_USER"), "NATS user (default $FLUENS_NATS_USER)")
	f.StringVar(&a.Password, "password", os.Getenv("FLUENS_NATS_PASSWORD"), "NATS password (default $FLUENS_NATS_PASSWORD)")
}

func addNATSFlags(cmd *cobra.Command, n *natsFlags) {
	f := cmd.Flags()
	f.StringVar(&n.url, "nats", os.Getenv("FLUENS_NATS_URL"), "NATS server URL, e.g. nats://host:4222 or tls://host:4222 (default $FLUENS_NATS_URL)")
	addAuthFlags(f, &n.auth)
	f.StringVar(&n.auth.TLSCA, "tls-ca", "", "PEM file of the CA that signed the server's certificate")
}

func (n natsFlags) connect(name string) (*nats.Conn, error) {
	return queue.Connect(n.url, name, n.auth)
}

// signalContext is ctx ended by SIGINT or SIGTERM.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func newQueueCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Run a sweep on any number of machines through a NATS JetStream work queue",
		Long: `queue spreads a sweep over workers through NATS JetStream:

  fluens queue serve                        # a NATS server, if the group has none
  fluens queue submit --nats URL --data PREP --runs RUNS [train flags] [--wait]
  fluens worker --nats URL                  # on every machine, as many as wanted
  fluens queue collect --nats URL --runs RUNS [--wait]

submit publishes the jobs without a record in RUNS; workers train them and
publish each result; collect (or submit --wait) writes the results into RUNS.
A job is acknowledged only once its result is stored on the server, so a
worker that dies mid-job loses nothing: the job goes to another worker after
--ack-wait.`,
	}
	cmd.AddCommand(newQueueServeCmd(), newQueueSubmitCmd(), newQueueCollectCmd(), newQueueStatusCmd())
	return cmd
}

func newQueueServeCmd() *cobra.Command {
	var o queue.ServerOptions
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:4222]",
		Short: "Run an embedded NATS server with JetStream",
		Long: `serve runs a NATS server with JetStream in this process until interrupted.
It listens on loopback by default; bound to any other address it refuses to
start without --token or --user and --password. With --tls-cert and
--tls-key clients connect with tls://.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			out := cmd.OutOrStdout()
			o.Logf = func(format string, args ...any) {} // the server's chatter stays quiet
			s, err := queue.Serve(o)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "queue: NATS server with JetStream listening at %s\n", s.URL())
			<-ctx.Done()
			s.Shutdown()
			fmt.Fprintln(out, "queue: server stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", queue.DefaultAddr, "host:port to listen on")
	addAuthFlags(f, &o.Auth)
	f.StringVar(&o.Auth.TLSCert, "tls-cert", "", "PEM certificate of the server (TLS)")
	f.StringVar(&o.Auth.TLSKey, "tls-key", "", "PEM private key of the server (TLS)")
	f.StringVar(&o.StoreDir, "store-dir", "", "folder of JetStream's streams (default: a temporary folder)")
	return cmd
}

func newQueueSubmitCmd() *cobra.Command {
	var (
		n       natsFlags
		so      queue.SubmitOptions
		wait    bool
		timeout time.Duration
		idle    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "submit --nats URL --data PREP --runs RUNS [train flags]",
		Short: "Publish the jobs of a sweep that are not done to the work queue",
		Long: `submit lists the sweep's jobs as fluens train does (same flags) and publishes
those without a record in RUNS to the jobs stream (a job still queued is not
queued twice). Each job carries the absolute PREP path and the mix's content
hash: a worker trains on the data at that path, or on its own copy given with
fluens worker --data, and refuses data whose hash differs.
With --wait it then collects results into RUNS until every job is done, as
fluens queue collect --wait does (same --timeout and --idle-timeout).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkWaitFlags(timeout, idle); err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			o, err := sweepOptions(cmd.Flags())
			if err != nil {
				return err
			}
			jobs, err := sweepJobs(o)
			if err != nil {
				return err
			}
			store, err := sweep.OpenStore(o.Runs)
			if err != nil {
				return err
			}
			conn, err := n.connect("fluens queue submit")
			if err != nil {
				return err
			}
			defer conn.Close()
			so.Data, so.SaveWeights = o.Data, o.SaveWeights
			sum, err := queue.Submit(ctx, conn, store, jobs, so)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "queue: %d jobs: published %d, %d done, %d already queued, %d with a result to collect\n",
				sum.Total, sum.Published, sum.Done, sum.Queued, sum.Results)
			if !wait {
				return nil
			}
			return collect(ctx, conn, store, true, timeout, idle, out)
		},
	}
	addSweepFlags(cmd)
	addNATSFlags(cmd, &n)
	f := cmd.Flags()
	f.DurationVar(&so.AckWait, "ack-wait", queue.DefaultAckWait, "time without word from a worker after which its job goes to another")
	f.IntVar(&so.MaxDeliver, "max-deliver", queue.DefaultMaxDeliver, "deliveries of a job before it is given up")
	f.BoolVar(&so.Requeue, "requeue", false, "replace jobs that are still queued (e.g. given up after --max-deliver)")
	f.BoolVar(&wait, "wait", false, "collect results into RUNS until every job is done")
	addWaitFlags(f, &timeout, &idle)
	return cmd
}

func newQueueCollectCmd() *cobra.Command {
	var (
		n       natsFlags
		runs    string
		wait    bool
		timeout time.Duration
		idle    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "collect --nats URL --runs RUNS",
		Short: "Write the results of a queued sweep into its store",
		Long: `collect reads the results on the server of the jobs submitted from RUNS and
writes each into RUNS atomically (weights first, then the record). Results
already in the store are ignored, so collecting again is harmless. Without
--wait it stops once it has read every result on the server.

With --wait it goes on until every job has a record or has failed for good,
but no longer than --idle-timeout without a new result or failure report of
the sweep (default 30m; 0 = no bound): then it names the jobs still missing
and exits non-zero. Re-run fluens queue submit with the same flags to queue
them again (jobs with a record in RUNS are skipped). --timeout bounds the
whole wait however busy the workers are; --idle-timeout only a silence, so
set it above the longest job's training time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkWaitFlags(timeout, idle); err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			store, err := sweep.OpenStore(runs)
			if err != nil {
				return err
			}
			conn, err := n.connect("fluens queue collect")
			if err != nil {
				return err
			}
			defer conn.Close()
			return collect(ctx, conn, store, wait, timeout, idle, cmd.OutOrStdout())
		},
	}
	addNATSFlags(cmd, &n)
	f := cmd.Flags()
	f.StringVar(&runs, "runs", "", "result store folder")
	f.BoolVar(&wait, "wait", false, "keep collecting until every job is done")
	addWaitFlags(f, &timeout, &idle)
	cmd.MarkFlagRequired("runs")
	return cmd
}

// defaultIdleTimeout is --idle-timeout's default: well above the default
// --ack-wait (after which a dead worker's job goes to another) and a job's
// training time on the default settings.
const defaultIdleTimeout = 30 * time.Minute

// addWaitFlags adds the bounds of a --wait.
func addWaitFlags(f *pflag.FlagSet, timeout, idle *time.Duration) {
	f.DurationVar(timeout, "timeout", 0, "with --wait, give up after this long in all (0 = never)")
	f.DurationVar(idle, "idle-timeout", defaultIdleTimeout,
		"with --wait, give up after this long without a new result or failure report, naming the jobs still missing (0 = never)")
}

// checkWaitFlags refuses negative bounds of a --wait.
func checkWaitFlags(timeout, idle time.Duration) error {
	if timeout < 0 || idle < 0 {
		return fmt.Errorf("queue: --timeout and --idle-timeout must not be negative (have %v and %v)", timeout, idle)
	}
	return nil
}

// collect runs queue.Collect and reports the outcome; it fails when jobs
// failed for good, or --wait ended with jobs missing (--timeout or
// --idle-timeout).
func collect(ctx context.Context, conn *nats.Conn, store *sweep.Store, wait bool, timeout, idle time.Duration, out io.Writer) error {

	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	lg := log.New(out, "", log.LstdFlags)
	sum, err := queue.Collect(ctx, conn, store, queue.CollectOptions{Wait: wait, IdleTimeout: idle, Logf: lg.Printf})
	fmt.Fprintf(out, "queue: %d jobs: %d results stored now, %d duplicates ignored, %d missing, %d failed\n",
		sum.Total, sum.Stored, sum.Duplicate, sum.Missing, len(sum.Failed))
	for _, f := range sum.Failed {
		fmt.Fprintf(out, "failed: job %d (%s…) after %d attempts: %s\n", f.Index, f.Key[:12], f.Attempt, f.Error)
	}
	switch {
	case err != nil && ctx.Err() != nil && sum.Missing > 0:
		return fmt.Errorf("queue: stopped waiting with %d jobs missing", sum.Missing)
	case err != nil:
		return err
	case len(sum.Failed) > 0:
		return fmt.Errorf("queue: %d jobs failed", len(sum.Failed))
	}
	return nil
}

func newQueueStatusCmd() *cobra.Command {
	var (
		n    natsFlags
		runs string
	)
	cmd := &cobra.Command{
		Use:   "status --nats URL [--runs RUNS]",
		Short: "Show the work queue: jobs waiting, in flight, results to collect",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			var store *sweep.Store
			if runs != "" {
				store = &sweep.Store{Dir: runs}
			}
			conn, err := n.connect("fluens queue status")
			if err != nil {
				return err
			}
			defer conn.Close()
			st, err := queue.StatusOf(ctx, conn, store)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "server: %d jobs waiting, %d in flight (%d redelivered), %d idle workers; %d results, %d failure reports\n",
				st.Waiting, st.InFlight, st.Redelivered, st.IdleWorkers, st.Results, st.Failures)
			if store != nil {
				fmt.Fprintf(out, "%s: %d jobs: %d done, %d to collect, %d failed, %d other\n",
					runs, st.Total, st.Done, st.Collectable, st.Failed, st.Total-st.Done-st.Collectable-st.Failed)
			}
			return nil
		},
	}
	addNATSFlags(cmd, &n)
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder of a submitted sweep")
	return cmd
}
