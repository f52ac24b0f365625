package netcore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pollFD is a socket registered with the runtime poller, with the state of
// its two sides.
type pollFD struct {
	file   *os.File
	rc     syscall.RawConn
	rd, wr side
}

// register registers the socket's descriptor with the runtime poller, in
// the pollFD the socket holds (one allocation with the socket, so that a
// receive touches fewer memory pages).
func (s *Socket) register() (*pollFD, error) {
	file := os.NewFile(uintptr(s.fd), fmt.Sprintf("socket:%d", s.fd))
	rc, err := file.SyscallConn()
	if err != nil {
		return nil, err
	}
	p := &s.reg
	p.file, p.rc = file, rc
	p.rd.init(s, "POLLIN", rc.Read, file.SetReadDeadline)
	p.wr.init(s, "POLLOUT", rc.Write, file.SetWriteDeadline)
	return p, nil
}

// side is one direction of a registered socket: receiving (and accepting)
// or sending (and connecting). The runtime poller runs one operation at a
// time on each side anyway, so a side keeps the state of its operation
// (what to do, the wait's deadline, the buffers' addresses) from call to
// call, and a receive or send that needs no new memory allocates none.
type side struct {
	sock        *Socket
	event       string                              // "POLLIN" or "POLLOUT", for the trace
	wait        func(f func(fd uintptr) bool) error // the RawConn's Read or Write
	setDeadline func(t time.Time) error             // the file's read or write deadline
	stepFn      func(fd uintptr) bool               // step, bound once

	mu sync.Mutex // held for a whole operation

	// The operation under way.
	kind      opKind
	custom    func(fd int) bool // opCustom: one try of the operation
	x         transfer          // opReceive, opMessage, opSend
	ctx       context.Context
	timeout   time.Duration
	armed     bool      // a deadline is set and the context watched
	waited    bool      // the last operation had to wait
	waitStart time.Time // when the traced wait began; zero when not waiting

	// The sender of the last datagram received from an address whose
	// conversion costs memory (UNIX, IPv6 with a zone), and the last
	// destination sent to, converted.
	lastFrom   rawSockaddr
	lastFromAt Addr
	lastTo     Addr
	lastToRaw  rawSockaddr

	watch ctxWatch
}

// opKind says what a side's operation does in each try.
type opKind uint8

const (
	opCustom  opKind = iota // side.custom
	opReceive               // one read or recvfrom
	opMessage               // a whole datagram: ReceiveMessage
	opSend                  // one sendmsg
)

// await calls try until it reports done, waiting between calls for the
// descriptor to become readable (or writable) on the runtime poller, up to
// timeout and the context. A timeout of 0 is no limit; a negative one has
// already passed, so try runs once and await does not wait. try does the
// system call and keeps its own result; await returns only the failure of
// the wait itself.
func (s *Socket) await(ctx context.Context, op string, addr Addr, write bool, timeout time.Duration, try func(fd int) bool) error {
	sd, err := s.lockSide(write)
	if err != nil {
		return sysError(op, addr, err)
	}
	defer sd.mu.Unlock()
	sd.kind, sd.custom = opCustom, try
	err = sd.run(ctx, op, addr, timeout)
	sd.custom = nil
	return err
}

// traceWait reports the wait that just ended, if one was traced.
func (sd *side) traceWait(fd, ready int) {
	s := sd.sock
	if s.trace == nil || sd.waitStart.IsZero() {
		return
	}
	s.trace(Syscall{Name: "poll", FD: fd, Result: ready, Start: sd.waitStart, Duration: time.Since(sd.waitStart),
		Args: fmt.Sprintf("fd %d, %s, timeout %s", fd, sd.event, timeoutText(sd.timeout))})
	sd.waitStart = time.Time{}
}

// arm sets the wait's deadline, the nearer of the timeout's and the
// context's, and watches the context.
func (sd *side) arm() {
	var deadline time.Time
	switch {
	case sd.timeout > 0:
		deadline = time.Now().Add(sd.timeout)
	case sd.timeout < 0:
		deadline = aLongTimeAgo
	}
	if d, ok := sd.ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline = d
	}
	sd.watch.arm(sd.ctx, deadline)
	sd.armed = true
}

// aLongTimeAgo is a deadline in the past, to wake a wait at once.
var aLongTimeAgo = time.Unix(1, 0)

// waitError turns the failure of a wait into the operation's error: the
// timeout's, the context's, or ErrClosed when the socket was closed.
func (s *Socket) waitError(ctx context.Context, op string, addr Addr, timeout time.Duration, err error) error {
	err = s.pollerError(err)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if ctx.Err() != nil {
			return sysError(op, addr, ctx.Err())
		}
		return timeoutError(op, addr, timeout)
	}
	return sysError(op, addr, err)
}

// pollerError turns the runtime poller's error for a descriptor that is
// being closed ("use of closed file", which is not os.ErrClosed) into
// ErrClosed. Close marks the socket closed before it closes the file, so
// any failure of the poller after that is the closing.
func (s *Socket) pollerError(err error) error {
	if s.IsClosed() {
		return ErrClosed
	}
	return err
}

func timeoutText(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}

// ctxWatch ends a side's wait when the context of that wait is done. It
// stays registered (context.AfterFunc) with the last context whose
// cancellation it watched, so that a run of calls with the same context
// (or contexts that share its Done channel, as WithCallTimeout's do)
// registers once, not at every wait.
type ctxWatch struct {
	side *side
	fn   func() // cancelled, bound once

	mu      sync.Mutex
	done    <-chan struct{} // the Done channel watched
	stop    func() bool     // unregisters the watch
	waiting context.Context // the context of the wait under way; nil when none
}

// arm sets the deadline of a wait for ctx and makes sure ctx is watched.
func (w *ctxWatch) arm(ctx context.Context, deadline time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if done := ctx.Done(); done != nil && done != w.done {
		if w.stop != nil {
			w.stop()
		}
		w.done, w.stop = done, context.AfterFunc(ctx, w.fn)
	}
	w.waiting = ctx
	if ctx.Err() != nil { // done before the watch saw a wait
		deadline = aLongTimeAgo
	}
	_ = w.side.setDeadline(deadline)
}

// disarm ends a wait: no deadline, and nothing for the watch to cancel.
func (w *ctxWatch) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiting = nil
	_ = w.side.setDeadline(time.Time{})
}

// cancelled runs when a watched context is done. It wakes the wait under
// way if that wait's context is done; a watch left from an earlier context
// finds nothing to do.
func (w *ctxWatch) cancelled() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting != nil && w.waiting.Err() != nil {
		_ = w.side.setDeadline(aLongTimeAgo)
	}
}

// release unregisters the watch, when the socket closes.
func (w *ctxWatch) release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		w.stop()
	}
	w.done, w.stop = nil, nil
}

// pollNow polls fd once for events, without waiting. A signal (the Go
// runtime's preemption sends them all the time) can interrupt even a poll
// that does not wait: it is polled again, so that EINTR is never taken for
// readiness (WaitReadable on a quiet socket once returned at once so).
func pollNow(fd int, events int16) (n int, err error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
	for range 8 {
		if n, err = unix.Poll(fds, 0); err != unix.EINTR {
			return n, err
		}
	}
	return n, err
}
