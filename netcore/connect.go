package netcore

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Connect connects the socket to an address, like the egg's socket-connect:
// a non-blocking connect(2), a wait for the result up to the socket's
// connect timeout and the context, then SO_ERROR. The error's class is
// transient for refused, unreachable, network down and the kernel's own
// timeout; timeout when netcore's timeout passed; cancelled when the context
// was; fatal otherwise. Like the egg, a failed Connect closes the socket.
func (s *Socket) Connect(ctx context.Context, to Addr) error {
	err := s.connect(ctx, to, s.Timeouts().Connect)
	if err != nil {
		_ = s.Close()
	}
	return err
}

// connect is Connect without the close on failure, so that the Dialer can
// read the local address of a failed attempt first.
func (s *Socket) connect(ctx context.Context, to Addr, timeout time.Duration) error {
	const op = "connect"
	var sa rawSockaddr
	if err := sa.set(to); err != nil {
		return &Error{Op: op, Addr: to, Class: ClassInvalid, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return sysError(op, to, err)
	}
	var connErr error
	err := s.control(func(fd int) error {
		_, connErr = s.sys(op, fd, func() (int, error) { return 0, sysAddrCall(unix.SYS_CONNECT, fd, &sa) }, args("%d, %s", fd, to))
		return nil
	})
	if err != nil {
		return sysError(op, to, err)
	}
	switch connErr {
	case nil, unix.EISCONN:
		return nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
	default:
		return connectError(op, to, connErr)
	}

	// Ask SO_ERROR how it went, and wait until writable while it is still
	// going. The first check comes before any wait because the poller drops
	// readiness it saw before the wait began (on loopback a refusal is
	// often complete when connect(2) returns). No error and no peer yet
	// means still in progress.
	err = s.await(ctx, op, to, true, timeout, func(fd int) bool {
		var soErr int
		_, err := s.sys("getsockopt", fd, func() (int, error) {
			var err error
			soErr, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
			return 0, err
		}, func(c *Syscall) { c.Args = fmt.Sprintf("%d, SOL_SOCKET, SO_ERROR -> %s", fd, soErrorText(soErr)) })
		switch {
		case err != nil:
			connErr = err
		case soErr == 0:
			_, err := s.sys("getpeername", fd, func() (int, error) {
				_, err := unix.Getpeername(fd)
				return 0, err
			}, args("%d", fd))
			if err == unix.ENOTCONN {
				return false
			}
			connErr = nil
		default:
			switch errno := unix.Errno(soErr); errno {
			case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
				return false
			default:
				connErr = errno
			}
		}
		return true
	})
	if err != nil {
		return connectError(op, to, err)
	}
	if connErr != nil {
		return connectError(op, to, connErr)
	}
	return nil
}

func soErrorText(v int) string {
	if v == 0 {
		return "0"
	}
	return ErrnoName(unix.Errno(v))
}
