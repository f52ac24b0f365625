#!/usr/bin/env bash
# screenshots.sh makes the PNGs in screenshots/ from the real workbench in a
# real terminal: it runs sockbench in a private, fixed-size tmux server,
# drives it with keys, captures the pane with its colours
# (tmux capture-pane -p -e -N), turns that into HTML with aha and renders
# the HTML with headless Chromium.
#
# Needs: go, tmux, aha, chromium, python3 and the DejaVu fonts. On Debian:
#   apt-get install -y --no-install-recommends tmux aha chromium fonts-dejavu-core
#
# Usage: scripts/screenshots.sh [OUTDIR]   (default: screenshots/)
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-screenshots}
COLS=120
ROWS=40

for tool in go tmux aha chromium python3; do
	command -v "$tool" >/dev/null || { echo "screenshots.sh: $tool is missing" >&2; exit 1; }
done

WORK=$(mktemp -d)
SERVER=""
RUN=0
PEERS=()
cleanup() {
	[[ -n "$SERVER" ]] && tmux -L "$SERVER" kill-server 2>/dev/null || true
	for pid in "${PEERS[@]}"; do kill "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$OUT"
go build -o "$WORK/sockbench" .

# Cell size of DejaVu Sans Mono at 16px: 16*1233/2048 wide, 19 high.
PAD=12
WIDTH=$(python3 -c "print(int($COLS * 16 * 1233 / 2048 + 2 * $PAD + 1))")
HEIGHT=$((ROWS * 19 + 2 * PAD))

# start ARGS... runs the workbench in a new tmux server (a new name each
# time: reusing one right after kill-server can reach the dying server).
start() {
	[[ -n "$SERVER" ]] && tmux -L "$SERVER" kill-server 2>/dev/null || true
	RUN=$((RUN + 1))
	SERVER="sockbench-shots-$$-$RUN"
	tmux -L "$SERVER" -f /dev/null new-session -d -s app -x "$COLS" -y "$ROWS" \
		"env TERM=xterm-256color COLORTERM=truecolor $WORK/sockbench $*; sleep 600"
}

keys() { tmux -L "$SERVER" send-keys -t app "$@"; }
text() { tmux -L "$SERVER" send-keys -t app -l "$1"; }
pane() { tmux -L "$SERVER" capture-pane -t app -p; }

# wait_for TEXT: poll the pane until it shows TEXT (10 s at most).
wait_for() {
	local deadline=$((SECONDS + 10))
	until pane | grep -qF -- "$1"; do
		if ((SECONDS > deadline)); then
			echo "screenshots.sh: timed out waiting for: $1" >&2
			pane >&2
			exit 1
		fi
		sleep 0.05
	done
}

# settle: wait until the pane stops changing (the spinner is off).
settle() {
	local last="" now deadline=$((SECONDS + 5))
	while ((SECONDS < deadline)); do
		now=$(pane)
		[[ "$now" == "$last" ]] && return
		last=$now
		sleep 0.3
	done
}

# shoot NAME: capture the pane with colours and render it to OUT/NAME.png.
shoot() {
	local name=$1
	settle
	tmux -L "$SERVER" capture-pane -t app -p -e -N >"$WORK/$name.ansi"
	aha --no-header <"$WORK/$name.ansi" >"$WORK/$name.body"
	cat >"$WORK/$name.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: #16181d; }
pre { margin: 0; padding: ${PAD}px; color: #d8dee9; background: #16181d;
      font-family: "DejaVu Sans Mono", monospace; font-size: 16px; line-height: 19px; }
</style></head><body><pre>$(cat "$WORK/$name.body")</pre></body></html>
EOF
	chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
		--force-device-scale-factor=1 --window-size="$WIDTH,$HEIGHT" \
		--screenshot="$OUT/$name.png" "file://$WORK/$name.html" >/dev/null 2>&1
	echo "wrote $OUT/$name.png"
}

# A peer for the attempts shot: on one port number, 127.0.0.1 is a black
# hole (a full accept queue) and ::1 has nobody listening, so the loopback
# rows of getaddrinfo(NULL, PORT) are refused, then time out.
python3 - >"$WORK/port" <<'EOF' &
import os, socket, sys, time
while True:
    hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hole.bind(("127.0.0.1", 0))
    port = hole.getsockname()[1]
    probe = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    if probe.connect_ex(("::1", port)) == socket.errno.ECONNREFUSED:
        probe.close()
        break
    probe.close()
    hole.close()
hole.listen(0)
filler = socket.create_connection(("127.0.0.1", port))
print(port, flush=True)
sys.stdout.close()
time.sleep(600)
EOF
PEERS+=($!)
until [[ -s "$WORK/port" ]]; do sleep 0.05; done
PORT=$(cat "$WORK/port")

# 1. Connect attempts: a refusal, then a timeout.
start --timeout 2s ":$PORT"
wait_for "◷ timeout"
shoot attempts

# 2. The hex view with traffic to the lab's echo service.
start
wait_for "echo/tcp"
keys Enter
wait_for "1 row in"
keys c
wait_for "connected to"
text 'hello, sockbench'
keys Enter
wait_for "68 65 6c 6c 6f 2c"
text 'GET / HTTP/1.1\r\nHost: example.org\r\n'
keys Enter
wait_for "sent 37 bytes"
keys C-t
text '00 01 02 7f 80 fe ff 1b 5b 32 4a 07 09 0a 20 41'
keys Enter
wait_for "1b 5b 32 4a 07 09 0a 20 41"
keys C-t
text 'text mode again\t\x21'
shoot hex

# 3. The options view of that connection.
keys Escape
sleep 0.2 # let the terminal tell a lone Escape from a key sequence
keys BTab BTab
wait_for "l listen"
keys o
wait_for "TCP_NODELAY"
keys Down Down Down Down
keys Space
wait_for "SO_KEEPALIVE set to on"
shoot options

# 4. The syscall log of that connection: socket, connect -> EINPROGRESS,
# the wait, SO_ERROR, then the reads and writes.
keys Escape
sleep 0.2
keys s
wait_for "System calls"
keys Home
shoot syscalls

# 5. A listener with two accepted clients.
start --no-lab
wait_for "╭─ Sockets"
keys Tab Tab
wait_for "l listen"
keys l
wait_for "listen on"
keys Enter
wait_for "(0 accepted)"
LPORT=$(pane | grep -o '127\.0\.0\.1:[0-9]* *(0 accepted)' | head -1 | sed 's/127\.0\.0\.1:\([0-9]*\).*/\1/')
python3 - "$LPORT" <<'EOF' &
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port))
a.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: client-one\r\n\r\n")
time.sleep(0.2)
b = socket.create_connection(("127.0.0.1", port))
b.sendall(b"HELO client-two\r\n\x00\x01\x02\xff")
time.sleep(600)
EOF
PEERS+=($!)
wait_for "(2 accepted)"
keys Down
wait_for "GET /index.html"
keys Enter # to the send line, for the selected connection
text 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'
keys Enter
wait_for "200 OK"
keys Escape
sleep 0.2
keys BTab BTab
wait_for "l listen"
shoot listener

# down N: press Down N times (to pick a lab row).
down() { for _ in $(seq "$1"); do keys Down; done; }

# 6. The wire view of a connection to the lab's echo, captured from
# before its SYN: the handshake, the data both ways, among the system
# calls. Capturing needs CAP_NET_RAW (root, or setcap on the binary).
start --capture-packets
wait_for "echo/tcp"
keys Enter
wait_for "1 row in"
keys c
wait_for "▶ SYN  ◀ SYN ACK  ▶ ACK"
text 'hello\r\n'
keys Enter
wait_for "#1: sent"
keys Escape
sleep 0.2
keys v v
wait_for "◀ PSH ACK"
keys Home # from the start: the handshake, then the data
wait_for "handshake 1/3"
shoot wire

# 7. STARTTLS by hand with the lab's SMTP service, in the text view: the
# plaintext dialogue, the upgrade, the lines inside TLS.
start
wait_for "echo/tcp"
down 30 # smtp-starttls on 127.0.0.1
keys Enter
wait_for "1 row in"
keys c
wait_for "type and press enter"
keys Escape
sleep 0.2
keys v Enter
text 'EHLO workbench'
keys Enter
wait_for "250 STARTTLS"
text 'STARTTLS'
keys Enter
wait_for "ready to start TLS"
keys Escape
sleep 0.2
keys BTab BTab
wait_for "l listen"
keys t
wait_for "TLS client on"
keys Enter
wait_for "TLS established"
keys Enter
text 'EHLO again, inside TLS'
keys Enter
wait_for "greets you, in TLS"
shoot starttls

# 8. The handshake view of that connection: the steps, the chain.
keys Escape
sleep 0.2
keys H
wait_for "TLS handshake ·"
shoot handshake

# 9. A relay between Python's urllib and http.server: the relay's
# listener, the client's socket and the upstream's, and the client's side
# of the conversation in the text view: the request, then the response.
mkdir -p "$WORK/site"
printf 'hello through the relay\n' >"$WORK/site/hello.txt"
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/site" 0 >"$WORK/http.out" 2>&1 &
PEERS+=($!)
until grep -q 'port [0-9]*' "$WORK/http.out" 2>/dev/null; do sleep 0.05; done
HPORT=$(grep -o 'port [0-9]*' "$WORK/http.out" | head -1 | cut -d' ' -f2)
start --no-lab
wait_for "╭─ Sockets"
keys Tab Tab
wait_for "l listen"
keys R
wait_for "relay: LISTEN"
text "127.0.0.1:0 -> 127.0.0.1:$HPORT"
keys Enter
wait_for "(0 accepted)"
RPORT=$(pane | grep -o '127\.0\.0\.1:[0-9]* *→' | head -1 | sed 's/127\.0\.0\.1:\([0-9]*\).*/\1/')
python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$RPORT/hello.txt').read()"
wait_for "ended: client→server"
keys Down
wait_for "Hex · #2 tcp"
keys Tab Tab
wait_for "v hex/text/wire"
keys v Home
wait_for "GET /hello.txt"
keys j j j j j # past the notes of the upstream's connect, to the request and the response
wait_for "HTTP/1.0 200 OK"
shoot relay

echo "done: $(ls "$OUT"/*.png | wc -l) screenshots in $OUT"
