package netcore

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"sockbench/internal/testpeer"
)

// wantPassedTimeout checks that err is netcore's own timeout for a timeout
// that had already passed: not the cap's deadline, and not "after -5s".
func wantPassedTimeout(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ClassTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s: err = %v, want netcore's timeout at once", what, err)
	}
	if msg := err.Error(); strings.Contains(msg, "-5s") || !strings.Contains(msg, "already passed") {
		t.Errorf("%s: message %q, want it to say the timeout had already passed", what, msg)
	}
}

// A negative timeout has already passed: the call is tried once, and if it
// would wait it times out at once, as Go does for a deadline in the past.
func TestNegativeTimeoutsTimeOutAtOnce(t *testing.T) {
	const negative = -5 * time.Second
	t.Run("receive", func(t *testing.T) {
		t.Parallel()
		a, b := connected(t, "127.0.0.1")
		a.SetTimeouts(Timeouts{Receive: negative})
		_, err := a.Receive(capped(t), make([]byte, 8), 0)
		wantPassedTimeout(t, "receive", err)
		// Data already there is still returned.
		b.SendAll(ctx0, []byte("here"), 0)
		waitReadable(t, a)
		buf := make([]byte, 8)
		if n, err := a.Receive(capped(t), buf, 0); err != nil || string(buf[:n]) != "here" {
			t.Fatalf("receive with data waiting: %q, %v", buf[:n], err)
		}
	})
	t.Run("call-timeout", func(t *testing.T) {
		t.Parallel()
		a, _ := connected(t, "::1")
		_, err := a.Receive(WithCallTimeout(capped(t), negative), make([]byte, 8), 0)
		wantPassedTimeout(t, "receive with a per-call timeout", err)
	})
	t.Run("accept", func(t *testing.T) {
		t.Parallel()
		ln, err := Listen(mustParse(t, "127.0.0.1:0"))
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ln.SetTimeouts(Timeouts{Accept: negative})
		_, _, err = ln.Accept(capped(t))
		wantPassedTimeout(t, "accept", err)
	})
	t.Run("send", func(t *testing.T) {
		t.Parallel()
		a, _ := connected(t, "127.0.0.1")
		a.SetTimeouts(Timeouts{Send: negative})
		n, err := a.SendAll(capped(t), make([]byte, 64<<20), 0)
		wantPassedTimeout(t, "send", err)
		if n == 0 || n >= 64<<20 {
			t.Errorf("sent %d bytes, want what the buffers took", n)
		}
	})
	t.Run("dialer", func(t *testing.T) {
		t.Parallel()
		hole := addrOf(t, testpeer.BlackHole(t, "127.0.0.1"))
		var got Attempt
		d := Dialer{Timeout: negative, Observe: func(a Attempt) { got = a }}
		_, err := d.ConnectList(capped(t), []AddrInfo{row(hole)})
		wantPassedTimeout(t, "connect", err)
		if got.Result != ResultTimeout {
			t.Errorf("attempt result %v, want timeout", got.Result)
		}
	})
}

// capped returns a context whose deadline is only a cap for a hang.
func capped(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(ctx0, 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitReadable polls until s has data to read.
func waitReadable(t *testing.T, s *Socket) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready, err := s.ReceiveReady()
		if err != nil {
			t.Fatal(err)
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing to read after 30 s")
		}
		time.Sleep(time.Millisecond)
	}
}
