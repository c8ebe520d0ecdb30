package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluens-lab/fluens/idx"
	"github.com/fluens-lab/fluens/internal/testenv"
	"github.com/fluens-lab/fluens/mix"
)

// faultPrep prepares a tiny folder from the real data: 3 convergent and 3
// divergent labels of 40 drawings each, hence 4 mixes.
func faultPrep(t *testing.T) string {
	t.Helper()
	src := testenv.QuickDraw(t)
	out := filepath.Join(t.TempDir(), "prep")
	s := mix.DefaultSettings()
	s.PerClass = 40
	conv, div := []string{"clock", "eye", "rainbow"}, []string{"cat", "dog", "bird"}
	_, err := idx.Prepare(context.Background(), idx.PrepareOptions{Source: src, Out: out, Settings: s,
		Convergent: conv, Divergent: div, Categories: append(append([]string{}, conv...), div...), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// faultSweep is the small sweep of the fault tests: the 12 perceptrons on
// 4 mixes, one epoch.
type faultSweep struct {
	bin, prep string
	total     int
}

func (f faultSweep) args(runs string, workers int) []string {
	return []string{"train", "--data", f.prep, "--runs", runs, "--zoo", "mlp", "--epochs", "1", "--batch", "32",
		"--workers", strconv.Itoa(workers)}
}

// train runs the sweep to its end on runs and returns its output.
func (f faultSweep) train(t *testing.T, runs string, workers int) string {
	t.Helper()
	out, err := exec.Command(f.bin, f.args(runs, workers)...).CombinedOutput()
	if err != nil {
		t.Fatalf("fluens %s: %v\n%s", strings.Join(f.args(runs, workers), " "), err, out)
	}
	return string(out)
}

// sameStore checks that runs holds exactly the records of want (timing
// and placement aside), no lock and no other file.
func (f faultSweep) sameStore(t *testing.T, runs string, want map[string]Record) {
	t.Helper()
	got := comparable(t, runs)
	if len(got) != f.total {
		t.Errorf("%s: %d records, want %d", runs, len(got), f.total)
	}
	for k, rw := range want {
		rg, ok := got[k]
		jw, _ := json.Marshal(rw)
		jg, _ := json.Marshal(rg)
		if !ok || !bytes.Equal(jw, jg) {
			t.Errorf("%s: record %s differs from the uninterrupted run's:\n%s\n%s", runs, k, jg, jw)
			return
		}
	}
	if n, locks, other := storeFiles(t, runs); n != f.total || locks != 0 || other != 0 {
		t.Errorf("%s: %d records, %d lock files, %d other files; want %d, 0, 0", runs, n, locks, other, f.total)
	}
}

func resultsCSV(t *testing.T, bin, runs string) []byte {
	t.Helper()
	if out, err := exec.Command(bin, "results", "--runs", runs).CombinedOutput(); err != nil {
		t.Fatalf("fluens results --runs %s: %v\n%s", runs, err, out)
	}
	b, err := os.ReadFile(filepath.Join(runs, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFaultInjection runs a small sweep of the real fluens command under
// faults, each compared with an uninterrupted run's store (timing aside):
//
//   - kills: SIGKILL at 20 random (seeded) moments, from start-up to two
//     thirds of the jobs, restarting each time (a moment is a random record
//     count plus a random few milliseconds, so that all 20 land before the
//     sweep ends on any machine); after every kill no damaged record
//     is visible; at the end nothing is lost or duplicated, no lock or
//     temporary file is left and results.csv is byte-identical (5 kills
//     with -short);
//   - damaged records (truncated, garbage, empty, unknown field, another
//     job's, deleted) are reported by name and redone, and only they;
//   - a read-only store: a clear error, and the store unchanged;
//   - a full disk (a 64 KiB tmpfs, where this test may mount one): a clear
//     error, no damaged or temporary file, and a rerun with room completes.
func TestFaultInjection(t *testing.T) {
	t0 := time.Now()
	f := faultSweep{bin: buildFluens(t), prep: faultPrep(t), total: 12 * 4}
	t.Logf("build and prepare: %.1fs", time.Since(t0).Seconds())

	// The uninterrupted reference, and the start-up cost of a run with
	// nothing to do.
	ref := filepath.Join(t.TempDir(), "ref")
	t0 = time.Now()
	f.train(t, ref, 1)
	whole := time.Since(t0)
	t0 = time.Now()
	if s := summary(t, f.train(t, ref, 2)); s[1] != f.total {
		t.Fatalf("a second run over a complete store: %v", s)
	}
	startup := time.Since(t0)
	want := comparable(t, ref)
	t.Logf("uninterrupted run %.2fs, idle run %.2fs", whole.Seconds(), startup.Seconds())

	t.Run("kills", func(t *testing.T) {
		kills := 20
		if testing.Short() {
			kills = 5
		}
		// The moments: kill i comes once the store holds targets[i]
		// records (20 random counts, sorted, some 0: during start-up), plus
		// a random 0–30 ms (inside a job, or while a record is written).
		// Counts stop at two thirds of the jobs: the last third (about
		// 60 ms of training here, more on a slower machine) is far more than
		// the kill's delay plus the lag of polling a loaded machine, so the
		// kill lands before the sweep can finish (with counts up to all
		// but four jobs, 4 of 20 kills came too late on a loaded machine).
		rng := rand.New(rand.NewPCG(8, 2026))
		targets := make([]int, kills)
		for i := range targets {
			targets[i] = rng.IntN(f.total * 2 / 3)
		}
		slices.Sort(targets)
		runs := filepath.Join(t.TempDir(), "killed")
		landed, midway, have := 0, 0, 0
		for landed < kills {
			cmd := exec.Command(f.bin, f.args(runs, 2)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(time.Minute)
			for n, _, _ := storeFilesQuiet(runs); n < targets[landed] && time.Now().Before(deadline); n, _, _ = storeFilesQuiet(runs) {
				time.Sleep(time.Millisecond)
			}
			delay := time.Duration(rng.Int64N(int64(30 * time.Millisecond)))
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run %d failed: %v\n%s", landed+1, err, out.String())
				}
				t.Logf("the sweep finished before kill %d", landed+1)
			case <-time.After(delay):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
			}
			if cmd.ProcessState.Success() {
				break
			}
			landed++
			recs, probs, _ := (&Store{Dir: runs}).Records()
			if len(probs) > 0 {
				t.Fatalf("after kill %d (%d records + %v): damaged records visible: %v", landed, targets[landed-1], delay, probs)
			}
			if have = len(recs); have > 0 && have < f.total {
				midway++
			}
		}
		t.Logf("%d kills landed, %d of them with the sweep part done (%d of %d records at the last)", landed, midway, have, f.total)
		if landed < kills || midway < kills/2 {
			t.Errorf("%d kills landed, %d with the sweep part done; want %d, half of them mid-way", landed, midway, kills)
		}
		s := summary(t, f.train(t, runs, 2))
		if s[0] != f.total || s[1]+s[2] != f.total || s[4] != 0 {
			t.Errorf("run after the kills: %v; want %d jobs, done + trained = all, none failed", s, f.total)
		}
		f.sameStore(t, runs, want)
		if a, b := resultsCSV(t, f.bin, runs), resultsCSV(t, f.bin, ref); !bytes.Equal(a, b) {
			t.Errorf("results.csv of the killed store differs from the uninterrupted run's")
		}
	})

	t.Run("damaged records", func(t *testing.T) {
		runs := copyStore(t, ref, filepath.Join(t.TempDir(), "damaged"))
		keys := slices.Sorted(maps.Keys(want))
		p := func(i int) string { return filepath.Join(runs, JobsDir, keys[i]+".json") }
		first, _ := os.ReadFile(p(0))
		fourth, _ := os.ReadFile(p(3))
		damage := [][]byte{
			first[:len(first)/2],          // truncated
			[]byte("\x00\xff garbage \n"), // garbage
			{},                            // empty
			bytes.Replace(fourth, []byte(`"accuracy"`), []byte(`"x": 1, "accuracy"`), 1), // unknown field
			first, // another job's record
		}
		for i, b := range damage {
			if err := os.WriteFile(p(i), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		os.Remove(p(len(damage))) // lost
		out, err := exec.Command(f.bin, "results", "--runs", runs).CombinedOutput()
		for i := range damage {
			if !bytes.Contains(out, []byte(p(i))) {
				t.Errorf("fluens results (%v) does not name the damaged record %s:\n%s", err, p(i), out)
			}
		}
		redo := f.train(t, runs, 2)
		if n := strings.Count(redo, "damaged record, running again"); n != len(damage) {
			t.Errorf("%d damaged records reported, want %d:\n%s", n, len(damage), redo)
		}
		for i := range damage {
			if !strings.Contains(redo, p(i)) {
				t.Errorf("the damaged record %s is not named:\n%s", p(i), redo)
			}
		}
		if s := summary(t, redo); s[2] != len(damage)+1 || s[1] != f.total-len(damage)-1 {
			t.Errorf("run over the damaged store: %v; want %d trained, the rest done", s, len(damage)+1)
		}
		f.sameStore(t, runs, want)
	})

	t.Run("read-only store", func(t *testing.T) {
		runs := filepath.Join(t.TempDir(), "ro")
		if os.Geteuid() == 0 {
			// root writes through permissions: a read-only tmpfs instead.
			mountTmpfs(t, runs, "16m")
		}
		copyStore(t, ref, runs)
		keys := slices.Sorted(maps.Keys(want))
		for _, k := range keys[:3] {
			os.Remove(filepath.Join(runs, JobsDir, k+".json"))
		}
		before := snapshot(t, runs)
		if os.Geteuid() == 0 {
			if out, err := exec.Command("mount", "-o", "remount,ro", runs).CombinedOutput(); err != nil {
				t.Skipf("cannot remount read-only: %v %s", err, out)
			}
		} else {
			filepath.Walk(runs, func(p string, fi os.FileInfo, err error) error { return os.Chmod(p, fi.Mode()&^0o222) })
			t.Cleanup(func() {
				filepath.Walk(runs, func(p string, fi os.FileInfo, err error) error { return os.Chmod(p, fi.Mode()|0o200) })
			})
		}
		out, err := exec.Command(f.bin, f.args(runs, 2)...).CombinedOutput()
		t.Logf("fluens train on a read-only store: %v\n%s", err, lastLines(out, 4))
		if err == nil {
			t.Errorf("fluens train on a read-only store succeeded")
		}
		if !bytes.Contains(out, []byte("read-only file system")) && !bytes.Contains(out, []byte("permission denied")) {
			t.Errorf("the error does not say the store cannot be written")
		}
		if after := snapshot(t, runs); !maps.Equal(before, after) {
			t.Errorf("the read-only store changed")
		}
	})

	t.Run("full disk", func(t *testing.T) {
		runs := filepath.Join(t.TempDir(), "full")
		mountTmpfs(t, runs, "64k")
		out, err := exec.Command(f.bin, f.args(runs, 2)...).CombinedOutput()
		t.Logf("fluens train on a 64 KiB file system: %v\n%s", err, lastLines(out, 4))
		if err == nil {
			t.Fatalf("fluens train on a full disk succeeded")
		}
		if !bytes.Contains(out, []byte("no space left on device")) {
			t.Errorf("the error does not say the disk is full")
		}
		recs, probs, err := (&Store{Dir: runs}).Records()
		if err != nil || len(probs) > 0 {
			t.Errorf("the full store holds damaged records: %v %v", err, probs)
		}
		if _, locks, other := storeFiles(t, runs); locks != 0 || other != 0 {
			t.Errorf("the full store holds %d lock and %d other files", locks, other)
		}
		t.Logf("%d records fitted", len(recs))
		if out, err := exec.Command("mount", "-o", "remount,size=32m", runs).CombinedOutput(); err != nil {
			t.Fatalf("remount: %v %s", err, out)
		}
		f.train(t, runs, 2)
		f.sameStore(t, runs, want)
	})
}

// mountTmpfs mounts a tmpfs of the given size on dir for the test's
// duration, or skips the test where it cannot (not root, no mount).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// copyStore copies the files of store src into dst and returns dst.
func copyStore(t *testing.T, src, dst string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dst, JobsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(src, JobsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, JobsDir, e.Name()))
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, JobsDir, e.Name()), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
