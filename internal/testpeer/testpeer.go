// Package testpeer makes loopback peers for tests: an echo server, a port
// that refuses, and a black hole. It is built on Go's net package and raw
// system calls, never on netcore, so that netcore is tested against an
// independent implementation. Every peer lives until the test ends. It
// also reads what a test needs of another process (LowestFreeFD).
package testpeer

import (
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// Echo starts a TCP (or UNIX) echo server on network/address ("tcp4",
// "127.0.0.1:0") that serves every connection until the peer closes, then
// closes its side. It returns the listening address.
func Echo(t testing.TB, network, address string) net.Addr {
	return Serve(t, network, address, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

// Serve starts a server that runs handle for each connection and closes
// the connection afterwards. Cleanup stops it and waits for its handlers.
func Serve(t testing.TB, network, address string, handle func(net.Conn)) net.Addr {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, address, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				_ = c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr()
}

// AddrPort returns a TCP or UDP net.Addr as a netip.AddrPort.
func AddrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// Refused returns a TCP address on ip where connecting is refused at once:
// the port is bound, so nobody else takes it, but nothing listens.
func Refused(t testing.TB, ip string) netip.AddrPort {
	t.Helper()
	fd, ap := boundSocket(t, ip)
	t.Cleanup(func() { unix.Close(fd) })
	return ap
}

// BlackHole returns a TCP address on ip where a connect hangs until the
// client's own timeout: a listener with a backlog of 0, one filler
// connection that fills the queue, and nobody accepting, so the kernel
// drops later SYNs.
func BlackHole(t testing.TB, ip string) netip.AddrPort {
	t.Helper()
	fd, ap := boundSocket(t, ip)
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	filler, err := net.Dial("tcp", ap.String())
	if err != nil {
		t.Fatalf("filler connection: %v", err)
	}
	t.Cleanup(func() { _ = filler.Close() })
	return ap
}

func boundSocket(t testing.TB, ip string) (int, netip.AddrPort) {
	t.Helper()
	addr := netip.MustParseAddr(ip)
	var family int
	var sa unix.Sockaddr
	if addr.Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Addr: addr.As4()}
	} else {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Addr: addr.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		t.Fatalf("bind %s: %v", ip, err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("getsockname: %v", err)
	}
	port := 0
	switch got := got.(type) {
	case *unix.SockaddrInet4:
		port = got.Port
	case *unix.SockaddrInet6:
		port = got.Port
	}
	return fd, netip.AddrPortFrom(addr, uint16(port))
}

// OpenFDs counts the process's open file descriptors.
func OpenFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(entries)
}

// UDPRefused returns a UDP address on ip where a datagram is answered
// with ICMP port unreachable: the port is held by a socket connected
// elsewhere, which takes datagrams from nowhere else, so nobody else can
// bind the port and the kernel finds no socket for the datagram.
func UDPRefused(t testing.TB, ip string) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 0)))
	if err != nil {
		t.Fatalf("listen udp %s: %v", ip, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := &unix.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 1}}
	var sa unix.Sockaddr = elsewhere
	if ap.Addr().Is6() {
		sa = &unix.SockaddrInet6{Port: 1, Addr: netip.IPv6Loopback().As16()}
	}
	var cerr error
	if err := raw.Control(func(fd uintptr) { cerr = unix.Connect(int(fd), sa) }); err != nil || cerr != nil {
		t.Fatalf("connect the port holder: %v %v", err, cerr)
	}
	return ap
}

// LowestFreeFD is the lowest descriptor number process pid has not open:
// the one its next open would get.
func LowestFreeFD(pid int) (int, error) {
	entries, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, err
	}
	open := make(map[int]bool, len(entries))
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			open[n] = true
		}
	}
	free := 0
	for open[free] {
		free++
	}
	return free, nil
}
