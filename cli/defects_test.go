package cli

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stallingPeer accepts one connection and reads nothing until release is
// closed; then it reads to the end and hands over the count.
func stallingPeer(t *testing.T) (addr string, release chan struct{}, got chan int64) {
	t.Helper()
	release, got = make(chan struct{}), make(chan int64, 1)
	p := startPeer(t, "tcp4", func(c net.Conn) {
		select {
		case <-release:
		case <-time.After(testDeadline):
		}
		n, _ := io.Copy(io.Discard, c)
		got <- n
	})
	return p.Addr(), release, got
}

// sparseFile makes a file of size bytes that takes no room on disk.
func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sparse")
	f, err := os.Create(path)
	if err == nil {
		err = f.Truncate(size)
		_ = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSendStallFails sends 64 MiB to a peer that never reads: the send
// makes no progress for --send-timeout, which is a failure (exit 1) whose
// message counts exactly the bytes the kernel took.
func TestSendStallFails(t *testing.T) {
	const size = 64 << 20
	addr, release, got := stallingPeer(t)
	r := runCLI(t, "connect", "--json", "--send-file", sparseFile(t, size), "--send-timeout", "200ms", addr)
	close(release)
	if r.code != exitNetwork {
		t.Fatalf("status %d, want 1; stderr %q", r.code, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	closed := events[len(events)-1]
	tx := int64(closed["tx"].(float64))
	wantFields(t, closed, map[string]any{"event": "closed", "reason": "stalled",
		"message": fmt.Sprintf("the peer stopped reading: %s of 67,108,864 bytes sent, no room for 200ms", groupDigits(tx))})
	if n := <-got; n != tx || tx <= 0 || tx >= size {
		t.Errorf("the peer got %d bytes; the report says %d of %d", n, tx, size)
	}
}

// TestListenSendStallFails is the same stall with listen --once.
func TestListenSendStallFails(t *testing.T) {
	b := runBackground(t, "listen", "--once", "--send-file", sparseFile(t, 64<<20), "--send-timeout", "200ms", "127.0.0.1:0")
	conn, err := net.Dial("tcp4", listeningAddr(t, b))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if code := b.wait(t); code != exitNetwork {
		t.Errorf("status %d, want 1", code)
	}
	if line := b.stdout.waitLine(t, "closed: "); !strings.HasPrefix(line, "closed: stalled (received 0 bytes, sent ") ||
		!strings.Contains(line, "bytes sent, no room for 200ms") {
		t.Errorf("last line %q", line)
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 4157547: "4,157,547",
		67108864: "67,108,864", -1234: "-1,234"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestEmptyDatagramIsSent: --send ” on a datagram socket sends one empty
// datagram.
func TestEmptyDatagramIsSent(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	r := runCLI(t, "connect", "--type", "dgram", "--send", "", "--read-timeout", "1ms", peer.LocalAddr().String())
	if r.code != exitOK || !strings.Contains(r.stdout, "sent 0 bytes\n") {
		t.Fatalf("status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	_ = peer.SetReadDeadline(time.Now().Add(testDeadline))
	n, _, err := peer.ReadFromUDP(make([]byte, 8))
	if err != nil || n != 0 {
		t.Errorf("the peer read %d bytes, %v; want one empty datagram", n, err)
	}
}

// TestJSONResolveFailure: with --json, a name that does not resolve is a
// JSON event like any other failure.
func TestJSONResolveFailure(t *testing.T) {
	for _, args := range [][]string{
		{"connect", "--json", "nosuch.invalid:80"},
		{"resolve", "--json", "nosuch.invalid", "80"},
	} {
		r := runCLI(t, args...)
		if r.code != exitNetwork || r.stderr != "" {
			t.Errorf("%q: status %d, stderr %q", args, r.code, r.stderr)
			continue
		}
		events := jsonLines(t, r.stdout)
		last := events[len(events)-1]
		if last["event"] != "failed" || !strings.HasPrefix(last["message"].(string), "resolve nosuch.invalid:80: ") {
			t.Errorf("%q: last event %v", args, last)
		}
	}
}

// TestJSONEscapesBidiFromOutside: a path with a bidi override and a
// zero-width joiner reaches --json output only as \u escapes.
func TestJSONEscapesBidiFromOutside(t *testing.T) {
	path := "unix:" + filepath.Join(t.TempDir(), "evil\u202etxt.exe\u200d")
	r := runCLI(t, "connect", "--json", path)
	if r.code != exitNetwork {
		t.Fatalf("status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.ContainsAny(r.stdout, "\u202e\u200d") || !strings.Contains(r.stdout, `\u202e`) {
		t.Errorf("stdout %q", r.stdout)
	}
	failed := eventsNamed(jsonLines(t, r.stdout), "failed")
	if len(failed) != 1 || failed[0]["address"] != strings.TrimPrefix(path, "unix:") {
		t.Errorf("failed events %v", failed)
	}
}

func TestRecvFileEmptyIsUsageError(t *testing.T) {
	for _, cmd := range []string{"connect", "listen"} {
		r := runCLI(t, cmd, "--recv-file", "", "127.0.0.1:1")
		if r.code != exitUsage {
			t.Errorf("%s: status %d, stderr %q", cmd, r.code, r.stderr)
		}
		oneLine(t, r.stderr)
	}
}

// TestJSONData carries the received bytes in hex and in base64.
func TestJSONData(t *testing.T) {
	data := "hi\x00\xff\x1b"
	for enc, want := range map[string]string{"hex": "686900ff1b", "base64": base64.StdEncoding.EncodeToString([]byte(data))} {
		b := runBackground(t, "listen", "--json", "--json-data", enc, "[::1]:0")
		line := b.stdout.waitLine(t, `{"event":"listening"`)
		addr := strings.TrimSuffix(strings.TrimPrefix(line, `{"event":"listening","address":"`), `"}`)
		talk(t, "tcp", addr, data)
		if code := b.wait(t); code != exitOK {
			t.Fatalf("status %d; stderr %q", code, b.stderr)
		}
		received := eventsNamed(jsonLines(t, b.stdout.String()), "received")
		if len(received) != 1 || received[0]["data"] != want {
			t.Errorf("%s: received events %v, want data %q", enc, received, want)
		}
	}
	if r := runCLI(t, "connect", "--json-data", "hex", "127.0.0.1:1"); r.code != exitUsage {
		t.Errorf("--json-data without --json: status %d", r.code)
	}
	if r := runCLI(t, "connect", "--json", "--json-data", "octal", "127.0.0.1:1"); r.code != exitUsage {
		t.Errorf("--json-data octal: status %d", r.code)
	}
}

// TestListenBarePort listens on loopback for a bare port number.
func TestListenBarePort(t *testing.T) {
	b := runBackground(t, "listen", "0")
	if addr := listeningAddr(t, b); !strings.HasPrefix(addr, "127.0.0.1:") || addr == "127.0.0.1:0" {
		t.Errorf("listening on %q", addr)
	}
}

// TestListenConcurrent serves a second client while the first is still
// connected, and tags each line with its connection.
func TestListenConcurrent(t *testing.T) {
	b := runBackground(t, "listen", "--concurrent", "--read-timeout", "0", "--send", "hi", "127.0.0.1:0")
	addr := listeningAddr(t, b)
	first, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if got := talk(t, "tcp4", addr, "second"); got != "hi" {
		t.Errorf("the second client received %q while the first was connected", got)
	}
	b.stdout.waitLine(t, "[2] closed: eof")
	if code := b.stop(t); code != exitOK {
		t.Errorf("status %d after the interruption", code)
	}
	out := b.stdout.String()
	for _, want := range []string{"[1] accepted from ", "[2] accepted from ", "[2] 00000000  73 65 63 6f 6e 64"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestListenFlagConflicts(t *testing.T) {
	for _, args := range [][]string{
		{"listen", "--once", "-k", "127.0.0.1:0"},
		{"listen", "--keep", "--send-file", "-", "127.0.0.1:0"},
		{"listen", "--concurrent", "--recv-file", "-", "127.0.0.1:0"},
	} {
		r := runCLI(t, args...)
		if r.code != exitUsage {
			t.Errorf("%q: status %d", args, r.code)
		}
		oneLine(t, r.stderr)
	}
}
