package netcore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Timeouts bound the waits of a socket's operations, after the egg's
// parameters socket-connect-timeout and friends. Each one limits a single
// wait, not a whole operation (a send-all waits once per chunk). Zero means
// no limit. A negative timeout has already passed, as a deadline in the
// past does in Go: the call is still tried once (data already there is
// returned), but it times out instead of waiting.
type Timeouts struct {
	Connect time.Duration
	Accept  time.Duration
	Receive time.Duration
	Send    time.Duration
}

// DefaultTimeouts are the egg's defaults: no limit on connect and accept,
// one minute for each receive and send wait.
var DefaultTimeouts = Timeouts{Receive: time.Minute, Send: time.Minute}

// Socket is an open socket. Its file descriptor is non-blocking and
// close-on-exec; blocking calls park the goroutine on the runtime poller.
// A Socket may be used by one reader and one writer at the same time.
type Socket struct {
	fd     int
	family Family
	typ    SockType
	proto  Protocol
	trace  TraceFunc

	timeouts atomic.Pointer[Timeouts]
	sendSize atomic.Int64

	// The descriptor joins the runtime poller on its first wait, not at
	// creation: an unconnected TCP socket polls as writable, and a poller
	// that saw that would wake a connect's wait for nothing (Go's net
	// package registers after connect(2) for the same reason).
	mu     sync.Mutex // guards registration and closed
	closed bool
	pfd    atomic.Pointer[pollFD] // &reg once registered
	reg    pollFD

	// A call tried without the runtime poller holds direct for reading;
	// Close sets directOff under it, so that no such call can run on the
	// descriptor once it is closed (and perhaps reused).
	direct    sync.RWMutex
	directOff bool
}

// Option configures a socket as it is created.
type Option func(*Socket)

// WithTrace reports every system call of the socket to fn, from the
// socket(2) call on.
func WithTrace(fn TraceFunc) Option { return func(s *Socket) { s.trace = fn } }

// WithTimeouts sets the socket's timeouts instead of DefaultTimeouts.
func WithTimeouts(t Timeouts) Option {
	return func(s *Socket) { s.timeouts.Store(&t) }
}

// NewSocket creates a socket like the egg's (socket family type protocol).
// A TCP socket gets TCP_NODELAY, as Go's net package gives it; it is an
// ordinary option that can be turned off.
func NewSocket(family Family, typ SockType, proto Protocol, opts ...Option) (*Socket, error) {
	s := configured(family, typ, proto, opts)
	fd, err := s.sys("socket", noFD, func() (int, error) { return sysSocket(family, typ, proto) }, func(c *Syscall) {
		c.Args = fmt.Sprintf("%s, %s|SOCK_NONBLOCK|SOCK_CLOEXEC, %d", family.CName(), typ.CName(), int(proto))
		c.NewFDs = []int{c.Result}
	})
	if err != nil {
		return nil, sysError("socket", Addr{}, err)
	}
	s.fd = fd
	s.setDefaultOptions()
	return s, nil
}

// configured returns a socket value, not yet open, with defaults and opts.
func configured(family Family, typ SockType, proto Protocol, opts []Option) *Socket {
	s := &Socket{fd: -1, family: family, typ: typ, proto: proto}
	s.timeouts.Store(&DefaultTimeouts)
	s.sendSize.Store(DefaultSendSize)
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// derive wraps a descriptor the kernel made for us (accept, socketpair) with
// the family, type, protocol, trace hook and timeouts of parent.
func (parent *Socket) derive(fd int, family Family) *Socket {
	s := &Socket{fd: fd, family: family, typ: parent.typ, proto: parent.proto, trace: parent.trace}
	s.timeouts.Store(parent.timeouts.Load())
	s.sendSize.Store(parent.sendSize.Load())
	s.setDefaultOptions()
	return s
}

// isTCP reports whether s is a TCP socket.
func (s *Socket) isTCP() bool {
	return (s.family == FamilyInet || s.family == FamilyInet6) && s.typ == SockStream &&
		(s.proto == ProtoDefault || s.proto == ProtoTCP)
}

func (s *Socket) setDefaultOptions() {
	if s.isTCP() {
		// Best effort, as in Go's net package: a socket without it still works.
		_ = s.setInt("setsockopt", unix.IPPROTO_TCP, unix.TCP_NODELAY, "IPPROTO_TCP, TCP_NODELAY", 1)
	}
}

// Fd returns the file descriptor (the egg's socket-fileno).
func (s *Socket) Fd() int { return s.fd }

// Family returns the address family the socket was created with.
func (s *Socket) Family() Family { return s.family }

// Type returns the socket type.
func (s *Socket) Type() SockType { return s.typ }

// Protocol returns the protocol the socket was created with (0 = default).
func (s *Socket) Protocol() Protocol { return s.proto }

// String describes the socket as the egg prints it.
func (s *Socket) String() string {
	return fmt.Sprintf("#<socket fd:%d %s %s>", s.fd, s.family, s.typ)
}

// Timeouts returns the socket's current timeouts.
func (s *Socket) Timeouts() Timeouts { return *s.timeouts.Load() }

// SetTimeouts replaces the socket's timeouts; waits already under way keep
// the limit they started with.
func (s *Socket) SetTimeouts(t Timeouts) { s.timeouts.Store(&t) }

// control runs fn with the descriptor, guarded against a concurrent Close.
func (s *Socket) control(fn func(fd int) error) error {
	if p := s.pfd.Load(); p != nil {
		var opErr error
		if err := p.rc.Control(func(fd uintptr) { opErr = fn(int(fd)) }); err != nil {
			return s.pollerError(err)
		}
		return opErr
	}
	s.mu.Lock()
	if s.pfd.Load() != nil { // registered meanwhile
		s.mu.Unlock()
		return s.control(fn)
	}
	defer s.mu.Unlock()
	if s.closed {
		return os.ErrClosed
	}
	return fn(s.fd)
}

// poller registers the descriptor with the runtime poller once.
func (s *Socket) poller() (*pollFD, error) {
	if p := s.pfd.Load(); p != nil {
		return p, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pfd.Load(); p != nil {
		return p, nil
	}
	if s.closed {
		return nil, os.ErrClosed
	}
	p, err := s.register()
	if err != nil {
		return nil, err
	}
	s.pfd.Store(p)
	return p, nil
}

// Bind gives the socket a local address (the egg's socket-bind).
func (s *Socket) Bind(a Addr) error {
	const op = "bind"
	var sa rawSockaddr
	if err := sa.set(a); err != nil {
		return &Error{Op: op, Addr: a, Class: ClassInvalid, Err: err}
	}
	err := s.control(func(fd int) error {
		_, err := s.sys(op, fd, func() (int, error) { return 0, sysAddrCall(unix.SYS_BIND, fd, &sa) }, args("%d, %s", fd, a))
		return err
	})
	if err != nil {
		return sysError(op, a, err)
	}
	return nil
}

// Listen marks the socket as accepting connections with the given backlog
// (the egg's socket-listen; the backlog is required there too).
func (s *Socket) Listen(backlog int) error {
	const op = "listen"
	err := s.control(func(fd int) error {
		_, err := s.sys(op, fd, func() (int, error) { return 0, unix.Listen(fd, backlog) }, args("%d, %d", fd, backlog))
		return err
	})
	if err != nil {
		return sysError(op, Addr{}, err)
	}
	return nil
}

// Accept waits for a connection (up to the accept timeout) and returns it
// with the peer's address. The new socket has the listener's family, type,
// protocol, timeouts and trace hook. When the process or the system is out
// of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), the error is
// ClassTransient: the connection stays queued and the listener works again
// once some are free.
func (s *Socket) Accept(ctx context.Context) (*Socket, Addr, error) {
	const op = "accept"
	var nfd int
	var peer rawSockaddr
	var acceptErr error
	err := s.await(ctx, op, Addr{}, false, s.Timeouts().Accept, func(fd int) bool {
		for range 8 { // interrupted, or aborted while queued: try again
			nfd, acceptErr = s.sys(op, fd, func() (int, error) {
				return sysAccept(fd, &peer)
			}, func(c *Syscall) {
				c.Args = fmt.Sprintf("%d", fd)
				if c.Result >= 0 {
					c.NewFDs = []int{c.Result}
				}
			})
			if acceptErr != unix.ECONNABORTED && acceptErr != unix.EINTR {
				break
			}
		}
		return acceptErr != unix.EAGAIN
	})
	if err == nil {
		err = acceptErr
	}
	if err != nil {
		e := sysError(op, Addr{}, err)
		switch e.Errno {
		case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
			e.Class = ClassTransient
		}
		return nil, Addr{}, e
	}
	from := peer.addr()
	family := s.family
	if from.IsValid() {
		family = from.Family()
	}
	return s.derive(nfd, family), from, nil
}

// pollNow reports whether the socket is readable right now.
func (s *Socket) pollNow(op string) (bool, error) {
	var ready bool
	err := s.control(func(fd int) error {
		n, err := s.sys("poll", fd, func() (int, error) { return pollNow(fd, unix.POLLIN) }, args("fd %d, POLLIN, timeout 0", fd))
		ready = n > 0
		return err
	})
	if err != nil {
		return false, sysError(op, Addr{}, err)
	}
	return ready, nil
}

// AcceptReady reports whether Accept would not wait (socket-accept-ready?).
func (s *Socket) AcceptReady() (bool, error) { return s.pollNow("socket-accept-ready?") }

// ReceiveReady reports whether a receive would not wait (socket-receive-ready?).
func (s *Socket) ReceiveReady() (bool, error) { return s.pollNow("socket-receive-ready?") }

// Shutdown closes one or both directions. ENOTCONN is ignored, since the
// peer may have gone already.
func (s *Socket) Shutdown(how ShutHow) error {
	const op = "shutdown"
	err := s.control(func(fd int) error {
		_, err := s.sys(op, fd, func() (int, error) { return 0, unix.Shutdown(fd, int(how)) },
			args("%d, SHUT_%s", fd, upper(how.String())))
		return err
	})
	if err != nil && err != unix.ENOTCONN {
		return sysError(op, Addr{}, err)
	}
	return nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Close closes the socket. Waits under way on it end with ErrClosed. A
// second Close reports ErrClosed.
func (s *Socket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return &Error{Op: "close", Class: ClassFatal, Err: ErrClosed}
	}
	s.closed = true
	p := s.pfd.Load()
	s.mu.Unlock()
	s.direct.Lock()
	s.directOff = true
	s.direct.Unlock()
	if p != nil {
		p.rd.watch.release()
		p.wr.watch.release()
	}

	_, err := s.sys("close", s.fd, func() (int, error) {
		if p != nil {
			return 0, p.file.Close()
		}
		return 0, unix.Close(s.fd)
	}, args("%d", s.fd))
	if err != nil {
		return sysError("close", Addr{}, err)
	}
	return nil
}

// IsClosed reports whether Close has been called.
func (s *Socket) IsClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// LocalAddr returns the socket's own address (getsockname), including UNIX
// paths and port 0.
func (s *Socket) LocalAddr() (Addr, error) {
	return s.sockname("getsockname", unix.SYS_GETSOCKNAME)
}

// Name is the egg's socket-name: the local address, or the zero Addr for a
// UNIX socket or an unbound one (port 0).
func (s *Socket) Name() (Addr, error) {
	a, err := s.LocalAddr()
	if err != nil || a.Family() == FamilyUnix || a.Port() == 0 {
		return Addr{}, err
	}
	return a, nil
}

// PeerAddr returns the connected peer's address (getpeername), or the zero
// Addr when the socket is not connected (the egg's socket-peer-name).
func (s *Socket) PeerAddr() (Addr, error) {
	a, err := s.sockname("getpeername", unix.SYS_GETPEERNAME)
	if errors.Is(err, unix.ENOTCONN) {
		return Addr{}, nil
	}
	return a, err
}

// sockname asks for the local or the peer address (trap is getsockname or
// getpeername).
func (s *Socket) sockname(op string, trap uintptr) (Addr, error) {
	var a Addr
	err := s.control(func(fd int) error {
		_, err := s.sys(op, fd, func() (int, error) {
			var raw rawSockaddr
			err := sysSockname(trap, fd, &raw)
			if err == nil {
				a = raw.addr()
			}
			return 0, err
		}, func(c *Syscall) { c.Args = fmt.Sprintf("%d -> %s", fd, a) })
		return err
	})
	if err != nil {
		return Addr{}, sysError(op, Addr{}, err)
	}
	return a, nil
}

// setInt is setsockopt with an int value, traced.
func (s *Socket) setInt(op string, level, name int, label string, v int) error {
	return s.control(func(fd int) error {
		_, err := s.sys(op, fd, func() (int, error) { return 0, unix.SetsockoptInt(fd, level, name, v) },
			args("%d, %s, %d", fd, label, v))
		return err
	})
}
