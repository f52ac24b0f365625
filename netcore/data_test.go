package netcore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var ctx0 = context.Background()

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// receiveExactly reads n bytes or fails the test.
func receiveExactly(t testing.TB, s *Socket, n int) []byte {
	t.Helper()
	got := make([]byte, 0, n)
	buf := make([]byte, 4096)
	for len(got) < n {
		m, err := s.Receive(ctx0, buf[:min(len(buf), n-len(got))], 0)
		if err != nil || m == 0 {
			t.Fatalf("after %d of %d bytes: n=%d err=%v", len(got), n, m, err)
		}
		got = append(got, buf[:m]...)
	}
	return got
}

func TestRoundTripAllByteValuesStream(t *testing.T) {
	pairs := map[string]func(t *testing.T) (*Socket, *Socket){
		"tcp4": func(t *testing.T) (*Socket, *Socket) { return connected(t, "127.0.0.1") },
		"tcp6": func(t *testing.T) (*Socket, *Socket) { return connected(t, "::1") },
		"unix": func(t *testing.T) (*Socket, *Socket) { return unixPair(t, "@sockbench-test-"+t.Name()) },
		"pair": func(t *testing.T) (*Socket, *Socket) {
			a, b, err := SocketPair(FamilyUnix, SockStream, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close(); b.Close() })
			return a, b
		},
	}
	for name, mk := range pairs {
		t.Run(name, func(t *testing.T) {
			a, b := mk(t)
			for _, dir := range [][2]*Socket{{a, b}, {b, a}} {
				if n, err := dir[0].SendAll(ctx0, allBytes(), 0); err != nil || n != 256 {
					t.Fatalf("send-all: %d, %v", n, err)
				}
				if got := receiveExactly(t, dir[1], 256); !bytes.Equal(got, allBytes()) {
					t.Fatalf("received %x", got)
				}
			}
		})
	}
}

// unixPair connects two UNIX stream sockets through a listener at path.
func unixPair(t *testing.T, path string) (*Socket, *Socket) {
	t.Helper()
	addr, err := UnixAddr(path)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := NewSocket(FamilyUnix, SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx0, addr); err != nil {
		t.Fatal(err)
	}
	s, _, err := ln.Accept(ctx0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func TestDatagramsAllByteValues(t *testing.T) {
	for _, spec := range []string{"127.0.0.1:0", "[::1]:0", "unix:@sockbench-dgram-test"} {
		t.Run(spec, func(t *testing.T) {
			srv, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, spec))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			at, _ := srv.LocalAddr()
			cli, err := NewSocket(at.Family(), SockDgram, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			if at.Family() == FamilyUnix {
				if err := cli.Bind(mustParse(t, "unix:@sockbench-dgram-client")); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := cli.SendTo(ctx0, allBytes(), at, 0); err != nil || n != 256 {
				t.Fatalf("send-to: %d, %v", n, err)
			}
			buf := make([]byte, 1024)
			n, from, err := srv.ReceiveFrom(ctx0, buf, 0)
			if err != nil || !bytes.Equal(buf[:n], allBytes()) {
				t.Fatalf("receive-from: %x, %v", buf[:n], err)
			}
			mine, _ := cli.LocalAddr() // the wildcard address for inet: compare ports
			if from.Port() != mine.Port() || from.Path() != mine.Path() || from.Family() != at.Family() {
				t.Errorf("sender = %s, want %s", from, mine)
			}
			if n, err := srv.SendTo(ctx0, []byte("back"), from, 0); err != nil || n != 4 {
				t.Fatalf("reply: %d, %v", n, err)
			}
			n, err = cli.Receive(ctx0, buf, 0)
			if err != nil || string(buf[:n]) != "back" {
				t.Fatalf("reply received: %q, %v", buf[:n], err)
			}
		})
	}
}

func TestReceiveFromConnectedStreamHasNoAddress(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	a.SendAll(ctx0, []byte("x"), 0)
	n, from, err := b.ReceiveFrom(ctx0, make([]byte, 8), 0)
	if err != nil || n != 1 || from.IsValid() {
		t.Errorf("receive-from = %d, %v, %v; want 1 byte and no address", n, from, err)
	}
}

func TestPeekPassesThrough(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	a.SendAll(ctx0, []byte("peekaboo"), 0)
	buf := make([]byte, 4)
	if n, err := b.Receive(ctx0, buf, MsgPeek|MsgWaitAll); err != nil || string(buf[:n]) != "peek" {
		t.Fatalf("peek: %q, %v", buf[:n], err)
	}
	if got := receiveExactly(t, b, 8); string(got) != "peekaboo" {
		t.Errorf("after peek: %q", got)
	}
}

// One GiB through netcore, checked by SHA-256 on both ends.
func TestBulkGiBIntact(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	a, b := connected(t, "127.0.0.1")
	const total = 1 << 30
	var sent [32]byte
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h := sha256.New()
		chunk := make([]byte, 256<<10)
		var seed uint64 = 0x9e3779b97f4a7c15
		for off := 0; off < total; off += len(chunk) {
			for i := 0; i < len(chunk); i += 8 {
				seed ^= seed << 13
				seed ^= seed >> 7
				seed ^= seed << 17
				chunk[i], chunk[i+1], chunk[i+2], chunk[i+3] = byte(seed), byte(seed>>8), byte(seed>>16), byte(seed>>24)
				chunk[i+4], chunk[i+5], chunk[i+6], chunk[i+7] = byte(seed>>32), byte(seed>>40), byte(seed>>48), byte(seed>>56)
			}
			h.Write(chunk)
			if _, err := a.SendAll(ctx0, chunk, 0); err != nil {
				t.Errorf("send: %v", err)
				return
			}
		}
		copy(sent[:], h.Sum(nil))
		a.Shutdown(ShutWR)
	}()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	got := 0
	for {
		n, err := b.Receive(ctx0, buf, 0)
		if err != nil {
			t.Fatalf("receive after %d bytes: %v", got, err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
		got += n
	}
	wg.Wait()
	if got != total || !bytes.Equal(h.Sum(nil), sent[:]) {
		t.Fatalf("received %d bytes, sha256 %x; sent %d, sha256 %x", got, h.Sum(nil), total, sent)
	}
}

// resetAfter makes the server side send data and then reset the connection.
func resetAfter(t *testing.T, s *Socket, data []byte) {
	t.Helper()
	if _, err := s.SendAll(ctx0, data, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.control(func(fd int) error {
		return unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// waitSendQueueEmpty polls SIOCOUTQ until the kernel has handed every byte
// s sent to the peer.
func waitSendQueueEmpty(t *testing.T, s *Socket) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var queued int
		err := s.control(func(fd int) (err error) {
			queued, err = unix.IoctlGetInt(fd, unix.SIOCOUTQ)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes still queued", queued)
		}
		runtime.Gosched()
	}
}

func TestReceiveTimeoutKeepsSocketUsable(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	a.SetTimeouts(Timeouts{Receive: 50 * time.Millisecond})
	_, err := a.Receive(ctx0, make([]byte, 8), 0)
	if !errors.Is(err, ClassTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if a.IsClosed() {
		t.Fatal("a receive timeout closed the socket")
	}
	b.SendAll(ctx0, []byte("late"), 0)
	a.SetTimeouts(DefaultTimeouts)
	if got := receiveExactly(t, a, 4); string(got) != "late" {
		t.Errorf("got %q", got)
	}
	// A per-call timeout overrides the socket's.
	_, err = a.Receive(WithCallTimeout(ctx0, 20*time.Millisecond), make([]byte, 8), 0)
	if !errors.Is(err, ClassTimeout) {
		t.Errorf("per-call timeout: %v", err)
	}
}

func TestNonBlockingVariantsReportNothing(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	n, ok, err := a.ReceiveWithin(ctx0, make([]byte, 8), 0, 0)
	if n != 0 || ok || err != nil {
		t.Fatalf("receive within 0 = %d, %v, %v; want nothing", n, ok, err)
	}
	b.SendAll(ctx0, []byte("hi"), 0)
	buf := make([]byte, 8)
	n, ok, err = a.ReceiveWithin(ctx0, buf, time.Second, 0)
	if !ok || err != nil || string(buf[:n]) != "hi" {
		t.Fatalf("receive within 1s = %q, %v, %v", buf[:n], ok, err)
	}
	big := make([]byte, 1<<20)
	for range 1000 { // fill both buffers; the peer never reads
		if _, ok, err = a.SendWithin(ctx0, big, 10*time.Millisecond, 0); !ok || err != nil {
			break
		}
	}
	if ok || err != nil {
		t.Fatalf("send within on a full buffer = %v, %v; want nothing and no error", ok, err)
	}
}

// TestWaitReadable: the wait times out on a quiet socket, ends once bytes
// are there without reading them, and ends at the end of the stream.
func TestWaitReadable(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	if err := a.WaitReadable(WithCallTimeout(ctx0, 20*time.Millisecond)); !errors.Is(err, ClassTimeout) {
		t.Fatalf("quiet socket: err = %v, want a timeout", err)
	}
	b.SendAll(ctx0, []byte("hi"), 0)
	if err := a.WaitReadable(ctx0); err != nil {
		t.Fatalf("after a send: %v", err)
	}
	if in, _, err := a.Queued(); err != nil || in != 2 {
		t.Fatalf("queued after the wait = %d, %v; want the 2 bytes left unread", in, err)
	}
	receiveExactly(t, a, 2)
	b.Shutdown(ShutWR)
	if err := a.WaitReadable(ctx0); err != nil {
		t.Fatalf("at the end of the stream: %v", err)
	}
	ctx, cancel := context.WithCancel(ctx0)
	cancel()
	c, _ := connected(t, "127.0.0.1")
	if err := c.WaitReadable(ctx); !errors.Is(err, ClassCancelled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestCancelledReceive(t *testing.T) {
	a, _ := connected(t, "127.0.0.1")
	ctx, cancel := context.WithCancel(ctx0)
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := a.Receive(ctx, make([]byte, 8), 0)
	if !errors.Is(err, ClassCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
}

func TestListenerDefaults(t *testing.T) {
	ln, err := Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var reuse int
	var info *unix.TCPInfo
	ln.control(func(fd int) error {
		reuse, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR)
		info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		return err
	})
	if reuse != 1 {
		t.Errorf("SO_REUSEADDR = %d, want 1", reuse)
	}
	// For a listener, Linux reports the backlog in tcpi_sacked.
	if info == nil || info.Sacked != DefaultBacklog {
		t.Errorf("backlog = %+v, want %d", info, DefaultBacklog)
	}
	ready, err := ln.AcceptReady()
	if ready || err != nil {
		t.Errorf("accept-ready with nobody connecting = %v, %v", ready, err)
	}
}

func TestAcceptTimeout(t *testing.T) {
	ln, err := Listen(mustParse(t, "[::1]:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln.SetTimeouts(Timeouts{Accept: 30 * time.Millisecond})
	if _, _, err := ln.Accept(ctx0); !errors.Is(err, ClassTimeout) {
		t.Fatalf("accept = %v, want a timeout", err)
	}
}

func TestTCPNoDelayByDefault(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	for _, s := range []*Socket{a, b} {
		var v int
		s.control(func(fd int) (err error) { v, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); return })
		if v != 1 {
			t.Errorf("%s: TCP_NODELAY = %d, want 1", s, v)
		}
	}
}

func TestStreamPortsShutdownAndClose(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	r, w := IOPorts(a, PortConfig{SendBufferSize: 1024})
	if r.Socket() != a || w.Socket() != a {
		t.Fatal("ports lost their socket")
	}
	io.WriteString(w, "buffered")
	if n, ok, _ := b.ReceiveWithin(ctx0, make([]byte, 16), 0, 0); ok {
		t.Fatalf("peer got %d bytes before the flush", n)
	}
	if err := w.Close(); err != nil { // flush + SHUT_WR
		t.Fatal(err)
	}
	if got := receiveExactly(t, b, 8); string(got) != "buffered" {
		t.Fatalf("got %q", got)
	}
	if n, err := b.Receive(ctx0, make([]byte, 8), 0); n != 0 || err != nil {
		t.Fatalf("after writer close: %d, %v; want end of stream", n, err)
	}
	if a.IsClosed() {
		t.Fatal("socket closed with the reader still open")
	}
	b.SendAll(ctx0, []byte("reply"), 0)
	b.Shutdown(ShutWR)
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "reply" {
		t.Fatalf("read all = %q, %v", got, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !a.IsClosed() {
		t.Error("socket still open after both ports closed")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestAbandonedPortSkipsShutdown(t *testing.T) {
	a, b := connected(t, "127.0.0.1")
	r, w := IOPorts(a, PortConfig{})
	w.Abandon()
	w.Close()
	if n, ok, err := b.ReceiveWithin(ctx0, make([]byte, 8), 20*time.Millisecond, 0); ok || err != nil {
		t.Fatalf("peer saw %d bytes / end of stream after an abandoned writer closed: %v %v", n, ok, err)
	}
	r.Close() // both closed: the socket closes, and the peer sees the end
	if n, err := b.Receive(ctx0, make([]byte, 8), 0); n != 0 || err != nil {
		t.Fatalf("after both ports closed: %d, %v", n, err)
	}
}

func TestWithNetIO(t *testing.T) {
	ln, err := Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	at, _ := ln.LocalAddr()
	done := make(chan string)
	go func() {
		s, _, err := ln.Accept(ctx0)
		if err != nil {
			done <- err.Error()
			return
		}
		defer s.Close()
		got := receiveExactly(t, s, 5)
		s.SendAll(ctx0, bytes.ToUpper(got), 0)
		done <- string(got)
	}()
	var reply []byte
	err = WithNetIO(ctx0, "127.0.0.1", strconv.Itoa(at.Port()), func(r *Reader, w *Writer) error {
		if _, err := io.WriteString(w, "hello"); err != nil {
			return err
		}
		reply = make([]byte, 5)
		_, err := io.ReadFull(r, reply)
		return err
	})
	if err != nil || string(reply) != "HELLO" || <-done != "hello" {
		t.Fatalf("with-net-io: %q, %v", reply, err)
	}
}

// A datagram far larger than the usual 64 KiB buffer arrives whole, and an
// empty one arrives as empty, each with its sender.
func TestReceiveDatagramWhole(t *testing.T) {
	a, b, err := SocketPair(FamilyUnix, SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	big := bytes.Repeat([]byte("0123456789"), 10000) // 100000 bytes
	for _, msg := range [][]byte{big, {}, []byte("small")} {
		if n, err := a.Send(ctx0, msg, 0); err != nil || n != len(msg) {
			t.Fatalf("send %d bytes: %d, %v", len(msg), n, err)
		}
	}
	for _, want := range [][]byte{big, {}, []byte("small")} {
		got, _, err := b.ReceiveDatagram(ctx0)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("received %d bytes (%v), want %d", len(got), err, len(want))
		}
	}

	srv, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, "[::1]:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	at, _ := srv.LocalAddr()
	c, err := NewSocket(FamilyInet6, SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SendTo(ctx0, []byte("udp"), at, 0)
	got, from, err := srv.ReceiveDatagram(ctx0)
	mine, _ := c.LocalAddr()
	if err != nil || string(got) != "udp" || from.Port() != mine.Port() {
		t.Fatalf("udp: %q from %v, %v; want \"udp\" from port %d", got, from, err, mine.Port())
	}

	s, _ := connected(t, "127.0.0.1")
	if _, _, err := s.ReceiveDatagram(ctx0); !errors.Is(err, ClassInvalid) {
		t.Errorf("on a stream socket: %v, want invalid", err)
	}
}
