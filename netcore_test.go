package main_test

// The examples of the seed documents (../shared/reference/seeds/), run
// against real peers on loopback. Port 22 in the examples becomes the port
// of an echo server each test starts.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/internal/testpeer"
	"sockbench/netcore"
)

func inet(t *testing.T, ap netip.AddrPort) netcore.Addr {
	t.Helper()
	a, err := netcore.InetAddr(ap.Addr().String(), int(ap.Port()))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func streamRow(a netcore.Addr) netcore.AddrInfo {
	return netcore.AddrInfo{Family: a.Family(), SockType: netcore.SockStream, Addr: a}
}

// recorder keeps the finished attempts a Dialer reports.
type recorder struct{ done []netcore.Attempt }

func (r *recorder) observe(a netcore.Attempt) {
	if a.Done() {
		r.done = append(r.done, a)
	}
}

func peerOf(t *testing.T, s *netcore.Socket) string {
	t.Helper()
	p, err := s.PeerAddr()
	if err != nil {
		t.Fatal(err)
	}
	return p.String()
}

// ;; Connect to localhost:22 over IPv4.
// (define so (socket af/inet sock/stream))
// (socket-connect so (inet-address "127.0.0.1" 22))
// ;; Connect to localhost:22 over IPv6.
// (define so (socket af/inet6 sock/stream))
// (socket-connect so (inet-address "::1" 22))
func TestSeedSocketConnect(t *testing.T) {
	for _, tc := range []struct {
		family netcore.Family
		ip     string
	}{{netcore.FamilyInet, "127.0.0.1"}, {netcore.FamilyInet6, "::1"}} {
		t.Run(tc.family.String(), func(t *testing.T) {
			port := testpeer.AddrPort(testpeer.Echo(t, "tcp", net(tc.ip))).Port()
			so, err := netcore.NewSocket(tc.family, netcore.SockStream, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer so.Close()
			to, err := netcore.InetAddr(tc.ip, int(port))
			if err != nil {
				t.Fatal(err)
			}
			if err := so.Connect(context.Background(), to); err != nil {
				t.Fatalf("socket-connect: %v", err)
			}
			if got := peerOf(t, so); got != to.String() {
				t.Errorf("peer = %s, want %s", got, to)
			}
			assertEcho(t, so, "SSH-2.0-seed\r\n")
		})
	}
}

func net(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:0"
	}
	return ip + ":0"
}

func assertEcho(t *testing.T, so *netcore.Socket, msg string) {
	t.Helper()
	ctx := context.Background()
	if _, err := so.SendAll(ctx, []byte(msg), 0); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 64)
	for len(got) < len(msg) {
		n, err := so.Receive(ctx, buf, 0)
		if err != nil || n == 0 {
			t.Fatalf("receive after %q: n=%d err=%v", got, n, err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != msg {
		t.Errorf("echo = %q, want %q", got, msg)
	}
}

// ;; Connect to localhost:22 over IPv4 and return the connected socket.
// (socket-connect/ai (address-information "localhost" 22 family: af/inet))
// ; => #<socket fd:8 af/inet sock/stream>
func TestSeedConnectAIInet(t *testing.T) {
	port := testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0")).Port()
	ais, err := netcore.Resolve(context.Background(), "localhost", strconv.Itoa(int(port)),
		netcore.Hints{Family: netcore.FamilyInet, SockType: netcore.SockStream})
	if err != nil {
		t.Fatal(err)
	}
	so, err := netcore.ConnectAI(context.Background(), ais)
	if err != nil {
		t.Fatalf("socket-connect/ai: %v", err)
	}
	defer so.Close()
	want := fmt.Sprintf("#<socket fd:%d inet stream>", so.Fd())
	if so.String() != want {
		t.Errorf("socket = %s, want %s", so, want)
	}
	if got, want := peerOf(t, so), fmt.Sprintf("127.0.0.1:%d", port); got != want {
		t.Errorf("peer = %s, want %s", got, want)
	}
}

// (address-information "localhost" "ssh") names the service: it must be 22.
func TestSeedServiceName(t *testing.T) {
	ais, err := netcore.Resolve(context.Background(), "localhost", "ssh", netcore.Hints{SockType: netcore.SockStream})
	if err != nil {
		t.Fatal(err)
	}
	if len(ais) == 0 {
		t.Fatal("no rows for localhost ssh")
	}
	for _, ai := range ais {
		if ai.Addr.Port() != 22 || !ai.Addr.IP().IsLoopback() {
			t.Errorf("row %s: want a loopback address on port 22", ai)
		}
	}
}

// (socket-peer-name (socket-connect/ai (address-information "localhost" "ssh")))
// ; => #<sockaddr "[::1]:22">         ;; If ssh listening on ::1
// ; => #<sockaddr "127.0.0.1:22">     ;; If listening on 127.0.0.1 only
// ; => error: connection refused      ;; If ssh isn't running
//
// localhost is 127.0.0.1 only on this machine, so the list is written out
// as the seed describes it: ::1 first, then 127.0.0.1, on one port.
func TestSeedPeerNameOverList(t *testing.T) {
	listOn := func(t *testing.T, port uint16) []netcore.AddrInfo {
		v6, _ := netcore.InetAddr("::1", int(port))
		v4, _ := netcore.InetAddr("127.0.0.1", int(port))
		return []netcore.AddrInfo{streamRow(v6), streamRow(v4)}
	}
	t.Run("listening on ::1", func(t *testing.T) {
		port := testpeer.AddrPort(testpeer.Echo(t, "tcp6", "[::1]:0")).Port()
		so, err := netcore.ConnectAI(context.Background(), listOn(t, port))
		if err != nil {
			t.Fatal(err)
		}
		defer so.Close()
		if got, want := peerOf(t, so), fmt.Sprintf("[::1]:%d", port); got != want {
			t.Errorf("peer = %s, want %s", got, want)
		}
	})
	t.Run("listening on 127.0.0.1 only", func(t *testing.T) {
		port := testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0")).Port()
		// Keep [::1]:port refusing: nobody else may take it meanwhile.
		var rec recorder
		d := netcore.Dialer{Observe: rec.observe}
		so, err := d.ConnectList(context.Background(), listOn(t, port))
		if err != nil {
			t.Fatal(err)
		}
		defer so.Close()
		if got, want := peerOf(t, so), fmt.Sprintf("127.0.0.1:%d", port); got != want {
			t.Errorf("peer = %s, want %s", got, want)
		}
		if len(rec.done) != 2 || rec.done[0].Result != netcore.ResultRefused || rec.done[1].Result != netcore.ResultConnected {
			t.Errorf("attempts = %v, want refused then connected", rec.done)
		}
	})
	t.Run("not running", func(t *testing.T) {
		ap := testpeer.Refused(t, "127.0.0.1")
		_, err := netcore.ConnectAI(context.Background(), listOn(t, ap.Port()))
		if !errors.Is(err, netcore.ClassTransient) || !errors.Is(err, unix.ECONNREFUSED) {
			t.Fatalf("err = %v, want a transient ECONNREFUSED", err)
		}
	})
}

// socket-connect/ai: "transient or timeout errors cause it to try the next
// address", and a timeout is (exn i/o net timeout) after the set time.
func TestSeedTimeoutFallsThrough(t *testing.T) {
	hole := inet(t, testpeer.BlackHole(t, "127.0.0.1"))
	live := inet(t, testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0")))
	var rec recorder
	const timeout = 300 * time.Millisecond
	d := netcore.Dialer{Timeout: timeout, Observe: rec.observe}
	so, err := d.ConnectList(context.Background(), []netcore.AddrInfo{streamRow(hole), streamRow(live)})
	if err != nil {
		t.Fatal(err)
	}
	defer so.Close()
	if got := peerOf(t, so); got != live.String() {
		t.Errorf("peer = %s, want %s", got, live)
	}
	if len(rec.done) != 2 {
		t.Fatalf("attempts = %v, want 2", rec.done)
	}
	first := rec.done[0]
	if first.Result != netcore.ResultTimeout || first.Class != netcore.ClassTimeout || !errors.Is(first.Err, netcore.ClassTimeout) {
		t.Errorf("first attempt = %v %v (%v), want a timeout", first.Result, first.Class, first.Err)
	}
	if first.Elapsed < timeout || first.Elapsed > timeout+5*time.Second {
		t.Errorf("timeout after %v, want about %v", first.Elapsed, timeout)
	}
}

// "If a fatal error occurs while connecting, it aborts immediately."
func TestSeedFatalStopsTheWalk(t *testing.T) {
	missing, err := netcore.UnixAddr(filepath.Join(t.TempDir(), "no-such.sock"))
	if err != nil {
		t.Fatal(err)
	}
	live := inet(t, testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0")))
	var rec recorder
	d := netcore.Dialer{Observe: rec.observe}
	_, err = d.ConnectList(context.Background(), []netcore.AddrInfo{streamRow(missing), streamRow(live)})
	if !errors.Is(err, netcore.ClassFatal) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("err = %v, want fatal ENOENT", err)
	}
	if len(rec.done) != 1 {
		t.Errorf("attempts = %d, want 1: the walk must stop at the fatal error", len(rec.done))
	}
}

// "If all attempts fail, the error raised is that of the last attempt."
func TestSeedAllFailLastErrorWins(t *testing.T) {
	refused := inet(t, testpeer.Refused(t, "127.0.0.1"))
	hole := inet(t, testpeer.BlackHole(t, "127.0.0.1"))
	d := netcore.Dialer{Timeout: 200 * time.Millisecond}

	_, err := d.ConnectList(context.Background(), []netcore.AddrInfo{streamRow(refused), streamRow(hole)})
	if !errors.Is(err, netcore.ClassTimeout) {
		t.Errorf("refused then black hole: err = %v, want the timeout", err)
	}
	_, err = d.ConnectList(context.Background(), []netcore.AddrInfo{streamRow(hole), streamRow(refused)})
	if !errors.Is(err, netcore.ClassTransient) || !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("black hole then refused: err = %v, want the refusal", err)
	}
	_, err = netcore.ConnectAI(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "no addresses to connect to") {
		t.Errorf("empty list: err = %v", err)
	}
}
