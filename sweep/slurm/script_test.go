package slurm

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// hostile strings that a path or label might hold.
var hostile = []string{
	"",
	"plain",
	"with space",
	"it's",
	`"double"`,
	"$HOME and ${PATH} and $(id) and `id`",
	`back\slash\n`,
	"new\nline",
	"glob * ? [a]",
	"semi; rm -rf / #",
	"''",
	"'",
	"tab\there",
	"ünïcödé",
}

func TestQuoteRoundTripsThroughShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	var script strings.Builder
	script.WriteString("printf '%s\\0'")
	for _, s := range hostile {
		script.WriteString(" " + Quote(s))
	}
	out, err := exec.Command(sh, "-c", script.String()).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", script.String(), err)
	}
	got := strings.Split(string(out), "\x00")
	got = got[:len(got)-1]
	if !reflect.DeepEqual(got, hostile) {
		t.Errorf("shell read back\n%q\nwant\n%q", got, hostile)
	}
}

func TestArraySpec(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		k    int
		want string
	}{
		{[]int{0}, 0, "0"},
		{[]int{0, 1, 2, 3}, 2, "0-3%2"},
		{[]int{3, 1, 2, 0, 2}, 0, "0-3"},
		{[]int{0, 2, 4}, 1, "0,2,4%1"},
		{[]int{0, 1, 2, 7, 9, 10, 11}, 4, "0-2,7,9-11%4"},
		{[]int{1231}, 0, "1231"},
	} {
		if got := ArraySpec(tc.in, tc.k); got != tc.want {
			t.Errorf("ArraySpec(%v, %d) = %q, want %q", tc.in, tc.k, got, tc.want)
		}
		ix, k, err := ParseArraySpec(tc.want)
		if err != nil {
			t.Errorf("ParseArraySpec(%q): %v", tc.want, err)
			continue
		}
		if k != tc.k || ArraySpec(ix, k) != tc.want {
			t.Errorf("ParseArraySpec(%q) = %v, %d: does not round-trip", tc.want, ix, k)
		}
	}
}

func TestParseArraySpec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		k    int
		bad  bool
	}{
		{in: "[1-5%1]", want: []int{1, 2, 3, 4, 5}, k: 1},
		{in: "0-10:5", want: []int{0, 5, 10}},
		{in: "7", want: []int{7}},
		{in: "", bad: true},
		{in: "3-1", bad: true},
		{in: "-1", bad: true},
		{in: "a", bad: true},
		{in: "1-4%x", bad: true},
		{in: "0-4:0", bad: true},
		{in: "0-99999999999", bad: true},
	} {
		got, k, err := ParseArraySpec(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseArraySpec(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) || k != tc.k {
			t.Errorf("ParseArraySpec(%q) = %v, %d, %v; want %v, %d", tc.in, got, k, err, tc.want, tc.k)
		}
	}
}

// TestScriptRunsHostileArguments runs the generated script with sh, as a
// Slurm task would, and checks that the program receives every argument
// exactly, in a working directory whose name is hostile too.
func TestScriptRunsHostileArguments(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	dir := filepath.Join(t.TempDir(), `runs dir 'q' "d" $HOME`)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The "program" prints its working directory and its arguments.
	cmd := []string{sh, "-c", `pwd; printf '%s\0' "$@"`, "argv0"}
	cmd = append(cmd, hostile...)
	text, err := Script(ScriptOptions{Array: "0-5%2", Dir: dir, Command: cmd, CPUsPerTask: 1, Time: "10:00", Partition: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#SBATCH --array=0-5%2\n", "#SBATCH --cpus-per-task=1\n", "#SBATCH --time=10:00\n", "#SBATCH --partition=debug\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("script lacks %q:\n%s", want, text)
		}
	}
	path := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(sh, path)
	c.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=4")
	out, err := c.Output()
	if err != nil {
		t.Fatalf("running script: %v\n%s", err, text)
	}
	pwd, rest, _ := strings.Cut(string(out), "\n")
	if pwd != dir {
		t.Errorf("task ran in %q, want %q", pwd, dir)
	}
	got := strings.Split(rest, "\x00")
	got = got[:len(got)-1]
	want := append(append([]string(nil), hostile...), "--job-index", "4")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("task got arguments\n%q\nwant\n%q", got, want)
	}
}

func TestScriptRejectsUnquotableDirectives(t *testing.T) {
	ok := ScriptOptions{Array: "0-3", Dir: "/tmp", Command: []string{"/bin/true"}}
	for name, mod := range map[string]func(*ScriptOptions){
		"partition": func(o *ScriptOptions) { o.Partition = "debug\n#SBATCH --uid=0" },
		"time":      func(o *ScriptOptions) { o.Time = "1:00 --mem=1" },
		"name":      func(o *ScriptOptions) { o.JobName = "a b" },
		"array":     func(o *ScriptOptions) { o.Array = "0-3 --wrap=x" },
		"array2":    func(o *ScriptOptions) { o.Array = "3-1" },
		"cpus":      func(o *ScriptOptions) { o.CPUsPerTask = -1 },
		"dir":       func(o *ScriptOptions) { o.Dir = "" },
		"command":   func(o *ScriptOptions) { o.Command = nil },
	} {
		o := ok
		mod(&o)
		if s, err := Script(o); err == nil {
			t.Errorf("%s: Script accepted %+v:\n%s", name, o, s)
		}
	}
	if _, err := Script(ok); err != nil {
		t.Errorf("Script(%+v): %v", ok, err)
	}
}

func FuzzParseArraySpec(f *testing.F) {
	for _, s := range []string{"0-3%2", "[1-5%1]", "0,2,4", "0-10:5", "7", "", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ix, k, err := ParseArraySpec(s)
		if err != nil {
			return
		}
		if len(ix) == 0 {
			t.Fatalf("ParseArraySpec(%q) gave no indices and no error", s)
		}
		// What parses must survive a round trip through ArraySpec.
		ix2, k2, err := ParseArraySpec(ArraySpec(ix, k))
		if err != nil || k2 != k || len(uniq(ix2)) != len(uniq(ix)) {
			t.Fatalf("ParseArraySpec(%q) = %v, %d does not round-trip: %v %d %v", s, ix, k, ix2, k2, err)
		}
	})
}

func uniq(ix []int) map[int]bool {
	m := map[int]bool{}
	for _, i := range ix {
		m[i] = true
	}
	return m
}
