package main

import (
	"strings"
	"testing"
)

// TestTmuxConnectInteractive types into sockbench connect in a real
// terminal, as one uses nc: each line goes to an echo peer and comes back
// on the screen; a peer's escape sequences are shown, not obeyed; Ctrl+D
// ends the sending, the peer closes, and connect exits 0.
func TestTmuxConnectInteractive(t *testing.T) {
	addr := echoPeer(t, []byte("hi\x1b]0;pwned\x07\x1b[2J\r\n"))
	s := startTmux(t, "connect", addr)
	s.waitText("connected to " + addr)
	screen := s.waitText("hi␛]0;pwned␇␛[2J")
	if !strings.Contains(screen, "#0 ") {
		t.Errorf("no attempt report on the terminal:\n%s", screen)
	}
	s.text("hello there")
	s.keys("Enter")
	s.waitFor("the echo", func(sc string) bool { return strings.Count(sc, "hello there") == 2 }) // typed, then echoed
	s.keys("C-d")
	after := s.waitText("sockbench-exit=")
	if !strings.Contains(after, "sockbench-exit=0") || !strings.Contains(after, "closed: eof") {
		t.Errorf("connect did not end normally:\n%s", after)
	}
	if title := strings.TrimSpace(s.tmux("display", "-p", "-t", "app", "#{pane_title}")); strings.Contains(title, "pwned") {
		t.Errorf("the peer set the title to %q", title)
	}
}
