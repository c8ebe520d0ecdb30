// Package sweep runs the experiment's job list: every model of a zoo on
// every mix of a prepared data folder with every seed, against a
// content-addressed, resumable result store.
//
// # Jobs and keys
//
// Jobs lists model × mix × seed with models outermost, so the list and
// each job's index depend only on the arguments (the zoo, the mixes found,
// the seeds and the hyperparameters). A job's key is the hex SHA-256 of the
// JSON object {"spec","mix","data","seed","epochs","batch","lr","engine"}:
// the canonical spec string (package zoo), the mix's folder name, the hash
// of the mix's four IDX files (DataHash), the seed, the hyperparameters and
// EngineVersion. Whatever could change a result changes the key; nothing
// else (worker count, host, time) enters it.
//
// # Result store
//
// The store is the one of DESIGN.md ("Contracts between stages"): a folder
// whose jobs/ sub-folder holds one JSON Record per finished job, named
// <key>.json and written atomically (temporary file in the same folder,
// fsync, rename, fsync of the folder), so a run killed at any moment leaves
// either no record or a whole one. A record whose file does not parse,
// holds another key or lacks fields counts as absent: it is reported
// (ErrCorrupt) and the job runs again. Weights are written, atomically too,
// to <key>.safetensors before the record, so a record never points to
// missing weights; the perceptron's are always kept (the report draws
// them), the others with Runner.SaveWeights.
//
// # Locks
//
// A job runs under an exclusive flock(2) on jobs/<key>.lock (TryLock), so
// two processes, or two workers, never train the same job at once, and the
// kernel releases the lock of a process that dies, kill -9 included, so a
// dead process never holds a job. A process that finds a job locked moves
// on and comes back to it at the end, until the holder's record appears or
// the lock is free (holder dead) and it runs the job itself. flock is
// reliable between processes of one host on a local file system; shared
// file systems (NFS, Lustre) may not honour it across hosts, where the
// Slurm and NATS engines, not this runner, must share a store.
//
// # Local runner
//
// Runner spreads the jobs over Workers cores. Models below BigFLOPs
// forward FLOPs per image train one per core with one engine thread each
// (small models do not scale with GEMM threads, and independent jobs scale
// perfectly); models at or above it train one at a time with Workers
// engine threads, which bounds memory and keeps the tail of a sweep short.
// The engine gives bit-identical results whatever its thread count, and a
// job's result depends only on its key's inputs, so a sweep's records do
// not depend on Workers or on scheduling.
package sweep
