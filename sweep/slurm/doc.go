// Package slurm runs a sweep's job list as a Slurm job array.
//
// Submit writes an sbatch script into the result store's folder and
// submits it as one job array whose task i runs
//
//	fluens train ... --job-index i
//
// against the same store, for the indices of the jobs not yet done (and not
// already queued by an earlier submission). Status counts a sweep's jobs as
// done (a record is in the store), running, pending (from squeue) and failed
// (submitted, no longer queued, no record).
//
// Every value that the script's shell reads is quoted with Quote (POSIX
// single quotes); values on #SBATCH lines are read by sbatch, not by a
// shell, so they are restricted to characters that need no quoting, and the
// task logs are named relative to the directory sbatch runs in.
//
// squeue is read through its --json output (OpenAPI v0.0.38 in Slurm
// 22.05, Debian 12; the object-valued numbers of 23.02 and later are read
// too) with a fallback to --format output where --json is not available.
//
// References: Slurm's sbatch(1), squeue(1) and slurm.conf(5) manual pages,
// https://slurm.schedmd.com/job_array.html for job arrays; POSIX.1-2017
// Shell Command Language, section 2.2.2, for single quotes.
package slurm
