package relay

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"sockbench/capture"
)

// nextHeld waits for the next chunk the relay holds.
func nextHeld(t *testing.T, r *Relay) Chunk {
	t.Helper()
	select {
	case c := <-r.Held():
		return c
	case <-time.After(testDeadline):
		t.Fatal("nothing was held")
		return Chunk{}
	}
}

// lineServer answers each line it reads with "got " and the line, and
// sends every line to lines.
func lineServer(t *testing.T, lines chan<- string) string {
	return upstreamPeer(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- line
			if _, err := io.WriteString(c, "got "+line); err != nil {
				return
			}
		}
	})
}

// TestInterceptEditsARequest: a request is held, one byte of it edited,
// and the server receives the edited bytes; the records say what arrived
// and what went on.
func TestInterceptEditsARequest(t *testing.T) {
	lines := make(chan string, 8)
	h := startRelay(t, "127.0.0.1:0", lineServer(t, lines))
	h.r.SetIntercept(ClientToServer, true)
	c := h.dial()
	if _, err := c.Write([]byte("GET /a\n")); err != nil {
		t.Fatal(err)
	}
	held := nextHeld(t, h.r)
	if held.Dir != ClientToServer || string(held.Data) != "GET /a\n" {
		t.Fatalf("held %+v", held)
	}
	if p := h.r.Pending(); len(p) != 1 || p[0].ID != held.ID {
		t.Errorf("pending %+v", p)
	}
	edited := []byte(string(held.Data))
	edited[5] = 'b'
	if err := h.r.Forward(held.ID, edited); err != nil {
		t.Fatal(err)
	}
	if got := <-lines; got != "GET /b\n" {
		t.Errorf("the server received %q", got)
	}
	reply := make([]byte, len("got GET /b\n"))
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "got GET /b\n" {
		t.Fatalf("the client got %q, %v", reply, err)
	}
	if err := h.r.Forward(held.ID, edited); !errors.Is(err, ErrNotHeld) {
		t.Errorf("a second decision: %v", err)
	}
	c.Close()
	h.summary()
	conv, client, _ := h.stores()
	want := "* held #1: 7 bytes client->server, until forwarded or dropped\n" +
		"* forwarded #1 edited: 7 bytes (it had 7)\n" +
		"> GET /b\n" +
		"< got GET /b\n"
	if got := transcript(conv); !strings.Contains(got, want) {
		t.Errorf("conversation:\n%s\nwant\n%s", got, want)
	}
	if got := string(bytesOf(client, capture.Received)); got != "GET /a\n" {
		t.Errorf("the client's socket received %q", got)
	}
}

// TestInterceptDropAndRelease: a dropped chunk never reaches the server;
// turning the switch off forwards what is held, as it was.
func TestInterceptDropAndRelease(t *testing.T) {
	lines := make(chan string, 8)
	h := startRelay(t, "127.0.0.1:0", lineServer(t, lines))
	h.r.SetIntercept(ClientToServer, true)
	c := h.dial()
	if _, err := c.Write([]byte("secret\n")); err != nil {
		t.Fatal(err)
	}
	if err := h.r.Drop(nextHeld(t, h.r).ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("public\n")); err != nil {
		t.Fatal(err)
	}
	held := nextHeld(t, h.r)
	if !h.r.Intercepting(ClientToServer) || h.r.Intercepting(ServerToClient) {
		t.Error("the switches are wrong")
	}
	h.r.SetIntercept(ClientToServer, false)
	if got := <-lines; got != "public\n" {
		t.Errorf("the server received %q first", got)
	}
	if err := h.r.Drop(held.ID); !errors.Is(err, ErrNotHeld) {
		t.Errorf("a drop after the release: %v", err)
	}
	c.Close()
	h.summary()
	conv, _, _ := h.stores()
	if got := transcript(conv); !strings.Contains(got, "* dropped #1 (7 bytes client->server)\n") ||
		!strings.Contains(got, "* forwarded #2 as it was\n> public\n") || strings.Contains(got, "> secret") {
		t.Errorf("conversation:\n%s", got)
	}
}

// TestInterceptServerSide: the answer can be held too, and edited to
// something longer.
func TestInterceptServerSide(t *testing.T) {
	lines := make(chan string, 8)
	h := startRelay(t, "127.0.0.1:0", lineServer(t, lines))
	h.r.SetIntercept(ServerToClient, true)
	c := h.dial()
	if _, err := c.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	held := nextHeld(t, h.r)
	if held.Dir != ServerToClient || string(held.Data) != "got x\n" {
		t.Fatalf("held %+v", held)
	}
	if err := h.r.Forward(held.ID, []byte("forged answer\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "forged answer\n" {
		t.Errorf("the client got %q, %v", line, err)
	}
}

// TestHeldChunkOfAnEndedSession: a session that ends while a chunk is
// held forgets it.
func TestHeldChunkOfAnEndedSession(t *testing.T) {
	lines := make(chan string, 8)
	h := startRelay(t, "127.0.0.1:0", lineServer(t, lines))
	h.r.SetIntercept(ClientToServer, true)
	c := h.dial()
	if _, err := c.Write([]byte("held\n")); err != nil {
		t.Fatal(err)
	}
	held := nextHeld(t, h.r)
	reset(t, c) // the other direction sees nothing; the held direction is stuck until the session ends
	h.cancel()
	h.summary()
	if err := h.r.Forward(held.ID, nil); !errors.Is(err, ErrNotHeld) {
		t.Errorf("forward after the end: %v", err)
	}
	if len(h.r.Pending()) != 0 {
		t.Errorf("pending %+v", h.r.Pending())
	}
}
