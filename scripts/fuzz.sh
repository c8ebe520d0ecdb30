#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of fluens (every func FuzzXxx in a _test.go
# file) with `go test -fuzz`, one after the other, for a set time each, and
# prints the executions and the outcome per target.
#
# Usage: scripts/fuzz.sh [-t FUZZTIME] [-p PARALLEL] [PKG[:FuzzName] ...]
#   -t  time per target, as go test's -fuzztime (default 1m; "10000x" counts runs)
#   -p  fuzzing workers per target, as go test's -parallel (default 1)
#   PKG a package folder (./quickdraw) to fuzz only its targets, or
#       PKG:FuzzName for a single target. Default: every target in the module.
#
# A failing input is written by go test to PKG/testdata/fuzz/FuzzName/ and
# stays there as a regression seed (plain `go test` runs it from then on).
# Under load a duration -fuzztime can end in "context deadline exceeded"
# with no failing input (go.dev/issue/75804): counted as a pass, and said.
# The script exits non-zero if any target failed. A summary goes to stdout;
# the full output of each target goes to $FUZZ_LOG_DIR (default a temp dir).
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime=1m
parallel=1
while getopts "t:p:h" opt; do
	case $opt in
	t) fuzztime=$OPTARG ;;
	p) parallel=$OPTARG ;;
	*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

# targets lists "pkgdir FuzzName" for each fuzz target in the given folders.
targets() {
	local dir
	for dir in "$@"; do
		grep -o '^func Fuzz[A-Za-z0-9_]*(' "$dir"/*_test.go 2>/dev/null |
			sed -E 's/^([^:]*)\/[^/:]*:func (Fuzz[A-Za-z0-9_]*)\(/\1 \2/'
	done
}

list=()
if [ $# -eq 0 ]; then
	mapfile -t dirs < <(go list -f '{{.Dir}}' ./... | sed "s|^$PWD|.|")
	mapfile -t list < <(targets "${dirs[@]}")
else
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			list+=("${a%%:*} ${a##*:}")
		else
			mapfile -t -O ${#list[@]} list < <(targets "$a")
		fi
	done
fi
if [ ${#list[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 2
fi

logdir=${FUZZ_LOG_DIR:-$(mktemp -d -t fluens-fuzz.XXXXXX)}
mkdir -p "$logdir"
echo "fuzz.sh: ${#list[@]} targets, -fuzztime $fuzztime, -parallel $parallel, logs in $logdir"
failed=0
printf '%-22s %-26s %12s %10s %s\n' package target execs elapsed result
for t in "${list[@]}"; do
	read -r pkg name <<<"$t"
	log="$logdir/$(echo "$pkg" | tr '/.' '__')_$name.log"
	start=$(date +%s)
	# -timeout 0: go test's default 10m timeout would cut a -fuzztime 10m run.
	go test "$pkg" -vet=off -timeout 0 -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" -parallel="$parallel" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	# go test prints "fuzz: elapsed: 1m0s, execs: 123456 (2057/sec), new interesting: ..."
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
	result=ok
	if [ $rc -ne 0 ]; then
		if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
			# Go's fuzzing coordinator can report its own -fuzztime deadline
			# as a failure, with no input (go.dev/issue/75804, fixed in 1.27).
			result="ok (deadline race of go#75804, no failing input)"
		else
			result="FAIL (see $log)"
			failed=1
		fi
	fi
	printf '%-22s %-26s %12s %9ss %s\n' "$pkg" "$name" "${execs:-?}" "$secs" "$result"
done
exit $failed
