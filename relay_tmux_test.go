package main

import (
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTmuxRelayIntercept opens a relay to an echo peer from the sockets
// panel (R), relays a client through it, then holds the client's next
// chunk (I), edits one byte of it (E) and forwards it: the echo sends
// back the edited bytes. The relay's row, the client's and the
// upstream's are listed.
func TestTmuxRelayIntercept(t *testing.T) {
	upstream := echoPeer(t, nil)
	s := startTmux(t, "--no-lab")
	s.focusSockets()
	s.keys("R")
	s.waitText("relay: LISTEN -> UPSTREAM")
	s.text("127.0.0.1:0 -> " + upstream)
	s.keys("Enter")
	screen := s.waitText("connect a client to")
	m := regexp.MustCompile(`connect a client to (127\.0\.0\.1:\d+)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no relay address:\n%s", screen)
	}
	c, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expect := func(want string) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a cap for a hang
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
			t.Fatalf("the client got %q (%v), want %q; the pane shows:\n%s", got, err, want, s.screen())
		}
	}
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	expect("ping\n")
	screen = s.waitText("connected to the upstream")
	if !strings.Contains(screen, "relay") || strings.Count(screen, "└tcp") != 2 {
		t.Errorf("the rows:\n%s", screen)
	}

	s.keys("I")
	s.waitText("holding client→server chunks")
	if _, err := c.Write([]byte("abc\n")); err != nil {
		t.Fatal(err)
	}
	s.waitText("relay holds #1: 4 bytes client→server")
	s.keys("E")
	s.waitText("edit held #1")
	s.keys("BSpace", "BSpace", "BSpace") // "\n" and "c"
	s.text(`d\n`)
	s.keys("Enter")
	s.waitText("forwarded #1 edited: 4 bytes (it had 4)")
	expect("abd\n")
}
