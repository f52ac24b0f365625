package netcore

import (
	"bytes"
	"context"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The data path: every function a receive or a send runs through, in the
// order it runs them, kept in this one file. The order is for speed: on a
// kernel that flushes the TLB at each system call (page-table isolation
// without PCID, as on the build machine), every page of code touched after
// the call costs a page walk, and a path spread over the package's files
// touched twice as many as Go's net package does.

// transfer is the receive or send a side is making: its input, kept while
// the operation lasts, and its result.
type transfer struct {
	buf   []byte      // the caller's buffer
	flags MsgFlags    // the caller's flags
	from  bool        // receive with recvfrom, to learn the sender
	to    bool        // send to the side's lastToRaw, not the connected peer
	addr  rawSockaddr // the sender
	data  []byte      // opMessage: the datagram
	n     int
	err   error
}

// maxIPDatagram bounds every IPv4 and IPv6 datagram (without jumbograms,
// which no UDP socket sends): a buffer this big never cuts one off.
const maxIPDatagram = 65535

// bufPtr returns the address of p's first byte, or of a static byte for an
// empty p (the kernel wants a valid pointer even for no bytes).
func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return unsafe.Pointer(&zeroByte)
	}
	return unsafe.Pointer(&p[0])
}

var zeroByte byte

// receiveMessage is ReceiveMessage and ReceiveDatagram.
func (s *Socket) receiveMessage(ctx context.Context, op string, buf []byte) ([]byte, Addr, error) {
	if s.typ == SockStream {
		return nil, Addr{}, invalidf(op, "a stream socket has no datagrams")
	}
	timeout := s.callTimeout(ctx, receiveTimeout)
	sd, err := s.lockSide(false)
	if err != nil {
		return nil, Addr{}, sysError(op, Addr{}, err)
	}
	x := &sd.x
	sd.kind, x.buf, x.data = opMessage, buf, nil
	err = sd.run(ctx, op, Addr{}, timeout)
	data := x.data
	if err == nil {
		err = x.err
	}
	var sender Addr
	if err == nil {
		sender = sd.sender()
	}
	x.buf, x.data = nil, nil
	sd.mu.Unlock()
	if err != nil {
		return nil, Addr{}, sysError(op, Addr{}, err)
	}
	return data, sender, nil
}

// lockSide registers the socket if need be and returns its reading or
// writing side, locked for one operation.
func (s *Socket) lockSide(write bool) (*side, error) {
	p := s.pfd.Load()
	if p == nil {
		var err error
		if p, err = s.poller(); err != nil {
			return nil, err
		}
	}
	sd := &p.rd
	if write {
		sd = &p.wr
	}
	sd.mu.Lock()
	return sd, nil
}

// init sets a side up for the socket's registered descriptor. It is not
// inlined, so that its closure, called at every try, sits here.
//
//go:noinline
func (sd *side) init(s *Socket, event string, wait func(func(uintptr) bool) error, setDeadline func(time.Time) error) {
	sd.sock, sd.event, sd.wait, sd.setDeadline = s, event, wait, setDeadline
	sd.stepFn = func(fd uintptr) bool { return sd.step(fd) } // not a method value: its wrapper would sit far away
	sd.watch.side = sd
	sd.watch.fn = sd.watch.cancelled
}

// run makes the side's operation: it calls step on the runtime poller until
// the operation is done or its wait fails, and returns that failure.
func (sd *side) run(ctx context.Context, op string, addr Addr, timeout time.Duration) error {
	if sd.tryDirect() {
		return nil
	}
	sd.ctx, sd.timeout, sd.armed, sd.waitStart = ctx, timeout, false, time.Time{}
	err := sd.wait(sd.stepFn)
	sd.waited = sd.armed
	if sd.armed {
		sd.watch.disarm()
	}
	sd.ctx = nil
	if err == nil {
		return nil
	}
	sd.traceWait(sd.sock.fd, 0)
	return sd.sock.waitError(ctx, op, addr, timeout, err)
}

// tryDirect makes the first try of an untraced socket's operation without
// the runtime poller, whose locks and checks cost as much as a tenth of a
// small datagram's receive. When the try is not done, run tries again
// through the poller: the poller forgets readiness it saw before a wait
// begins, so only a try made through it may be followed by a wait. So
// after an operation that had to wait, the next one goes to the poller at
// once; and a traced socket always does, so that its trace shows each call
// once.
func (sd *side) tryDirect() bool {
	s := sd.sock
	if s.trace != nil || sd.waited {
		return false
	}
	s.direct.RLock()
	done := !s.directOff && sd.try(s.fd)
	s.direct.RUnlock()
	return done
}

// step is one try of the operation. When it is not done, the deadline and
// the context's watch are armed before the poller waits: most calls on a
// busy socket never wait, and arming costs a runtime timer update.
func (sd *side) step(fd uintptr) bool {
	if !sd.waitStart.IsZero() { // set only when traced
		sd.traceWait(int(fd), 1)
	}
	if sd.try(int(fd)) {
		return true
	}
	if !sd.armed {
		sd.arm()
	}
	if sd.sock.trace != nil {
		sd.waitStart = time.Now()
	}
	return false
}

func (sd *side) try(fd int) bool {
	switch sd.kind {
	case opReceive:
		return sd.receiveOnce(fd)
	case opMessage:
		return sd.messageOnce(fd)
	case opSend:
		return sd.sendOnce(fd)
	}
	return sd.custom(fd)
}

// messageOnce receives one datagram whole. A buffer that holds any datagram
// the socket can get takes it in one recvfrom. Otherwise (UNIX datagrams
// can be far larger than any buffer) the datagram is first peeked into the
// buffer with its real size (MSG_TRUNC); if it fit, it is then taken off
// the queue with a receive of no bytes, else received into a new buffer of
// its size. Only that last case allocates.
func (sd *side) messageOnce(fd int) bool {
	x := &sd.x
	family := sd.sock.family
	if (family == FamilyInet || family == FamilyInet6) && len(x.buf) >= maxIPDatagram {
		n, err := sd.recvfrom(fd, x.buf, MsgTrunc)
		x.data = x.buf[:min(n, len(x.buf))]
		return x.done(n, err)
	}
	n, err := sd.recvfrom(fd, x.buf, MsgPeek|MsgTrunc)
	if err != nil {
		return x.done(n, err)
	}
	if n <= len(x.buf) {
		x.data = x.buf[:n]
		_, err = sd.recvfrom(fd, x.buf[:0], 0)
	} else {
		x.data = make([]byte, n)
		var m int
		m, err = sd.recvfrom(fd, x.data, 0)
		x.data = x.data[:m]
	}
	x.done(len(x.data), err)
	return true // the datagram was there: never wait for another
}

// recvfrom is one recvfrom into p, the sender going to the transfer.
func (sd *side) recvfrom(fd int, p []byte, flags MsgFlags) (int, error) {
	x := &sd.x
	return sd.sock.sys("recvfrom", fd, func() (int, error) { return sysRecvfrom(fd, p, int(flags), &x.addr) },
		func(c *Syscall) { c.Args = fmt.Sprintf("%d, %d bytes, %s", fd, len(p), flags) })
}

// sys makes one system call for the socket: call runs it and returns its
// result. When the socket is traced, the call is timed and reported, and
// describe fills in the arguments (and NewFDs) of the report; it runs after
// the call, with Result and Errno set, so it can show what the call
// returned. Untraced, sys costs nothing but the call: the tracing is out
// of line (sysTraced), and the closures, which do not escape, are made on
// the stack.
func (s *Socket) sys(name string, fd int, call func() (int, error), describe func(c *Syscall)) (int, error) {
	if s.trace == nil {
		return call()
	}
	return s.sysTraced(name, fd, call, describe)
}

// sysRecvfrom is recvfrom(2) into p, with the sender written to r. It is
// a raw system call, which does not tell the scheduler: the descriptor is
// non-blocking, so the call never waits, and it saves the scheduler's entry
// and exit, a tenth of the time of a small datagram's receive here.
func sysRecvfrom(fd int, p []byte, flags int, r *rawSockaddr) (int, error) {
	r.reset()
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)), uintptr(flags),
		uintptr(unsafe.Pointer(&r.any)), uintptr(unsafe.Pointer(&r.len)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// done records a system call's outcome and reports whether the operation
// is over: it is not when the call would have had to wait.
func (x *transfer) done(n int, err error) bool {
	x.n, x.err = n, err
	return err != unix.EAGAIN && err != unix.EINTR
}

// sender converts the sender of the last receive. A UNIX datagram from an
// unbound socket comes without an address: it is from the unnamed one. An
// address whose conversion allocates or asks the system (a UNIX path, an
// IPv6 zone's name) is converted once for a run of datagrams from it.
func (sd *side) sender() Addr {
	raw := &sd.x.addr
	s := sd.sock
	switch {
	case raw.len == 0 && s.family == FamilyUnix && s.typ != SockStream:
		return Addr{unix: true}
	case raw.len == 0:
		return Addr{}
	case int(raw.any.Addr.Family) == unix.AF_INET:
		return raw.inet4()
	case int(raw.any.Addr.Family) == unix.AF_INET6 && (*unix.RawSockaddrInet6)(unsafe.Pointer(&raw.any)).Scope_id == 0:
		return raw.addr()
	case raw.len != sd.lastFrom.len || !bytes.Equal(raw.bytes(), sd.lastFrom.bytes()):
		sd.lastFrom = *raw
		sd.lastFromAt = raw.addr()
	}
	return sd.lastFromAt
}

// receive is Receive and ReceiveFrom: one read (or recvfrom, for the
// sender or with flags), waiting while there is nothing.
func (s *Socket) receive(ctx context.Context, op string, p []byte, flags MsgFlags, from bool, timeout time.Duration) (int, Addr, error) {
	sd, err := s.lockSide(false)
	if err != nil {
		return 0, Addr{}, sysError(op, Addr{}, err)
	}
	x := &sd.x
	sd.kind, x.buf, x.flags, x.from = opReceive, p, flags, from
	err = sd.run(ctx, op, Addr{}, timeout)
	n := x.n
	if err == nil {
		err = x.err
	}
	var sender Addr
	if err == nil && from {
		sender = sd.sender()
	}
	x.buf = nil
	sd.mu.Unlock()
	if err != nil {
		return 0, Addr{}, sysError(op, Addr{}, err)
	}
	return n, sender, nil
}

// receiveOnce makes one read, or recvfrom when the caller wants the sender
// or gave flags.
func (sd *side) receiveOnce(fd int) bool {
	x := &sd.x
	if !x.from && x.flags == 0 {
		return x.done(sd.sock.sys("read", fd, func() (int, error) { return unix.Read(fd, x.buf) },
			func(c *Syscall) { c.Args = fmt.Sprintf("%d, %d bytes, %s", fd, len(x.buf), x.flags) }))
	}
	return x.done(sd.recvfrom(fd, x.buf, x.flags))
}

// send is Send and SendTo: one sendmsg, waiting while the socket cannot
// take more.
func (s *Socket) send(ctx context.Context, op string, p []byte, to Addr, flags MsgFlags, timeout time.Duration) (int, error) {
	sd, err := s.lockSide(true)
	if err != nil {
		return 0, sysError(op, to, err)
	}
	x := &sd.x
	sd.kind, x.buf, x.flags, x.to = opSend, p, flags, to.IsValid()
	if x.to {
		if err := sd.destination(to); err != nil {
			sd.mu.Unlock()
			return 0, &Error{Op: op, Addr: to, Class: ClassInvalid, Err: err}
		}
	}
	err = sd.run(ctx, op, to, timeout)
	n := x.n
	if err == nil {
		err = x.err
	}
	x.buf = nil
	sd.mu.Unlock()
	if err != nil {
		return 0, sysError(op, to, err)
	}
	return n, nil
}

// sendOnce makes one sendmsg. SIGPIPE is never raised: a closed peer gives
// EPIPE.
func (sd *side) sendOnce(fd int) bool {
	x := &sd.x
	var to *rawSockaddr
	if x.to {
		to = &sd.lastToRaw
	}
	return x.done(sd.sock.sys("sendmsg", fd, func() (int, error) { return sysSendmsg(fd, x.buf, to, int(x.flags)|msgNoSignal) },
		func(c *Syscall) {
			dest := Addr{}
			if x.to {
				dest = sd.lastTo
			}
			c.Args = fmt.Sprintf("%d, %d bytes, %s, %s", fd, len(x.buf), destText(dest), x.flags)
		}))
}

// sysSendmsg is sendmsg(2) of p, to the address in to, or to the connected
// peer when to is nil.
func sysSendmsg(fd int, p []byte, to *rawSockaddr, flags int) (int, error) {
	var iov unix.Iovec
	iov.Base = (*byte)(bufPtr(p))
	iov.SetLen(len(p))
	var msg unix.Msghdr
	msg.Iov = &iov
	msg.SetIovlen(1)
	if to != nil {
		msg.Name = (*byte)(unsafe.Pointer(&to.any))
		msg.Namelen = to.len
	}
	n, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// destination converts the address a send goes to, once for a run of sends
// to the same address.
func (sd *side) destination(to Addr) error {
	if to == sd.lastTo {
		return nil
	}
	sd.lastTo = Addr{} // not valid until converted
	if err := sd.lastToRaw.set(to); err != nil {
		return err
	}
	sd.lastTo = to
	return nil
}
