package model

import (
	"bytes"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/internal/pyhttp"
	"sockbench/ui"
)

// openRelay opens a relay to upstream from the sockets panel and returns
// its listener.
func openRelay(d *driver, upstream string) *engine.Sock {
	d.t.Helper()
	d.m.setFocus(ui.PanelSockets, true)
	d.key("R")
	d.typeText("127.0.0.1:0 -> " + upstream)
	d.key("enter")
	d.pumpUntil("the relay's listener", func() bool { return len(d.m.socks.all) == 1 })
	return d.m.socks.all[0]
}

// TestWorkbenchRelayHTTP relays Python's http.client to Python's
// http.server serving 1 MiB: the client gets the file whole; each side
// received, by SHA-256, what the other sent; the client's socket and the
// upstream's are rows of their own, each holding its side of the
// conversation in order: the request, then the response.
func TestWorkbenchRelayHTTP(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	body := pyhttp.RandomFile(t, dir, "big.bin", 1<<20)
	server, served := pyhttp.Server(t, dir)
	d := newDriver(t, Config{}, 160, 50)
	l := openRelay(d, server)
	if !d.screenHas("relay") || !d.screenHas("→ "+server+" (0 accepted)") {
		t.Errorf("the relay's row:\n%s", d.plain())
	}
	host, port, _ := strings.Cut(l.Local().String(), ":")
	got := pyhttp.Get(t, host, port, "/big.bin")
	if got.Status != "200" || got.Body != pyhttp.SHA256(body) {
		t.Fatalf("the client got status %s and a body of hash %s; the file's is %s", got.Status, got.Body, pyhttp.SHA256(body))
	}
	srv := pyhttp.Next(t, served)
	if got.Sent != srv.Received || srv.Sent != got.Received {
		t.Errorf("client sent %s, server received %s; server sent %s, client received %s", got.Sent, srv.Received, srv.Sent, got.Received)
	}
	d.pumpUntil("the end of the session", func() bool { return strings.Contains(d.m.c.status, "ended") })
	if len(d.m.socks.all) != 3 {
		t.Fatalf("%d rows, want the relay, the client and the upstream", len(d.m.socks.all))
	}
	client, up := d.m.socks.all[1], d.m.socks.all[2]
	if client.Parent() != l || up.Parent() != client || !client.Status().Closed || !up.Status().Closed {
		t.Fatalf("rows: client #%d (parent %v), upstream #%d (parent %v)", client.ID(), client.Parent(), up.ID(), up.Parent())
	}
	legs := map[string][2]string{
		"the client's socket":   {pyhttp.SHA256(dirBytes(t, client, capture.Received)), pyhttp.SHA256(dirBytes(t, client, capture.Sent))},
		"the upstream's socket": {pyhttp.SHA256(dirBytes(t, up, capture.Sent)), pyhttp.SHA256(dirBytes(t, up, capture.Received))},
	}
	for name, leg := range legs {
		if leg[0] != got.Sent || leg[1] != srv.Sent {
			t.Errorf("%s holds a request of hash %s and a response of %s", name, leg[0], leg[1])
		}
	}
	for _, k := range []*engine.Sock{client, up} {
		if order := dirOrder(k.Store()); len(order) != 2 || order[0] == order[1] {
			t.Errorf("#%d: the directions come as %v, want the request, then the response", k.ID(), order)
		}
	}
	if !regexp.MustCompile(`ended: client→server \d+B, eof; server→client 1\.0M, eof$`).MatchString(d.m.c.status) {
		t.Errorf("status %q", d.m.c.status)
	}
}

// dirOrder lists the directions of a store's chunks, a run of one
// direction once.
func dirOrder(st *capture.Store) []capture.Dir {
	var order []capture.Dir
	for i := range st.NumChunks() {
		if dir := st.Chunk(i).Dir; dir != capture.Note && (len(order) == 0 || order[len(order)-1] != dir) {
			order = append(order, dir)
		}
	}
	return order
}

// TestWorkbenchRelayIntercept holds the client's request, edits one byte
// of it and forwards it: the server gets the edited bytes, the client's
// socket keeps what the client sent. The client's shutdown of writing
// then reaches the server as end of stream, and the server can still
// answer.
func TestWorkbenchRelayIntercept(t *testing.T) {
	got := make(chan []byte, 1)
	upstream := recordingPeer(t, got, "ok")
	d := newDriver(t, Config{}, 160, 50)
	l := openRelay(d, upstream)
	d.key("I")
	if !strings.Contains(d.m.c.status, "holding client→server chunks") {
		t.Fatalf("status %q", d.m.c.status)
	}
	c, err := net.Dial("tcp", l.Local().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /a HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	d.pumpUntil("the held request", func() bool { return strings.Contains(d.m.c.status, "relay holds #1: 19 bytes client→server") })
	d.pumpUntil("the rows", func() bool { return len(d.m.socks.all) == 3 })
	d.m.socks.setSel(1)
	d.key("E")
	if d.m.prompt == nil || d.m.prompt.input.Value() != `GET /a HTTP/1.0\r\n\r\n` {
		t.Fatalf("the edit prompt: %v", d.m.prompt != nil)
	}
	d.m.prompt.input.SetValue(`GET /b HTTP/1.0\r\n\r\n`)
	d.key("enter")
	if !strings.Contains(d.m.c.status, "forwarded #1 edited: 19 bytes (it had 19)") {
		t.Errorf("status %q", d.m.c.status)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(c)
	if err != nil || string(answer) != "ok" {
		t.Errorf("the client got %q, %v", answer, err)
	}
	if b := <-got; string(b) != "GET /b HTTP/1.0\r\n\r\n" {
		t.Errorf("the server got %q", b)
	}
	d.pumpUntil("the end of the session", func() bool { return strings.Contains(d.m.c.status, "ended") })
	client, up := d.m.socks.all[1], d.m.socks.all[2]
	if !bytes.Equal(dirBytes(t, client, capture.Received), []byte("GET /a HTTP/1.0\r\n\r\n")) ||
		!bytes.Equal(dirBytes(t, up, capture.Sent), []byte("GET /b HTTP/1.0\r\n\r\n")) {
		t.Errorf("client received %q, upstream sent %q", dirBytes(t, client, capture.Received), dirBytes(t, up, capture.Sent))
	}
	if !storeHasNote(up, "forwarded #1 edited") || !storeHasNote(up, "end of stream: the client shut down its sending side") {
		t.Error("the upstream's notes lack the edit or the end of stream")
	}
}

// recordingPeer accepts one connection, reads it to its end, sends answer
// and closes; what it read goes to got.
func recordingPeer(t *testing.T, got chan<- []byte, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
		_, _ = c.Write([]byte(answer))
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}
