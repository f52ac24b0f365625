#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a while each: the
# parsers of outside input (addresses, targets, hex, escapes, options,
# packets, the JSON escaper, the workbench's prompts). The seed corpora
# are in each package's testdata/fuzz; what the fuzzer finds goes there too.
#
# Usage: scripts/fuzz.sh [TIME]     (default 3s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
TIME=${1:-3s}

failed=0
for dir in $(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' | xargs -n1 dirname | sort -u); do
	pkg=./$dir
	for target in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$TIME" "$pkg" >/tmp/fuzz.$$ 2>&1; then
			echo "ok   $pkg $target"
		else
			echo "FAIL $pkg $target"
			cat /tmp/fuzz.$$
			failed=1
		fi
	done
done
rm -f /tmp/fuzz.$$
exit $failed
