package netcore

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Syscall is one system call (or one wait on the runtime poller) made for a
// socket, as the trace hook reports it.
type Syscall struct {
	Name     string        // "socket", "connect", "wait", "getsockopt", ...
	Args     string        // the arguments, formatted for people
	Result   int           // the return value; -1 on failure
	Errno    unix.Errno    // the errno, 0 on success
	Start    time.Time     // when the call began
	Duration time.Duration // how long it took
}

// String shows the call as strace would: name(args) = result ERRNO (text).
func (c Syscall) String() string {
	s := fmt.Sprintf("%s(%s) = %d", c.Name, c.Args, c.Result)
	if c.Errno != 0 {
		s += " " + ErrnoName(c.Errno) + " (" + c.Errno.Error() + ")"
	}
	return s
}

// TraceFunc receives every system call of a socket. It runs on the calling
// goroutine, so it must be quick and safe for concurrent use when the socket
// is used by a reader and a writer at once.
type TraceFunc func(Syscall)

// traceCall reports one call to the socket's trace hook. Callers check
// s.trace != nil first so that formatting costs nothing untraced.
func (s *Socket) traceCall(name string, start time.Time, result int, err error, format string, args ...any) {
	call := Syscall{Name: name, Args: fmt.Sprintf(format, args...), Result: result,
		Start: start, Duration: time.Since(start)}
	if err != nil {
		call.Result = -1
		call.Errno = ErrnoOf(err)
	}
	s.trace(call)
}
