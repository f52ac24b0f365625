package netcore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Class says what kind of failure an error is, after the egg's condition
// kinds. A Class is itself an error so that errors.Is(err, ClassTimeout)
// tests the class of any *Error in a chain.
type Class uint8

// Error classes. ClassOK is the zero value: no failure.
const (
	ClassOK Class = iota
	// ClassTransient: the peer or the path said no for now (refused,
	// unreachable, network down, the kernel's own ETIMEDOUT), so connecting
	// to the next address makes sense; or an accept ran out of descriptors
	// or memory, so accepting again later does.
	ClassTransient
	// ClassTimeout: one of netcore's own timeouts, or the context's deadline,
	// passed. The socket stays open except after a connect.
	ClassTimeout
	// ClassFatal: any other system error.
	ClassFatal
	// ClassUnsupported: an option this system or socket does not have.
	ClassUnsupported
	// ClassCancelled: the caller's context was cancelled.
	ClassCancelled
	// ClassInvalid: bad input from the caller (the egg's type and domain
	// errors); nothing was done.
	ClassInvalid
)

var classNames = [...]string{"ok", "transient", "timeout", "fatal", "unsupported", "cancelled", "invalid"}

// String returns the class name: "ok", "transient", "timeout", ...
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Error returns the class name, so that a Class can serve as a sentinel.
func (c Class) Error() string { return c.String() }

// ErrNoName is matched by errors.Is when a name or service does not resolve
// (getaddrinfo's EAI_NONAME; the egg returns an empty list).
var ErrNoName = errors.New("name or service not known")

// ErrClosed is matched by errors.Is when an operation is tried on a closed
// socket, and by the error of a call that was waiting when the socket was
// closed. Such errors are ClassFatal.
var ErrClosed = errors.New("use of closed socket")

// Error is the error type of every netcore operation.
type Error struct {
	Op    string     // the operation, as the egg names it: "connect", "bind", ...
	Addr  Addr       // the address involved, if any
	Class Class      // what kind of failure this is
	Errno unix.Errno // the system's errno, 0 when no system call failed
	Err   error      // the cause: the errno, a context error, or a message
}

// Error reads "op address: cause (ERRNO)".
func (e *Error) Error() string {
	msg := e.Op
	if e.Addr.IsValid() {
		msg += " " + e.Addr.String()
	}
	cause := "unknown error"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	if e.Errno != 0 {
		cause += " (" + ErrnoName(e.Errno) + ")"
	}
	return msg + ": " + cause
}

// Unwrap returns the cause, so errors.Is(err, unix.ECONNREFUSED) and
// errors.Is(err, context.Canceled) work.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Class.
func (e *Error) Is(target error) bool {
	c, ok := target.(Class)
	return ok && c == e.Class
}

// Timeout reports whether the error is a timeout, as net.Error does.
func (e *Error) Timeout() bool { return e.Class == ClassTimeout }

// Temporary reports whether retrying, or trying another address, may work.
func (e *Error) Temporary() bool { return e.Class == ClassTransient || e.Class == ClassTimeout }

// ErrnoName returns the C name of an errno, such as "ECONNREFUSED", or "" for 0.
func ErrnoName(e unix.Errno) string {
	if e == 0 {
		return ""
	}
	if name := unix.ErrnoName(e); name != "" {
		return name
	}
	return fmt.Sprintf("errno %d", int(e))
}

// ClassOf returns the Class of err: ClassOK for nil, the *Error's class, or
// ClassFatal for any other error.
func ClassOf(err error) Class {
	if err == nil {
		return ClassOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassFatal
}

// ErrnoOf returns the errno inside err, or 0.
func ErrnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

// transientErrnos are the connect failures after which the next address is
// worth a try. The egg's code lists refused, timed out and both unreachables;
// its documentation adds "network down", and so do we.
func isTransientErrno(errno unix.Errno) bool {
	switch errno {
	case unix.ECONNREFUSED, unix.ETIMEDOUT, unix.ENETUNREACH, unix.EHOSTUNREACH, unix.ENETDOWN:
		return true
	}
	return false
}

// connectError builds the error of a failed connect from its cause.
func connectError(op string, to Addr, err error) *Error {
	e := sysError(op, to, err)
	if e.Class == ClassFatal && isTransientErrno(e.Errno) {
		e.Class = ClassTransient
	}
	return e
}

// sysError wraps the error of a system call or a wait. Deadline and context
// errors become timeout or cancelled; errnos are fatal; a closed socket is
// ErrClosed.
func sysError(op string, addr Addr, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	out := &Error{Op: op, Addr: addr, Class: ClassFatal, Err: err}
	var errno unix.Errno
	switch {
	case errors.As(err, &errno):
		out.Errno = errno
		out.Err = errno
	case errors.Is(err, context.Canceled):
		out.Class = ClassCancelled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		out.Class = ClassTimeout
	case errors.Is(err, os.ErrClosed):
		out.Err = ErrClosed
	}
	return out
}

// timeoutError is the error of a wait that passed netcore's own timeout.
func timeoutError(op string, addr Addr, d time.Duration) *Error {
	return &Error{Op: op, Addr: addr, Class: ClassTimeout, Err: timedOut{d}}
}

// timedOut is the cause of a timeout error. It is built as the error is
// read, not when the timeout passes: a caller that polls with short
// timeouts pays nothing for the text.
type timedOut struct{ after time.Duration }

func (t timedOut) Error() string {
	if t.after < 0 {
		return "timed out (the timeout had already passed): " + os.ErrDeadlineExceeded.Error()
	}
	return "timed out after " + t.after.String() + ": " + os.ErrDeadlineExceeded.Error()
}

// Unwrap makes errors.Is(err, os.ErrDeadlineExceeded) hold.
func (t timedOut) Unwrap() error { return os.ErrDeadlineExceeded }

// invalidf builds a ClassInvalid error: bad input, nothing done.
func invalidf(op, format string, args ...any) *Error {
	return &Error{Op: op, Class: ClassInvalid, Err: fmt.Errorf(format, args...)}
}
