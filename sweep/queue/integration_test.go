package queue_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue"
	"github.com/fluens-lab/fluens/sweep/queue/enginetest"
)

// worker is a running fluens worker process whose log is kept.
type worker struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done chan struct{}
}

func startWorker(tb testing.TB, bin string, onLine func(w *worker, line string), args ...string) *worker {
	tb.Helper()
	w := &worker{cmd: exec.Command(bin, append([]string{"worker"}, args...)...), done: make(chan struct{})}
	pr, pw := io.Pipe()
	w.cmd.Stdout, w.cmd.Stderr = pw, pw
	if err := w.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		w.cmd.Wait()
		pw.Close()
	}()
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.mu.Lock()
			w.log.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
			if onLine != nil {
				onLine(w, sc.Text())
			}
		}
	}()
	tb.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.done
	})
	return w
}

func (w *worker) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

func serve(tb testing.TB) *queue.Server {
	tb.Helper()
	s, err := queue.Serve(queue.ServerOptions{Addr: "127.0.0.1:0", StoreDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Shutdown)
	return s
}

var startedRE = regexp.MustCompile(`job (\d+) \((\S+) on \S+, seed \d+\): started, attempt (\d+)`)

// TestThreeWorkersOneKilled runs the test sweep through an embedded
// server and three worker processes, SIGKILLs one of them while it trains
// a job, and checks that the job is redelivered, every result is stored
// once, and the store equals the local runner's.
func TestThreeWorkersOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fluens and trains 44 jobs")
	}
	t0 := time.Now()
	bin := enginetest.BuildFluens(t)
	t.Logf("built fluens in %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	prep := enginetest.Prepare(t)
	t.Logf("prepared the data in %.1fs", time.Since(t0).Seconds())
	tmp := t.TempDir()
	local, remote := filepath.Join(tmp, "local"), filepath.Join(tmp, "remote runs")
	t0 = time.Now()
	enginetest.Fluens(t, bin, append([]string{"train", "--data", prep, "--runs", local, "--workers=2"}, enginetest.SweepFlags...)...)
	t.Logf("local run in %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()

	s := serve(t)
	out := enginetest.Fluens(t, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", remote,
		"--ack-wait=2s", "--max-deliver=5"}, enginetest.SweepFlags...)...)
	if !strings.Contains(out, "22 jobs: published 22, 0 done, 0 already queued") {
		t.Fatalf("submit said %q", out)
	}

	// Worker 0 is killed as soon as it starts a C8k5 job (the longer
	// model: two epochs take far longer than the kill).
	killed := make(chan string, 1)
	victim := func(w *worker, line string) {
		m := startedRE.FindStringSubmatch(line)
		if m != nil && m[2] == "C8k5" {
			select {
			case killed <- m[1]:
				w.cmd.Process.Signal(syscall.SIGKILL)
			default:
			}
		}
	}
	args := []string{"--nats", s.URL(), "--idle-exit=6s", "--threads=1"}
	workers := []*worker{startWorker(t, bin, victim, args...), startWorker(t, bin, nil, args...), startWorker(t, bin, nil, args...)}

	col := exec.Command(bin, "queue", "collect", "--nats", s.URL(), "--runs", remote, "--wait", "--timeout=5m")
	colOut, err := col.CombinedOutput()
	if err != nil {
		t.Fatalf("collect: %v\n%s", err, colOut)
	}
	if !strings.Contains(string(colOut), "22 jobs: 22 results stored now, 0 duplicates ignored, 0 missing, 0 failed") {
		t.Errorf("collect said:\n%s", colOut)
	}
	var job string
	select {
	case job = <-killed:
	default:
		t.Fatalf("worker 0 never started a C8k5 job:\n%s", workers[0].text())
	}
	t.Logf("queue run in %.1fs", time.Since(t0).Seconds())
	// The queue is empty: stop the workers as an operator would.
	for _, w := range workers[1:] {
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, w := range workers {
		<-w.done
	}
	for _, w := range workers[1:] {
		if !w.cmd.ProcessState.Success() || !strings.Contains(w.text(), "worker: interrupted") {
			t.Errorf("worker did not stop cleanly on SIGTERM: %v\n%s", w.cmd.ProcessState, w.text())
		}
	}
	if strings.Contains(workers[0].text(), "job "+job+": done") {
		t.Fatalf("worker 0 finished job %s before it was killed:\n%s", job, workers[0].text())
	}
	// Another worker trained the killed job on a later delivery.
	redelivered := false
	for _, w := range workers[1:] {
		for _, m := range startedRE.FindAllStringSubmatch(w.text(), -1) {
			if m[1] == job && m[3] != "1" {
				redelivered = true
			}
		}
	}
	if !redelivered {
		t.Errorf("job %s was not redelivered:\n%s\n%s", job, workers[1].text(), workers[2].text())
	}
	if err := enginetest.CompareStores(&sweep.Store{Dir: local}, &sweep.Store{Dir: remote}); err != nil {
		t.Error(err)
	}

	out = enginetest.Fluens(t, bin, "queue", "status", "--nats", s.URL(), "--runs", remote)
	if !strings.Contains(out, "server: 0 jobs waiting, 0 in flight") || !strings.Contains(out, "22 jobs: 22 done, 0 to collect, 0 failed") {
		t.Errorf("status said %q", out)
	}
	// Again: nothing to publish, nothing new to store.
	out = enginetest.Fluens(t, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", remote}, enginetest.SweepFlags...)...)
	if !strings.Contains(out, "published 0, 22 done") {
		t.Errorf("second submit said %q", out)
	}
	out = enginetest.Fluens(t, bin, "queue", "collect", "--nats", s.URL(), "--runs", remote)
	if !strings.Contains(out, "0 results stored now") || !strings.Contains(out, "0 missing") {
		t.Errorf("second collect said %q", out)
	}
	t.Logf("worker 0 was killed during job %s; %s", job, strings.TrimSpace(string(colOut[strings.LastIndex(string(colOut[:len(colOut)-1]), "\n")+1:])))
}

// BenchmarkWorkers measures a sweep of the 12 MLPs on 11 small mixes
// (132 jobs, one epoch) through the queue with 1 and 3 worker processes
// (one engine thread each), from submit to the last result collected.
func BenchmarkWorkers(b *testing.B) {
	bin := enginetest.BuildFluens(b)
	prep := enginetest.Prepare(b)
	flags := []string{"--zoo=mlp", "--epochs=1", "--batch=64"}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s := serve(b)
				runs := filepath.Join(b.TempDir(), "runs")
				enginetest.Fluens(b, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", runs}, flags...)...)
				b.StartTimer()
				for range n {
					startWorker(b, bin, nil, "--nats", s.URL(), "--threads=1", "--idle-exit=1s")
				}
				enginetest.Fluens(b, bin, "queue", "collect", "--nats", s.URL(), "--runs", runs, "--wait", "--timeout=10m")
				b.StopTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/sweep")
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	enginetest.Cleanup()
	os.Exit(code)
}
