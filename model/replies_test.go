package model

import (
	"io"
	"net"
	"strings"
	"testing"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/ui"
)

// TestCannedRepliesOnAListener: rules added to a listener answer each
// connection it accepts, greet, close, and are noted as automatic; a bad
// rule is refused and adds nothing.
func TestCannedRepliesOnAListener(t *testing.T) {
	d := newDriver(t, Config{}, 150, 50)
	d.m.setFocus(ui.PanelSockets, true)
	d.key("l", "enter")
	d.pumpUntil("the listener", func() bool { return len(d.m.socks.all) == 1 })
	l := d.m.socks.all[0]
	for _, rule := range []string{"=>220 hello\\r\\n", "GET=>HTTP/1.0 200 OK\\r\\n\\r\\nhi;close"} {
		d.key("a")
		d.typeText(rule)
		d.key("enter")
	}
	d.key("a")
	d.typeText("re:(=>x")
	d.key("enter")
	if d.m.prompt == nil || d.m.socks.replies.count(l) != 2 {
		t.Fatalf("a bad rule: prompt %v, %d rules", d.m.prompt != nil, d.m.socks.replies.count(l))
	}
	d.key("esc")
	if !d.screenHas("(0 accepted, 2 rules)") {
		t.Errorf("the listener's row:\n%s", d.plain())
	}

	c, err := net.Dial("tcp", l.Local().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c)
		done <- b
	}()
	var got []byte
	d.pumpUntil("the answer and the close", func() bool {
		select {
		case got = <-done:
			return true
		default:
			return false
		}
	})
	if string(got) != "220 hello\r\nHTTP/1.0 200 OK\r\n\r\nhi" {
		t.Errorf("the client got %q", got)
	}
	d.pumpUntil("the accepted row", func() bool { return len(d.m.socks.all) == 2 })
	k := d.m.socks.all[1]
	d.pumpUntil("the notes", func() bool {
		return storeHasNote(k, "auto reply (rule 1)") && storeHasNote(k, "auto reply (rule 2)") && storeHasNote(k, "auto close (rule 2)")
	})
	// The rule closed the connection: its responder goes with it.
	d.pumpUntil("the responder's end", func() bool {
		d.m.socks.replies.mu.Lock()
		defer d.m.socks.replies.mu.Unlock()
		return len(d.m.socks.replies.responders) == 0
	})
}

// storeHasNote reports whether k's capture holds a note containing text.
func storeHasNote(k *engine.Sock, text string) bool {
	st := k.Store()
	for i := range st.NumChunks() {
		if c := st.Chunk(i); c.Dir == capture.Note && strings.Contains(c.Peer, text) {
			return true
		}
	}
	return false
}
