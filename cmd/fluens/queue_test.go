package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue"
	"github.com/fluens-lab/fluens/zoo"
)

// TestQueueCollectIdleTimeout submits three jobs to an embedded NATS
// server, runs no worker, and checks that fluens queue collect --wait
// --idle-timeout=1s gives up with an error naming the missing jobs (which
// main turns into exit status 1), and that the wait flags are checked.
//
// The exit status is checked on a real process: the test binary runs
// itself with FLUENS_TEST_MAIN set, and then runs main with the arguments
// that follow "--".
func TestQueueCollectIdleTimeout(t *testing.T) {
	if os.Getenv("FLUENS_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"fluens"}, os.Args[i+1:]...)
				main()
				os.Exit(0)
			}
		}
		t.Fatal("no -- in the arguments")
	}
	s, err := queue.Serve(queue.ServerOptions{Addr: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, err := queue.Connect(s.URL(), "test", queue.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	runs := t.TempDir()
	store, err := sweep.OpenStore(runs)
	if err != nil {
		t.Fatal(err)
	}
	mixes := []sweep.Mix{{Name: "conv_div_mix_04", Hash: strings.Repeat("4f", 32)}}
	jobs := sweep.Jobs([]zoo.Model{{Family: zoo.CNN, Spec: zoo.MustParse("C8k5")}}, mixes, []int64{1, 2, 3}, sweep.Paper)
	if _, err := queue.Submit(context.Background(), nc, store, jobs, queue.SubmitOptions{Data: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	run := func(newCmd func() *cobra.Command, args ...string) (string, error) {
		c := newCmd()
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(args)
		err := c.Execute()
		return out.String(), err
	}
	start := time.Now()
	out, err := run(newQueueCollectCmd, "--nats", s.URL(), "--runs", runs, "--wait", "--idle-timeout=1s")
	took := time.Since(start)
	if err == nil {
		t.Fatalf("collect --wait with no worker succeeded:\n%s", out)
	}
	if !strings.Contains(out, "3 jobs: 0 results stored now, 0 duplicates ignored, 3 missing, 0 failed") {
		t.Errorf("collect said:\n%s", out)
	}
	if took > 10*time.Second {
		t.Errorf("collect gave up after %v with --idle-timeout=1s", took)
	}
	for _, part := range []string{"3 jobs still missing", "job 0 (C8k5 on conv_div_mix_04, seed 1", "job 2 (C8k5 on conv_div_mix_04, seed 3", "fluens queue submit"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("the error lacks %q: %v", part, err)
		}
	}
	// As a process: exit status 1, the error on stderr after "fluens: ".
	proc := exec.Command(os.Args[0], "-test.run=^TestQueueCollectIdleTimeout$", "--",
		"queue", "collect", "--nats", s.URL(), "--runs", runs, "--wait", "--idle-timeout=1s")
	proc.Env = append(os.Environ(), "FLUENS_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	proc.Stdout, proc.Stderr = &stdout, &stderr
	err = proc.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("fluens queue collect: %v, want exit status 1\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "fluens: queue: no result for ") || !strings.Contains(stderr.String(), "3 jobs still missing") {
		t.Errorf("stderr: %s", stderr.String())
	}
	// Without --wait collect reads what the server holds and succeeds.
	if out, err := run(newQueueCollectCmd, "--nats", s.URL(), "--runs", runs, "--idle-timeout=1ns"); err != nil || !strings.Contains(out, "3 jobs: 0 results stored now") {
		t.Errorf("collect without --wait: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"--nats", s.URL(), "--runs", runs, "--wait", "--idle-timeout=-1s"},
		{"--nats", s.URL(), "--runs", runs, "--wait", "--timeout=-1m"},
	} {
		if _, err := run(newQueueCollectCmd, args...); err == nil || !strings.Contains(err.Error(), "must not be negative") {
			t.Errorf("collect %v: %v", args, err)
		}
	}
	if _, err := run(newQueueSubmitCmd, "--nats", s.URL(), "--runs", runs, "--data", runs, "--wait", "--idle-timeout=-5s"); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Errorf("submit --idle-timeout=-5s: %v", err)
	}
}
