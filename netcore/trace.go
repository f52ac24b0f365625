package netcore

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Syscall is one system call (or one wait on the runtime poller) made for a
// socket, as the trace hook reports it.
type Syscall struct {
	Name     string        // "socket", "connect", "poll", "getsockopt", ...
	Args     string        // the arguments, formatted for people
	FD       int           // the descriptor the call was made on; -1 for none (socket, socketpair)
	NewFDs   []int         // the descriptors the call created: socket, accept, socketpair
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

// noFD is the FD of a call made on no descriptor.
const noFD = -1

// sysTraced is sys for a traced socket (sys, in data_io.go, stays small):
// it times the call and reports it.
func (s *Socket) sysTraced(name string, fd int, call func() (int, error), describe func(c *Syscall)) (int, error) {
	start := time.Now()
	result, err := call()
	c := Syscall{Name: name, FD: fd, Result: result, Start: start, Duration: time.Since(start)}
	if err != nil {
		c.Result = -1
		c.Errno = ErrnoOf(err)
	}
	describe(&c)
	s.trace(c)
	return result, err
}

// args returns a describe function that only formats the arguments. It
// boxes them even when the socket is untraced, so the data path formats in
// a closure of its own instead.
func args(format string, a ...any) func(c *Syscall) {
	return func(c *Syscall) { c.Args = fmt.Sprintf(format, a...) }
}
