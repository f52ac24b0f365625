package model

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sockbench/internal/testpeer"
	"sockbench/ui"
)

// smtpPeer is a scripted fake mail server: 220 on connect, 250 to EHLO,
// 221 to QUIT (then it closes), and it keeps the lines of each
// connection.
type smtpPeer struct {
	addr string
	mu   sync.Mutex
	got  [][]string // the lines of each connection, in order
}

func startSMTPPeer(t *testing.T) *smtpPeer {
	t.Helper()
	p := &smtpPeer{}
	p.addr = testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		p.mu.Lock()
		p.got = append(p.got, nil)
		n := len(p.got) - 1
		p.mu.Unlock()
		_, _ = c.Write([]byte("220 fake ESMTP\r\n"))
		in := bufio.NewReader(c)
		for {
			line, err := in.ReadString('\n')
			if err != nil {
				return
			}
			p.mu.Lock()
			p.got[n] = append(p.got[n], line)
			p.mu.Unlock()
			switch {
			case strings.HasPrefix(line, "EHLO"):
				_, _ = c.Write([]byte("250 fake greets you\r\n"))
			case strings.HasPrefix(line, "QUIT"):
				_, _ = c.Write([]byte("221 bye\r\n"))
				return
			}
		}
	}).String()
	return p
}

// lines returns the lines connection n sent.
func (p *smtpPeer) lines(n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n >= len(p.got) {
		return nil
	}
	return append([]string(nil), p.got[n]...)
}

// sendLineDriver runs a workbench connected to addr, with the snippets
// file at path, its send line focused once the connection is up.
func sendLineDriver(t *testing.T, addr, path string) *driver {
	t.Helper()
	d := newDriver(t, Config{Target: addr, Timeout: 5 * time.Second, SnippetsPath: path}, 150, 50)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	d.m.setFocus(ui.PanelSend, true)
	return d
}

// TestSnippetRecordAndReplay: a two-step snippet recorded on the send
// line (send EHLO, wait for 250, send QUIT) is saved as a person would
// write it, and F5 replays it on a new connection.
func TestSnippetRecordAndReplay(t *testing.T) {
	peer := startSMTPPeer(t)
	path := filepath.Join(t.TempDir(), "snippets")
	d := sendLineDriver(t, peer.addr, path)
	d.key("ctrl+x")
	d.typeText("EHLO x")
	d.key("enter")
	d.pumpUntil("the 250", func() bool { return strings.Contains(string(receivedBytes(t, d.m.socks.all[0])), "250 fake") })
	d.key("ctrl+g")
	d.typeText("250")
	d.key("enter")
	d.typeText("QUIT")
	d.key("enter")
	if !d.screenHas("recording a snippet: 3 steps") {
		t.Errorf("recording:\n%s", d.plain())
	}
	d.key("ctrl+x")
	d.typeText("smtp-hello")
	d.key("enter")
	file, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(string(file), "\n[smtp-hello]\nsend EHLO x\\r\\n\nwait 250\nsend QUIT\\r\\n\n") {
		t.Fatalf("snippets file %q, %v", file, err)
	}

	// A new connection; F5 runs the snippet on it.
	d2 := sendLineDriver(t, peer.addr, path)
	d2.key("ctrl+o")
	if _, ok := d2.m.overlay.(*snippetPicker); !ok || !d2.screenHas("smtp-hello") {
		t.Fatalf("no picker with the snippet:\n%s", d2.plain())
	}
	d2.key("enter")
	d2.pumpUntil("the snippet's end", func() bool { return strings.Contains(d2.m.c.status, "snippet smtp-hello: done") })
	d2.pumpUntil("the QUIT", func() bool { return len(peer.lines(1)) == 2 })
	if got := peer.lines(1); strings.Join(got, "") != "EHLO x\r\nQUIT\r\n" {
		t.Errorf("the second connection sent %q; status %q; received %q", got, d2.m.c.status, receivedBytes(t, d2.m.socks.all[0]))
	}
	d2.pumpUntil("the peer's close", func() bool { return d2.m.socks.all[0].Status().EOF })
	d2.key("f5") // the peer has closed: the run fails at its wait, and says why
	d2.pumpUntil("the second run's end", func() bool { return d2.m.send.scripts.job == nil && d2.m.c.status != "running snippet smtp-hello…" })
	if !strings.Contains(d2.m.c.status, "the peer closed before") && !strings.Contains(d2.m.c.status, "broken pipe") {
		t.Errorf("second run: status %q", d2.m.c.status)
	}
}

// TestSnippetSaveAsksBeforeReplacing: saving a recording under a name the
// file has asks first; n keeps both and asks for another name, y replaces
// the old one.
func TestSnippetSaveAsksBeforeReplacing(t *testing.T) {
	peer := startSMTPPeer(t)
	path := filepath.Join(t.TempDir(), "snippets")
	d := sendLineDriver(t, peer.addr, path)
	record := func(line, name string) {
		t.Helper()
		d.key("ctrl+x")
		d.typeText(line)
		d.key("enter", "ctrl+x")
		d.typeText(name)
		d.key("enter")
	}
	file := func() string {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	record("NOOP", "mine")
	if !strings.HasSuffix(file(), "[mine]\nsend NOOP\\r\\n\n") {
		t.Fatalf("first save: %q", file())
	}
	record("RSET", "mine")
	if !d.screenHas("a snippet mine (1 steps) exists: y replaces it") || !strings.Contains(file(), "send NOOP") || strings.Contains(file(), "RSET") {
		t.Fatalf("no question before replacing; file %q:\n%s", file(), d.plain())
	}
	d.key("n")
	d.typeText("other")
	d.key("enter")
	if got := file(); !strings.Contains(got, "[mine]\nsend NOOP\\r\\n\n") || !strings.Contains(got, "[other]\nsend RSET\\r\\n\n") {
		t.Fatalf("after n and another name: %q", got)
	}
	record("HELP", "mine")
	d.key("y")
	if got := file(); strings.Contains(got, "NOOP") || !strings.Contains(got, "[mine]\nsend HELP\\r\\n\n") || !strings.Contains(got, "[other]") {
		t.Fatalf("after y: %q", got)
	}
	if !strings.Contains(d.m.c.status, "saved the snippet mine (1 steps)") {
		t.Errorf("status %q", d.m.c.status)
	}
}

// TestSnippetWaitThatNeverComes: a wait that times out ends the run with
// its step, its line and what it waited for; the send after it never
// goes.
func TestSnippetWaitThatNeverComes(t *testing.T) {
	peer := startSMTPPeer(t)
	path := filepath.Join(t.TempDir(), "snippets")
	if err := os.WriteFile(path, []byte("[never]\ntimeout 200ms\nsend HELLO\\r\\n\nwait 354\nsend QUIT\\r\\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := sendLineDriver(t, peer.addr, path)
	d.key("ctrl+o", "enter")
	d.pumpUntil("the failure", func() bool { return d.m.send.scripts.job == nil && d.m.c.status != "running snippet never…" })
	if !strings.Contains(d.m.c.status, `step 2 (line 4): no text "354" came in time`) {
		t.Errorf("status %q", d.m.c.status)
	}
	if got := peer.lines(0); strings.Join(got, "") != "HELLO\r\n" {
		t.Errorf("the peer got %q: QUIT went after a failed wait", got)
	}
}

// TestMalformedSnippetsFile: a malformed snippet is named with its line,
// once, and the others are listed.
func TestMalformedSnippetsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snippets")
	if err := os.WriteFile(path, []byte("[bad]\nsned hello\n\n[good]\nsend hi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, Config{SnippetsPath: path}, 150, 50)
	d.m.setFocus(ui.PanelSend, true)
	d.key("ctrl+o")
	if !strings.HasPrefix(d.m.c.status, "line 2 skipped: ") || !strings.HasSuffix(d.m.c.status, "(in "+path+")") {
		t.Errorf("status %q", d.m.c.status)
	}
	if !d.screenHas("good") || d.screenHas("bad ") {
		t.Errorf("picker:\n%s", d.plain())
	}
}

// TestRepeatWithACounter: ctrl+y repeats the line N times, {n} counting.
func TestRepeatWithACounter(t *testing.T) {
	peer := startSMTPPeer(t)
	d := newDriver(t, Config{Target: peer.addr, Timeout: 5 * time.Second}, 150, 50)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	d.m.setFocus(ui.PanelSend, true)
	d.typeText("NOOP {n}")
	if !d.screenHas("placeholders as of now") {
		t.Errorf("the preview does not say it expands placeholders:\n%s", d.plain())
	}
	d.key("ctrl+y")
	d.typeText("3")
	d.key("enter")
	d.pumpUntil("the three sends", func() bool { return len(peer.lines(0)) == 3 })
	d.pumpUntil("the end", func() bool { return d.m.send.scripts.job == nil })
	if got := strings.Join(peer.lines(0), ""); got != "NOOP 1\r\nNOOP 2\r\nNOOP 3\r\n" {
		t.Errorf("the peer got %q", got)
	}
	// Bad plans change nothing.
	for _, bad := range []string{"0", "-1", "x", "every", "every -1s", "5 every nonsense"} {
		if _, err := parsePlan(bad); err == nil {
			t.Errorf("parsePlan(%q) accepted", bad)
		}
	}
}
