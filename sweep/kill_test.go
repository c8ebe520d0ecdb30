package sweep

import (
	"bytes"
	"context"
	"encoding/json"

	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/mix"
)

// buildFluens builds the fluens command into a temporary folder.
func buildFluens(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fluens")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/fluens")
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// realPrep prepares the eleven mixes from the real data with few drawings
// per label, through the same function as fluens prepare.
func realPrep(t *testing.T, perClass int) string {
	t.Helper()
	src := testenv.QuickDraw(t)
	out := filepath.Join(t.TempDir(), "prep")
	s := mix.DefaultSettings()
	s.PerClass = perClass
	if _, err := idx.Prepare(context.Background(), idx.PrepareOptions{Source: src, Out: out, Settings: s}); err != nil {
		t.Fatal(err)
	}
	return out
}

var summaryLine = regexp.MustCompile(`train: (\d+) jobs: (\d+) already done, (\d+) trained, (\d+) finished by another process, (\d+) failed`)

// summary parses the closing line of fluens train: total, already done,
// trained, finished by another process, failed.
func summary(t *testing.T, out string) [5]int {
	t.Helper()
	m := summaryLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in output:\n%s", out)
	}
	var s [5]int
	for i := range s {
		s[i], _ = strconv.Atoi(m[i+1])
	}
	return s
}

// comparable reads every record of a store with its timing and placement
// fields cleared.
func comparable(t *testing.T, runs string) map[string]Record {
	t.Helper()
	recs, probs, err := (&Store{Dir: runs}).Records()
	if err != nil || len(probs) > 0 {
		t.Fatalf("%s: %v %v", runs, err, probs)
	}
	out := make(map[string]Record)
	for _, r := range recs {
		c := *r
		c.Start, c.End, c.Seconds, c.Host, c.Threads = time.Time{}, time.Time{}, 0, "", 0
		out[r.Key] = c
	}
	return out
}

func storeFiles(t *testing.T, runs string) (json, locks, other int) {
	ents, err := os.ReadDir(filepath.Join(runs, JobsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch filepath.Ext(e.Name()) {
		case ".json":
			json++
		case ".lock":
			locks++
		case ".safetensors":
		default:
			other++
		}
	}
	return
}

// TestKillAndResume kills a real fluens train process with SIGKILL while it
// runs, starts it again, and checks that the store ends complete, with each
// job trained once after the kill only if it had no record, and equal
// (timing aside) to an uninterrupted run with another number of workers;
// results.csv is byte-identical. Two processes started together on one
// store share the jobs without training any twice.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and trains 3×132 small jobs")
	}
	t0 := time.Now()
	bin := buildFluens(t)
	t.Logf("build: %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	prep := realPrep(t, 40)
	t.Logf("prepare: %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	base := []string{"train", "--data", prep, "--zoo", "mlp", "--epochs", "1", "--batch", "32"}
	const total = 12 * 11

	// 1. Killed run, then resumed.
	killed := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(bin, append(base, "--runs", killed, "--workers", "2")...)
	var first bytes.Buffer
	cmd.Stdout, cmd.Stderr = &first, &first
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, _, _ := storeFilesQuiet(killed)
		if n >= 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the first run was not killed (it finished first: %v); output:\n%s", err, first.String())
	}
	done, _, _ := storeFiles(t, killed)
	if done == 0 || done >= total {
		t.Fatalf("killed with %d of %d records: not mid-way", done, total)
	}
	resumed, err := exec.Command(bin, append(base, "--runs", killed, "--workers", "2")...).CombinedOutput()
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, resumed)
	}
	s := summary(t, string(resumed))
	if s[0] != total || s[1] != done || s[2] != total-done || s[4] != 0 {
		t.Errorf("resumed run: %v; want %d jobs, %d done, %d trained, none failed", s, total, done, total-done)
	}
	again, err := exec.Command(bin, append(base, "--runs", killed, "--workers", "2")...).CombinedOutput()
	if err != nil {
		t.Fatalf("third run: %v\n%s", err, again)
	}
	if s := summary(t, string(again)); s[1] != total || s[2] != 0 {
		t.Errorf("a run over a complete store: %v; want all %d done, none trained", s, total)
	}
	if n, locks, other := storeFiles(t, killed); n != total || locks != 0 || other != 0 {
		t.Errorf("store after resume: %d records, %d lock files, %d other files; want %d, 0, 0", n, locks, other, total)
	}

	t.Logf("killed and resumed: %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	// 2. Uninterrupted run with one worker: the same records.
	straight := filepath.Join(t.TempDir(), "straight")
	if out, err := exec.Command(bin, append(base, "--runs", straight, "--workers", "1")...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	a, b := comparable(t, killed), comparable(t, straight)
	if len(a) != total || len(b) != total {
		t.Fatalf("%d and %d records, want %d", len(a), len(b), total)
	}
	for k, ra := range a {
		rb, ok := b[k]
		ja, _ := json.Marshal(ra)
		jb, _ := json.Marshal(rb)
		if !ok || !bytes.Equal(ja, jb) {
			t.Errorf("record %s differs between the killed-and-resumed and the uninterrupted run:\n%s\n%s", k, ja, jb)
			break
		}
	}
	var csvs [2][]byte
	for i, runs := range []string{killed, straight} {
		if out, err := exec.Command(bin, "results", "--runs", runs).CombinedOutput(); err != nil {
			t.Fatalf("results: %v\n%s", err, out)
		}
		csvs[i], _ = os.ReadFile(filepath.Join(runs, "results.csv"))
	}
	if len(csvs[0]) == 0 || !bytes.Equal(csvs[0], csvs[1]) {
		t.Error("results.csv differs between --workers 2 (killed, resumed) and --workers 1")
	}

	t.Logf("uninterrupted: %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	// 3. Two processes at once on one store.
	shared := filepath.Join(t.TempDir(), "shared")
	var outs [2]bytes.Buffer
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = exec.Command(bin, append(base, "--runs", shared, "--workers", "1", "--epochs", "1")...)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	trained := 0
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i].String())
		}
		s := summary(t, outs[i].String())
		trained += s[2]
	}
	if trained != total {
		t.Errorf("two processes trained %d jobs in all, want each of the %d once", trained, total)
	}
	t.Logf("two processes: %.1fs", time.Since(t0).Seconds())
	if n, locks, _ := storeFiles(t, shared); n != total || locks != 0 {
		t.Errorf("shared store: %d records, %d locks", n, locks)
	}
}

func storeFilesQuiet(runs string) (int, int, error) {
	ents, err := os.ReadDir(filepath.Join(runs, JobsDir))
	if err != nil {
		return 0, 0, err
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n, 0, nil
}
