package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/report"
)

func init() { rootCmd.AddCommand(newServeCmd()) }

func newServeCmd() *cobra.Command {
	var runs, data, addr string
	var public bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "serve --runs RUNS --data PREP",
		Short: "Serve the report and rebuild it as results land",
		Long: `serve serves the report of RUNS and PREP (see fluens report) over HTTP and
rebuilds it whenever records land in RUNS, so a sweep can be watched while it
runs: the open page reloads itself when a newer build exists. It listens on
127.0.0.1:8080 by default; an address that is not a loopback address is
refused unless --public is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runs == "" {
				return fmt.Errorf("serve: --runs is required")
			}
			if err := checkServeAddr(addr, public); err != nil {
				return err
			}
			if interval <= 0 {
				return fmt.Errorf("serve: --interval must be positive")
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			// A name such as localhost could resolve elsewhere: check what
			// was bound, too.
			if ta, ok := ln.Addr().(*net.TCPAddr); !public && (!ok || !ta.IP.IsLoopback()) {
				ln.Close()
				return fmt.Errorf("serve: --addr %q bound %v, not a loopback address; give --public to allow it", addr, ln.Addr())
			}
			logger := log.New(cmd.ErrOrStderr(), "", log.LstdFlags)
			srv := report.NewServer(runs, data)
			srv.Logf = logger.Printf
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go srv.Watch(ctx, interval)
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				hs.Shutdown(sctx)
			}()
			fmt.Fprintf(cmd.OutOrStdout(), "serving the report of %s on http://%s/ (Ctrl-C to stop)\n", runs, ln.Addr())
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runs, "runs", "", "result store folder (from fluens train)")
	cmd.Flags().StringVar(&data, "data", "", "prepared data folder (from fluens prepare)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().BoolVar(&public, "public", false, "allow an address that is not a loopback address")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to look for new results")
	return cmd
}

// checkServeAddr refuses an address that would listen beyond the loopback
// interface, unless public.
func checkServeAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("serve: --addr %q: %w", addr, err)
	}
	if public {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		host = "every interface"
	}
	return fmt.Errorf("serve: --addr %q listens on %s, not only on this machine; give --public to allow it", addr, host)
}
