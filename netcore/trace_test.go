package netcore

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// traceLog records the calls of every socket it is given to.
type traceLog struct {
	mu    sync.Mutex
	calls []Syscall
}

func (l *traceLog) add(c Syscall) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// find returns the first call named name made on fd (any fd when fd < -1).
func (l *traceLog) find(t *testing.T, name string, fd int) Syscall {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.calls {
		if c.Name == name && (fd < -1 || c.FD == fd) {
			return c
		}
	}
	t.Fatalf("no %s on fd %d in %v", name, fd, l.calls)
	return Syscall{}
}

// The descriptor a call was made on, and those it made, are fields of the
// trace: nobody has to read them back out of Args, which keeps the
// strace-like text the workbench shows.
func TestTraceHasTypedDescriptors(t *testing.T) {
	var log traceLog
	ln, err := ListenConfig{Options: []Option{WithTrace(log.add)}}.Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	at, _ := ln.LocalAddr()
	c, err := NewSocket(FamilyInet, SockStream, 0, WithTrace(log.add))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx0, at); err != nil {
		t.Fatal(err)
	}
	s, _, err := ln.Accept(ctx0)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	s.Close()
	a, b, err := SocketPair(FamilyUnix, SockStream, 0, WithTrace(log.add))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()

	check := func(got Syscall, fd int, newFDs []int, text string) {
		t.Helper()
		if got.FD != fd || !slices.Equal(got.NewFDs, newFDs) || got.String() != text {
			t.Errorf("%s: fd %d, new %v, text %q; want fd %d, new %v, text %q", got.Name, got.FD, got.NewFDs, got, fd, newFDs, text)
		}
	}
	check(log.find(t, "socket", -2), -1, []int{ln.Fd()}, fmt.Sprintf("socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0) = %d", ln.Fd()))
	check(log.find(t, "connect", c.Fd()), c.Fd(), nil, fmt.Sprintf("connect(%d, %s) = -1 EINPROGRESS (operation now in progress)", c.Fd(), at))
	check(log.find(t, "accept", ln.Fd()), ln.Fd(), []int{s.Fd()}, fmt.Sprintf("accept(%d) = %d", ln.Fd(), s.Fd()))
	check(log.find(t, "getsockopt", c.Fd()), c.Fd(), nil, fmt.Sprintf("getsockopt(%d, SOL_SOCKET, SO_ERROR -> 0) = 0", c.Fd()))
	check(log.find(t, "close", s.Fd()), s.Fd(), nil, fmt.Sprintf("close(%d) = 0", s.Fd()))
	check(log.find(t, "socketpair", -1), -1, []int{a.Fd(), b.Fd()},
		fmt.Sprintf("socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0 -> [%d, %d]) = 0", a.Fd(), b.Fd()))
}
