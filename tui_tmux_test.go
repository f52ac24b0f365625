package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sockbench/internal/testpeer"
)

// These tests run the real binary in a real terminal: a private tmux
// server per test, 120x40, full colour. They skip only when tmux is
// missing.

// patience is how long a test waits for the screen to show something
// before it fails. It is a cap for a hung program, not a speed test:
// the machines are shared, and a busy one may take seconds to draw.
const patience = 30 * time.Second

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
	sessionN  atomic.Int64
)

// workbenchBinary builds sockbench once per test run.
func workbenchBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "sockbench-tmux-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "sockbench")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// tmuxSession is the workbench running in a private tmux server.
type tmuxSession struct {
	t      *testing.T
	server string
}

// startTmux runs the workbench with args in a new private tmux server.
func startTmux(t *testing.T, args ...string) *tmuxSession {
	t.Helper()
	return startTmuxWith(t, nil, args...)
}

// startTmuxWith runs the workbench with args under a wrapper command
// (setpriv, say), in a new private tmux server.
func startTmuxWith(t *testing.T, wrapper []string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	bin := workbenchBinary(t)
	s := &tmuxSession{t: t, server: fmt.Sprintf("sockbench-test-%d-%d-%d", os.Getpid(), time.Now().UnixNano(), sessionN.Add(1))}
	cmd := "env TERM=xterm-256color COLORTERM=truecolor"
	for _, a := range append(append(wrapper, bin), args...) {
		cmd += " " + a
	}
	// After the program, the shell prints its exit status on the normal
	// screen and waits, so that the test can see both.
	cmd += "; echo sockbench-exit=$?; sleep 600"
	s.tmux("new-session", "-d", "-s", "app", "-x", "120", "-y", "40", cmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.server, "kill-server").Run() })
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.server, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-t", "app", "-p") }

func (s *tmuxSession) keys(keys ...string) {
	s.tmux(append([]string{"send-keys", "-t", "app"}, keys...)...)
}

func (s *tmuxSession) text(text string) { s.tmux("send-keys", "-t", "app", "-l", text) }

// waitFor polls the pane until cond holds, failing at the deadline. The
// screen it returns held still for one polling interval, when it does
// within a second: a capture can catch tmux half-way through drawing a
// frame, and the caller may look for more than cond in it.
func (s *tmuxSession) waitFor(what string, cond func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(patience)
	var met string         // the last capture that held cond
	var settleBy time.Time // when to stop waiting for a still screen
	for {
		screen := s.screen()
		if cond(screen) {
			if screen == met || (!settleBy.IsZero() && time.Now().After(settleBy)) {
				return screen
			}
			if settleBy.IsZero() {
				settleBy = time.Now().Add(time.Second) // a screen with a spinner never holds still
			}
			met = screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s within %v; the pane shows:\n%s", what, patience, screen)
		}
		time.Sleep(20 * time.Millisecond) // a polling interval, not a synchronisation
	}
}

func (s *tmuxSession) waitText(text string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q", text), func(sc string) bool { return strings.Contains(sc, text) })
}

// echoPeer accepts connections on loopback and sends back what it gets;
// greeting, when set, is sent first on each connection.
func echoPeer(t *testing.T, greeting []byte) string {
	t.Helper()
	return testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		if _, err := c.Write(greeting); err == nil {
			_, _ = io.Copy(c, c)
		}
	}).String()
}

func TestTmuxConnectSendEcho(t *testing.T) {
	addr := echoPeer(t, nil)
	s := startTmux(t, "--no-lab", addr)
	s.waitText("connected to " + addr)
	screen := s.screen()
	if !strings.Contains(screen, "#0  ✓ connected") || !strings.Contains(screen, addr) {
		t.Errorf("no attempt row:\n%s", screen)
	}
	s.text("hello")
	s.keys("Enter")
	screen = s.waitFor("hello sent and echoed", func(sc string) bool {
		return strings.Count(sc, "68 65 6c 6c 6f 0d 0a") == 2
	})
	lines := 0
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "68 65 6c 6c 6f 0d 0a") && strings.Contains(l, "hello←↓") {
			lines++
		}
	}
	if lines != 2 || !strings.Contains(screen, "▶ sent") || !strings.Contains(screen, "◀ received") {
		t.Errorf("sent and received chunks with their text:\n%s", screen)
	}
	// q quits: the send line has the focus, so esc leaves it first.
	s.keys("Escape")
	s.waitFor("the hex panel focus", func(sc string) bool { return strings.Contains(sc, "f filter") })
	s.keys("q")
	after := s.waitText("sockbench-exit=")
	if !strings.Contains(after, "sockbench-exit=0") {
		t.Errorf("the program failed:\n%s", after)
	}
	if strings.Contains(after, "╭─ Resolve") {
		t.Errorf("the alternate screen was left behind:\n%s", after)
	}
}

func TestTmuxHostilePeer(t *testing.T) {
	evil := []byte("\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]2;pwned2\x1b\\\x1b]52;c;aGFja2Vk\x07\x1b[6n\x9b2J\x07\x08\rEVIL\xff\xfe")
	addr := echoPeer(t, evil)
	s := startTmux(t, "--no-lab", addr)
	s.waitText("connected to " + addr)
	screen := s.waitText("1b 5b 32 4a")
	for _, want := range []string{"╭─ Resolve", "╭─ Attempts", "╭─ Sockets", "╭─ Hex", "1b 5d 30 3b 70 77 6e 65 64", "EVIL××"} {
		if !strings.Contains(screen, want) {
			t.Errorf("%q not on screen:\n%s", want, screen)
		}
	}
	if title := strings.TrimSpace(s.tmux("display", "-p", "-t", "app", "#{pane_title}")); strings.Contains(title, "pwned") {
		t.Errorf("the peer set the title to %q", title)
	}
	// The workbench still takes keys and draws: send something.
	s.text("still here")
	s.keys("Enter")
	s.waitText("still here←↓")
	if title := strings.TrimSpace(s.tmux("display", "-p", "-t", "app", "#{pane_title}")); title != "sockbench" {
		t.Errorf("pane title %q", title)
	}
}

// labRow returns the lab panel's row index of a service from the screen:
// the lab lists echo, discard, chargen and daytime over tcp and udp on
// 127.0.0.1 and ::1, then the refusers and the black holes, then the TLS
// services.
var labOrder = func() []string {
	var rows []string
	for _, k := range []string{"echo", "discard", "chargen", "daytime"} {
		for _, n := range []string{"tcp", "udp"} {
			rows = append(rows, k+"/"+n+" 4", k+"/"+n+" 6")
		}
	}
	rows = append(rows, "refuser 4", "refuser 6", "blackhole 4", "blackhole 6")
	for _, k := range []string{"tls-echo", "tls-expired", "tls-wrongname", "tls-selfsigned", "tls-nochain", "smtp-starttls"} {
		rows = append(rows, k+" 4", k+" 6")
	}
	return rows
}()

func labIndex(name string) int {
	for i, r := range labOrder {
		if r == name {
			return i
		}
	}
	return -1
}

// focusSockets moves the focus from the resolve panel, where the
// workbench starts, past the attempts panel to the sockets panel.
func (s *tmuxSession) focusSockets() {
	s.t.Helper()
	s.waitText("╭─ Sockets")
	s.keys("Tab", "Tab")
	s.waitFor("the sockets focus", func(sc string) bool { return strings.Contains(sc, "l listen") })
}

// useLab selects a lab service by moving down from the first row.
func (s *tmuxSession) useLab(name string) {
	s.t.Helper()
	n := labIndex(name)
	keys := []string{"Home"}
	for range n {
		keys = append(keys, "Down")
	}
	s.keys(keys...)
	s.keys("Enter")
}

func TestTmuxLabRefuserAndBlackHole(t *testing.T) {
	s := startTmux(t, "--timeout", "1s")
	screen := s.waitText("echo/tcp")
	v4 := regexp.MustCompile(`echo/tcp +127\.0\.0\.1:\d+`)
	v6 := regexp.MustCompile(`echo/tcp +\[::1\]:\d+`)
	if !v4.MatchString(screen) || !v6.MatchString(screen) {
		t.Fatalf("lab services without loopback addresses:\n%s", screen)
	}

	s.useLab("refuser 4")
	s.waitText("1 row in")
	s.keys("c")
	screen = s.waitText("ECONNREFUSED")
	for _, want := range []string{"✗ refused", "transient", "nothing is listening"} {
		if !strings.Contains(screen, want) {
			t.Errorf("refusal lacks %q:\n%s", want, screen)
		}
	}

	// Back to the lab (from the attempts panel, past the sockets panel).
	s.keys("Tab", "Tab")
	s.waitFor("the lab focus", func(sc string) bool { return strings.Contains(sc, "enter use as target") })
	s.useLab("blackhole 4")
	s.waitFor("the black hole's row", func(sc string) bool {
		return strings.Contains(sc, "1 row in") && strings.Contains(sc, "a full accept queue")
	})
	s.keys("c")
	s.waitText("connecting")
	screen = s.waitText("◷ timeout")
	if !strings.Contains(screen, "no answer within the timeout") {
		t.Errorf("timeout row:\n%s", screen)
	}
	// The row shows how long the attempt waited: never less than the
	// --timeout of 1s (how much more depends on the machine's load).
	m := regexp.MustCompile(`◷ timeout.*?(\d+\.\d+)s`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no duration on the timeout row:\n%s", screen)
	}
	if d, err := strconv.ParseFloat(m[1], 64); err != nil || d < 1.0 {
		t.Errorf("the timeout row shows %ss with --timeout 1s", m[1])
	}
}

func TestTmuxListenerTwoClients(t *testing.T) {
	s := startTmux(t, "--no-lab")
	s.focusSockets()
	s.keys("l")
	s.waitText("listen on")
	s.keys("Enter")
	screen := s.waitText("(0 accepted)")
	m := regexp.MustCompile(`127\.0\.0\.1:(\d+) +\(0 accepted\)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no listener row:\n%s", screen)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range 2 {
		c, err := net.Dial("tcp", "127.0.0.1:"+m[1])
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := fmt.Fprintf(c, "client %d\n", i); err != nil {
			t.Fatal(err)
		}
	}
	screen = s.waitText("(2 accepted)")
	if n := strings.Count(screen, "└tcp"); n != 2 {
		t.Errorf("%d accepted rows:\n%s", n, screen)
	}
}

func TestTmuxOptionsSyscallsExport(t *testing.T) {
	addr := echoPeer(t, nil)
	s := startTmux(t, "--no-lab", addr)
	s.waitText("connected to " + addr)
	s.text("ping")
	s.keys("Enter")
	s.waitFor("the echo", func(sc string) bool { return strings.Count(sc, "70 69 6e 67 0d 0a") == 2 })

	// esc leaves the send line for the hex view; shift+tab twice reaches
	// the sockets panel, past the lab.
	s.keys("Escape")
	s.waitFor("the hex focus", func(sc string) bool { return strings.Contains(sc, "f filter") })
	s.keys("BTab", "BTab")
	s.waitFor("the sockets focus", func(sc string) bool { return strings.Contains(sc, "l listen") })

	s.keys("o")
	s.waitText("TCP_NODELAY")
	s.keys("Down", "Down", "Down", "Down")
	s.waitFor("SO_KEEPALIVE selected", func(sc string) bool { return strings.Contains(sc, "SO_KEEPALIVE: Probe") })
	s.keys("Space")
	s.waitText("SO_KEEPALIVE set to on")
	s.keys("Enter") // a boolean edited as text: a bad value changes nothing
	s.keys("C-u")
	s.text("maybe")
	s.keys("Enter")
	s.waitText("nothing changed")
	s.keys("Escape")
	s.waitText("edit cancelled")
	s.keys("Escape")
	s.waitFor("the options to close", func(sc string) bool { return !strings.Contains(sc, "TCP_NODELAY") })

	s.keys("s")
	s.waitText("System calls")
	s.keys("Home")
	screen := s.waitText("EINPROGRESS")
	for _, want := range []string{"socket(AF_INET, SOCK_STREAM", "connect(", "SO_ERROR -> 0", "sendmsg("} {
		if !strings.Contains(screen, want) {
			t.Errorf("syscall log lacks %q:\n%s", want, screen)
		}
	}
	s.keys("End")
	s.waitText("SO_KEEPALIVE -> on") // read back after the change
	s.keys("PgUp")
	s.waitText("setsockopt(")
	s.keys("Escape")
	s.waitFor("the log to close", func(sc string) bool { return !strings.Contains(sc, "System calls") })

	// Export the received bytes from the hex view, past the lab.
	s.keys("Tab", "Tab")
	s.waitFor("the hex focus", func(sc string) bool { return strings.Contains(sc, "f filter") })
	path := filepath.Join(t.TempDir(), "received.bin")
	s.keys("e")
	s.waitText("r received bytes")
	s.keys("r")
	s.waitText("to file:")
	s.keys("C-u")
	s.text(path)
	s.keys("Enter")
	s.waitText("wrote 6 bytes")
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "ping\r\n" {
		t.Errorf("export: %q, %v", got, err)
	}
}

// httpServer starts Python's http.server on loopback, serving dir, and
// returns its address; the test stops it.
func httpServer(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: .ci/run installs it")
	}
	cmd := exec.Command("python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`port (\d+)`).FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case p := <-port:
		return "127.0.0.1:" + p
	case <-time.After(patience):
		t.Fatal("http.server did not say its port")
	}
	return ""
}

// TestTmuxHTTPReadsAsText fetches a page from Python's http.server and
// reads the reply in the stream view: the status line and the headers on
// lines of their own, the server's close marked in place, and the same
// marks in the exported transcript.
func TestTmuxHTTPReadsAsText(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello from the file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := httpServer(t, dir)
	s := startTmux(t, "--no-lab", addr)
	s.waitText("connected to " + addr)
	s.text("GET /hello.txt HTTP/1.0")
	s.keys("Enter")
	s.keys("Enter") // the empty line that ends the request
	s.waitText("end of stream")
	s.keys("Escape")
	s.waitFor("the hex focus", func(sc string) bool { return strings.Contains(sc, "f filter") })
	s.keys("v", "Home")
	screen := s.waitText("▶ GET /hello.txt HTTP/1.0←↓") // home: the first line
	for _, want := range []string{"▶ GET /hello.txt HTTP/1.0←↓", "◀ HTTP/1.0 200 OK←↓", "◀ Server: SimpleHTTP/",
		"◀ Content-type: text/plain←↓"} {
		if !strings.Contains(screen, want) {
			t.Errorf("%q not in the text view:\n%s", want, screen)
		}
	}
	s.keys("End")
	screen = s.waitText("◀ hello from the file↓")
	if !regexp.MustCompile(`● [0-9:.]+ +end of stream: the peer shut down its sending side \(FIN\) · CLOSE_WAIT`).MatchString(screen) {
		t.Errorf("the server's close is not marked after the body:\n%s", screen)
	}

	path := filepath.Join(t.TempDir(), "transcript.txt")
	s.keys("e", "t", "C-u")
	s.text(path)
	s.keys("Enter")
	s.waitText("wrote ")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The close is the transcript's last line: after the whole reply.
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "note ") || !strings.HasSuffix(last, " end of stream: the peer shut down its sending side (FIN) · CLOSE_WAIT") ||
		!strings.Contains(string(got), "|HTTP/1.0 200 OK←|") {
		t.Errorf("transcript:\n%s", got)
	}
}
