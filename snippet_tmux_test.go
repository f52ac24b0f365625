package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sockbench/internal/testpeer"
)

// fakeSMTP is a scripted mail server: 220 on connect, 250 to EHLO, 221 to
// QUIT and close. It keeps what each connection sent.
func fakeSMTP(t *testing.T) (addr string, sent func() []string) {
	t.Helper()
	var mu sync.Mutex
	var conns []string
	addr = testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		mu.Lock()
		conns = append(conns, "")
		n := len(conns) - 1
		mu.Unlock()
		_, _ = c.Write([]byte("220 fake ESMTP\r\n"))
		in := bufio.NewReader(c)
		for {
			line, err := in.ReadString('\n')
			if err != nil {
				return
			}
			mu.Lock()
			conns[n] += line
			mu.Unlock()
			if strings.HasPrefix(line, "EHLO") {
				_, _ = c.Write([]byte("250 fake greets you\r\n"))
			}
			if strings.HasPrefix(line, "QUIT") {
				_, _ = c.Write([]byte("221 bye\r\n"))
				return
			}
		}
	}).String()
	return addr, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), conns...)
	}
}

// TestTmuxSnippetRecordAndReplay records a two-step snippet on the send
// line (EHLO, wait for 250, QUIT) against a scripted server, then replays
// it after a reconnect with one key (F5); a malformed snippets file is
// named with its line.
func TestTmuxSnippetRecordAndReplay(t *testing.T) {
	config := t.TempDir()
	addr, sent := fakeSMTP(t)
	s := startTmuxWith(t, []string{"env", "XDG_CONFIG_HOME=" + config}, "--no-lab", addr)
	s.waitText("type and press enter to send")
	s.keys("C-x")
	s.waitText("recording a snippet")
	s.text("EHLO x")
	s.keys("Enter")
	s.waitText("#1: sent 8 bytes")
	s.keys("C-g")
	s.waitText("wait for")
	s.text("250")
	s.keys("Enter")
	s.waitText("recording a snippet: 2 steps")
	s.text("QUIT")
	s.keys("Enter")
	s.waitText("recording a snippet: 3 steps")
	s.keys("C-x")
	s.waitText("save the 3 steps as the snippet named")
	s.text("smtp-hello")
	s.keys("Enter")
	s.waitText("saved the snippet smtp-hello (3 steps)")
	file, err := os.ReadFile(filepath.Join(config, "sockbench", "snippets"))
	if err != nil || !strings.Contains(string(file), "[smtp-hello]\nsend EHLO x\\r\\n\nwait 250\nsend QUIT\\r\\n\n") {
		t.Fatalf("snippets file %q, %v", file, err)
	}

	// Reconnect (tab to the resolve panel, c), then F5 replays it.
	s.keys("Tab")
	s.waitFor("the resolve focus", func(sc string) bool { return strings.Contains(sc, "enter resolve") })
	s.keys("c")
	s.waitText("connected #2")
	s.keys("F5")
	s.waitText("snippet smtp-hello: done") // the transcript's note
	s.waitFor("the second connection's lines", func(string) bool {
		c := sent()
		return len(c) == 2 && c[1] == "EHLO x\r\nQUIT\r\n"
	})

	// A malformed snippet is named with its line; the others still list.
	bad := "[broken]\nsend-hex zz\n\n" + string(file)
	if err := os.WriteFile(filepath.Join(config, "sockbench", "snippets"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	s.keys("C-o")
	screen := s.waitText("line 2 skipped: send-hex")
	if !strings.Contains(screen, "smtp-hello") {
		t.Errorf("malformed file:\n%s", screen)
	}
}
