package netcore

import (
	"context"
	"testing"

	"golang.org/x/sys/unix"
)

// rawPeer is a plain socket made with x/sys alone, blocking, to feed and
// answer netcore sockets without netcore's own code in the measurement.
type rawPeer struct{ fd int }

func newRawPeer(t testing.TB, family, typ int, bind unix.Sockaddr) rawPeer {
	t.Helper()
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if bind != nil {
		if err := unix.Bind(fd, bind); err != nil {
			t.Fatal(err)
		}
	}
	return rawPeer{fd}
}

// sendTo sends p to the netcore socket s, bound.
func (r rawPeer) sendTo(t testing.TB, p []byte, sa unix.Sockaddr) {
	if err := unix.Sendto(r.fd, p, 0, sa); err != nil {
		t.Fatal(err)
	}
}

func sockaddrOf(t testing.TB, s *Socket) unix.Sockaddr {
	t.Helper()
	a, err := s.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case a.unix:
		return &unix.SockaddrUnix{Name: a.path}
	case a.ip.Is4():
		return &unix.SockaddrInet4{Port: a.Port(), Addr: a.ip.As4()}
	}
	return &unix.SockaddrInet6{Port: a.Port(), Addr: a.ip.As16()}
}

// The data path allocates nothing in the steady state: a datagram received
// with its sender into the caller's buffer (UDP and UNIX), and a stream's
// send and receive, with or without a cancellable context, whether the
// receive finds data waiting or has to wait on the poller.
func TestDataPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	buf := make([]byte, 64<<10)
	msg := []byte("sixty-four bytes or so, the size of a small request or reply...")
	cancellable, cancel := context.WithCancel(ctx0)
	defer cancel()
	wantNone := func(what string, f func()) {
		t.Helper()
		f() // the first call registers the socket and fills the caches
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %.1f allocations per call, want 0", what, n)
		}
	}

	udp, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	udpPeer, udpAt := newRawPeer(t, unix.AF_INET, unix.SOCK_DGRAM, nil), sockaddrOf(t, udp)
	wantNone("UDP ReceiveMessage", func() {
		udpPeer.sendTo(t, msg, udpAt)
		if data, from, err := udp.ReceiveMessage(cancellable, buf); err != nil || len(data) != len(msg) || !from.IsValid() {
			t.Fatalf("%d bytes from %v, %v", len(data), from, err)
		}
	})

	ux, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, "unix:@sockbench-alloc-"+t.Name()))
	if err != nil {
		t.Fatal(err)
	}
	defer ux.Close()
	uxPeer := newRawPeer(t, unix.AF_UNIX, unix.SOCK_DGRAM, &unix.SockaddrUnix{Name: "@sockbench-alloc-peer-" + t.Name()})
	uxAt := sockaddrOf(t, ux)
	wantNone("UNIX ReceiveMessage", func() {
		uxPeer.sendTo(t, msg, uxAt)
		if data, from, err := ux.ReceiveMessage(ctx0, buf); err != nil || len(data) != len(msg) || !from.IsAbstract() {
			t.Fatalf("%d bytes from %v, %v", len(data), from, err)
		}
	})

	a, b := connected(t, "127.0.0.1")
	for _, ctx := range []context.Context{ctx0, cancellable} {
		wantNone("stream Send and Receive", func() {
			if _, err := a.Send(ctx, msg, 0); err != nil {
				t.Fatal(err)
			}
			if n, err := b.Receive(ctx, buf, 0); err != nil || n == 0 {
				t.Fatalf("receive: %d, %v", n, err)
			}
		})
	}

	// The peer answers from a blocking socket on its own thread, so the
	// receive waits on the poller.
	c, d, err := SocketPair(FamilyUnix, SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer d.Close()
	if err := d.control(func(fd int) error { return unix.SetNonblock(fd, false) }); err != nil {
		t.Fatal(err)
	}
	echo := make(chan struct{})
	go func() {
		defer close(echo)
		var one [1]byte
		for {
			n, err := unix.Read(d.Fd(), one[:])
			if err != nil || n == 0 {
				return
			}
			unix.Write(d.Fd(), one[:])
		}
	}()
	one := []byte{1}
	wantNone("stream Receive that waits", func() {
		if _, err := c.Send(cancellable, one, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Receive(cancellable, buf[:1], 0); err != nil || n != 1 {
			t.Fatalf("receive: %d, %v", n, err)
		}
	})
	c.Shutdown(ShutWR)
	<-echo
}
