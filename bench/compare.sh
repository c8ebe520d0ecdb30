#!/usr/bin/env bash
# compare.sh: fluens against PyTorch on this machine, side by side.
#
# Builds fluens, then runs `fluens bench --json` and bench/torch_ref.py in
# turns (ROUNDS rounds each, alternating, so that both see the same machine
# load), keeps the best figure of each, and prints name / fluens / torch /
# ratio (fluens ÷ torch; above 1 means fluens is faster).
#
#   bench/compare.sh                # 3 rounds
#   ROUNDS=3 SECONDS_PER=3 bench/compare.sh
#
# Environment:
#   ROUNDS        rounds of each side (default 3)
#   THREADS       threads for both sides (default 2)
#   SECONDS_PER   seconds per figure for torch_ref.py (default 2)
#   PYTHON        Python with torch (default /usr/bin/python3: Debian's python3-torch)
#   FLUENS_JSON   use this file instead of building and running fluens bench
#   ALLOW_REFERENCE_BLAS=1  compare even if torch runs on the reference BLAS
#
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE: with spinning OpenMP threads its
# figures swing threefold on 2 cores. torch.mm goes through the system BLAS
# (Debian's alternatives): with the netlib reference BLAS it is ~50× slower
# than with OpenBLAS, which would make the comparison meaningless, so the
# script stops then (install libopenblas0-pthread).
set -euo pipefail

die() { echo "compare.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
SECONDS_PER=${SECONDS_PER:-2}
PYTHON=${PYTHON:-/usr/bin/python3}

[ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 || die "no Python at $PYTHON (set PYTHON)"
"$PYTHON" -c 'import torch' 2>/dev/null ||
	die "PyTorch is missing: '$PYTHON -c \"import torch\"' fails (on Debian: apt-get install python3-torch)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -z "${FLUENS_JSON:-}" ]; then
	command -v go >/dev/null 2>&1 || die "go is not on PATH"
	go build -o "$tmp/fluens" ./cmd/fluens || die "go build ./cmd/fluens failed"
	"$tmp/fluens" bench --help >/dev/null 2>&1 || die "this fluens has no 'bench' command"
else
	[ -r "$FLUENS_JSON" ] || die "FLUENS_JSON=$FLUENS_JSON is not readable"
fi

blas=$(OMP_WAIT_POLICY=PASSIVE "$PYTHON" bench/torch_ref.py --only none 2>&1 >/dev/null | sed -n 's/.*BLAS //p')
echo "torch BLAS: ${blas:-unknown}"
case "$blas" in
*openblas* | *mkl* | *blis*) ;;
*)
	[ "${ALLOW_REFERENCE_BLAS:-0}" = 1 ] ||
		die "torch uses '$blas', not an optimised BLAS; install libopenblas0-pthread (or set ALLOW_REFERENCE_BLAS=1)"
	;;
esac

for r in $(seq 1 "$ROUNDS"); do
	echo "round $r/$ROUNDS: fluens" >&2
	if [ -z "${FLUENS_JSON:-}" ]; then
		"$tmp/fluens" bench --json --threads "$THREADS" >"$tmp/fluens.$r.json" ||
			"$tmp/fluens" bench --json >"$tmp/fluens.$r.json" || die "fluens bench --json failed"
	else
		cp "$FLUENS_JSON" "$tmp/fluens.$r.json"
	fi
	echo "round $r/$ROUNDS: torch" >&2
	OMP_WAIT_POLICY=PASSIVE "$PYTHON" bench/torch_ref.py --threads "$THREADS" --seconds "$SECONDS_PER" \
		>"$tmp/torch.$r.json" 2>"$tmp/torch.$r.err" || { cat "$tmp/torch.$r.err" >&2; die "torch_ref.py failed"; }
done

"$PYTHON" - "$tmp" "$ROUNDS" <<'PY'
import json, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])

def best(side):
    out = {}
    for r in range(1, rounds + 1):
        path = "%s/%s.%d.json" % (tmp, side, r)
        try:
            with open(path) as f:
                rows = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit("compare.sh: %s output is not a JSON array: %s" % (side, e))
        for row in rows:
            v = row.get("gflops", row.get("images_per_sec"))
            if v is None:
                continue
            unit = "GFLOP/s" if "gflops" in row else "images/s"
            old = out.get(row["name"])
            if old is None or v > old[0]:
                out[row["name"]] = (v, unit, row.get("threads"))
    return out

f, t = best("fluens"), best("torch")
rows = [(n, n) for n in ["gemm_512x784x512", "gemm_512x512x256", "gemm_1024x1024x1024", "W1", "W2", "W3"]]
rows.append(("W3", "W3_channels_last"))
print("%-26s %14s %14s %7s" % ("name", "fluens", "torch", "ratio"))
worst = None
for fn, tn in rows:
    label = fn if fn == tn else "%s vs %s" % (fn, tn)
    fv, tv = f.get(fn), t.get(tn)
    unit = (fv or tv or (0, ""))[1]
    fs = "%.1f" % fv[0] if fv else "-"
    ts = "%.1f" % tv[0] if tv else "-"
    ratio = fv[0] / tv[0] if fv and tv and tv[0] > 0 else None
    rs = "%.2f" % ratio if ratio is not None else "-"
    if ratio is not None:
        worst = ratio if worst is None else min(worst, ratio)
    print("%-26s %14s %14s %7s  %s" % (label, fs, ts, rs, unit))
peak = f.get("fma_peak")
if peak:
    # The machine's FMA ceiling (fluens bench: independent FMAs on
    # registers): how close each side's GEMM comes to what the CPU can do.
    print("fma_peak (this CPU, %s threads): %.1f GFLOP/s; GEMM share of it, fluens / torch:" % (peak[2], peak[0]))
    for n in ["gemm_512x784x512", "gemm_512x512x256", "gemm_1024x1024x1024"]:
        fv, tv = f.get(n), t.get(n)
        if fv and tv:
            print("  %-24s %5.1f%% / %5.1f%%" % (n, 100 * fv[0] / peak[0], 100 * tv[0] / peak[0]))
print("best of %d rounds each, alternating; lowest ratio: %s" % (rounds, "%.2f" % worst if worst is not None else "-"))

# Issue #3's targets. The GEMM target is absolute and was set for a 2-core
# AVX-512 machine whose fp32 peak is about 333 GFLOP/s: 240 GFLOP/s there is
# 72% of peak, which is how it is judged on other CPUs (against fma_peak).
print("targets (issue #3):")
g = f.get("gemm_512x784x512")
if g and peak:
    share = g[0] / peak[0]
    print("  %-4s gemm_512x784x512 %.1f GFLOP/s = %.0f%% of fma_peak (target 240 GFLOP/s on a 333 GFLOP/s AVX-512 pair: 72%%)"
          % ("ok" if share >= 240.0 / 333 else "MISS", g[0], 100 * share))
for n in ["W1", "W2", "W3"]:
    fv, tv = f.get(n), t.get(n)
    if fv and tv and tv[0] > 0:
        ratio = fv[0] / tv[0]
        verdict = "ok" if ratio >= 1.0 else "MISS"
        aim = " (aim 1.5: %s)" % ("reached" if ratio >= 1.5 else "not reached")
        print("  %-4s %s %.2f× PyTorch (target ≥ 1.0)%s" % (verdict, n, ratio, aim))
PY
