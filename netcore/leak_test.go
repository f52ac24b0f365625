package netcore

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"sockbench/internal/testpeer"
)

// Thousands of failed connects (refused, timed out against a black hole,
// no such UNIX socket), accepted and closed connections, and receives
// cancelled or timed out while they waited leave no descriptor and no
// goroutine behind. Counts only: no timing is asserted.
func TestNoLeaks(t *testing.T) {
	refused := addrOf(t, testpeer.Refused(t, "127.0.0.1"))
	hole := addrOf(t, testpeer.BlackHole(t, "127.0.0.1"))
	missing, _ := UnixAddr(t.TempDir() + "/absent.sock")
	ln, err := Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	at, _ := ln.LocalAddr()
	ctx, cancel := context.WithTimeout(ctx0, 5*time.Minute) // a cap for a hang
	defer cancel()

	fds, goroutines := testpeer.OpenFDs(t), runtime.NumGoroutine()
	quick := Dialer{Timeout: time.Millisecond}
	for i := range 3000 {
		to := refused
		switch {
		case i%10 == 0:
			to = hole
		case i%3 == 0:
			to = missing
		}
		if s, err := quick.ConnectList(ctx, []AddrInfo{row(to)}); err == nil {
			s.Close()
			t.Fatalf("connect to %s succeeded", to)
		}
	}
	for i := range 500 {
		c, err := NewSocket(FamilyInet, SockStream, 0)
		if err == nil {
			err = c.Connect(ctx, at)
		}
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := ln.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Every other pair also waits in a receive that is cancelled or
		// times out, which arms the context's watch.
		if i%2 == 0 {
			waitCtx, stop := context.WithCancel(ctx)
			time.AfterFunc(time.Millisecond, stop)
			if _, err := s.Receive(waitCtx, make([]byte, 1), 0); !errors.Is(err, ClassCancelled) {
				t.Fatalf("cancelled receive: %v", err)
			}
			if _, err := c.Receive(WithCallTimeout(waitCtx, time.Millisecond), make([]byte, 1), 0); err == nil {
				t.Fatal("a receive with nothing sent succeeded")
			}
		}
		c.Close()
		s.Close()
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		nowFDs, nowG := testpeer.OpenFDs(t), runtime.NumGoroutine()
		if nowFDs <= fds && nowG <= goroutines {
			t.Logf("descriptors %d -> %d, goroutines %d -> %d", fds, nowFDs, goroutines, nowG)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("descriptors %d -> %d, goroutines %d -> %d", fds, nowFDs, goroutines, nowG)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
