package engine

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/capture"
	"sockbench/internal/testpeer"
	"sockbench/netcore"
)

// collector takes the events of an engine and waits for the ones a test
// wants.
type collector struct {
	t      *testing.T
	e      *Engine
	events []Event
}

func newEngine(t *testing.T) (*Engine, *collector) {
	t.Helper()
	e := New(Config{CaptureLimit: 1 << 20})
	t.Cleanup(e.Close)
	return e, &collector{t: t, e: e}
}

// await takes events until one satisfies match, and returns it; the
// others stay for later awaits, in order.
func (c *collector) await(what string, match func(Event) bool) Event {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for seen := 0; ; {
		for i := seen; i < len(c.events); i++ {
			if ev := c.events[i]; match(ev) {
				c.events = append(c.events[:i:i], c.events[i+1:]...)
				return ev
			}
		}
		seen = len(c.events)
		evs := c.e.Next(ctx)
		if evs == nil {
			c.t.Fatalf("no %s", what)
		}
		c.events = append(c.events, evs...)
	}
}

func is[T Event](ev Event) bool { _, ok := ev.(T); return ok }

func addr(t *testing.T, s string) netcore.Addr {
	t.Helper()
	a, err := netcore.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// waitUntil polls cond until it holds, failing after cap (a guard
// against a hang: slow machines are fine).
func waitUntil(t *testing.T, what string, cap time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(cap)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, cap)
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
}

// waitStore polls a capture store until it holds want in direction dir.
func waitStore(t *testing.T, st *capture.Store, dir capture.Dir, want []byte) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		var got bytes.Buffer
		if _, err := st.WriteDir(&got, dir); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(got.Bytes(), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s bytes %q, want %q", dir, got.Bytes(), want)
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
}

// TestListenConnectSendClose walks a socket's life through the engine:
// a listener, a connect run to it, the accepted side, bytes both ways in
// the capture stores, the peer's EOF, and close.
func TestListenConnectSendClose(t *testing.T) {
	e, c := newEngine(t)
	e.Listen(addr(t, "127.0.0.1:0"))
	l := c.await("the listener", is[Opened]).(Opened).Socks[0]
	if !l.IsListener() || l.Status().State != "LISTEN" {
		t.Fatalf("listener %s state %q", l.Describe(), l.Status().State)
	}
	rows := []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: l.Local()}}
	e.Connect(context.Background(), Dial{Run: 7, Rows: rows, Traces: []*Trace{NewTrace()}})
	done := c.await("the connect", is[ConnectDone]).(ConnectDone)
	if done.Err != nil || done.Run != 7 {
		t.Fatalf("connect: %+v", done)
	}
	client := done.Sock
	acc := c.await("the accept", is[Accepted]).(Accepted)
	server := acc.Sock
	if acc.Listener != l || server.Parent() != l || l.Status().Accepted != 1 {
		t.Fatalf("accepted %s by %v", server.Describe(), server.Parent())
	}
	if client.Trace().Len() == 0 {
		t.Error("the connected socket has no system calls: the winning attempt's trace was not kept")
	}

	if err := e.Send(client, []byte("hello"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	sent := c.await("the send", is[Sent]).(Sent)
	if sent.Sock != client || sent.N != 5 || sent.Err != nil {
		t.Fatalf("sent %+v", sent)
	}
	waitStore(t, client.Store(), capture.Sent, []byte("hello"))
	waitStore(t, server.Store(), capture.Received, []byte("hello"))

	if err := e.Shutdown(client, netcore.ShutWR); err != nil {
		t.Fatal(err)
	}
	if !client.Status().WriteShut {
		t.Error("the write side is not shown shut")
	}
	eof := c.await("the EOF", is[EOF]).(EOF)
	if eof.Sock != server || !server.Status().EOF {
		t.Fatalf("EOF on %s", eof.Sock.Describe())
	}
	if err := e.CloseSock(server); err != nil {
		t.Fatal(err)
	}
	if st := server.Status(); !st.Closed || st.State != "closed" {
		t.Errorf("closed socket's status %+v", st)
	}
}

// TestUDPKeepsReceivingAfterRefusal: an ICMP port unreachable reported on
// a connected UDP socket is shown, and the socket goes on receiving.
func TestUDPKeepsReceivingAfterRefusal(t *testing.T) {
	e, c := newEngine(t)
	refuser := testpeer.UDPRefused(t, "127.0.0.1")
	e.OpenUDP(addr(t, "127.0.0.1:0"), addr(t, refuser.String()))
	k := c.await("the UDP socket", is[Opened]).(Opened).Socks[0]
	if err := e.Send(k, []byte("anyone?"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	failed := c.await("the refusal", is[ReceiveFailed]).(ReceiveFailed)
	if netcore.ErrnoOf(failed.Err) != unix.ECONNREFUSED || failed.Stopped {
		t.Fatalf("receive failed: %v, stopped %v", failed.Err, failed.Stopped)
	}
	if k.Status().ReadShut {
		t.Error("the refusal ended reading")
	}
	// The reader still runs: the next refusal is reported too.
	if err := e.Send(k, []byte("again"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	again := c.await("the second refusal", is[ReceiveFailed]).(ReceiveFailed)
	if again.Sock != k || netcore.ErrnoOf(again.Err) != unix.ECONNREFUSED {
		t.Fatalf("second failure %v on %s", again.Err, again.Sock.Describe())
	}
}

// TestReceiveReadyWholeDatagram: the reader takes a datagram larger than
// its stream buffer whole, and a wake with nothing to read reads nothing.
func TestReceiveReadyWholeDatagram(t *testing.T) {
	a, b, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	big := bytes.Repeat([]byte{0xa5, 0x5a}, 50000)
	if _, err := a.Send(context.Background(), big, 0); err != nil {
		t.Fatal(err)
	}
	k := &Sock{s: b, ctx: context.Background()}
	got, _, ok, err := receiveReady(k, make([]byte, readSize), true)
	if err != nil || !ok || !bytes.Equal(got, big) {
		t.Fatalf("got %d bytes (%v, %v), want %d", len(got), ok, err, len(big))
	}
	if got, _, ok, err := receiveReady(k, make([]byte, readSize), true); ok || err != nil || len(got) != 0 {
		t.Fatalf("nothing to read: got %d bytes, %v, %v", len(got), ok, err)
	}
}

// TestCloseClosesEverything: Close ends every socket and goroutine (goleak
// checks the goroutines), and a socket made after it is closed at once.
func TestCloseClosesEverything(t *testing.T) {
	e, c := newEngine(t)
	e.Pair()
	pair := c.await("the pair", is[Opened]).(Opened).Socks
	if len(pair) != 2 || pair[0].PeerNote() != "pair #2" || pair[1].PeerNote() != "pair #1" {
		t.Fatalf("pair %v", pair)
	}
	e.Close()
	for _, k := range pair {
		if !k.Status().Closed {
			t.Errorf("%s still open", k.Describe())
		}
	}
	e.hub.take()
	e.Listen(addr(t, "127.0.0.1:0"))
	if evs := e.hub.take(); len(evs) != 0 {
		t.Errorf("events after Close: %v", evs)
	}
}

// lastNote returns the text of the newest note in a capture.
func lastNote(st *capture.Store) string {
	for i := st.NumChunks() - 1; i >= 0; i-- {
		if c := st.Chunk(i); c.Dir == capture.Note {
			return c.Peer
		}
	}
	return ""
}

// connectedPair opens a listener and connects to it through the engine:
// the client and the accepted side.
func connectedPair(t *testing.T, e *Engine, c *collector) (client, server *Sock) {
	t.Helper()
	e.Listen(addr(t, "127.0.0.1:0"))
	l := c.await("the listener", is[Opened]).(Opened).Socks[0]
	rows := []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: l.Local()}}
	e.Connect(context.Background(), Dial{Rows: rows, Traces: []*Trace{NewTrace()}})
	client = c.await("the connect", is[ConnectDone]).(ConnectDone).Sock
	server = c.await("the accept", is[Accepted]).(Accepted).Sock
	return client, server
}

// TestNotesInTheCapture: the end of the peer's stream, our own shutdown
// of reading, and a reset each leave a note in the capture, with the TCP
// state after it, by the time the event that reports them is taken.
func TestNotesInTheCapture(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	if err := e.Shutdown(client, netcore.ShutWR); err != nil {
		t.Fatal(err)
	}
	if n := lastNote(client.Store()); !strings.HasPrefix(n, "we shut down writing (SHUT_WR)") || !strings.Contains(n, "FIN_WAIT") {
		t.Errorf("client's note %q", n)
	}
	ev := c.await("the peer's EOF", is[EOF]).(EOF)
	if ev.Sock != server || ev.Ours {
		t.Fatalf("EOF %+v", ev)
	}
	if n := lastNote(server.Store()); n != "end of stream: the peer shut down its sending side (FIN) · CLOSE_WAIT" {
		t.Errorf("server's note %q", n)
	}

	// Our own shutdown of reading is ours, not the peer's.
	client2, _ := connectedPair(t, e, c)
	if err := e.Shutdown(client2, netcore.ShutRD); err != nil {
		t.Fatal(err)
	}
	ev = c.await("the end of reading", is[EOF]).(EOF)
	if ev.Sock != client2 || !ev.Ours || client2.Status().EOF {
		t.Fatalf("after SHUT_RD: %+v, status %+v", ev, client2.Status())
	}
	if n := lastNote(client2.Store()); !strings.HasPrefix(n, "reading ended: we shut down our reading side") {
		t.Errorf("note %q", n)
	}
}

// TestResetShowsAtOnce: a reset is noted as soon as the kernel reports it,
// not at the next send, and every byte that came before it is kept.
func TestResetShowsAtOnce(t *testing.T) {
	e, c := newEngine(t)
	e.Listen(addr(t, "127.0.0.1:0"))
	l := c.await("the listener", is[Opened]).(Opened).Socks[0]
	peer, err := net.Dial("tcp", l.Local().String())
	if err != nil {
		t.Fatal(err)
	}
	server := c.await("the accept", is[Accepted]).(Accepted).Sock
	if _, err := peer.Write([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	waitStore(t, server.Store(), capture.Received, []byte("last words"))
	_ = peer.(*net.TCPConn).SetLinger(0)
	_ = peer.Close()
	failed := c.await("the reset", is[ReceiveFailed]).(ReceiveFailed)
	if failed.Sock != server || netcore.ErrnoOf(failed.Err) != unix.ECONNRESET || !failed.Stopped {
		t.Fatalf("failed %+v", failed)
	}
	if n := lastNote(server.Store()); !strings.HasPrefix(n, "reset: the peer aborted the connection (RST)") {
		t.Errorf("note %q", n)
	}
	waitStore(t, server.Store(), capture.Received, []byte("last words"))
}

// TestPauseThrottlesThePeer: while paused nothing is read, the kernel's
// queue grows; resuming reads it all. A full capture pauses by itself.
func TestPauseThrottlesThePeer(t *testing.T) {
	e := New(Config{CaptureLimit: 256 << 10})
	t.Cleanup(e.Close)
	c := &collector{t: t, e: e}
	client, server := connectedPair(t, e, c)
	e.SetPaused(server, true)
	if server.Status().Paused != PausedByUser {
		t.Fatalf("status %+v", server.Status())
	}
	if err := e.Send(client, bytes.Repeat([]byte("p"), 1000), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(patience)
	for {
		in, _, err := server.Socket().Queued()
		if err != nil {
			t.Fatal(err)
		}
		if in == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queued %d", in)
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
	if got := server.Store().Stats().RxBytes; got != 0 {
		t.Fatalf("read %d bytes while paused", got)
	}
	e.SetPaused(server, false)
	waitStore(t, server.Store(), capture.Received, bytes.Repeat([]byte("p"), 1000))

	// 300 KiB into a 256 KiB capture: reading pauses before it would drop.
	if err := e.Send(client, bytes.Repeat([]byte("q"), 300<<10), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	p := c.await("the pause", is[Paused]).(Paused)
	if p.Sock != server || !strings.HasPrefix(p.Reason, PausedFull) {
		t.Fatalf("paused %+v", p)
	}
	if st := server.Store().Stats(); st.DroppedBytes != 0 || st.RxBytes+readSize <= 256<<10 {
		t.Errorf("paused with %+v", st)
	}
	e.SetPaused(server, false) // let it run: the oldest bytes go
	deadline = time.Now().Add(patience)
	for server.Store().Stats().RxBytes != 1000+300<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("after resuming: %+v", server.Store().Stats())
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
	if server.Store().Stats().DroppedBytes == 0 || server.Status().Paused != "" {
		t.Errorf("let run: %+v, %+v", server.Store().Stats(), server.Status())
	}
}

// TestPanicIsReported: a panic in a goroutine of the engine becomes a
// Crashed event instead of ending the process on the spot.
func TestPanicIsReported(t *testing.T) {
	e, c := newEngine(t)
	e.goTracked(func() { panic("boom") })
	ev := c.await("the crash", is[Crashed]).(Crashed)
	if ev.Value != "boom" || !strings.Contains(string(ev.Stack), "TestPanicIsReported") {
		t.Errorf("crashed %v\n%s", ev.Value, ev.Stack)
	}
}

// TestIdleSocketHoldsNoSendQueue: a socket that has sent nothing holds no
// send queue (ten thousand idle sockets would each hold one); the first
// send makes it, and the bytes arrive.
func TestIdleSocketHoldsNoSendQueue(t *testing.T) {
	e, c := newEngine(t)
	client, server := connectedPair(t, e, c)
	if server.sendCh != nil || client.sendCh != nil {
		t.Fatal("a socket that has sent nothing has a send queue")
	}
	if err := e.Send(server, []byte("first"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	if sent := c.await("the send", is[Sent]).(Sent); sent.Sock != server || sent.N != 5 || sent.Err != nil {
		t.Fatalf("sent %+v", sent)
	}
	c.await("the bytes at the client", func(ev Event) bool {
		tr, ok := ev.(Traffic)
		return ok && tr.Sock == client && client.Store().Stats().RxBytes == 5
	})
}
