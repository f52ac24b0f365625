package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"

	"sockbench/internal/testpeer"
)

func TestMain(m *testing.M) {
	if os.Getenv(launcherEnv) != "" {
		os.Exit(launch(os.Args[len(os.Args)-1]))
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if builtBin != "" {
			_ = os.RemoveAll(filepath.Dir(builtBin))
		}
	}))
}

// testDeadline bounds every wait in these tests.
const testDeadline = 30 * time.Second

// lineWriter is a goroutine-safe io.Writer that keeps everything written
// and hands each complete line to a channel as it is written, so that a
// test can wait for a line without polling.
type lineWriter struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	lines   chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 4096)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.lines <- string(w.partial[:i]):
		default: // nobody is waiting for this many lines; keep them in all
		}
		w.partial = w.partial[i+1:]
	}
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// waitLine returns the first line written, from now on, that has prefix.
func (w *lineWriter) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(testDeadline)
	for {
		select {
		case line := <-w.lines:
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line starting with %q; output so far:\n%s", prefix, w.String())
		}
	}
}

// waitContains waits until everything written so far contains want.
func (w *lineWriter) waitContains(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(testDeadline)
	for !strings.Contains(w.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%s", want, w.String())
		}
		time.Sleep(5 * time.Millisecond) // a polling interval, not a synchronisation
	}
}

// result is what one run of the command line gave.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line with empty stdin and returns its exit status
// and output.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// background runs the command line in a goroutine with output to line
// writers. The test must make it end; stop cancels its context and waits
// for it, and the cleanup does so too.
type background struct {
	stdout, stderr *lineWriter
	cancel         context.CancelFunc
	done           chan int
}

func runBackground(t *testing.T, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &background{stdout: newLineWriter(), stderr: newLineWriter(), cancel: cancel, done: make(chan int, 1)}
	go func() { b.done <- run(ctx, args, strings.NewReader(""), b.stdout, b.stderr) }()
	t.Cleanup(func() { cancel(); <-b.done })
	return b
}

// wait returns the exit status once the command ends by itself.
func (b *background) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-b.done:
		b.done <- code // for the cleanup
		return code
	case <-time.After(testDeadline):
		t.Fatalf("command did not end; stdout:\n%s\nstderr:\n%s", b.stdout, b.stderr)
		return -1
	}
}

// stop interrupts the command as Ctrl+C would and returns its status.
func (b *background) stop(t *testing.T) int {
	t.Helper()
	b.cancel()
	return b.wait(t)
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var events []map[string]any
	for line := range strings.Lines(out) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		events = append(events, ev)
	}
	return events
}

// eventsNamed returns the events whose "event" is name.
func eventsNamed(events []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, ev := range events {
		if ev["event"] == name {
			out = append(out, ev)
		}
	}
	return out
}

// peer is a loopback TCP server run by a test: it accepts connections and
// hands each to serve, in its own goroutine. Close stops it and waits for
// every goroutine.
type peer struct {
	ln      net.Listener
	wg      sync.WaitGroup
	remotes chan string // the remote address of each accepted connection
}

// startPeer listens on network ("tcp4", "tcp6") at the loopback address
// and serves each connection with serve.
func startPeer(t *testing.T, network string, serve func(net.Conn)) *peer {
	t.Helper()
	host := "127.0.0.1"
	if network == "tcp6" {
		host = "[::1]"
	}
	ln, err := net.Listen(network, host+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	p := &peer{ln: ln, remotes: make(chan string, 64)}
	p.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case p.remotes <- conn.RemoteAddr().String():
			default: // more than any test needs to look at
			}
			p.wg.Go(func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(testDeadline))
				serve(conn)
			})
		}
	})
	t.Cleanup(p.Close)
	return p
}

// Addr is the target text for the peer.
func (p *peer) Addr() string { return p.ln.Addr().String() }

// Close stops accepting and waits for the connections being served.
func (p *peer) Close() {
	_ = p.ln.Close()
	p.wg.Wait()
}

// assertNoConnection checks that nobody has connected to the peer. It
// connects itself and checks that its own connection is the first one
// accepted: accept is first come, first served, so an earlier connection
// would have come out first.
func (p *peer) assertNoConnection(t *testing.T) {
	t.Helper()
	sentinel, err := net.Dial(p.ln.Addr().Network(), p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer sentinel.Close()
	select {
	case first := <-p.remotes:
		if first != sentinel.LocalAddr().String() {
			t.Errorf("the peer accepted a connection from %s", first)
		}
	case <-time.After(testDeadline):
		t.Fatal("the peer accepted nothing, not even the sentinel")
	}
}

// echoN reads exactly n bytes, writes them back and closes.
func echoN(n int) func(net.Conn) {
	return func(conn net.Conn) {
		buf := make([]byte, n)
		if _, err := io.ReadFull(conn, buf); err == nil {
			_, _ = conn.Write(buf)
		}
	}
}

// closedPort returns a loopback address that refuses connections: bound,
// so nobody else takes it during the test, but not listening.
func closedPort(t *testing.T) string {
	t.Helper()
	return testpeer.Refused(t, "127.0.0.1").String()
}

// oneLine checks that s is one short line of safe text, starting
// "sockbench: ".
func oneLine(t *testing.T, s string) {
	t.Helper()
	if problem := usageLineProblem(s); problem != "" {
		t.Errorf("stderr: %s: %.300q", problem, s)
	}
}

// usageLineProblem says what is wrong with what a usage error wrote on
// stderr, or "" when it is one short line of safe text.
func usageLineProblem(out string) string {
	switch {
	case strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") || !strings.HasPrefix(out, "sockbench: "):
		return "not one line"
	case len(out) > 400:
		return fmt.Sprintf("%d bytes on stderr", len(out))
	case !utf8.ValidString(out):
		return "invalid UTF-8 on stderr"
	case strings.IndexFunc(strings.TrimSuffix(out, "\n"), func(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }) >= 0:
		return "a control character on stderr"
	}
	return ""
}
