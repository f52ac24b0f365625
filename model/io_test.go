package model

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/ui"
)

// TestSendOneThroughFullBuffer sends far more than a socketpair's buffers
// hold while the peer reads: the writer must wait for room (outside the
// order lock) and still record every byte it sent, in order.
func TestSendOneThroughFullBuffer(t *testing.T) {
	var waits atomic.Int64
	stalled := make(chan struct{})
	var once sync.Once
	trace := netcore.WithTrace(func(c netcore.Syscall) {
		// The fallback runs when the short send under the lock times out.
		if c.Name == "poll" && strings.Contains(c.Args, "POLLOUT, timeout 20ms") && c.Result == 0 {
			waits.Add(1)
			once.Do(func() { close(stalled) })
		}
	})
	a, b, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockStream, 0, trace)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	data := make([]byte, 6<<20)
	for i := range data {
		data[i] = byte(i * 31)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var got []byte
	go func() { // the peer reads everything, once the writer has stalled
		defer wg.Done()
		select {
		case <-stalled:
		case <-time.After(10 * time.Second): // the test then fails below
		}
		buf := make([]byte, 64<<10)
		for len(got) < len(data) {
			n, err := b.Receive(context.Background(), buf, 0)
			if err != nil || n == 0 {
				return
			}
			got = append(got, buf[:n]...)
		}
	}()
	done := make(chan struct{})
	defer close(done)
	h := newHub(done)
	var order sync.Mutex
	sent, err := sendOne(context.Background(), a, sendReq{data: data}, false, &order, h, 1)
	wg.Wait()
	if err != nil || sent != len(data) || !bytes.Equal(got, data) {
		t.Fatalf("sent %d of %d (%v); the peer got %d bytes", sent, len(data), err, len(got))
	}
	if waits.Load() == 0 {
		t.Error("no send under the lock timed out: the test did not reach the full-buffer path")
	}
	var recorded []byte
	for _, ev := range h.take() {
		if d, ok := ev.(evData); ok && d.dir == capture.Sent {
			recorded = append(recorded, d.data...)
		}
	}
	if !bytes.Equal(recorded, data) {
		t.Errorf("recorded %d sent bytes, not the %d sent, or not in order", len(recorded), len(data))
	}
}

// TestSyscallLogScrolls drives the syscall log overlay with the scrolling
// keys: it follows the tail until moved, pages by its height, and home and
// end go to the first call and back to following.
func TestSyscallLogScrolls(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	log := newTraceLog()
	for i := range 500 {
		log.add(netcore.Syscall{Name: "read", Args: fmt.Sprintf("call-%03d", i)})
	}
	d.m.openSyscalls(log, "test")
	h := ui.SyscallsHeight(d.m.layout)
	if !d.screenHas("call-499") || d.screenHas("call-000") {
		t.Fatalf("not following the tail:\n%s", d.plain())
	}
	d.key("home")
	if d.m.sys.follow || !d.screenHas("call-000") {
		t.Fatalf("home:\n%s", d.plain())
	}
	d.key("pgdown")
	if d.m.syscallsTop() != h || !d.screenHas(fmt.Sprintf("call-%03d", h)) {
		t.Errorf("pgdown: top %d, want %d", d.m.syscallsTop(), h)
	}
	d.key("down", "down", "up")
	if d.m.syscallsTop() != h+1 {
		t.Errorf("down down up: top %d, want %d", d.m.syscallsTop(), h+1)
	}
	d.key("pgup")
	if d.m.syscallsTop() != 1 {
		t.Errorf("pgup: top %d, want 1", d.m.syscallsTop())
	}
	d.key("end")
	if !d.m.sys.follow || !d.screenHas("call-499") {
		t.Errorf("end:\n%s", d.plain())
	}
	d.key("esc")
	if d.m.overlay != overlayNone {
		t.Error("esc did not close the log")
	}
}

// TestReceiveOnceWholeDatagram: the reader takes a datagram larger than its
// stream buffer whole, and a stream read is a copy the next read cannot
// overwrite.
func TestReceiveOnceWholeDatagram(t *testing.T) {
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
	buf := make([]byte, readSize)
	got, _, err := receiveOnce(context.Background(), b, buf, true)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("got %d bytes (%v), want %d", len(got), err, len(big))
	}

	c, d, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer d.Close()
	c.SendAll(context.Background(), []byte("first"), 0)
	first, _, _ := receiveOnce(context.Background(), d, buf, false)
	c.SendAll(context.Background(), []byte("SECOND"), 0)
	receiveOnce(context.Background(), d, buf, false)
	if string(first) != "first" {
		t.Errorf("the first read became %q after the second", first)
	}
}
