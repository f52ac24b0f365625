package relay

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sockbench/capture"
	"sockbench/netcore"
)

// TestHalfCloseIsRelayed: the client's shutdown of writing reaches the
// server as end of stream while the server can still answer; the server's
// close then reaches the client. Both legs are recorded in order.
func TestHalfCloseIsRelayed(t *testing.T) {
	upstream := upstreamPeer(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
		got, err := readAll(c) // to the client's FIN, relayed
		if err != nil {
			t.Errorf("the server's read: %v", err)
			return
		}
		_, _ = c.Write(append([]byte("you said: "), got...))
	})
	h := startRelay(t, "127.0.0.1:0", upstream)
	c := h.dial()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(c)
	if err != nil || string(got) != "you said: hello" {
		t.Fatalf("the client got %q, %v", got, err)
	}
	sum := h.summary()
	if sum.Legs[ClientToServer] != (Leg{Bytes: 5, End: EndEOF}) || sum.Legs[ServerToClient] != (Leg{Bytes: 15, End: EndEOF}) {
		t.Errorf("summary %+v", sum)
	}
	conv, client, up := h.stores()
	want := "> hello\n" +
		"* end of stream: the client shut down its sending side (FIN); the relay shuts down writing to the server\n" +
		"< you said: hello\n" +
		"* end of stream: the server shut down its sending side (FIN); the relay shuts down writing to the client\n" +
		"* the relay closed both sides\n"
	if got := transcript(conv); !strings.HasSuffix(got, want) || !strings.HasPrefix(got, "* connected to the upstream "+upstream) {
		t.Errorf("conversation:\n%s\nwant it to end with\n%s", got, want)
	}
	// Each socket's own record, from the relay's side of it.
	if string(bytesOf(client, capture.Received)) != "hello" || string(bytesOf(client, capture.Sent)) != "you said: hello" ||
		string(bytesOf(up, capture.Sent)) != "hello" || string(bytesOf(up, capture.Received)) != "you said: hello" {
		t.Errorf("client:\n%s\nupstream:\n%s", transcript(client), transcript(up))
	}
}

// TestClientResetIsRelayed: the client's RST reaches the server as
// ECONNRESET.
func TestClientResetIsRelayed(t *testing.T) {
	serverErr := make(chan error, 1)
	upstream := upstreamPeer(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
		_, _ = c.Write([]byte("ready"))
		_, err := readAll(c)
		serverErr <- err
	})
	h := startRelay(t, "127.0.0.1:0", upstream)
	c := h.dial()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil { // the relay is connected both ways
		t.Fatal(err)
	}
	reset(t, c)
	if err := <-serverErr; !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the server's read ended with %v, want ECONNRESET", err)
	}
	sum := h.summary()
	if sum.Legs[ClientToServer].End != EndReset || sum.Legs[ServerToClient].End != EndStopped {
		t.Errorf("summary %+v", sum)
	}
	conv, _, _ := h.stores()
	if !strings.Contains(transcript(conv), "* the client reset the connection (ECONNRESET); the relay resets the server\n") {
		t.Errorf("conversation:\n%s", transcript(conv))
	}
}

// TestServerResetIsRelayed: the server's RST reaches the client as
// ECONNRESET.
func TestServerResetIsRelayed(t *testing.T) {
	upstream := upstreamPeer(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err == nil {
			reset(t, c)
		}
	})
	h := startRelay(t, "127.0.0.1:0", upstream)
	c := h.dial()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(c); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the client's read ended with %v, want ECONNRESET", err)
	}
	if sum := h.summary(); sum.Legs[ServerToClient].End != EndReset {
		t.Errorf("summary %+v", sum)
	}
}

// TestUpstreamRefusedResetsTheClient: no upstream, and the client is
// reset, the refusal recorded.
func TestUpstreamRefusedResetsTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := ln.Addr().String()
	ln.Close() // nobody listens there now
	h := startRelay(t, "127.0.0.1:0", refusing)
	// The reset may come before the client's connect has returned.
	c, err := net.DialTimeout("tcp", h.addr, testDeadline)
	if err == nil {
		defer c.Close()
		_, err = readAll(c)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the client ended with %v, want ECONNRESET", err)
	}
	sum := h.summary()
	if !errors.Is(sum.ConnectErr, syscall.ECONNREFUSED) {
		t.Errorf("summary %+v", sum)
	}
	conv, _, _ := h.stores()
	if got := transcript(conv); !strings.HasPrefix(got, "* the upstream could not be reached (") {
		t.Errorf("conversation:\n%s", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.attempts) != 1 || h.attempts[0].Result != netcore.ResultRefused || h.attempts[0].Addr.String() != refusing {
		t.Errorf("attempts %+v", h.attempts)
	}
	for _, ev := range h.events {
		if ev.Kind == ConnectFailed {
			return
		}
	}
	t.Errorf("no ConnectFailed event in %+v", h.events)
}

// TestUnixBothSides: a UNIX client relayed to a UNIX server, half-close
// included.
func TestUnixBothSides(t *testing.T) {
	dir := t.TempDir()
	upstream := upstreamPeer(t, "unix", filepath.Join(dir, "server.sock"), func(c net.Conn) {
		got, _ := readAll(c)
		_, _ = c.Write(bytes.ToUpper(got))
	})
	h := startRelay(t, "unix:"+filepath.Join(dir, "relay.sock"), upstream)
	c := h.dial()
	if _, err := c.Write([]byte("over unix")); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.UnixConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(c); err != nil || string(got) != "OVER UNIX" {
		t.Fatalf("the client got %q, %v", got, err)
	}
	if sum := h.summary(); sum.Legs[ClientToServer].End != EndEOF || sum.Legs[ServerToClient].End != EndEOF {
		t.Errorf("summary %+v", sum)
	}
}

// TestTCPClientToUnixServer: the two sides need not be of one family.
func TestTCPClientToUnixServer(t *testing.T) {
	upstream := upstreamPeer(t, "unix", filepath.Join(t.TempDir(), "s.sock"), func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = c.Write([]byte("echo " + line))
	})
	h := startRelay(t, "[::1]:0", upstream)
	c := h.dial()
	if _, err := c.Write([]byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(c); err != nil || string(got) != "echo hi\n" {
		t.Fatalf("the client got %q, %v", got, err)
	}
	c.Close()
	if sum := h.summary(); sum.Legs[ServerToClient] != (Leg{Bytes: 8, End: EndEOF}) || sum.Legs[ClientToServer].Bytes != 3 {
		t.Errorf("summary %+v", sum)
	}
}

// TestGoneReceiverResetsTheSender: a client that closed for good (not a
// shutdown) cannot take the server's answer: the relay's send to it
// fails, and the server is reset, as it would have been by the client.
func TestGoneReceiverResetsTheSender(t *testing.T) {
	serverErr := make(chan error, 1)
	upstream := upstreamPeer(t, "tcp", "127.0.0.1:0", func(c net.Conn) {
		if _, err := readAll(c); err != nil { // the client's FIN, relayed
			serverErr <- err
			return
		}
		chunk := make([]byte, 64<<10)
		for range 10000 { // far more than the buffers hold: a write fails
			if _, err := c.Write(chunk); err != nil {
				serverErr <- err
				return
			}
		}
		serverErr <- nil
	})
	h := startRelay(t, "127.0.0.1:0", upstream)
	c := h.dial()
	if _, err := c.Write([]byte("then gone")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-serverErr; !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Errorf("the server's writes ended with %v, want ECONNRESET or EPIPE", err)
	}
	sum := h.summary()
	if sum.Legs[ClientToServer] != (Leg{Bytes: 9, End: EndEOF}) || sum.Legs[ServerToClient].End != EndReset {
		t.Errorf("summary %+v", sum)
	}
	conv, _, _ := h.stores()
	if !strings.Contains(transcript(conv), "* sending to the client failed (") {
		t.Errorf("conversation ends:\n%s", tail(transcript(conv), 400))
	}
}

// tail is the end of s.
func tail(s string, n int) string { return s[max(0, len(s)-n):] }
