package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"sockbench/capture"
	"sockbench/internal/testpeer"
	"sockbench/netcore"
	"sockbench/tlsinfo"

	"golang.org/x/sys/unix"
)

// TestStartTLSBothSides: plaintext first, then both ends start TLS (a
// STARTTLS by hand); what follows is recorded as plaintext, after a note
// that marks the upgrade, and the records are seen.
func TestStartTLSBothSides(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	if err := e.Send(client, []byte("STARTTLS\r\n"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	waitStore(t, server.Store(), capture.Received, []byte("STARTTLS\r\n"))
	waitUntil(t, "the send to end", patience, func() bool { client.mu.Lock(); defer client.mu.Unlock(); return !client.writing })

	shakeHands(t, e, c, client, server)
	if err := e.StartTLS(client, tlsinfo.SideClient, tlsinfo.Config{}); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("a second StartTLS: %v", err)
	}
	if client.TLS() == nil || !strings.Contains(client.TLSReport().Summary(), "TLS 1.3") {
		t.Fatalf("client's session %v, report %q", client.TLS(), client.TLSReport().Summary())
	}
	if err := e.Send(client, []byte("hello inside"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	waitStore(t, server.Store(), capture.Received, []byte("STARTTLS\r\nhello inside"))
	waitStore(t, client.Store(), capture.Sent, []byte("STARTTLS\r\nhello inside"))
	if records, ran := server.TLSRecords(); !ran || len(records) < 3 {
		t.Errorf("server saw %d records (ran %v)", len(records), ran)
	}
	if !storeHasNote(server.Store(), "TLS established") {
		t.Error("no note marks the upgrade")
	}

	// The client's close sends close_notify: the server sees the end.
	if err := e.CloseSock(client); err != nil {
		t.Fatal(err)
	}
	if eof := c.await("the server's end of stream", is[EOF]).(EOF); eof.Sock != server {
		t.Errorf("end of stream on #%d", eof.Sock.ID())
	}
}

// shakeHands starts TLS on both ends of a connected pair and waits for
// both handshakes to succeed.
func shakeHands(t *testing.T, e *Engine, c *collector, client, server *Sock) {
	t.Helper()
	cert, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "engine test", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.StartTLS(server, tlsinfo.SideServer, tlsinfo.Config{Certificates: []tls.Certificate{cert}}); err != nil {
		t.Fatal(err)
	}
	if err := e.StartTLS(client, tlsinfo.SideClient, tlsinfo.Config{ServerName: "127.0.0.1", Roots: []*x509.Certificate{cert.Leaf}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		done := c.await("a handshake's end", is[TLSDone]).(TLSDone)
		if done.Err != nil || done.Report == nil {
			t.Fatalf("handshake of #%d: %v", done.Sock.ID(), done.Err)
		}
	}
}

// TestResetInsideTLS: a reset is a reset, TLS or not: no close_notify
// goes first, so the peer sees the connection reset, not its end.
func TestResetInsideTLS(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	shakeHands(t, e, c, client, server)
	if err := e.Reset(client); err != nil {
		t.Fatal(err)
	}
	ev := c.await("the server's end", func(ev Event) bool {
		switch ev := ev.(type) {
		case EOF:
			return ev.Sock == server
		case ReceiveFailed:
			return ev.Sock == server
		}
		return false
	})
	if f, ok := ev.(ReceiveFailed); !ok || netcore.ErrnoOf(f.Err) != unix.ECONNRESET {
		t.Errorf("the server saw %#v, want ECONNRESET", ev)
	}
}

// storeHasNote reports whether a store holds a note containing text.
func storeHasNote(st *capture.Store, text string) bool {
	for i := range st.NumChunks() {
		if c := st.Chunk(i); c.Dir == capture.Note && strings.Contains(c.Peer, text) {
			return true
		}
	}
	return false
}

// TestStartTLSAgainstPlaintext: a peer that answers in plaintext fails
// the handshake in words, and the reader goes back to the socket, so the
// rest of the answer is kept.
func TestStartTLSAgainstPlaintext(t *testing.T) {
	answer := "HTTP/1.0 400 Bad Request\r\n\r\nnot TLS"
	peer := testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(conn net.Conn) {
		_, _ = io.ReadAtLeast(conn, make([]byte, 64), 1) // the ClientHello
		_, _ = conn.Write([]byte(answer))
		_, _ = io.Copy(io.Discard, conn)
	})
	e, c := newEngine(t)
	rows := []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: addr(t, peer.String())}}
	e.Connect(context.Background(), Dial{Rows: rows, Traces: []*Trace{NewTrace()}})
	k := c.await("the connect", is[ConnectDone]).(ConnectDone).Sock
	if err := e.StartTLS(k, tlsinfo.SideClient, tlsinfo.Config{ServerName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	done := c.await("the handshake's end", is[TLSDone]).(TLSDone)
	var f *tlsinfo.Failure
	if done.Err == nil || !errors.As(done.Err, &f) || !strings.Contains(done.Err.Error(), "HTTP") {
		t.Fatalf("handshake against plaintext: %v", done.Err)
	}
	if k.TLS() != nil {
		t.Error("a failed handshake left a session")
	}
	// crypto/tls read the answer; the capture keeps it all the same.
	waitStore(t, k.Store(), capture.Received, []byte(answer))
	if err := e.Send(k, []byte("again\r\n"), netcore.Addr{}); err != nil {
		t.Errorf("send after the failure: %v", err)
	}
}
