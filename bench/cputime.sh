#!/usr/bin/env bash
# cputime.sh: fluens against PyTorch in CPU time at one thread.
#
# On a machine shared with other jobs, wall-clock throughput measures the
# load more than the code. Work per CPU-second at one thread does not
# depend much on the load, so this script compares that: images per
# CPU-second of training W1, W2 and W3 (batch 512, Adam) and GFLOP per
# CPU-second of the 512×784×512 product, for fluens (go test benchmarks
# with FLUENS_BENCH_THREADS=1, CPU time from getrusage around the timed
# loop) and for PyTorch 1.13 (bench/torch_ref.py --threads 1,
# time.process_time around the timed steps). ROUNDS rounds alternate the
# two sides; the best figure of each is kept.
#
#   bench/cputime.sh
#   ROUNDS=3 BENCHTIME=5s bench/cputime.sh
#
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE, OMP_NUM_THREADS=1 and
# OPENBLAS_NUM_THREADS=1: with its default, OpenBLAS (pthread build) keeps
# its own spinning threads even under torch.set_num_threads(1), which
# costs CPU time without doing work (W1 then falls from ~240k to ~140k
# images per CPU-second).
set -euo pipefail

die() { echo "cputime.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-2}
BENCHTIME=${BENCHTIME:-4s}
SECONDS_PER=${SECONDS_PER:-4}
PYTHON=${PYTHON:-/usr/bin/python3}

"$PYTHON" -c 'import torch' 2>/dev/null || die "PyTorch is missing ($PYTHON -c 'import torch' fails)"
command -v go >/dev/null 2>&1 || die "go is not on PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/nn.test" ./nn || die "go test -c ./nn failed"
go test -c -o "$tmp/gemm.test" ./nn/gemm || die "go test -c ./nn/gemm failed"

for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS: fluens" >&2
	FLUENS_BENCH_THREADS=1 "$tmp/nn.test" -test.run '^$' -test.bench 'TrainW[123]$' \
		-test.benchtime "$BENCHTIME" >>"$tmp/fluens.txt"
	"$tmp/gemm.test" -test.run '^$' -test.bench 'Sgemm/^512x784x512$/^threads=1$' \
		-test.benchtime "$BENCHTIME" >>"$tmp/fluens.txt"
	echo "round $r/$ROUNDS: torch" >&2
	OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
		"$PYTHON" bench/torch_ref.py --threads 1 --seconds "$SECONDS_PER" \
		--only gemm_512x784x512,W1,W2,W3 >"$tmp/torch$r.json"
done

"$PYTHON" - "$tmp" "$ROUNDS" <<'PY'
import json, re, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
fl = {}
for line in open(tmp + "/fluens.txt"):
    m = re.match(r"Benchmark(\S+?)-\d+\s", line)
    if not m:
        continue
    name = m.group(1)
    name = {"TrainW1": "W1", "TrainW2": "W2", "TrainW3": "W3",
            "Sgemm/512x784x512/threads=1": "gemm_512x784x512"}.get(name)
    v = re.search(r"([\d.]+) (images|GFLOP)/cpu-s", line)
    if name and v:
        fl[name] = max(fl.get(name, 0), float(v.group(1)))
th = {}
for r in range(1, rounds + 1):
    for row in json.load(open("%s/torch%d.json" % (tmp, r))):
        v = row.get("images_per_cpu_sec", row.get("gflops_per_cpu_sec"))
        th[row["name"]] = max(th.get(row["name"], 0), v)
print("%-22s %14s %14s %7s" % ("name (1 thread)", "fluens", "torch", "ratio"))
for name in ["gemm_512x784x512", "W1", "W2", "W3"]:
    unit = "GFLOP/cpu-s" if name.startswith("gemm") else "images/cpu-s"
    f, t = fl.get(name), th.get(name)
    ratio = "%.2f" % (f / t) if f and t else "-"
    print("%-22s %14s %14s %7s  %s" % (name, "%.1f" % f if f else "-", "%.1f" % t if t else "-", ratio, unit))
PY
