#!/usr/bin/env bash
# Bulk loopback throughput: netcore against Go's net package (in one go test
# run, interleaved) and against socat, on this machine, now. Prints MB/s for
# each and the ratios. The machine is shared and noisy: compare ratios from
# one run, not numbers across runs.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-30}
size_mib=${SIZE_MIB:-1024}

echo "== go test -bench BulkRatio ($rounds rounds of 64 MiB)"
out=$(go test -run '^$' -bench '^BenchmarkBulkRatio$' -benchtime "${rounds}x" ./netcore/)
echo "$out" | grep Bulk
net_mbs=$(echo "$out" | awk '/BulkRatio/ { for (i = 1; i <= NF; i++) if ($(i+1) == "net-MB/s") print $i }')
core_mbs=$(echo "$out" | awk '/BulkRatio/ { for (i = 1; i <= NF; i++) if ($(i+1) == "netcore-MB/s") print $i }')

if ! command -v socat >/dev/null; then
	echo "socat is not installed (apt-get install socat); skipping it"
	exit 0
fi
echo "== socat, ${size_mib} MiB with 64 KiB buffers"
port=$(( (RANDOM % 20000) + 30000 ))
socat -b65536 -u "TCP4-LISTEN:$port,bind=127.0.0.1,reuseaddr" OPEN:/dev/null &
listener=$!
trap 'kill $listener 2>/dev/null || true' EXIT
for _ in $(seq 50); do ss -ltn "sport = :$port" | grep -q LISTEN && break; sleep 0.1; done
start=$(date +%s.%N)
head -c "$((size_mib << 20))" /dev/zero | socat -b65536 -u - "TCP4:127.0.0.1:$port"
end=$(date +%s.%N)
wait $listener 2>/dev/null || true
socat_mbs=$(awk -v s="$start" -v e="$end" -v n="$size_mib" 'BEGIN { printf "%.0f", n * 1048576 / 1e6 / (e - s) }')

echo
printf '%-10s %8s MB/s\n' netcore "$core_mbs" net "$net_mbs" socat "$socat_mbs"
awk -v c="$core_mbs" -v n="$net_mbs" -v s="$socat_mbs" 'BEGIN {
	printf "netcore/net   %.2f\nnetcore/socat %.2f\n", c / n, c / s }'
