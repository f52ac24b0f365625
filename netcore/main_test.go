package netcore

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mustInet builds an address from a netip.AddrPort or fails the test.
func addrOf(t testing.TB, ap netip.AddrPort) Addr {
	t.Helper()
	a, err := InetAddr(ap.Addr().String(), int(ap.Port()))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func row(a Addr) AddrInfo { return AddrInfo{Family: a.Family(), SockType: SockStream, Addr: a} }

// connected returns a connected TCP pair on ip made with netcore alone: the
// client and the accepted server side. Both are closed when the test ends.
func connected(t testing.TB, ip string) (client, server *Socket) {
	t.Helper()
	ln, err := Listen(mustParse(t, net0(ip)))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	at, err := ln.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	client, err = NewSocket(at.Family(), SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Connect(ctx, at); err != nil {
		t.Fatal(err)
	}
	server, _, err = ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func net0(ip string) string {
	if ip == "::1" {
		return "[::1]:0"
	}
	return ip + ":0"
}

func mustParse(t testing.TB, s string) Addr {
	t.Helper()
	a, err := ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
