package cli

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a scripted server started by a test: a greeting, then the
// answer script gives each line (a line it does not know is not
// answered). It keeps what it received.
type fakeSMTP struct {
	*peer
	mu       sync.Mutex
	received strings.Builder
}

func startFakeSMTP(t *testing.T, script map[string]string) *fakeSMTP {
	t.Helper()
	return startFakeSMTPOver(t, nil, script)
}

// startFakeSMTPOver is startFakeSMTP inside TLS when cfg is not nil: the
// greeting and everything after it go in TLS, after the handshake.
func startFakeSMTPOver(t *testing.T, cfg *tls.Config, script map[string]string) *fakeSMTP {
	t.Helper()
	f := &fakeSMTP{}
	f.peer = startPeer(t, "tcp4", func(c net.Conn) {
		if cfg != nil {
			tc := tls.Server(c, cfg)
			if tc.Handshake() != nil {
				return
			}
			c = tc
		}
		if _, err := io.WriteString(c, "220 fake ready\r\n"); err != nil {
			return
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			f.mu.Lock()
			f.received.WriteString(line)
			f.mu.Unlock()
			if err != nil {
				return
			}
			if answer, ok := script[line]; ok {
				if _, err := io.WriteString(c, answer); err != nil {
					return
				}
			}
		}
	})
	return f
}

// got returns what the server received, once every connection ended.
func (f *fakeSMTP) got() string {
	f.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.received.String()
}

// writeSnippets writes a snippets file in a fresh directory.
func writeSnippets(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snippets")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const smtpSnippets = "# for the tests\n[smtp]\nsend EHLO x\\r\\n\nwait 250\nsend QUIT\\r\\n\nwait 221\n"

// TestConnectSnippet: the two-step handshake runs against a scripted
// server: QUIT goes only after 250 came, and the steps are reported.
func TestConnectSnippet(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "250 hello\r\n", "QUIT\r\n": "221 bye\r\n"})
	res := runCLI(t, "connect", "--snippets", writeSnippets(t, smtpSnippets), "--snippet", "smtp", "--read-timeout", "50ms", server.Addr())
	if res.code != exitOK {
		t.Fatalf("status %d, stderr %q, stdout:\n%s", res.code, res.stderr, res.stdout)
	}
	if got := server.got(); got != "EHLO x\r\nQUIT\r\n" {
		t.Errorf("the server received %q", got)
	}
	wantInOrder(t, res.stdout, "sent 8 bytes\n", "step 1/4 send: 8 bytes\n", "step 2/4 wait: matched 3 bytes: 250\n",
		"sent 6 bytes\n", "step 3/4 send: 6 bytes\n", "step 4/4 wait: matched 3 bytes: 221\n", "closed: timeout")
}

// TestConnectSnippetWaitFails: a server that never answers 250 never
// sees QUIT; the failure names the step, its line and the pattern.
func TestConnectSnippetWaitFails(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "450 later\r\n"})
	file := writeSnippets(t, "[smtp]\nsend EHLO x\\r\\n\ntimeout 100ms\nwait 250\nsend QUIT\\r\\n\n")
	res := runCLI(t, "connect", "--snippets", file, "--snippet", "smtp", server.Addr())
	// What arrived within the 100ms depends on the machine's load; the step, its line and the pattern do not.
	ended := regexp.MustCompile(`closed: error \(received \d+ bytes, sent 8 bytes\): snippet "smtp": step 2 \(line 4\): no text "250" came in time`)
	if res.code != exitNetwork || !ended.MatchString(res.stdout) {
		t.Errorf("status %d, stdout:\n%s", res.code, res.stdout)
	}
	if got := server.got(); got != "EHLO x\r\n" {
		t.Errorf("the server received %q", got)
	}
}

// TestSnippetFromTheConfigDir: without --snippets, the file in the user's
// config directory; a malformed snippet asked for is one line naming its
// line, exit 2; another malformed one is a warning and the run goes on.
func TestSnippetFromTheConfigDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if err := os.MkdirAll(filepath.Join(dir, "sockbench"), 0o700); err != nil {
		t.Fatal(err)
	}
	text := smtpSnippets + "\n[broken]\nsend ok\nwiat 250\n"
	if err := os.WriteFile(filepath.Join(dir, "sockbench", "snippets"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "connect", "--snippet", "broken", closedPort(t))
	oneLine(t, res.stderr)
	if res.code != exitUsage || !strings.Contains(res.stderr, `line 10: unknown step "wiat"`) || res.stdout != "" {
		t.Errorf("status %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}

	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "250 hello\r\n", "QUIT\r\n": "221 bye\r\n"})
	res = runCLI(t, "connect", "--snippet", "smtp", "--read-timeout", "50ms", server.Addr())
	if res.code != exitOK || !strings.Contains(res.stderr, `line 10: unknown step "wiat"`) || strings.Count(res.stderr, "\n") != 1 {
		t.Errorf("status %d, stderr %q", res.code, res.stderr)
	}
	if got := server.got(); got != "EHLO x\r\nQUIT\r\n" {
		t.Errorf("the server received %q", got)
	}
	res = runCLI(t, "connect", "--snippet", "none", closedPort(t))
	if res.code != exitUsage || !strings.Contains(res.stderr, `no snippet "none" in `) {
		t.Errorf("status %d, stderr %q", res.code, res.stderr)
	}
}

// TestRepeatWithCounter: --repeat sends N times, {n} counting; a length
// prefix is exact; --every paces the sends.
func TestRepeatWithCounter(t *testing.T) {
	received := make(chan []byte, 4)
	server := startPeer(t, "tcp4", func(c net.Conn) {
		got, _ := io.ReadAll(c)
		received <- got
	})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--repeat", "3", "--expand", "--send", `ping {n}\n`}, "ping 1\nping 2\nping 3\n"},
		{[]string{"--repeat", "2", "--every", "1ms", "--expand", "--send-hex", `{len16be} 61 62 {len8} 63`}, "\x00\x04ab\x01c\x00\x04ab\x01c"},
		{[]string{"--repeat", "2", "--send", `{n}`}, "{n}{n}"}, // without --expand, text as it is
		{[]string{"--repeat", "2", "--snippets", writeSnippets(t, "[s]\nsend a{n}\n"), "--snippet", "s"}, "a1a2"},
	} {
		args := append(append([]string{"connect", "--shutdown-after-send", "--read-timeout", "0"}, tt.args...), server.Addr())
		if res := runCLI(t, args...); res.code != exitOK {
			t.Fatalf("%q: status %d, stderr %q", tt.args, res.code, res.stderr)
		}
		if got := string(<-received); got != tt.want {
			t.Errorf("%q: the server received %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestEveryUntilStopped: --every without --repeat sends until Ctrl+C.
func TestEveryUntilStopped(t *testing.T) {
	lines := make(chan string, 1000)
	server := startPeer(t, "tcp4", func(c net.Conn) {
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			lines <- sc.Text()
		}
	})
	b := runBackground(t, "connect", "--every", "1ms", "--expand", "--send", `tick {n}\n`, server.Addr())
	for i := 1; i <= 3; i++ {
		if got := <-lines; got != "tick "+strconv.Itoa(i) {
			t.Fatalf("line %d: %q", i, got)
		}
	}
	if code := b.stop(t); code != exitInterrupted {
		t.Errorf("status %d", code)
	}
}

// TestBadSnippetFlags: contradictions are one line, exit 2.
func TestBadSnippetFlags(t *testing.T) {
	file := writeSnippets(t, smtpSnippets)
	for _, args := range [][]string{
		{"connect", "--expand", "127.0.0.1:1"},
		{"connect", "--snippets", file, "127.0.0.1:1"},
		{"connect", "--snippet", "smtp", "--snippets", file, "--send", "x", "127.0.0.1:1"},
		{"connect", "--repeat", "2", "127.0.0.1:1"},
		{"connect", "--repeat", "0", "--send", "x", "127.0.0.1:1"},
		{"connect", "--every", "0s", "--send", "x", "127.0.0.1:1"},
		{"connect", "--repeat", "2", "--send-file", "-", "127.0.0.1:1"},
		{"connect", "--expand", "--send", "{rand:0}", "127.0.0.1:1"},
		{"listen", "--type", "dgram", "--snippet", "smtp", "--snippets", file, "127.0.0.1:0"},
		{"listen", "--type", "dgram", "--every", "1s", "--send", "x", "127.0.0.1:0"},
	} {
		res := runCLI(t, args...)
		oneLine(t, res.stderr)
		if res.code != exitUsage || res.stdout != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, res.code, res.stdout, res.stderr)
		}
	}
}
