#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md: sockbench side by side with Go's
# net package, socat, getent and echo, in ONE run, in interleaved rounds
# (each round runs every side once, in a rotating order), every side with
# the same buffer sizes. Every comparison prints its ratio per round as a
# median with its spread (min-max and the interquartile range), then the
# absolute numbers behind it. The machine may be shared and noisy: compare
# ratios from one run, not absolute numbers across runs.
#
# Needs Go, socat, tmux and getent. Builds sockbench, the driver
# (internal/benchrun) and netcore's test binary once, into a scratch
# directory; stops every process it started and removes the directory on
# exit, Ctrl+C included. About 5 minutes with the defaults; the
# environment changes them:
#
#   ROUNDS=5           rounds of every side-by-side comparison
#   BULK_MIB=256       MiB received per bulk round
#   SENDFILE_MIB=2048  size of the sparse file sent with --send-file
#   DGRAMS=200000      datagrams sent per listen --type dgram round
#   GO_BENCHTIME=1s    -benchtime of the in-process netcore benchmarks
#   STARTUP_ROUNDS=15  rounds of the start-up comparisons (resolve: twice as many)
#   IDLE_SECONDS=20    length of each idle measurement
#   IDLE_SOCKETS=10000 connections of each burst (listen --keep; the workbench,
#                      which then holds them idle)
#   FLOOD_SECONDS=5    length of each flood
#   SECTIONS=all       or a comma-separated subset of:
#                      bulk,sendfile,dgram,listen-dgram,connect,burst,idle,startup,flood
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

missing=()
for tool in go socat tmux getent; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
	echo "bench.sh: missing ${missing[*]} (apt-get install socat tmux libc-bin)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sockbench-bench.XXXXXX")
tmux_socket="sockbench-bench-$$"
driver=
cleanup() {
	trap - EXIT INT TERM
	# The driver stops its own children on SIGTERM; whatever is left of
	# its process group (and the private tmux server) goes here.
	if [[ -n "$driver" ]]; then
		kill -TERM "$driver" 2>/dev/null || true
		wait "$driver" 2>/dev/null || true
	fi
	tmux -L "$tmux_socket" kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# The idle test holds 10,000 connections: both ends need descriptors.
ulimit -n "$(ulimit -Hn)"
echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), RLIMIT_NOFILE $(ulimit -n)"
echo "== building sockbench, the driver and netcore's test binary (once)"
go build -o "$work/sockbench" .
go build -o "$work/benchrun" ./internal/benchrun
go test -c -o "$work/netcore.test" ./netcore/
echo "== $(go version); $(socat -V | grep -m1 'socat version'); $(tmux -V)"

"$work/benchrun" \
	-sockbench "$work/sockbench" -netcore-test "$work/netcore.test" -repo "$repo" \
	-work "$work" -tmux-socket "$tmux_socket" -sections "${SECTIONS:-all}" \
	-rounds "${ROUNDS:-5}" -bulk-mib "${BULK_MIB:-256}" -sendfile-mib "${SENDFILE_MIB:-2048}" \
	-dgrams "${DGRAMS:-200000}" -go-benchtime "${GO_BENCHTIME:-1s}" \
	-startup-rounds "${STARTUP_ROUNDS:-15}" -idle-seconds "${IDLE_SECONDS:-20}" \
	-idle-sockets "${IDLE_SOCKETS:-10000}" -flood-seconds "${FLOOD_SECONDS:-5}" &
driver=$!
wait "$driver"
