package netcore

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The datagram benchmarks compare receiving datagrams with netcore's
// ReceiveMessage and with Go's net package, in the same run, in alternating
// rounds, both reading into a 64 KiB buffer and learning the sender. Each
// round, a plain x/sys socket first queues a batch of datagrams for one
// receiver (not timed), then the receiver takes them all (timed): what is
// measured is the receive path itself. The ratio is netcore's rate over
// net's (above 1: netcore is faster).

// dgramReceiver receives one datagram into buf and returns its size.
type dgramReceiver func(buf []byte) (int, error)

type dgramCase struct {
	name  string
	size  int // bytes per datagram
	batch int // datagrams per round: what the receive queue holds safely
	unix  bool
}

var dgramCases = []dgramCase{
	{name: "udp-64B", size: 64, batch: 512},
	{name: "udp-1400B", size: 1400, batch: 256},
	// net.unix.max_dgram_qlen (10 by default) bounds a UNIX batch.
	{name: "unix-64B", size: 64, batch: 8, unix: true},
}

func BenchmarkDatagramRatio(b *testing.B) {
	for _, tc := range dgramCases {
		b.Run(tc.name, func(b *testing.B) {
			core, coreAt := netcoreDgramReceiver(b, tc)
			gonet, netAt := netDgramReceiver(b, tc)
			sender := dgramSender(b, tc)
			msg := make([]byte, tc.size)
			buf := make([]byte, 64<<10)
			round := func(recv dgramReceiver, at unix.Sockaddr) time.Duration {
				for range tc.batch {
					if err := unix.Sendto(sender, msg, 0, at); err != nil {
						b.Fatal(err)
					}
				}
				start := time.Now()
				for range tc.batch {
					if n, err := recv(buf); err != nil || n != tc.size {
						b.Fatalf("received %d bytes, %v", n, err)
					}
				}
				return time.Since(start)
			}
			var tCore, tNet time.Duration
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%2 == 0 { // neither side always goes first
					tCore += round(core, coreAt)
					tNet += round(gonet, netAt)
				} else {
					tNet += round(gonet, netAt)
					tCore += round(core, coreAt)
				}
			}
			n := float64(b.N * tc.batch)
			b.ReportMetric(float64(tCore.Nanoseconds())/n, "netcore-ns/dgram")
			b.ReportMetric(float64(tNet.Nanoseconds())/n, "net-ns/dgram")
			b.ReportMetric(tNet.Seconds()/tCore.Seconds(), "netcore/net")
		})
	}
}

// BenchmarkReceiveMessage is netcore's side alone, for profiles and
// -benchmem: one datagram queued, one received.
func BenchmarkReceiveMessage(b *testing.B) {
	for _, tc := range dgramCases {
		b.Run(tc.name, func(b *testing.B) {
			core, at := netcoreDgramReceiver(b, tc)
			sender := dgramSender(b, tc)
			msg := make([]byte, tc.size)
			buf := make([]byte, 64<<10)
			b.ReportAllocs()
			for b.Loop() {
				if err := unix.Sendto(sender, msg, 0, at); err != nil {
					b.Fatal(err)
				}
				if n, err := core(buf); err != nil || n != tc.size {
					b.Fatalf("received %d bytes, %v", n, err)
				}
			}
		})
	}
}

// dgramTimeout keeps a lost datagram from hanging a benchmark.
const dgramTimeout = 5 * time.Second

func netcoreDgramReceiver(b *testing.B, tc dgramCase) (dgramReceiver, unix.Sockaddr) {
	at := "127.0.0.1:0"
	if tc.unix {
		at = "unix:@sockbench-bench-netcore"
	}
	s, err := ListenConfig{SockType: SockDgram}.Listen(mustParse(b, at))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if !tc.unix {
		if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
			b.Fatal(err)
		}
	}
	ctx := WithCallTimeout(context.Background(), dgramTimeout)
	return func(buf []byte) (int, error) {
		data, from, err := s.ReceiveMessage(ctx, buf)
		if err == nil && !from.IsValid() {
			err = errors.New("no sender")
		}
		return len(data), err
	}, sockaddrOf(b, s)
}

func netDgramReceiver(b *testing.B, tc dgramCase) (dgramReceiver, unix.Sockaddr) {
	if tc.unix {
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "@sockbench-bench-net", Net: "unixgram"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		_ = c.SetReadDeadline(time.Now().Add(time.Hour)) // once: a cap for a hang, and no cost per read
		return func(buf []byte) (int, error) {
			n, from, err := c.ReadFromUnix(buf)
			if err == nil && from == nil {
				err = errors.New("no sender")
			}
			return n, err
		}, &unix.SockaddrUnix{Name: "@sockbench-bench-net"}
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if err := c.SetReadBuffer(4 << 20); err != nil {
		b.Fatal(err)
	}
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	_ = c.SetReadDeadline(time.Now().Add(time.Hour))
	return func(buf []byte) (int, error) {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err == nil && from == (netip.AddrPort{}) {
			err = errors.New("no sender")
		}
		return n, err
	}, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
}

// dgramSender is a plain blocking socket; a UNIX one is bound, so that
// both receivers have a sender's address to convert.
func dgramSender(b *testing.B, tc dgramCase) int {
	if tc.unix {
		return newRawPeer(b, unix.AF_UNIX, unix.SOCK_DGRAM, &unix.SockaddrUnix{Name: "@sockbench-bench-sender"}).fd
	}
	return newRawPeer(b, unix.AF_INET, unix.SOCK_DGRAM, nil).fd
}
