package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listeningAddr waits for listen's first line and returns the address.
func listeningAddr(t *testing.T, b *background) string {
	t.Helper()
	return strings.TrimPrefix(b.stdout.waitLine(t, "listening on "), "listening on ")
}

// talk connects to addr, sends msg, shuts down its side and returns all
// it receives until the server closes.
func talk(t *testing.T, network, addr, msg string) string {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, testDeadline)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testDeadline))
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatal(err)
	}
	if err := conn.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

func TestListenOnce(t *testing.T) {
	b := runBackground(t, "listen", "--once", "--send", `welcome\n`, "127.0.0.1:0")
	addr := listeningAddr(t, b)
	if got := talk(t, "tcp", addr, "ping"); got != "welcome\n" {
		t.Errorf("the client received %q", got)
	}
	if code := b.wait(t); code != exitOK {
		t.Errorf("status %d; stderr %q", code, b.stderr)
	}
	out := b.stdout.String()
	for _, want := range []string{"accepted from 127.0.0.1:", "sent 8 bytes\n",
		"00000000  70 69 6e 67" + strings.Repeat(" ", 38) + "|ping|\n", "closed: eof (received 4 bytes, sent 8 bytes)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout %q lacks %q", out, want)
		}
	}
}

func TestListenJSON(t *testing.T) {
	b := runBackground(t, "listen", "--once", "--json", "[::1]:0")
	line := b.stdout.waitLine(t, `{"event":"listening"`)
	var ev struct{ Address string }
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ev.Address, "[::1]:") {
		t.Fatalf("listening on %q", ev.Address)
	}
	talk(t, "tcp", ev.Address, "hello")
	if code := b.wait(t); code != exitOK {
		t.Errorf("status %d; stderr %q", code, b.stderr)
	}
	events := jsonLines(t, b.stdout.String())
	names := make([]string, len(events))
	for i, ev := range events {
		names[i] = ev["event"].(string)
	}
	if got := strings.Join(names, " "); got != "listening accepted received closed" {
		t.Errorf("events %q", got)
	}
	if peer, _ := events[1]["peer"].(string); !strings.HasPrefix(peer, "[::1]:") {
		t.Errorf("accepted event %v", events[1])
	}
}

// TestListenAndConnectOverUnix runs both subcommands against each other,
// on an abstract name and on a path.
func TestListenAndConnectOverUnix(t *testing.T) {
	names := map[string]string{
		"abstract": fmt.Sprintf("unix:@sockbench-test-%d-%d", os.Getpid(), time.Now().UnixNano()),
		"path":     "unix:" + filepath.Join(t.TempDir(), "s"),
	}
	for kind, target := range names {
		t.Run(kind, func(t *testing.T) {
			server := runBackground(t, "listen", "--once", "--send", "pong", target)
			listeningAddr(t, server)
			out := filepath.Join(t.TempDir(), "recv")
			r := runCLI(t, "connect", "--send", "ping", "--shutdown-after-send", "--recv-file", out, target)
			if r.code != exitOK {
				t.Fatalf("connect: status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			assertFile(t, out, []byte("pong"))
			if code := server.wait(t); code != exitOK {
				t.Errorf("listen: status %d; stderr %q", code, server.stderr)
			}
			if !strings.Contains(server.stdout.String(), "|ping|") {
				t.Errorf("listen: stdout %q", server.stdout)
			}
			if path, ok := strings.CutPrefix(target, "unix:/"); ok {
				if _, err := os.Stat("/" + path); !os.IsNotExist(err) {
					t.Errorf("the socket file is still there: %v", err)
				}
			}
		})
	}
}

func TestListenDatagram(t *testing.T) {
	b := runBackground(t, "listen", "--type", "dgram", "--once", "--send", "pong", "127.0.0.1:0")
	addr := listeningAddr(t, b)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testDeadline))
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "pong" {
		t.Errorf("reply %q, %v", buf[:n], err)
	}
	if code := b.wait(t); code != exitOK {
		t.Errorf("status %d; stderr %q", code, b.stderr)
	}
	if want := "datagram from " + conn.LocalAddr().String() + ": 4 bytes\n"; !strings.Contains(b.stdout.String(), want) {
		t.Errorf("stdout %q lacks %q", b.stdout, want)
	}
}

// TestListenServesInTurnUntilInterrupted serves two clients, one after the
// other, then stops as Ctrl+C would stop it.
func TestListenServesInTurnUntilInterrupted(t *testing.T) {
	b := runBackground(t, "listen", "-k", "--send", "hi", "127.0.0.1:0")
	addr := listeningAddr(t, b)
	for range 2 {
		if got := talk(t, "tcp4", addr, "x"); got != "hi" {
			t.Errorf("client received %q", got)
		}
	}
	if code := b.stop(t); code != exitOK {
		t.Errorf("status %d after the interruption; stderr %q", code, b.stderr)
	}
	if n := strings.Count(b.stdout.String(), "accepted from"); n != 2 {
		t.Errorf("%d connections accepted:\n%s", n, b.stdout)
	}
}

func TestListenAddressInUse(t *testing.T) {
	p := startPeer(t, "tcp4", func(net.Conn) {})
	r := runCLI(t, "listen", p.Addr())
	if r.code != exitNetwork || r.stdout != "" {
		t.Errorf("status %d, stdout %q", r.code, r.stdout)
	}
	oneLine(t, r.stderr)
	if !strings.Contains(r.stderr, "EADDRINUSE") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestListenDatagramsKeptApart sends datagrams of falling and rising
// sizes, one far larger than any fixed receive buffer, to a listener
// that receives them all into one buffer: each is reported with exactly
// its own bytes, and --recv-file holds them all, in order, with nothing
// left over from a longer one before.
func TestListenDatagramsKeptApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dgram.sock")
	out := filepath.Join(t.TempDir(), "recv")
	b := runBackground(t, "listen", "--type", "dgram", "--json", "--json-data", "hex", "--recv-file", out, "unix:"+path)
	b.stdout.waitLine(t, `{"event":"listening"`)
	conn, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	datagrams := [][]byte{
		[]byte("a first datagram, the longest of the small ones"),
		[]byte("short"),
		bytes.Repeat([]byte("datagram "), 20000), // 180000 bytes
		[]byte("tail"),
	}
	for _, d := range datagrams {
		if _, err := conn.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	for i, d := range datagrams {
		line := b.stdout.waitLine(t, `{"event":"datagram"`)
		if want := fmt.Sprintf(`"bytes":%d,"data":"%x"}`, len(d), d); !strings.HasSuffix(line, want) {
			t.Errorf("datagram %d reported as %.120s..., want it to end %.120s", i, line, want)
		}
	}
	if code := b.stop(t); code != exitOK {
		t.Fatalf("status %d; stderr %q", code, b.stderr)
	}
	assertFile(t, out, bytes.Join(datagrams, nil))
}

// TestListenLargeUnixDatagramWhole sends a UNIX datagram larger than any
// fixed receive buffer the command could use: every byte must reach
// --recv-file.
func TestListenLargeUnixDatagramWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dgram.sock")
	out := filepath.Join(t.TempDir(), "recv")
	b := runBackground(t, "listen", "--type", "dgram", "--once", "--recv-file", out, "unix:"+path)
	listeningAddr(t, b)
	conn, err := net.Dial("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data := bytes.Repeat([]byte("datagram "), 20000) // 180000 bytes
	if _, err := conn.Write(data); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(t); code != exitOK {
		t.Fatalf("status %d; stderr %q", code, b.stderr)
	}
	assertFile(t, out, data)
}
