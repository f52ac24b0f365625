package netcore

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/internal/testpeer"
)

// wantClosed checks that err is the closed-socket error: ErrClosed, fatal,
// and not the runtime poller's own text.
func wantClosed(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrClosed) || ClassOf(err) != ClassFatal || strings.Contains(fmtErr(err), "use of closed file") {
		t.Errorf("%s: err = %v (class %v), want ErrClosed, fatal", what, err, ClassOf(err))
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// closedCalls is every method of a socket, as a call that returns its error.
var closedCalls = []struct {
	name   string
	dgram  bool // only for datagram sockets
	stream bool // only for stream sockets
	call   func(s *Socket, peer Addr) error
}{
	{name: "Bind", call: func(s *Socket, _ Addr) error {
		a, _ := InetAddr("127.0.0.1", 0)
		return s.Bind(a)
	}},
	{name: "Listen", call: func(s *Socket, _ Addr) error { return s.Listen(1) }},
	{name: "Accept", call: func(s *Socket, _ Addr) error { _, _, err := s.Accept(ctx0); return err }},
	{name: "AcceptReady", call: func(s *Socket, _ Addr) error { _, err := s.AcceptReady(); return err }},
	{name: "ReceiveReady", call: func(s *Socket, _ Addr) error { _, err := s.ReceiveReady(); return err }},
	{name: "Connect", call: func(s *Socket, peer Addr) error { return s.Connect(ctx0, peer) }},
	{name: "LocalAddr", call: func(s *Socket, _ Addr) error { _, err := s.LocalAddr(); return err }},
	{name: "Name", call: func(s *Socket, _ Addr) error { _, err := s.Name(); return err }},
	{name: "PeerAddr", call: func(s *Socket, _ Addr) error { _, err := s.PeerAddr(); return err }},
	{name: "Shutdown", call: func(s *Socket, _ Addr) error { return s.Shutdown(ShutRDWR) }},
	{name: "Send", call: func(s *Socket, _ Addr) error { _, err := s.Send(ctx0, []byte("x"), 0); return err }},
	{name: "SendTo", call: func(s *Socket, peer Addr) error { _, err := s.SendTo(ctx0, []byte("x"), peer, 0); return err }},
	{name: "SendAll", call: func(s *Socket, _ Addr) error { _, err := s.SendAll(ctx0, []byte("x"), 0); return err }},
	{name: "SendWithin", call: func(s *Socket, _ Addr) error {
		_, _, err := s.SendWithin(ctx0, []byte("x"), time.Second, 0)
		return err
	}},
	{name: "WaitWritable", call: func(s *Socket, _ Addr) error { return s.WaitWritable(ctx0) }},
	{name: "WaitReadable", call: func(s *Socket, _ Addr) error { return s.WaitReadable(ctx0) }},
	{name: "Receive", call: func(s *Socket, _ Addr) error { _, err := s.Receive(ctx0, make([]byte, 8), 0); return err }},
	{name: "ReceiveN", call: func(s *Socket, _ Addr) error { _, err := s.ReceiveN(ctx0, 8, 0); return err }},
	{name: "ReceiveFrom", call: func(s *Socket, _ Addr) error {
		_, _, err := s.ReceiveFrom(ctx0, make([]byte, 8), 0)
		return err
	}},
	{name: "ReceiveWithin", call: func(s *Socket, _ Addr) error {
		_, _, err := s.ReceiveWithin(ctx0, make([]byte, 8), time.Second, 0)
		return err
	}},
	{name: "ReceiveDatagram", dgram: true, call: func(s *Socket, _ Addr) error { _, _, err := s.ReceiveDatagram(ctx0); return err }},
	{name: "GetsockoptInt", call: func(s *Socket, _ Addr) error {
		_, err := s.GetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF)
		return err
	}},
	{name: "SetsockoptInt", call: func(s *Socket, _ Addr) error { return s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) }},
	{name: "GetsockoptBytes", call: func(s *Socket, _ Addr) error {
		_, err := s.GetsockoptBytes(unix.SOL_SOCKET, unix.SO_RCVBUF, 4)
		return err
	}},
	{name: "SetsockoptBytes", call: func(s *Socket, _ Addr) error {
		return s.SetsockoptBytes(unix.SOL_SOCKET, unix.SO_RCVBUF, []byte{0, 16, 0, 0})
	}},
	{name: "GetOptionString", call: func(s *Socket, _ Addr) error { _, err := s.GetOptionString("SO_REUSEADDR"); return err }},
	{name: "SetOptionString", call: func(s *Socket, _ Addr) error { return s.SetOptionString("SO_REUSEADDR", "1") }},
	{name: "TCPInfo", stream: true, call: func(s *Socket, _ Addr) error { _, err := s.TCPInfo(); return err }},
	{name: "Close", call: func(s *Socket, _ Addr) error { return s.Close() }},
}

// waitedThenClosed returns a socket of the type that has waited on the
// runtime poller once (a receive that timed out) and was then closed, with
// a live peer address to send or connect to.
func waitedThenClosed(t *testing.T, typ SockType) (*Socket, Addr) {
	t.Helper()
	var s *Socket
	var peer Addr
	if typ == SockStream {
		s, _ = connected(t, "127.0.0.1")
		peer, _ = s.PeerAddr()
	} else {
		srv, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, "127.0.0.1:0"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		peer, _ = srv.LocalAddr()
		if s, err = NewSocket(FamilyInet, SockDgram, 0); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Receive(WithCallTimeout(ctx0, time.Millisecond), make([]byte, 8), 0)
	if !errors.Is(err, ClassTimeout) {
		t.Fatalf("the receive that registers the socket: %v, want a timeout", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return s, peer
}

// Every method of a closed socket reports ErrClosed, also after the socket
// joined the runtime poller, whose own error is "use of closed file".
func TestClosedSocketEveryMethod(t *testing.T) {
	for _, typ := range []SockType{SockStream, SockDgram} {
		for _, tc := range closedCalls {
			if (tc.dgram && typ != SockDgram) || (tc.stream && typ != SockStream) {
				continue
			}
			t.Run(typ.String()+"/"+tc.name, func(t *testing.T) {
				s, peer := waitedThenClosed(t, typ)
				wantClosed(t, tc.name, tc.call(s, peer))
			})
		}
	}
}

// closeWhenWaiting returns a trace hook that closes the socket once its
// system call has reported EAGAIN (the call is then about to wait or
// waiting), and the socket to hand it.
func closeWhenWaiting(name string) (Option, *atomic.Pointer[Socket]) {
	var sock atomic.Pointer[Socket]
	var once atomic.Bool
	return WithTrace(func(c Syscall) {
		if c.Name == name && c.Errno == unix.EAGAIN && once.CompareAndSwap(false, true) {
			go sock.Load().Close()
		}
	}), &sock
}

// A call that waits when Close runs ends with ErrClosed too.
func TestCloseEndsWaitingCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(ctx0, 30*time.Second) // a cap for a hang
	defer cancel()
	t.Run("receive", func(t *testing.T) {
		trace, sock := closeWhenWaiting("read")
		a, b := pairWith(t, trace)
		sock.Store(a)
		_, err := a.Receive(ctx, make([]byte, 8), 0)
		wantClosed(t, "receive", err)
		_ = b
	})
	t.Run("accept", func(t *testing.T) {
		trace, sock := closeWhenWaiting("accept")
		ln, err := ListenConfig{Options: []Option{trace}}.Listen(mustParse(t, "127.0.0.1:0"))
		if err != nil {
			t.Fatal(err)
		}
		sock.Store(ln)
		_, _, err = ln.Accept(ctx)
		wantClosed(t, "accept", err)
	})
	t.Run("send", func(t *testing.T) {
		trace, sock := closeWhenWaiting("sendmsg")
		a, _ := pairWith(t, trace)
		sock.Store(a)
		_, err := a.SendAll(ctx, make([]byte, 64<<20), 0) // more than both buffers hold
		wantClosed(t, "send", err)
	})
	t.Run("connect", func(t *testing.T) {
		hole := addrOf(t, testpeer.BlackHole(t, "127.0.0.1"))
		s, err := NewSocket(FamilyInet, SockStream, 0, WithTrace(func(c Syscall) {}))
		if err != nil {
			t.Fatal(err)
		}
		var once atomic.Bool
		s.trace = func(c Syscall) {
			if c.Name == "getpeername" && once.CompareAndSwap(false, true) {
				go s.Close()
			}
		}
		wantClosed(t, "connect", s.Connect(ctx, hole))
	})
}

// pairWith returns a connected UNIX stream pair whose first socket has opt.
func pairWith(t *testing.T, opt Option) (*Socket, *Socket) {
	t.Helper()
	a, b, err := SocketPair(FamilyUnix, SockStream, 0, opt)
	if err != nil {
		t.Fatal(err)
	}
	b.trace = nil
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// Calls that find data waiting skip the runtime poller; Close still ends
// them cleanly: each receive running when the socket closes gets its
// datagram or ErrClosed, never a system error from a closed descriptor.
func TestCloseDuringDirectReceives(t *testing.T) {
	for round := range 20 {
		srv, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, "127.0.0.1:0"))
		if err != nil {
			t.Fatal(err)
		}
		peer := newRawPeer(t, unix.AF_INET, unix.SOCK_DGRAM, nil)
		at := sockaddrOf(t, srv)
		for range 64 {
			peer.sendTo(t, []byte("queued"), at)
		}
		done := make(chan error, 1)
		go func() {
			buf := make([]byte, 64<<10)
			for {
				if _, _, err := srv.ReceiveMessage(capped(t), buf); err != nil {
					done <- err
					return
				}
			}
		}()
		if round%2 == 1 {
			runtime.Gosched()
		}
		srv.Close()
		wantClosed(t, "receive as the socket closes", <-done)
	}
}
