package explain

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestError(t *testing.T) {
	re := &netcore.ResolveError{Op: "getaddrinfo", Name: "no-such.invalid", Code: "EAI_NONAME", Msg: "Name or service not known"}
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{re, "resolve no-such.invalid: name or service not known (EAI_NONAME): no such host, or the service is unknown for this socket type"},
		{&netcore.ResolveError{Op: "getnameinfo", Code: "EAI_AGAIN", Msg: "Temporary failure"}, "temporary failure (EAI_AGAIN): the name server did not answer in time; try again"},
		{&netcore.Error{Op: "connect", Class: netcore.ClassCancelled, Err: context.Canceled}, "cancelled"},
		{errors.New("plain"), "plain"},
	}
	for _, c := range cases {
		if got := Error(c.err); got != c.want {
			t.Errorf("Error(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestAttempt(t *testing.T) {
	cases := []struct {
		o    Outcome
		want string
	}{
		{Outcome{Family: netcore.FamilyInet, SockType: netcore.SockStream, Result: netcore.ResultRefused, Errno: unix.ECONNREFUSED},
			"nothing is listening on that port (the peer answered with RST)"},
		{Outcome{Family: netcore.FamilyUnix, SockType: netcore.SockStream, Result: netcore.ResultRefused, Errno: unix.ECONNREFUSED},
			"the socket file exists but nothing is listening on it"},
		{Outcome{Family: netcore.FamilyInet, SockType: netcore.SockDgram, Result: netcore.ResultConnected},
			"UDP connect only sets the default peer: nothing was sent, nobody answered yet"},
		{Outcome{Family: netcore.FamilyInet6, SockType: netcore.SockStream, Result: netcore.ResultTimeout},
			"no answer within the timeout: the SYN or its reply was lost or dropped"},
		{Outcome{Family: netcore.FamilyInet, SockType: netcore.SockStream, Result: netcore.ResultError, Errno: unix.EMFILE,
			Err: errors.New("too many open files")}, "the system refused: too many open files"},
	}
	for _, c := range cases {
		if got := Attempt(c.o); got != c.want {
			t.Errorf("Attempt(%+v) = %q, want %q", c.o, got, c.want)
		}
	}
}
