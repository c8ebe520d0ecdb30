package queue_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/mix"
	"github.com/fluens-lab/fluens/sweep"
	"github.com/fluens-lab/fluens/sweep/queue"
)

// buildFluens builds the fluens binary into a temporary folder.
func buildFluens(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "fluens")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/fluens")
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// prepare writes a small prepared data folder (11 mixes of 100 drawings
// per label) from the real QuickDraw data with fluens's own pipeline.
func prepare(tb testing.TB) string {
	tb.Helper()
	src := testenv.QuickDraw(tb)
	conv := []string{"candle", "rainbow", "car", "fish", "cloud", "eye", "bicycle", "snowman", "apple", "cookie"}
	div := []string{"banana", "bird", "book", "cat", "octopus", "bee", "house", "boomerang", "clock", "dog"}
	s := mix.DefaultSettings()
	s.PerClass = 100
	out := filepath.Join(tb.TempDir(), "prep")
	_, err := idx.Prepare(context.Background(), idx.PrepareOptions{
		Source: src, Out: out, Settings: s, Convergent: conv, Divergent: div,
		Categories: append(append([]string(nil), conv...), div...),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// sweepFlags define the test sweep: two cheap CNNs (P2-D0.1 and C8k5 with
// zoo seed 23) on the 11 mixes, 22 jobs, every model's weights kept.
var sweepFlags = []string{"--zoo=cnn", "--cnns=2", "--zoo-seed=23", "--epochs=2", "--batch=64", "--save-weights"}

func fluens(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("fluens %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

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
	bin := buildFluens(t)
	t.Logf("built fluens in %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	prep := prepare(t)
	t.Logf("prepared the data in %.1fs", time.Since(t0).Seconds())
	tmp := t.TempDir()
	local, remote := filepath.Join(tmp, "local"), filepath.Join(tmp, "remote runs")
	t0 = time.Now()
	fluens(t, bin, append([]string{"train", "--data", prep, "--runs", local, "--workers=2"}, sweepFlags...)...)
	t.Logf("local run in %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()

	s := serve(t)
	out := fluens(t, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", remote,
		"--ack-wait=2s", "--max-deliver=5"}, sweepFlags...)...)
	if !strings.Contains(out, "22 jobs: published 22, 0 done, 0 already queued") {
		t.Fatalf("submit said %q", out)
	}

	// Worker 0 is killed as soon as it starts a C8k5 job (the longer
	// model: three epochs take far longer than the kill).
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

	col := exec.Command(bin, "queue", "collect", "--nats", s.URL(), "--runs", remote, "--wait", "--timeout=75s")
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
	if err := queue.CompareStores(&sweep.Store{Dir: local}, &sweep.Store{Dir: remote}); err != nil {
		t.Error(err)
	}

	// Again: nothing to publish, nothing new to store.
	out = fluens(t, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", remote}, sweepFlags...)...)
	if !strings.Contains(out, "published 0, 22 done") {
		t.Errorf("second submit said %q", out)
	}
	out = fluens(t, bin, "queue", "collect", "--nats", s.URL(), "--runs", remote)
	if !strings.Contains(out, "0 results stored now") || !strings.Contains(out, "0 missing") {
		t.Errorf("second collect said %q", out)
	}
	t.Logf("worker 0 was killed during job %s; %s", job, strings.TrimSpace(string(colOut[strings.LastIndex(string(colOut[:len(colOut)-1]), "\n")+1:])))
}

// BenchmarkWorkers measures a sweep of the 12 MLPs on 11 small mixes
// (132 jobs, one epoch) through the queue with 1 and 3 worker processes
// (one engine thread each), from submit to the last result collected.
func BenchmarkWorkers(b *testing.B) {
	bin := buildFluens(b)
	prep := prepare(b)
	flags := []string{"--zoo=mlp", "--epochs=1", "--batch=64"}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s := serve(b)
				runs := filepath.Join(b.TempDir(), "runs")
				fluens(b, bin, append([]string{"queue", "submit", "--nats", s.URL(), "--data", prep, "--runs", runs}, flags...)...)
				b.StartTimer()
				for range n {
					startWorker(b, bin, nil, "--nats", s.URL(), "--threads=1", "--idle-exit=1s")
				}
				fluens(b, bin, "queue", "collect", "--nats", s.URL(), "--runs", runs, "--wait", "--timeout=10m")
				b.StopTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/sweep")
		})
	}
}
