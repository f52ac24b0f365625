package engine

import (
	"bytes"
	"testing"
	"time"

	"sockbench/netcore"
)

// TestStalledSendIsReported: a send to a peer that stops reading is
// reported stalled, with what waits in the kernel, once it makes no
// progress; when the peer reads again it is reported moving, and every
// byte arrives.
func TestStalledSendIsReported(t *testing.T) {
	e := New(Config{CaptureLimit: 64 << 20}) // room for it all: no pause for a full capture
	t.Cleanup(e.Close)
	c := &collector{t: t, e: e}
	client, server := connectedPair(t, e, c)
	e.SetPaused(server, true)
	e.Watch([]*Sock{client})
	const size = 32 << 20 // more than the kernel's buffers hold
	if err := e.Send(client, bytes.Repeat([]byte("s"), size), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	st := c.await("the stall", is[SendStalled]).(SendStalled)
	if st.Sock != client || st.Queued <= 0 {
		t.Fatalf("stalled %+v", st)
	}
	if n := lastNote(client.Store()); n == "" || !bytes.Contains([]byte(n), []byte("the send makes no progress: the peer is not reading")) {
		t.Errorf("note %q", n)
	}
	e.SetPaused(server, false)
	c.await("the send moving again", func(ev Event) bool { r, ok := ev.(SendResumed); return ok && r.Sock == client })
	deadline := time.Now().Add(patience)
	for server.Store().Stats().RxBytes != size {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d", server.Store().Stats().RxBytes, size)
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
}
