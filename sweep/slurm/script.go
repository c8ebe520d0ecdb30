package slurm

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Quote returns s as one word for a POSIX shell: s inside single quotes,
// each single quote in s written as '\” (close the quote, an escaped
// quote, reopen). Inside single quotes no character is special (POSIX.1-2017,
// Shell Command Language, 2.2.2), so spaces, $, `, \, ", newlines and
// globbing characters all pass through unchanged.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ArraySpec writes the indices as the value of sbatch's --array option:
// sorted, duplicates dropped, consecutive runs folded into ranges
// ("0-3,7,9-11"), followed by "%K" when parallelism K > 0 limits how many
// tasks run at once. It panics when indices is empty or holds a negative
// index, both programmer errors.
func ArraySpec(indices []int, parallelism int) string {
	if len(indices) == 0 {
		panic("slurm: ArraySpec of no indices")
	}
	ix := append([]int(nil), indices...)
	sort.Ints(ix)
	if ix[0] < 0 {
		panic(fmt.Sprintf("slurm: negative array index %d", ix[0]))
	}
	var b strings.Builder
	for i := 0; i < len(ix); {
		j := i
		for j+1 < len(ix) && ix[j+1] <= ix[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ix[i]))
		if ix[j] != ix[i] {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ix[j]))
		}
		i = j + 1
	}
	if parallelism > 0 {
		b.WriteByte('%')
		b.WriteString(strconv.Itoa(parallelism))
	}
	return b.String()
}

// maxArrayIndices bounds the indices one array spec may name: Slurm's
// own bound (slurm.conf(5), MaxArraySize: "The value may not exceed
// 4000001").
const maxArrayIndices = 4_000_001

// ParseArraySpec is the inverse of ArraySpec: it expands "0-3,7,9-11%2"
// (or squeue's bracketed "[0-3,7]") into the indices it names, in order,
// and returns the "%K" limit (0 when absent). Steps ("0-10:2") are
// expanded too, as sbatch(1) defines them.
func ParseArraySpec(spec string) (indices []int, parallelism int, err error) {
	s := strings.TrimSpace(spec)
	s = strings.TrimPrefix(s, "[")
	s = strings.TrimSuffix(s, "]")
	if k, lim, ok := strings.Cut(s, "%"); ok {
		s = k
		parallelism, err = strconv.Atoi(lim)
		if err != nil || parallelism < 0 {
			return nil, 0, fmt.Errorf("slurm: array spec %q: bad limit %q", spec, lim)
		}
	}
	if s == "" {
		return nil, 0, fmt.Errorf("slurm: array spec %q: no indices", spec)
	}
	type span struct{ a, b, step int }
	var spans []span
	total := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		step := 1
		if isRange {
			if h, st, ok := strings.Cut(hi, ":"); ok {
				hi = h
				step, err = strconv.Atoi(st)
				if err != nil || step <= 0 {
					return nil, 0, fmt.Errorf("slurm: array spec %q: bad step in %q", spec, part)
				}
			}
		} else {
			hi = lo
		}
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		if errA != nil || errB != nil || a < 0 || b < a {
			return nil, 0, fmt.Errorf("slurm: array spec %q: bad element %q", spec, part)
		}
		if (b-a)/step >= maxArrayIndices-total {
			// Bound the whole list, not only each element: "0-3999999,"
			// repeated would otherwise cost gigabytes.
			return nil, 0, fmt.Errorf("slurm: array spec %q: element %q too large (more than %d indices in all)", spec, part, maxArrayIndices)
		}
		total += (b-a)/step + 1
		spans = append(spans, span{a, b, step})
	}
	indices = make([]int, 0, total)
	for _, sp := range spans {
		for i := sp.a; i <= sp.b; i += sp.step {
			indices = append(indices, i)
		}
	}
	return indices, parallelism, nil
}

// ScriptOptions describe one sbatch script: a job array whose task i runs
// Command followed by the job index i.
type ScriptOptions struct {
	// JobName is the Slurm job name (--job-name); empty means "fluens".
	JobName string
	// Array is the --array value, as ArraySpec writes it.
	Array string
	// Partition, when not empty, is passed as --partition.
	Partition string
	// Time, when not empty, is the time limit (--time), e.g. "1:00:00".
	Time string
	// CPUsPerTask, when > 0, is passed as --cpus-per-task.
	CPUsPerTask int
	// Dir is the directory the tasks run in; their logs go there too.
	Dir string
	// Command is the program (an absolute path) and its arguments. Each
	// task appends "--job-index" and its array index.
	Command []string
}

// Values that go on #SBATCH lines are read by sbatch itself, not by a
// shell, so they cannot be quoted; they are restricted to characters that
// need none.
var (
	safeName  = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)
	safeList  = regexp.MustCompile(`^[A-Za-z0-9_.+,-]+$`)
	safeTime  = regexp.MustCompile(`^[0-9][0-9:-]*$`)
	safeArray = regexp.MustCompile(`^[0-9][0-9,:%-]*$`)
)

// Script returns the text of the sbatch script. Every value that the
// shell reads is quoted with Quote; values on #SBATCH lines are checked
// against a conservative character set and rejected with an error
// otherwise. The log files are written relative to the directory sbatch
// is run from (Dir, by Submit), so no path has to appear on an #SBATCH
// line.
func Script(o ScriptOptions) (string, error) {
	name := jobName(o.JobName)
	switch {
	case !safeName.MatchString(name):
		return "", fmt.Errorf("slurm: job name %q: only letters, digits and _.+- are allowed", name)
	case !safeArray.MatchString(o.Array):
		return "", fmt.Errorf("slurm: array spec %q is not valid", o.Array)
	case o.Partition != "" && !safeList.MatchString(o.Partition):
		return "", fmt.Errorf("slurm: partition %q: only letters, digits and _.+,- are allowed", o.Partition)
	case o.Time != "" && !safeTime.MatchString(o.Time):
		return "", fmt.Errorf("slurm: time limit %q: want a Slurm time such as 90, 1:30:00 or 2-00:00:00", o.Time)
	case o.CPUsPerTask < 0:
		return "", fmt.Errorf("slurm: cpus per task %d is negative", o.CPUsPerTask)
	case o.Dir == "":
		return "", fmt.Errorf("slurm: script needs a working directory")
	case len(o.Command) == 0:
		return "", fmt.Errorf("slurm: script needs a command")
	}
	if _, _, err := ParseArraySpec(o.Array); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", o.Array)
	b.WriteString("#SBATCH --ntasks=1\n")
	if o.CPUsPerTask > 0 {
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", o.CPUsPerTask)
	}
	if o.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", o.Partition)
	}
	if o.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", o.Time)
	}
	b.WriteString("#SBATCH --output=%x-%A_%a.out\n")
	b.WriteString("#\n# Written by fluens slurm submit; sbatch it again from the directory it\n")
	b.WriteString("# is in (sbatch --array=... overrides the indices). Task i trains job i\n")
	b.WriteString("# of the sweep, and exits at once if that job's record is in the store.\n")
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "cd %s\n", Quote(o.Dir))
	b.WriteString("exec")
	for _, a := range o.Command {
		b.WriteString(" \\\n\t")
		b.WriteString(Quote(a))
	}
	b.WriteString(" \\\n\t--job-index \"$SLURM_ARRAY_TASK_ID\"\n")
	return b.String(), nil
}
