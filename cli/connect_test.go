package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sockbench/internal/testpeer"
)

// wantFields checks the given fields of a JSON event.
func wantFields(t *testing.T, ev map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%v: %s = %v, want %v", ev, k, ev[k], v)
		}
	}
}

func TestConnectRefused(t *testing.T) {
	addr := closedPort(t)
	r := runCLI(t, "connect", "--json", addr)
	if r.code != exitNetwork {
		t.Fatalf("status %d, want 1; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	if len(events) != 2 {
		t.Fatalf("want an attempt and a failure, got %q", r.stdout)
	}
	wantFields(t, events[0], map[string]any{"event": "attempt", "index": 0.0, "family": "inet", "address": addr,
		"result": "refused", "class": "transient", "errno": "ECONNREFUSED"})
	wantFields(t, events[1], map[string]any{"event": "failed", "address": addr, "class": "transient", "errno": "ECONNREFUSED"})
}

func TestConnectRefusedPlain(t *testing.T) {
	addr := closedPort(t)
	r := runCLI(t, "connect", addr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != exitNetwork || len(lines) != 2 {
		t.Fatalf("status %d, stdout %q", r.code, r.stdout)
	}
	fields := strings.Fields(lines[0])
	if fields[0] != "#0" || fields[1] != addr || fields[2] != "refused" || fields[3] != "ECONNREFUSED" || fields[4] != "transient" {
		t.Errorf("attempt line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "failed: connect "+addr+": ") {
		t.Errorf("failure line %q", lines[1])
	}
}

// TestConnectFallsThrough connects over a refusing address to a live echo
// server, one after another and raced.
func TestConnectFallsThrough(t *testing.T) {
	for _, mode := range [][]string{nil, {"--race=10ms"}} {
		t.Run(strings.Join(append([]string{"mode"}, mode...), ""), func(t *testing.T) {
			p := startPeer(t, "tcp4", echoN(4))
			refusing := closedPort(t)
			args := append([]string{"connect", "--json", "--send", "ping"}, mode...)
			r := runCLI(t, append(args, refusing, p.Addr())...)
			if r.code != exitOK {
				t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			events := jsonLines(t, r.stdout)
			attempts := eventsNamed(events, "attempt")
			if len(attempts) != 2 {
				t.Fatalf("want two attempts, got %q", r.stdout)
			}
			wantFields(t, attempts[0], map[string]any{"index": 0.0, "address": refusing, "result": "refused"})
			wantFields(t, attempts[1], map[string]any{"index": 1.0, "address": p.Addr(), "result": "connected", "class": "ok"})
			if _, ok := attempts[1]["errno"]; ok {
				t.Errorf("errno on a success: %v", attempts[1])
			}
			wantFields(t, events[2], map[string]any{"event": "connected", "index": 1.0, "address": p.Addr()})
			wantFields(t, events[3], map[string]any{"event": "sent", "bytes": 4.0})
			last := events[len(events)-1]
			wantFields(t, last, map[string]any{"event": "closed", "reason": "eof", "rx": 4.0, "tx": 4.0})
		})
	}
}

// TestBadPayloadSendsNothing checks that bad input ends connect before
// any connection is made.
func TestBadPayloadSendsNothing(t *testing.T) {
	cases := map[string][]string{
		"bad escape":   {"--send", `abc\q`},
		"bad hex":      {"--send-hex", "zz"},
		"odd hex":      {"--send-hex", "414"},
		"missing file": {"--send-file", filepath.Join(t.TempDir(), "absent")},
	}
	for name, flags := range cases {
		t.Run(name, func(t *testing.T) {
			p := startPeer(t, "tcp4", func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
			r := runCLI(t, append(append([]string{"connect"}, flags...), p.Addr())...)
			if r.code != exitUsage || r.stdout != "" {
				t.Errorf("status %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			oneLine(t, r.stderr)
			p.assertNoConnection(t)
		})
	}
}

// TestMalformedTargetConnectsNowhere puts a good target before a bad one:
// nothing may be tried.
func TestMalformedTargetConnectsNowhere(t *testing.T) {
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:99999", "[::1", "host:port:x"} {
		t.Run(bad, func(t *testing.T) {
			p := startPeer(t, "tcp4", func(net.Conn) {})
			r := runCLI(t, "connect", "--send", "x", p.Addr(), bad)
			if r.code != exitUsage || r.stdout != "" {
				t.Errorf("status %d, stdout %q", r.code, r.stdout)
			}
			oneLine(t, r.stderr)
			p.assertNoConnection(t)
		})
	}
}

func TestSendTextEscapesEchoed(t *testing.T) {
	want := []byte("hello\r\n")
	p := startPeer(t, "tcp4", echoN(len(want)))
	out := filepath.Join(t.TempDir(), "recv")
	r := runCLI(t, "connect", "--send", `hello\r\n`, "--recv-file", out, p.Addr())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	assertFile(t, out, want)
	if !strings.Contains(r.stdout, "sent 7 bytes\n") || !strings.Contains(r.stdout, "closed: eof (received 7 bytes, sent 7 bytes)\n") {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestSendFileAllByteValues(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "send"), filepath.Join(dir, "recv")
	if err := os.WriteFile(in, all, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPeer(t, "tcp4", echoN(len(all)))
	r := runCLI(t, "connect", "--send-file", in, "--recv-file", out, p.Addr())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	assertFile(t, out, all)
}

func TestSendHexOverIPv6(t *testing.T) {
	p := startPeer(t, "tcp6", echoN(5))
	out := filepath.Join(t.TempDir(), "recv")
	r := runCLI(t, "connect", "--send-hex", "48 65:6c,0x6c 6f", "--recv-file", out, p.Addr())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	assertFile(t, out, []byte("Hello"))
}

// TestShutdownAfterSend uses a peer that answers only once it has read to
// the end: it hears the end only through the shutdown.
func TestShutdownAfterSend(t *testing.T) {
	p := startPeer(t, "tcp4", func(c net.Conn) {
		data, err := io.ReadAll(c)
		if err == nil {
			_, _ = c.Write(bytes.ToUpper(data))
		}
	})
	out := filepath.Join(t.TempDir(), "recv")
	r := runCLI(t, "connect", "--send", "abc", "--shutdown-after-send", "--read-timeout", "0", "--recv-file", out, p.Addr())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	assertFile(t, out, []byte("ABC"))
}

func TestReceivedHexDump(t *testing.T) {
	p := startPeer(t, "tcp4", func(c net.Conn) { _, _ = c.Write([]byte("hi\r\n\x00\xff\x1b[2J")) })
	r := runCLI(t, "connect", p.Addr())
	want := "00000000  68 69 0d 0a 00 ff 1b 5b 32 4a                    |hi←↓⋄×•[2J|\n"
	if r.code != exitOK || !strings.Contains(r.stdout, want) {
		t.Errorf("status %d, stdout %q, want a line %q", r.code, r.stdout, want)
	}
	if strings.ContainsRune(r.stdout, 0x1b) {
		t.Error("an escape byte reached the plain output")
	}
}

// TestRecvFileDash writes the bytes raw to stdout and the reports to
// stderr.
func TestRecvFileDash(t *testing.T) {
	data := []byte("raw\x1b]0;title\x07\x00end")
	p := startPeer(t, "tcp4", func(c net.Conn) { _, _ = c.Write(data) })
	r := runCLI(t, "connect", "--recv-file", "-", p.Addr())
	if r.code != exitOK || r.stdout != string(data) {
		t.Errorf("status %d, stdout %q, want %q", r.code, r.stdout, data)
	}
	if !strings.Contains(r.stderr, "closed: eof") {
		t.Errorf("stderr %q, want the reports", r.stderr)
	}
}

// TestReadTimeoutEndsNormally uses a peer that says something and then
// nothing, without closing.
func TestReadTimeoutEndsNormally(t *testing.T) {
	p := startPeer(t, "tcp4", func(c net.Conn) {
		_, _ = c.Write([]byte("hi"))
		_, _ = io.Copy(io.Discard, c) // until the client closes
	})
	r := runCLI(t, "connect", "--json", "--read-timeout", "50ms", p.Addr())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	wantFields(t, events[len(events)-1], map[string]any{"event": "closed", "reason": "timeout", "rx": 2.0, "tx": 0.0})
	received := eventsNamed(events, "received")
	if len(received) != 1 {
		t.Fatalf("want one received event, got %q", r.stdout)
	}
	wantFields(t, received[0], map[string]any{"bytes": 2.0, "total": 2.0})
}

// TestResetKeepsBytesReceived uses a peer that waits for the client's
// word (so that the connection is surely established), sends, then resets
// the connection (SO_LINGER 0 and close).
func TestResetKeepsBytesReceived(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	p := startPeer(t, "tcp4", func(c net.Conn) {
		if _, err := io.ReadFull(c, make([]byte, 2)); err != nil {
			return
		}
		if _, err := c.Write(data); err == nil {
			_ = c.(*net.TCPConn).SetLinger(0)
		}
	})
	out := filepath.Join(t.TempDir(), "recv")
	r := runCLI(t, "connect", "--json", "--send", "go", "--read-timeout", "0", "--recv-file", out, p.Addr())
	if r.code != exitNetwork {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	wantFields(t, events[len(events)-1], map[string]any{"event": "closed", "reason": "reset", "errno": "ECONNRESET",
		"rx": float64(len(data))})
	assertFile(t, out, data)
}

// TestInterruptDuringExchange cancels connect while it waits for data.
func TestInterruptDuringExchange(t *testing.T) {
	p := startPeer(t, "tcp4", func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	b := runBackground(t, "connect", "--read-timeout", "0", p.Addr())
	b.stdout.waitLine(t, "connected to ")
	if code := b.stop(t); code != exitInterrupted {
		t.Errorf("status %d, want 130", code)
	}
	if !strings.Contains(b.stdout.String(), "closed: cancelled") {
		t.Errorf("stdout %q", b.stdout.String())
	}
}

// assertFile checks a file's contents byte for byte.
func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s holds %d bytes %q, want %d bytes %q", filepath.Base(path), len(got), clip(got), len(want), clip(want))
	}
}

func clip(p []byte) []byte {
	if len(p) > 64 {
		return p[:64]
	}
	return p
}

// TestLargePayloadToStreamingEcho sends far more than the socket buffers
// hold to a peer that echoes as it reads: receiving must go on while
// sending, or both sides would stall with full buffers.
func TestLargePayloadToStreamingEcho(t *testing.T) {
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "send"), filepath.Join(dir, "recv")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	echo := testpeer.Echo(t, "tcp4", "127.0.0.1:0")
	r := runCLI(t, "connect", "--json", "--send-file", in, "--shutdown-after-send", "--recv-file", out, echo.String())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, clip([]byte(r.stdout)), r.stderr)
	}
	assertFile(t, out, data)
	closed := eventsNamed(jsonLines(t, r.stdout), "closed")
	if len(closed) != 1 {
		t.Fatalf("closed events: %v", closed)
	}
	wantFields(t, closed[0], map[string]any{"reason": "eof", "rx": float64(len(data)), "tx": float64(len(data))})
}

// TestConnectTimeoutPerAttempt tries a black hole (a full accept queue on
// loopback: the SYN is dropped) and then a live peer.
func TestConnectTimeoutPerAttempt(t *testing.T) {
	hole := testpeer.BlackHole(t, "127.0.0.1")
	live := startPeer(t, "tcp4", echoN(0))
	r := runCLI(t, "connect", "--json", "--timeout", "200ms", "--read-timeout", "0", hole.String(), live.Addr())
	if r.code != exitOK {
		t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	attempts := eventsNamed(events, "attempt")
	if len(attempts) != 2 {
		t.Fatalf("attempts: %v", attempts)
	}
	wantFields(t, attempts[0], map[string]any{"address": hole.String(), "result": "timeout", "class": "timeout"})
	if ms := attempts[0]["elapsed_ms"].(float64); ms < 200 {
		t.Errorf("timed out after %.1f ms, want at least 200", ms)
	}
	wantFields(t, attempts[1], map[string]any{"result": "connected", "class": "ok"})

	r = runCLI(t, "connect", "--json", "--timeout", "100ms", hole.String())
	if r.code != exitNetwork {
		t.Fatalf("black hole alone: status %d, want 1; stdout %q", r.code, r.stdout)
	}
	failed := eventsNamed(jsonLines(t, r.stdout), "failed")
	if len(failed) != 1 {
		t.Fatalf("failed events: %q", r.stdout)
	}
	wantFields(t, failed[0], map[string]any{"class": "timeout"})
}

// TestConnectDatagramsKeptApart has a UDP peer answer connect's datagram
// with datagrams of falling and rising sizes, which connect receives into
// one buffer: each is reported with exactly its own size, and --recv-file
// holds them all, in order, with nothing left over from a longer one.
func TestConnectDatagramsKeptApart(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	replies := [][]byte{
		[]byte("a first reply, the longest of the small ones"),
		[]byte("short"),
		bytes.Repeat([]byte("reply "), 10000), // 60000 bytes
		[]byte("tail"),
	}
	answered := make(chan error, 1)
	go func() {
		_ = peer.SetDeadline(time.Now().Add(testDeadline))
		_, from, err := peer.ReadFromUDPAddrPort(make([]byte, 64))
		for _, r := range replies {
			if err == nil {
				_, err = peer.WriteToUDPAddrPort(r, from)
			}
		}
		answered <- err
	}()
	out := filepath.Join(t.TempDir(), "recv")
	// The read timeout ends the exchange once the replies have come: a
	// cap, long enough for them on a busy machine.
	r := runCLI(t, "connect", "--type", "dgram", "--json", "--send", "ping", "--read-timeout", "3s", "--recv-file", out, peer.LocalAddr().String())
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if r.code != exitOK {
		t.Fatalf("status %d, stderr %q", r.code, r.stderr)
	}
	var sizes []int
	for line := range strings.Lines(r.stdout) {
		var ev struct {
			Event string `json:"event"`
			Bytes int    `json:"bytes"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err == nil && ev.Event == "received" {
			sizes = append(sizes, ev.Bytes)
		}
	}
	if want := []int{44, 5, 60000, 4}; !slices.Equal(sizes, want) {
		t.Errorf("received events of %v bytes, want %v; stdout:\n%s", sizes, want, r.stdout)
	}
	assertFile(t, out, bytes.Join(replies, nil))
}
