package engine

import (
	"context"
	"sockbench/capture"
	"sockbench/netcore"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTap: a tap sees each received piece, in order, after the capture
// has it, and nothing after untap.
func TestTap(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	got := make(chan string, 16)
	untap := server.Tap(func(data []byte, _ error) {
		var b strings.Builder
		b.Write(data)
		if server.Store().Stats().RxBytes == 0 {
			b.WriteString(" (before the capture)")
		}
		got <- b.String()
	})
	if err := e.Send(client, []byte("one"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "one" {
		t.Fatalf("tap saw %q", s)
	}
	untap()
	if err := e.Send(client, []byte("two"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	waitStore(t, server.Store(), capture.Received, []byte("onetwo"))
	select {
	case s := <-got:
		t.Errorf("after untap the tap saw %q", s)
	default:
	}
}

// TestSendWaitWaitsForRoom: more sends than the queue holds all go, in
// order, when the sender waits for room.
func TestSendWaitWaitsForRoom(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	var want strings.Builder
	for i := range 3 * sendQueueLen {
		piece := []byte{byte('a' + i%26)}
		want.Write(piece)
		if err := e.SendWait(context.Background(), client, piece, netcore.Addr{}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	waitStore(t, server.Store(), capture.Received, []byte(want.String()))
}

// TestResetSendsRST: Reset closes with SO_LINGER 0: the peer's next
// receive fails with ECONNRESET.
func TestResetSendsRST(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	if err := e.Reset(client); err != nil {
		t.Fatal(err)
	}
	failed := c.await("the peer's failure", is[ReceiveFailed]).(ReceiveFailed)
	if failed.Sock != server || netcore.ErrnoOf(failed.Err) != unix.ECONNRESET {
		t.Fatalf("peer's receive: %v on #%d", failed.Err, failed.Sock.ID())
	}
	if !storeHasNote(client.Store(), "we reset the connection") {
		t.Error("no note of the reset")
	}
}
