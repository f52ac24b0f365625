package netcore

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Conn is a net.Conn view of a connected stream socket, so that code
// written for Go's net package (crypto/tls above all) runs over a netcore
// socket. Reads and writes are the socket's own Receive and Send: the
// bytes take no other path, and the socket keeps its trace hook and its
// options.
//
// Deadlines follow net.Conn, not the socket's timeouts: with no deadline a
// read or write waits as long as it must; a deadline in the past fails at
// once, even when data is waiting; moving a deadline applies to the reads
// and writes already waiting. A deadline that passes gives an *Error of
// class ClassTimeout, which is a net.Error whose Timeout and Temporary are
// true and which matches os.ErrDeadlineExceeded with errors.Is; the Conn
// stays usable after it.
//
// Like the socket, a Conn may be used by one reader and one writer at the
// same time.
type Conn struct {
	s             *Socket
	local, remote net.Addr
	rd, wr        deadline
}

// NewConn makes the net.Conn view of s, which must be a connected stream
// socket; otherwise the error is ClassInvalid. Closing the Conn closes s.
func NewConn(s *Socket) (*Conn, error) {
	const op = "conn"
	if s.Type() != SockStream {
		return nil, invalidf(op, "a %s socket is not a stream", s.Type())
	}
	local, err := s.LocalAddr()
	if err != nil {
		return nil, err
	}
	remote, err := s.PeerAddr()
	if err != nil {
		return nil, err
	}
	if !remote.IsValid() {
		return nil, invalidf(op, "the socket is not connected")
	}
	c := &Conn{s: s, local: netAddr(local), remote: netAddr(remote)}
	c.rd.init()
	c.wr.init()
	return c, nil
}

// Socket returns the socket behind the Conn.
func (c *Conn) Socket() *Socket { return c.s }

// Read receives into p: io.EOF once the peer has shut down its side.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := c.rd.run("read", func(ctx context.Context) (err error) {
		n, err = c.s.Receive(ctx, p, 0)
		return err
	})
	switch {
	case err != nil:
		return 0, c.closedError(err)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write sends all of p, in as many sends as it takes. Unlike SendAll it
// does not cut p in pieces of the socket's send size: a TLS record of 16
// KiB and its few bytes of overhead go in one send when the kernel takes
// them.
func (c *Conn) Write(p []byte) (int, error) {
	sent := 0
	err := c.wr.run("write", func(ctx context.Context) error {
		for sent < len(p) {
			n, err := c.s.Send(ctx, p[sent:], 0)
			sent += n
			if err != nil {
				return err
			}
		}
		return nil
	})
	return sent, c.closedError(err)
}

// CloseWrite shuts down the sending side (SHUT_WR): the peer reads the end
// of the stream and can still answer.
func (c *Conn) CloseWrite() error { return c.s.Shutdown(ShutWR) }

// Close closes the socket; reads and writes under way end with ErrClosed.
func (c *Conn) Close() error { return c.closedError(c.s.Close()) }

// LocalAddr returns the socket's own address: a *net.TCPAddr or a
// *net.UnixAddr.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's address: a *net.TCPAddr or a *net.UnixAddr.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and the write deadline; the zero time means
// none.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wr.set(t)
	return nil
}

// SetReadDeadline sets the read deadline, for the read waiting now too;
// the zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline sets the write deadline, for the write waiting now too;
// the zero time means none.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wr.set(t)
	return nil
}

// closedError makes the failure of a closed socket match net.ErrClosed as
// well as ErrClosed, as users of net.Conn expect. A wait that the close
// ended fails with the runtime poller's own words, so the socket's state
// decides.
func (c *Conn) closedError(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Errno == 0 && (errors.Is(e.Err, ErrClosed) || c.s.IsClosed()) {
		return &Error{Op: e.Op, Addr: e.Addr, Class: ClassFatal, Err: errConnClosed}
	}
	return err
}

// errConnClosed is ErrClosed that also matches net.ErrClosed.
var errConnClosed = connClosedError{}

type connClosedError struct{}

func (connClosedError) Error() string { return ErrClosed.Error() }

func (connClosedError) Is(target error) bool { return target == ErrClosed || target == net.ErrClosed }

// netAddr converts an address to the net package's form.
func netAddr(a Addr) net.Addr {
	if a.Family() == FamilyUnix {
		return &net.UnixAddr{Name: a.Path(), Net: "unix"}
	}
	ap := a.AddrPort()
	return &net.TCPAddr{IP: ap.Addr().AsSlice(), Port: int(ap.Port()), Zone: ap.Addr().Zone()}
}

// deadline is one direction's deadline. Every change cancels the context
// of the calls waiting under the old one, which then wait again under the
// new one.
type deadline struct {
	mu     sync.Mutex
	at     time.Time
	moved  context.Context // cancelled when at changes
	cancel context.CancelFunc
}

func (d *deadline) init() { d.moved, d.cancel = context.WithCancel(context.Background()) }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = t
	d.cancel()
	d.init()
}

func (d *deadline) current() (time.Time, context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.at, d.moved
}

// run calls try under the deadline: only the deadline limits its waits,
// not the socket's timeouts. When the deadline moves while try waits, try
// is called again under the new one (a write goes on from where it was).
func (d *deadline) run(op string, try func(ctx context.Context) error) error {
	for {
		at, moved := d.current()
		if !at.IsZero() && !time.Now().Before(at) {
			return deadlineError(op)
		}
		ctx, cancel := moved, context.CancelFunc(func() {})
		if !at.IsZero() {
			ctx, cancel = context.WithDeadline(moved, at)
		}
		err := try(WithCallTimeout(ctx, 0))
		passed := ctx.Err() == context.DeadlineExceeded
		cancel()
		switch class := ClassOf(err); {
		case class == ClassCancelled && moved.Err() != nil:
			continue // the deadline moved: wait again under the new one
		case class == ClassTimeout && passed:
			return deadlineError(op)
		}
		return err
	}
}

// deadlineError is the error of a deadline that has passed.
func deadlineError(op string) error {
	return &Error{Op: op, Class: ClassTimeout, Err: os.ErrDeadlineExceeded}
}
