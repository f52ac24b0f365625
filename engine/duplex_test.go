package engine

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patience caps every wait of these tests: a guard against a hang, not a
// speed test.
const patience = 30 * time.Second

func pair(t *testing.T) (a, b *netcore.Socket) {
	t.Helper()
	a, b, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// journal is the record a Duplex keeps in order: +n for sent, -n for
// received.
type journal struct {
	mu      sync.Mutex
	entries []int
}

func (j *journal) add(n int) {
	j.mu.Lock()
	j.entries = append(j.entries, n)
	j.mu.Unlock()
}

// TestDuplexReplyAfterItsCause makes the race the lock must win certain:
// the sent callback holds on until the reader has already read the echo
// of that very piece. The echo's record must still come after the piece's.
func TestDuplexReplyAfterItsCause(t *testing.T) {
	ours, peer := pair(t)
	ctx := context.Background()
	d := NewDuplex(ours)
	var j journal
	readEcho := make(chan struct{})

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(2)
	go func() { // the peer echoes one piece
		defer wg.Done()
		if piece, err := peer.ReceiveN(ctx, 5, 0); err == nil {
			_, _ = peer.Send(ctx, piece, 0)
		}
	}()
	go func() { // our reader: reads the echo, then records it
		defer wg.Done()
		buf := make([]byte, 16)
		n, err := ours.Receive(ctx, buf, 0)
		if err != nil {
			t.Error(err)
			return
		}
		close(readEcho)
		d.Received(func() { j.add(-n) })
	}()

	_, err := d.Send(ctx, []byte("hello"), netcore.Addr{}, 0, func(_ time.Time, p []byte) {
		select {
		case <-readEcho: // the echo is read before the piece is recorded
		case <-time.After(patience):
			t.Error("the echo never came")
		}
		j.add(len(p))
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := j.entries; len(got) != 2 || got[0] != 5 || got[1] != -5 {
		t.Errorf("journal %v, want [5 -5]: the echo was recorded before what it answers", got)
	}
}

// TestDuplexWaitsOutsideTheLock fills the socket until the sender must
// wait; the peer then sends something and reads nothing more until that
// was recorded. A sender that waited holding the lock would never let the
// record happen.
func TestDuplexWaitsOutsideTheLock(t *testing.T) {
	ours, peer := pair(t)
	ctx := context.Background()
	d := NewDuplex(ours)
	var j journal
	recorded := make(chan struct{})
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: more than the buffers hold

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(2)
	var got []byte
	go func() { // the peer: waits for our sender to stall, speaks, then drains
		defer wg.Done()
		for {
			ready, err := peer.ReceiveReady()
			if err != nil {
				t.Error(err)
				return
			}
			if ready && !writableNow(t, ours) {
				break
			}
			time.Sleep(time.Millisecond) // polling for the stall, not a synchronisation
		}
		if _, err := peer.Send(ctx, []byte("ping"), 0); err != nil {
			t.Error(err)
			return
		}
		select {
		case <-recorded:
		case <-time.After(patience):
			t.Error("the reply was not recorded while the sender waited")
		}
		buf := make([]byte, 64<<10)
		for len(got) < len(data) {
			n, err := peer.Receive(ctx, buf, 0)
			if err != nil || n == 0 {
				t.Errorf("peer receive: %d, %v", n, err)
				return
			}
			got = append(got, buf[:n]...)
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 16)
		n, err := ours.Receive(ctx, buf, 0)
		if err != nil {
			t.Error(err)
			return
		}
		d.Received(func() { j.add(-n) })
		close(recorded)
	}()

	n, err := d.Send(ctx, data, netcore.Addr{}, 64<<10, func(_ time.Time, p []byte) { j.add(len(p)) })
	wg.Wait()
	if err != nil || n != len(data) {
		t.Fatalf("sent %d of %d: %v", n, len(data), err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the peer got %d bytes, not what was sent", len(got))
	}
	sent, replyAt := 0, -1
	for i, e := range j.entries {
		if e < 0 {
			replyAt = i
		} else {
			sent += e
		}
	}
	if sent != len(data) || replyAt <= 0 || replyAt == len(j.entries)-1 {
		t.Errorf("recorded %d bytes sent, the reply at %d of %d entries", sent, replyAt, len(j.entries))
	}
}

// writableNow reports whether a send on s would go through at once. It
// polls the descriptor itself: netcore's own wait would queue behind the
// sender's.
func writableNow(t *testing.T, s *netcore.Socket) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(s.Fd()), Events: unix.POLLOUT}}
	n, err := unix.Poll(fds, 0)
	if err != nil && err != unix.EINTR {
		t.Fatal(err)
	}
	return n > 0
}

// TestDuplexEmptyDatagram: an empty datagram is a real datagram.
func TestDuplexEmptyDatagram(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	to, err := netcore.ParseAddr(peer.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	records := 0
	n, err := NewDuplex(s).Send(context.Background(), []byte{}, to, 0, func(_ time.Time, p []byte) {
		records++
		if len(p) != 0 {
			t.Errorf("recorded %d bytes", len(p))
		}
	})
	if err != nil || n != 0 || records != 1 {
		t.Fatalf("Send: %d, %v, %d records", n, err, records)
	}
	_ = peer.SetReadDeadline(time.Now().Add(patience))
	got, _, err := peer.ReadFromUDP(make([]byte, 8))
	if err != nil || got != 0 {
		t.Errorf("the peer read %d bytes, %v; want one empty datagram", got, err)
	}
}
