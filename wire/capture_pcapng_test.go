//go:build linux

package wire

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"sockbench/internal/pcaptest"
	"sockbench/internal/testpeer"
)

// TestCapturePcapngFollows captures an exchange of 200 KB each way and
// writes it as pcapng: tshark follows the stream and gives back exactly
// the bytes, over IPv4 and IPv6.
func TestCapturePcapngFollows(t *testing.T) {
	pcaptest.Tshark(t)
	for _, lo := range loopbacks {
		t.Run(lo.name, func(t *testing.T) {
			remote := testpeer.AddrPort(testpeer.Echo(t, lo.network, net.JoinHostPort(lo.ip, "0")))
			c := startCapture(t, Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}})
			payload := randomBytes(200_000)
			echoed := echoAll(t, lo.network, remote, payload)
			c.Settle(t.Context(), testDeadline)
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			path, n := writeFile(t, func(f *os.File) (int, error) { return c.WritePcapng(f) })
			if n != c.Len() || n == 0 {
				t.Errorf("%d packets written of %d", n, c.Len())
			}
			node0, node1 := pcaptest.FollowTCP(t, path)
			checkBytes(t, "sent", node0, payload)
			checkBytes(t, "echoed", node1, echoed)
			checkBytes(t, "echo", echoed, payload)
		})
	}
}

// echoAll sends payload to an echo server, shuts down the sending side,
// and returns what came back.
func echoAll(t *testing.T, network string, remote netip.AddrPort, payload []byte) []byte {
	t.Helper()
	conn, err := net.Dial(network, remote.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testDeadline))
	sent := make(chan error, 1)
	go func() {
		_, err := conn.Write(payload)
		if err == nil {
			err = conn.(*net.TCPConn).CloseWrite()
		}
		sent <- err
	}()
	echoed, err := io.ReadAll(conn)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return echoed
}

// TestCapturePcapngUDP captures datagrams and writes them as pcapng:
// tshark lists each with its bytes.
func TestCapturePcapngUDP(t *testing.T) {
	pcaptest.Tshark(t)
	echo := udpEcho(t, "127.0.0.1")
	c := startCapture(t, Config{Filter: Filter{Proto: UDP, Remotes: []netip.AddrPort{echo}}})
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(echo))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exchangeDatagrams(t, conn, "one", "two", "three")
	waitSegments(t, c, "six datagrams", func(segs []Segment) bool { return len(segs) == 6 })
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	path, _ := writeFile(t, func(f *os.File) (int, error) { return c.WritePcapng(f) })
	out := pcaptest.Run(t, "-r", path, "-Y", "udp", "-T", "fields", "-e", "udp.dstport", "-e", "udp.payload")
	port := fmt.Sprint(echo.Port())
	local := fmt.Sprint(testpeer.AddrPort(conn.LocalAddr()).Port())
	want := port + "\t6f6e65\n" + local + "\t6f6e65\n" + port + "\t74776f\n" + local + "\t74776f\n" +
		port + "\t7468726565\n" + local + "\t7468726565\n"
	if out != want {
		t.Errorf("tshark lists\n%s\nwant\n%s", out, want)
	}
}
