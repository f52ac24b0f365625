package netcore

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/internal/testpeer"
)

// faultOutcome is what a row of the fault matrix saw: the error of the
// fault, and the bytes that arrived before it next to those that were sent
// before it, which must be the same.
type faultOutcome struct {
	err       error
	got, want []byte
	elsewhere bool // checked in a network namespace of its own
}

// TestFaultMatrix makes each failure a socket can meet against real
// loopback peers (or a network namespace of the test's own) and checks its
// class, its errno, and that nothing received before it was lost.
func TestFaultMatrix(t *testing.T) {
	for _, tc := range []struct {
		name  string
		class Class
		errno unix.Errno
		run   func(t *testing.T) faultOutcome
	}{
		{"refused", ClassTransient, unix.ECONNREFUSED, faultRefused},
		{"black-hole", ClassTimeout, 0, faultBlackHole},
		{"net-unreachable", ClassTransient, unix.ENETUNREACH, faultNetUnreachable},
		{"reset-mid-stream", ClassFatal, unix.ECONNRESET, faultResetMidStream},
		{"peer-half-close-while-sending", ClassOK, 0, faultHalfClose},
		{"epipe", ClassFatal, unix.EPIPE, faultEPIPE},
		{"udp-to-closed-port", ClassFatal, unix.ECONNREFUSED, faultUDPClosedPort},
		{"accept-out-of-descriptors", ClassTransient, unix.EMFILE, faultAcceptEMFILE},
		{"bind-in-use", ClassFatal, unix.EADDRINUSE, faultBindInUse},
		{"no-such-name", ClassFatal, 0, faultNoName},
		{"peer-never-reads", ClassTimeout, 0, faultPeerNeverReads},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.run(t)
			if out.elsewhere {
				return
			}
			if c, e := ClassOf(out.err), ErrnoOf(out.err); c != tc.class || e != tc.errno {
				t.Errorf("err = %v: class %v, errno %s; want %v, %s", out.err, c, ErrnoName(e), tc.class, ErrnoName(tc.errno))
			}
			if !bytes.Equal(out.got, out.want) {
				t.Errorf("%d bytes arrived before the fault, %d were sent", len(out.got), len(out.want))
			}
		})
	}
}

func faultRefused(t *testing.T) faultOutcome {
	to := addrOf(t, testpeer.Refused(t, "127.0.0.1"))
	s, err := NewSocket(FamilyInet, SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Connect(capped(t), to)
	var e *Error
	if !errors.As(err, &e) || e.Op != "connect" || e.Addr != to {
		t.Errorf("err = %#v, want connect's error for %s", err, to)
	}
	if !s.IsClosed() {
		t.Error("a failed connect must close its socket, as the egg's does")
	}
	return faultOutcome{err: err}
}

func faultBlackHole(t *testing.T) faultOutcome {
	hole := addrOf(t, testpeer.BlackHole(t, "::1"))
	s, err := NewSocket(FamilyInet6, SockStream, 0, WithTimeouts(Timeouts{Connect: 100 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Connect(capped(t), hole)
	var e *Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &e) || !e.Timeout() || !e.Temporary() {
		t.Errorf("err = %v, want netcore's own timeout, temporary", err)
	}
	return faultOutcome{err: err}
}

// faultNetUnreachable runs its check again in a new, empty network
// namespace, where loopback is down and every address unreachable.
func faultNetUnreachable(t *testing.T) faultOutcome {
	if os.Getenv("SOCKBENCH_IN_NETNS") == "1" {
		to, _ := InetAddr("127.0.0.1", 9)
		var got Attempt
		d := Dialer{Observe: func(a Attempt) { got = a }}
		_, err := d.ConnectList(capped(t), []AddrInfo{row(to)})
		if got.Result != ResultUnreachable {
			t.Errorf("attempt result %v, want unreachable", got.Result)
		}
		return faultOutcome{err: err}
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare(1) is not installed")
	}
	cmd := exec.Command(unshare, "-rn", os.Args[0], "-test.run=^TestFaultMatrix$/^net-unreachable$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "SOCKBENCH_IN_NETNS=1")
	out, err := cmd.CombinedOutput()
	switch {
	case bytes.Contains(out, []byte("--- FAIL")):
		t.Fatalf("in a new network namespace:\n%s", out)
	case err != nil:
		t.Skipf("cannot make a network namespace here: %v: %s", err, out)
	case !bytes.Contains(out, []byte("--- PASS: TestFaultMatrix/net-unreachable")):
		t.Fatalf("the row did not run in the namespace:\n%s", out)
	}
	return faultOutcome{elsewhere: true}
}

// A reset discards what the resetting side has not sent yet, but not what
// has reached us: every byte that arrived is read before ECONNRESET.
func faultResetMidStream(t *testing.T) faultOutcome {
	a, b := connected(t, "127.0.0.1")
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	if _, err := b.SendAll(ctx0, data, 0); err != nil {
		t.Fatal(err)
	}
	waitSendQueueEmpty(t, b)
	resetAfter(t, b, nil) // nobody has read anything yet
	got, err := receiveUntilFault(a)
	if a.IsClosed() {
		t.Error("a receive failure must not close the socket")
	}
	return faultOutcome{err: err, got: got, want: data}
}

// receiveUntilFault reads until an error or the end of the stream.
func receiveUntilFault(s *Socket) ([]byte, error) {
	var got []byte
	buf := make([]byte, 8192)
	for {
		n, err := s.Receive(ctx0, buf, 0)
		got = append(got, buf[:n]...)
		if err != nil || n == 0 {
			return got, err
		}
	}
}

// The peer shuts down its side while we send: we read what it said, then
// the end of the stream, and everything we send still arrives.
func faultHalfClose(t *testing.T) faultOutcome {
	a, b := connected(t, "::1")
	big := pattern(1 << 20)
	sent := make(chan error, 1)
	go func() {
		_, err := a.SendAll(ctx0, big, 0)
		sent <- err
	}()
	b.SendAll(ctx0, []byte("bye"), 0)
	if err := b.Shutdown(ShutWR); err != nil {
		t.Fatal(err)
	}
	if said, err := receiveUntilFault(a); string(said) != "bye" || err != nil {
		t.Errorf("from the peer: %q, %v; want \"bye\" and the end of the stream", said, err)
	}
	got := receiveExactly(t, b, len(big))
	return faultOutcome{err: <-sent, got: got, want: big}
}

// pattern returns n bytes that show where a byte went missing.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// A send after the peer reset gives EPIPE, never SIGPIPE; what the peer
// said before its reset is still there to read.
func faultEPIPE(t *testing.T) faultOutcome {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGPIPE)
	defer signal.Stop(sigs)
	a, b := connected(t, "127.0.0.1")
	last := []byte("last words")
	resetAfter(t, b, last)
	var err error
	for range 100 {
		if _, err = a.Send(ctx0, []byte("x"), 0); err != nil {
			break
		}
	}
	if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("send after reset: %v", err)
	}
	_, err = a.Send(ctx0, []byte("x"), 0)
	select {
	case s := <-sigs:
		t.Errorf("got %v: sends must use MSG_NOSIGNAL", s)
	default:
	}
	got, _ := receiveUntilFault(a)
	return faultOutcome{err: err, got: got, want: last}
}

// A connected UDP socket learns from the ICMP port unreachable that its
// peer's port is closed (ECONNREFUSED on the next receive), and keeps
// working: once someone answers from that port, the datagram is received.
func faultUDPClosedPort(t *testing.T) faultOutcome {
	srv, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	at, _ := srv.LocalAddr()
	srv.Close()
	c, err := NewSocket(FamilyInet, SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx0, at); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx0, []byte("ping"), 0); err != nil {
		t.Fatalf("first send: %v", err)
	}
	_, refused := c.Receive(WithCallTimeout(ctx0, 30*time.Second), make([]byte, 16), 0)

	peer := newRawPeer(t, unix.AF_INET, unix.SOCK_DGRAM, &unix.SockaddrInet4{Port: at.Port(), Addr: at.ip.As4()})
	peer.sendTo(t, []byte("pong"), sockaddrOf(t, c))
	buf := make([]byte, 16)
	n, err := c.Receive(WithCallTimeout(ctx0, 30*time.Second), buf, 0)
	if err != nil {
		t.Errorf("receive after the refusal: %v", err)
	}
	return faultOutcome{err: refused, got: buf[:n], want: []byte("pong")}
}

// While the process is out of descriptors, accept fails with EMFILE, a
// transient error; the connection waits in the queue, and once a
// descriptor is free it is accepted with what its client already sent.
func faultAcceptEMFILE(t *testing.T) faultOutcome {
	ln, err := Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	at, _ := ln.LocalAddr()
	c, err := NewSocket(FamilyInet, SockStream, 0)
	if err == nil {
		err = c.Connect(ctx0, at)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hello := []byte("hello")
	if _, err := c.SendAll(ctx0, hello, 0); err != nil {
		t.Fatal(err)
	}
	fillers := exhaustDescriptors(t)
	_, _, emfile := ln.Accept(capped(t))
	for _, fd := range fillers {
		unix.Close(fd)
	}
	s, _, err := ln.Accept(capped(t))
	if err != nil {
		t.Fatalf("accept once descriptors are free: %v", err)
	}
	defer s.Close()
	return faultOutcome{err: emfile, got: receiveExactly(t, s, len(hello)), want: hello}
}

// exhaustDescriptors lowers RLIMIT_NOFILE to a little above the highest
// descriptor in use (restored when the test ends) and opens /dev/null until
// none is left; it returns the descriptors it opened.
func exhaustDescriptors(t *testing.T) []int {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list descriptors: %v", err)
	}
	lim := old
	lim.Cur = uint64(len(entries)) + 64
	for _, e := range entries { // the limit bounds numbers, not counts
		var fd uint64
		for _, ch := range e.Name() {
			fd = fd*10 + uint64(ch-'0')
		}
		lim.Cur = max(lim.Cur, fd+16)
	}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	t.Cleanup(func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
	var fds []int
	for range lim.Cur {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EMFILE {
			return fds
		}
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	t.Fatalf("no EMFILE after %d descriptors", len(fds))
	return nil
}

func faultBindInUse(t *testing.T) faultOutcome {
	ln, err := Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	at, _ := ln.LocalAddr()
	s, err := NewSocket(FamilyInet, SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return faultOutcome{err: s.Bind(at)}
}

// A name that does not resolve is EAI_NONAME (no DNS involved: only a
// number is allowed, and the name is not one).
func faultNoName(t *testing.T) faultOutcome {
	_, err := Resolve(capped(t), "no-such-host.sockbench.invalid", "80", Hints{Flags: AINumericHost})
	var re *ResolveError
	if !errors.Is(err, ErrNoName) || !errors.As(err, &re) || re.Code != "EAI_NONAME" {
		t.Errorf("err = %v, want EAI_NONAME", err)
	}
	return faultOutcome{err: err}
}

// A peer that never reads: the send makes no progress once both buffers
// are full, and ends by the send timeout with the count of what went, all
// of which the peer then reads.
func faultPeerNeverReads(t *testing.T) faultOutcome {
	a, b := connected(t, "127.0.0.1")
	a.SetTimeouts(Timeouts{Send: 100 * time.Millisecond})
	big := pattern(64 << 20)
	n, err := a.SendAll(capped(t), big, 0)
	if n == 0 || n >= len(big) {
		t.Errorf("sent %d of %d bytes, want a part", n, len(big))
	}
	got := receiveExactly(t, b, n)
	a.SetTimeouts(DefaultTimeouts)
	if _, err := a.SendAll(ctx0, []byte("ok"), 0); err != nil {
		t.Errorf("the socket must still work after a send timeout: %v", err)
	} else if after := receiveExactly(t, b, 2); string(after) != "ok" {
		t.Errorf("after the timeout the peer got %q", after)
	}
	return faultOutcome{err: err, got: got, want: big[:n]}
}
