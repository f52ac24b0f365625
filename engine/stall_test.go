package engine

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"sockbench/netcore"
)

// TestStalledSendIsReported: a send to a peer that stops reading is
// reported stalled, with what waits in the kernel, once it makes no
// progress; when the peer reads some of it, the send is reported moving
// again while it is still under way; and every byte arrives.
func TestStalledSendIsReported(t *testing.T) {
	e, c := newEngine(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, _ := ln.Accept()
		accepted <- conn
	}()
	rows := []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: addr(t, ln.Addr().String())}}
	e.Connect(t.Context(), Dial{Rows: rows, Traces: []*Trace{NewTrace()}})
	client := c.await("the connect", is[ConnectDone]).(ConnectDone).Sock
	peer := <-accepted
	if peer == nil {
		t.Fatal("no connection accepted")
	}
	defer peer.Close()

	// The state refresh's part, played here: client is not watched, so
	// this goroutine is the only one that checks it.
	stop := make(chan struct{})
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond): // a polling interval, not a synchronisation
				e.checkStall(client)
			}
		}
	}()
	defer func() { close(stop); <-checked }()

	const size = 32 << 20 // more than the kernel's buffers hold
	if err := e.Send(client, bytes.Repeat([]byte("s"), size), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	st := c.await("the stall", is[SendStalled]).(SendStalled)
	if st.Sock != client || st.Queued <= 0 {
		t.Fatalf("stalled %+v", st)
	}
	if n := lastNote(client.Store()); !strings.Contains(n, "the send makes no progress: the peer is not reading") {
		t.Errorf("note %q", n)
	}
	// The peer reads a little: the send moves, and is not over.
	if _, err := io.ReadFull(peer, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	c.await("the send moving again", func(ev Event) bool { r, ok := ev.(SendResumed); return ok && r.Sock == client })
	rest, err := io.ReadAll(io.LimitReader(peer, size-1<<20))
	if err != nil || len(rest) != size-1<<20 {
		t.Fatalf("the peer read %d more bytes: %v", len(rest), err)
	}
	if sent := c.await("the end of the send", is[Sent]).(Sent); sent.N != size || sent.Err != nil {
		t.Errorf("sent %+v", sent)
	}
}
