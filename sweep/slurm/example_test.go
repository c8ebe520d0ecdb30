package slurm_test

import (
	"fmt"
	"log"

	"github.com/fluens-lab/fluens/sweep/slurm"
)

func ExampleQuote() {
	fmt.Println(slurm.Quote(`/data/runs of Ann's "test" $HOME`))
	// Output: '/data/runs of Ann'\''s "test" $HOME'
}

func ExampleArraySpec() {
	// Jobs 0, 1, 2, 5 and 7-9 are missing; run at most 4 at once.
	fmt.Println(slurm.ArraySpec([]int{0, 1, 2, 5, 7, 8, 9}, 4))
	// Output: 0-2,5,7-9%4
}

func ExampleScript() {
	s, err := slurm.Script(slurm.ScriptOptions{
		Array:       "0-21%2",
		Time:        "10:00",
		CPUsPerTask: 1,
		Dir:         "/shared/runs/slurm",
		Command:     []string{"/opt/fluens/bin/fluens", "train", "--data=/shared/prep", "--runs=/shared/runs", "--zoo=mlp"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(s)
	// Output:
	// #!/bin/sh
	// #SBATCH --job-name=fluens
	// #SBATCH --array=0-21%2
	// #SBATCH --ntasks=1
	// #SBATCH --cpus-per-task=1
	// #SBATCH --time=10:00
	// #SBATCH --output=%x-%A_%a.out
	// #
	// # Written by fluens slurm submit; sbatch it again from the directory it
	// # is in (sbatch --array=... overrides the indices). Task i trains job i
	// # of the sweep, and exits at once if that job's record is in the store.
	// set -eu
	// cd '/shared/runs/slurm'
	// exec \
	// 	'/opt/fluens/bin/fluens' \
	// 	'train' \
	// 	'--data=/shared/prep' \
	// 	'--runs=/shared/runs' \
	// 	'--zoo=mlp' \
	// 	--job-index "$SLURM_ARRAY_TASK_ID"
}
