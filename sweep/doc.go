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
// Runner spreads the jobs over Workers cores. Jobs of models with at least
// BigFLOPs forward FLOPs per image (DefaultBigFLOPs, 10 M) run first, one
// at a time with Workers engine threads; then the others run Workers at a
// time with one thread each, costliest first, so the sweep ends on short
// jobs and no core idles long at the end. The engine gives bit-identical
// results whatever its thread count, and a job's result depends only on
// its key's inputs, so a sweep's records do not depend on Workers or on
// scheduling.
//
// The split was chosen with BenchmarkSplit, which trains one epoch of
// 2,048 images (batch 512) as two jobs of one thread, one job of two
// threads, or one job of one thread, and reports images per second and per
// CPU-second. On the 2-core AMD EPYC (AVX2) development machine, shared
// with other work (load 12–30, so wall-clock rates varied tenfold between
// runs and only the per-CPU-second rates are comparable), images per
// CPU-second were, for 2×1, 1×2 and 1×1 threads: perceptron 207k, 236k,
// 210k; F512-F512 14.3k, 12.2k, 13.3k; C8k3-P2-F32 6.2k, 5.9k, 6.3k;
// C32k3-P2-C64k3-P2-D0.25-F128 795, 782, 788. Independent jobs never lose
// (2×1 ≈ 1×1 per CPU-second), while two GEMM threads lose about 2% on large
// convolutional models and up to 15% on small dense ones. One job per core
// is therefore the default; large models use every thread anyway, at a
// cost of about 2%, because one of them alone would otherwise keep a single
// core busy for a long time at the end of a sweep, and one at a time keeps
// their memory (up to 2 GB for C128k3-F1024 with Adam's state) bounded.
package sweep
