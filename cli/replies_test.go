package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smtpRules make listen a fake mail server.
var smtpRules = []string{"--reply", `=>220 fake ready\r\n`, "--reply", `EHLO=>250 hello {n}\r\n`,
	"--reply", `QUIT=>221 bye\r\n;close`}

// dialLine connects and returns the connection with a line reader.
func dialLine(t *testing.T, network, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout(network, addr, testDeadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(testDeadline))
	return c, bufio.NewReader(c)
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read %q: %v", line, err)
	}
	return line
}

// TestListenReplies: a client talks to the fake server; each canned reply
// arrives, is reported as automatic, and the close rule closes.
func TestListenReplies(t *testing.T) {
	b := runBackground(t, append([]string{"listen", "--once"}, append(smtpRules, "127.0.0.1:0")...)...)
	c, r := dialLine(t, "tcp", listeningAddr(t, b))
	if got := readLine(t, r); got != "220 fake ready\r\n" {
		t.Errorf("greeting %q", got)
	}
	if _, err := io.WriteString(c, "EHLO x\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := readLine(t, r); got != "250 hello 2\r\n" {
		t.Errorf("EHLO answered %q", got)
	}
	if _, err := io.WriteString(c, "QUIT\r\n"); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || string(rest) != "221 bye\r\n" {
		t.Errorf("QUIT answered %q, then %v", rest, err)
	}
	if code := b.wait(t); code != exitOK {
		t.Errorf("status %d; stderr %q", code, b.stderr)
	}
	out := b.stdout.String()
	wantInOrder(t, out, "accepted from 127.0.0.1:", "sent 16 bytes auto (rule 1)\n", "|EHLO x←↓|",
		"sent 13 bytes auto (rule 2)\n", "|QUIT←↓|", "sent 9 bytes auto (rule 3)\n", "auto: close (rule 3)\n",
		"closed: auto-close (received 14 bytes, sent 38 bytes)\n")
}

// wantInOrder checks that out holds each of want, in order.
func wantInOrder(t *testing.T, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%q is not where it should be in:\n%s", w, out)
			return
		}
		rest = rest[i+len(w):]
	}
}

// TestListenRepliesJSON: automatic replies are "auto":true with their
// rule, after the bytes that caused them.
func TestListenRepliesJSON(t *testing.T) {
	b := runBackground(t, "listen", "--once", "--json", "--reply", `ping=>pong\n;reset`, "127.0.0.1:0")
	line := b.stdout.waitLine(t, `{"event":"listening"`)
	addr := strings.TrimSuffix(strings.TrimPrefix(line, `{"event":"listening","address":"`), `"}`)
	c, r := dialLine(t, "tcp", addr)
	if _, err := io.WriteString(c, "ping"); err != nil {
		t.Fatal(err)
	}
	if got := readLine(t, r); got != "pong\n" {
		t.Errorf("got %q", got)
	}
	b.wait(t)
	var got []string
	for _, ev := range jsonLines(t, b.stdout.String()) {
		if ev["event"] == "sent" || ev["event"] == "auto" || ev["event"] == "received" || ev["event"] == "closed" {
			got = append(got, mustJSON(t, ev))
		}
	}
	want := []string{`{"bytes":4,"event":"received","total":4}`, `{"auto":true,"bytes":5,"event":"sent","rule":1,"total":5}`,
		`{"action":"reset","event":"auto","rule":1}`, `{"event":"closed","reason":"auto-reset","rx":4,"tx":5}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestListenReplyReset: the reset rule's RST reaches the client, after
// the reply before it.
func TestListenReplyReset(t *testing.T) {
	b := runBackground(t, "listen", "--once", "--reply", `boom=>bye\r\n;reset`, "127.0.0.1:0")
	c, r := dialLine(t, "tcp", listeningAddr(t, b))
	if _, err := io.WriteString(c, "boom"); err != nil {
		t.Fatal(err)
	}
	if got := readLine(t, r); got != "bye\r\n" {
		t.Errorf("got %q", got)
	}
	if _, err := r.ReadByte(); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("after the reply: %v, want ECONNRESET", err)
	}
	if code := b.wait(t); code != exitOK || !strings.Contains(b.stdout.String(), "auto: reset (rule 1)\n") {
		t.Errorf("status %d, stdout:\n%s", code, b.stdout)
	}
}

// TestListenRepliesAfterHalfClose: requests pipelined in one write and a
// shutdown of writing are all answered, in order.
func TestListenRepliesAfterHalfClose(t *testing.T) {
	b := runBackground(t, "listen", "--once", "--reply", `a=>1;delay=10ms;one\n`, "--reply", `b=>2\n`, "127.0.0.1:0")
	if got := talk(t, "tcp", listeningAddr(t, b), "b a b"); got != "2\n1one\n2\n" {
		t.Errorf("the client got %q", got)
	}
	if code := b.wait(t); code != exitOK {
		t.Errorf("status %d", code)
	}
}

// TestListenRepliesKeepAndConcurrent: with -k and --concurrent each client
// gets the rules, and {n} counts every reply of the listener.
func TestListenRepliesKeepAndConcurrent(t *testing.T) {
	for _, mode := range [][]string{{"-k"}, {"--concurrent"}} {
		b := runBackground(t, append(append([]string{"listen"}, mode...), "--reply", `ping=>pong {n}\n;close`, "127.0.0.1:0")...)
		addr := listeningAddr(t, b)
		var got []string
		for range 3 {
			got = append(got, talk(t, "tcp", addr, "ping"))
		}
		if strings.Join(got, "") != "pong 1\npong 2\npong 3\n" {
			t.Errorf("%v: the clients got %q", mode, got)
		}
		if code := b.stop(t); code != exitOK {
			t.Errorf("%v: status %d", mode, code)
		}
	}
}

// TestListenRepliesUnixAndDatagram: rules on a UNIX stream, and on UDP,
// where each datagram is answered alone.
func TestListenRepliesUnixAndDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fake.sock")
	b := runBackground(t, "listen", "--once", "--reply", `hi=>hello\n`, "unix:"+path)
	listeningAddr(t, b)
	if got := talk(t, "unix", path, "hi"); got != "hello\n" {
		t.Errorf("unix: got %q", got)
	}
	b.wait(t)

	b = runBackground(t, "listen", "--type", "dgram", "--once", "--reply", `ping=>pong`, "--reply", `g=>G`, "127.0.0.1:0")
	c, err := net.Dial("udp", listeningAddr(t, b))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testDeadline))
	if _, err := c.Write([]byte("ping g")); err != nil {
		t.Fatal(err)
	}
	var got []string
	buf := make([]byte, 64)
	for range 2 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	if strings.Join(got, ",") != "pong,G" {
		t.Errorf("datagrams %q", got)
	}
	if code := b.wait(t); code != exitOK || !strings.Contains(b.stdout.String(), "sent 1 bytes auto (rule 2)") {
		t.Errorf("status %d, stdout:\n%s", code, b.stdout)
	}
}

// TestListenRepliesFile: --replies reads a file of rules, numbered after
// the --reply before it.
func TestListenRepliesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules")
	if err := os.WriteFile(path, []byte("# fake\nhello=>hi there\\n\n\nbye=>;close\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := runBackground(t, "listen", "--once", "--reply", `x=>y`, "--replies", path, "127.0.0.1:0")
	if got := talk(t, "tcp", listeningAddr(t, b), "hello bye"); got != "hi there\n" {
		t.Errorf("got %q", got)
	}
	if code := b.wait(t); code != exitOK || !strings.Contains(b.stdout.String(), "auto: close (rule 3)") {
		t.Errorf("status %d, stdout:\n%s", code, b.stdout)
	}
}

// mustJSON writes an event back as JSON, its keys sorted.
func mustJSON(t *testing.T, ev map[string]any) string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
