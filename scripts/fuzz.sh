#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a while each: the
# parsers of outside input (addresses, targets, names and flags, option
# values, hex, escapes, packets, the pure-Go resolver's numbers and
# services file, the JSON escaper, the workbench's prompts). The seed
# corpora are in each package's testdata/fuzz; what the fuzzer finds goes
# there too.
#
# A target that is built only without cgo (the pure-Go resolver's, in
# files with its build constraint) is run with CGO_ENABLED=0; a target
# built in neither way is a failure, so that none is skipped unseen.
#
# The budget is a count of runs per target (5000x), or a time (30s) for a
# longer search by hand. CI gives a count: with a time, Go 1.26's fuzzing
# coordinator can fail a target with a bare "context deadline exceeded"
# when a loaded machine delays a worker past the deadline (Go issue
# 75804, fixed in 1.27); a count has no deadline to race.
#
# Usage: scripts/fuzz.sh [BUDGET]     (default 5000x per target)
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-5000x}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# built lists the fuzz targets a package's tests hold in one build.
built() { go test -list '^Fuzz' "$1" 2>/dev/null | grep '^Fuzz' || true; }

failed=0
for dir in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u); do
	pkg=./$dir
	with_cgo=$(built "$pkg")
	without_cgo=$(CGO_ENABLED=0 built "$pkg")
	for target in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		if grep -qx "$target" <<<"$with_cgo"; then
			cgo=$(go env CGO_ENABLED)
		elif grep -qx "$target" <<<"$without_cgo"; then
			cgo=0
		else
			echo "FAIL $pkg $target: not built, with cgo or without"
			failed=1
			continue
		fi
		if CGO_ENABLED=$cgo go test -run '^$' -fuzz "^${target}\$" -fuzztime "$BUDGET" "$pkg" >"$out" 2>&1; then
			echo "ok   $pkg $target (CGO_ENABLED=$cgo)"
		else
			echo "FAIL $pkg $target (CGO_ENABLED=$cgo)"
			cat "$out"
			failed=1
		fi
	done
done
exit $failed
