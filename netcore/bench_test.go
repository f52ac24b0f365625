package netcore

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The bulk benchmarks move data over loopback TCP with 64 KiB writes and
// 64 KiB reads on both sides, through netcore and through Go's net package,
// in the same run. BenchmarkBulkRatio interleaves rounds of both and
// reports their throughputs and the ratio netcore/net (above 1: netcore is
// faster).

const bulkChunk = 64 << 10

// bulkNetcore sends n bytes from one netcore socket to another and returns
// how long it took.
func bulkNetcore(b *testing.B, n int, sendSize int) time.Duration {
	a, c := connected(b, "127.0.0.1")
	a.SetSendSize(sendSize)
	buf := make([]byte, bulkChunk)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		rbuf := make([]byte, bulkChunk)
		for got := 0; got < n; {
			m, err := c.Receive(context.Background(), rbuf, 0)
			if err != nil || m == 0 {
				done <- err
				return
			}
			got += m
		}
		done <- nil
	}()
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := a.SendAll(context.Background(), buf, 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// bulkNet does the same through Go's net package.
func bulkNet(b *testing.B, n int) time.Duration {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	c := <-accepted
	defer c.Close()
	buf := make([]byte, bulkChunk)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		// Read 64 KiB at a time as the netcore side does. (io.Copy into
		// io.Discard would read 8 KiB at a time, whatever buffer it is given.)
		rbuf := make([]byte, bulkChunk)
		for got := 0; got < n; {
			m, err := c.Read(rbuf)
			if err != nil {
				done <- err
				return
			}
			got += m
		}
		done <- nil
	}()
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := a.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func BenchmarkBulkNetcore(b *testing.B) {
	b.SetBytes(bulkChunk * 1024)
	for b.Loop() {
		bulkNetcore(b, bulkChunk*1024, 0)
	}
}

func BenchmarkBulkNetcoreSendSize16K(b *testing.B) {
	b.SetBytes(bulkChunk * 1024)
	for b.Loop() {
		bulkNetcore(b, bulkChunk*1024, DefaultSendSize)
	}
}

func BenchmarkBulkNet(b *testing.B) {
	b.SetBytes(bulkChunk * 1024)
	for b.Loop() {
		bulkNet(b, bulkChunk*1024)
	}
}

// BenchmarkBulkRatio alternates 64 MiB rounds of netcore and net, so both
// see the same machine load, and reports MB/s for each and netcore/net.
func BenchmarkBulkRatio(b *testing.B) {
	const n = bulkChunk * 1024
	var tCore, tNet time.Duration
	for b.Loop() {
		tCore += bulkNetcore(b, n, 0)
		tNet += bulkNet(b, n)
	}
	rounds := float64(b.N)
	mb := float64(n) / 1e6
	b.ReportMetric(mb*rounds/tCore.Seconds(), "netcore-MB/s")
	b.ReportMetric(mb*rounds/tNet.Seconds(), "net-MB/s")
	b.ReportMetric(tNet.Seconds()/tCore.Seconds(), "netcore/net")
}

// BenchmarkPingPongRatio measures small exchanges, where a receive waits
// on the poller every time: a 64-byte message goes to an echo and back,
// through netcore (Send, Receive) and through Go's net (Write, Read), in
// alternating rounds of 1000 exchanges. The echo is the same for both: a
// blocking socket on its own thread, made with x/sys.
func BenchmarkPingPongRatio(b *testing.B) {
	const rounds = 1000
	core, coreEcho := pingPongPair(b)
	gonet, netEcho := pingPongPair(b)
	f := gonet.file()
	conn, err := net.FileConn(f)
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	gonet.Close() // conn has its own descriptor now
	var echoes sync.WaitGroup
	echoes.Go(func() { echoRaw(coreEcho) })
	echoes.Go(func() { echoRaw(netEcho) })
	defer echoes.Wait() // the echoes end when their peers close
	defer core.Close()
	defer conn.Close()
	msg := make([]byte, 64)
	buf := make([]byte, 64<<10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var tCore, tNet time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for range rounds {
			if _, err := core.Send(ctx, msg, 0); err != nil {
				b.Fatal(err)
			}
			for got := 0; got < len(msg); {
				n, err := core.Receive(ctx, buf, 0)
				if err != nil || n == 0 {
					b.Fatal(n, err)
				}
				got += n
			}
		}
		tCore += time.Since(start)
		start = time.Now()
		for range rounds {
			if _, err := conn.Write(msg); err != nil {
				b.Fatal(err)
			}
			for got := 0; got < len(msg); {
				n, err := conn.Read(buf)
				if err != nil {
					b.Fatal(err)
				}
				got += n
			}
		}
		tNet += time.Since(start)
	}
	n := float64(b.N * rounds)
	b.ReportMetric(float64(tCore.Nanoseconds())/n, "netcore-ns/exchange")
	b.ReportMetric(float64(tNet.Nanoseconds())/n, "net-ns/exchange")
	b.ReportMetric(tNet.Seconds()/tCore.Seconds(), "netcore/net")
}

// pingPongPair returns a connected UNIX stream socket and the descriptor of
// its other end, made blocking for echoRaw; the test closes both.
func pingPongPair(b *testing.B) (*Socket, int) {
	a, peer, err := SocketPair(FamilyUnix, SockStream, 0)
	if err != nil {
		b.Fatal(err)
	}
	fd, err := unix.Dup(peer.Fd())
	peer.Close()
	if err == nil {
		err = unix.SetNonblock(fd, false)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close(); unix.Close(fd) })
	return a, fd
}

// echoRaw sends back what it reads until the peer goes.
func echoRaw(fd int) {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil || n == 0 {
			return
		}
		if _, err := unix.Write(fd, buf[:n]); err != nil {
			return
		}
	}
}

// file returns a copy of the socket's descriptor as an *os.File.
func (s *Socket) file() *os.File {
	fd, err := unix.Dup(s.Fd())
	if err != nil {
		return nil
	}
	return os.NewFile(uintptr(fd), "socket")
}

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
	{name: "udp-64B", size: 64, batch: 128},
	{name: "udp-1400B", size: 1400, batch: 64},
	// net.unix.max_dgram_qlen (10 by default) bounds a UNIX batch.
	{name: "unix-64B", size: 64, batch: 8, unix: true},
}

func BenchmarkDatagramRatio(b *testing.B) {
	for _, tc := range dgramCases {
		b.Run(tc.name, func(b *testing.B) {
			core, coreAt := netcoreDgramReceiver(b, tc)
			gonet, netAt, rearm := netDgramReceiver(b, tc)
			sender := dgramSender(b, tc)
			msg := make([]byte, tc.size)
			buf := make([]byte, 64<<10)
			round := func(recv dgramReceiver, at unix.Sockaddr) time.Duration {
				rearm() // a fresh cap for a hang on net's side, set outside the timing
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

// netDgramReceiver is Go's net side; rearm sets its read deadline, a cap
// for a hang (a datagram lost under load), once per round: a deadline set
// at each read would cost net a timer update that netcore does not pay.
func netDgramReceiver(b *testing.B, tc dgramCase) (recv dgramReceiver, at unix.Sockaddr, rearm func()) {
	if tc.unix {
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "@sockbench-bench-net", Net: "unixgram"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		rearm := func() { _ = c.SetReadDeadline(time.Now().Add(dgramTimeout)) }
		return func(buf []byte) (int, error) {
			n, from, err := c.ReadFromUnix(buf)
			if err == nil && from == nil {
				err = errors.New("no sender")
			}
			return n, err
		}, &unix.SockaddrUnix{Name: "@sockbench-bench-net"}, rearm
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
	rearm = func() { _ = c.SetReadDeadline(time.Now().Add(dgramTimeout)) }
	return func(buf []byte) (int, error) {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err == nil && from == (netip.AddrPort{}) {
			err = errors.New("no sender")
		}
		return n, err
	}, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, rearm
}

// dgramSender is a plain blocking socket; a UNIX one is bound, so that
// both receivers have a sender's address to convert.
func dgramSender(b *testing.B, tc dgramCase) int {
	if tc.unix {
		return newRawPeer(b, unix.AF_UNIX, unix.SOCK_DGRAM, &unix.SockaddrUnix{Name: "@sockbench-bench-sender"}).fd
	}
	return newRawPeer(b, unix.AF_INET, unix.SOCK_DGRAM, nil).fd
}

// BenchmarkReceiveOne receives one queued datagram at a time, with its
// sender, into a 64 KiB buffer: through ReceiveMessage and through Go's
// net package, each alone, for their allocations (-benchmem) and for
// profiles (-bench ReceiveOne/netcore).
func BenchmarkReceiveOne(b *testing.B) {
	receivers := []struct {
		side string
		make func(*testing.B, dgramCase) (dgramReceiver, unix.Sockaddr, func())
	}{
		{"netcore", func(b *testing.B, tc dgramCase) (dgramReceiver, unix.Sockaddr, func()) {
			recv, at := netcoreDgramReceiver(b, tc)
			return recv, at, func() {}
		}},
		{"net", netDgramReceiver},
	}
	for _, tc := range dgramCases {
		for _, r := range receivers {
			b.Run(r.side+"/"+tc.name, func(b *testing.B) {
				recv, at, rearm := r.make(b, tc)
				sender := dgramSender(b, tc)
				msg := make([]byte, tc.size)
				buf := make([]byte, 64<<10)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if i%4096 == 0 {
						rearm() // net's cap for a hang; often enough, rarely enough to cost nothing
					}
					if err := unix.Sendto(sender, msg, 0, at); err != nil {
						b.Fatal(err)
					}
					if n, err := recv(buf); err != nil || n != tc.size {
						b.Fatalf("received %d bytes, %v", n, err)
					}
				}
			})
		}
	}
}

// BenchmarkConnectRatio connects to one listener over loopback TCP with
// netcore's Dialer (what connect and the workbench use) and with Go's
// net.Dialer, in alternating rounds of 100 connects, each connection
// closed at once, and reports connects a second for each and their ratio
// netcore/net (above 1: netcore is faster). The listener, on Go's net,
// accepts and closes for both.
func BenchmarkConnectRatio(b *testing.B) {
	const perRound = 100
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var accepting sync.WaitGroup
	accepting.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	defer accepting.Wait()
	defer ln.Close()
	addr := ln.Addr().String()
	rows := []AddrInfo{row(mustParse(b, addr))}
	ctx := context.Background()
	coreRound := func() {
		var d Dialer
		for range perRound {
			s, err := d.ConnectList(ctx, rows)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	}
	netRound := func() {
		var d net.Dialer
		for range perRound {
			c, err := d.DialContext(ctx, "tcp4", addr)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	}
	var tCore, tNet time.Duration
	for i := 0; b.Loop(); i++ {
		first, second, tFirst, tSecond := coreRound, netRound, &tCore, &tNet
		if i%2 == 1 { // neither side always goes first
			first, second, tFirst, tSecond = netRound, coreRound, &tNet, &tCore
		}
		start := time.Now()
		first()
		mid := time.Now()
		second()
		*tFirst += mid.Sub(start)
		*tSecond += time.Since(mid)
	}
	n := float64(b.N * perRound)
	b.ReportMetric(n/tCore.Seconds(), "netcore-conn/s")
	b.ReportMetric(n/tNet.Seconds(), "net-conn/s")
	b.ReportMetric(tNet.Seconds()/tCore.Seconds(), "netcore/net")
}
