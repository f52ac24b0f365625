//go:build linux

package wire

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockbench/internal/testpeer"

	"golang.org/x/sys/unix"
)

// startCapture starts a capture that the test's cleanup stops; without
// the permission to capture, the test is skipped, saying why.
func startCapture(t *testing.T, cfg Config) *Capture {
	t.Helper()
	c, err := Start(cfg)
	if errors.Is(err, ErrNoCapNetRaw) || errors.Is(err, ErrUnsupported) {
		t.Skipf("cannot capture here: %v", err)
	}
	if err != nil {
		t.Fatalf("Start(%v): %v", cfg.Filter, err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

// waitSegments waits until done holds for the capture's segments, woken
// by each batch of packets, and returns them.
func waitSegments(t *testing.T, c *Capture, what string, done func([]Segment) bool) []Segment {
	t.Helper()
	deadline := time.After(testDeadline)
	for {
		changed := c.Changed()
		segs := c.Segments(0)
		if done(segs) {
			return segs
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s in the capture; it holds:\n%s", what, segmentLines(segs))
		}
	}
}

func segmentLines(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.String() + "\n")
	}
	return b.String()
}

// loopbacks are the addresses the capture tests run over.
var loopbacks = []struct{ name, network, ip string }{{"IPv4", "tcp4", "127.0.0.1"}, {"IPv6", "tcp6", "::1"}}

// step is what a test expects of one segment.
type step struct {
	dir      Dir
	flags    Flags
	seq, ack uint32
	len      int
	event    Event
}

func (s step) matches(seg Segment) bool {
	return seg.Dir == s.dir && seg.Flags == s.flags && seg.Seq == s.seq && seg.Ack == s.ack && seg.Len == s.len &&
		seg.Event == s.event
}

// isPureACK reports whether a segment is an ordinary acknowledgement, which
// a test allows anywhere after the handshake: whether one is sent on its
// own or rides on data is the kernel's choice.
func isPureACK(s Segment) bool { return s.Flags == ACK && s.Len == 0 && s.Event == EventNone }

// checkSteps checks that segs are want, in order, with only pure ACKs
// between them after the first skipFrom steps.
func checkSteps(t *testing.T, segs []Segment, want []step, strictPrefix int) {
	t.Helper()
	k := 0
	for i, seg := range segs {
		switch {
		case k < len(want) && want[k].matches(seg):
			k++
		case i >= strictPrefix && isPureACK(seg):
		default:
			t.Fatalf("segment %d (%s) is not the step %d expected (%+v); the capture:\n%s", i, seg, k,
				want[min(k, len(want)-1)], segmentLines(segs))
		}
	}
	if k < len(want) {
		t.Fatalf("only %d of %d steps seen; the capture:\n%s", k, len(want), segmentLines(segs))
	}
}

// TestCaptureConnectSendClose connects to an echo server, sends "hello",
// reads it back and closes: the capture shows the handshake, the data both
// ways and the FIN exchange, in order, with sequence numbers relative to
// each side's SYN.
func TestCaptureConnectSendClose(t *testing.T) {
	for _, lo := range loopbacks {
		t.Run(lo.name, func(t *testing.T) {
			remote := testpeer.AddrPort(testpeer.Echo(t, lo.network, net.JoinHostPort(lo.ip, "0")))
			c := startCapture(t, Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}})
			conn, err := net.Dial(lo.network, remote.String())
			if err != nil {
				t.Fatal(err)
			}
			local := testpeer.AddrPort(conn.LocalAddr())
			if err := c.SetFilter(Filter{Proto: TCP, Local: local, Remotes: []netip.AddrPort{remote}}); err != nil {
				t.Fatal(err)
			}
			echoHello(t, conn)
			segs := waitSegments(t, c, "last ACK", func(segs []Segment) bool {
				return len(segs) > 0 && segs[len(segs)-1].Event == EventFINAcked && segs[len(segs)-1].Dir == Out
			})
			checkSteps(t, segs, []step{
				{Out, SYN, 0, 0, 0, EventSYN},
				{In, SYN | ACK, 0, 1, 0, EventSYNACK},
				{Out, ACK, 1, 1, 0, EventEstablished},
				{Out, PSH | ACK, 1, 1, 5, EventNone},
				{In, PSH | ACK, 1, 6, 5, EventNone},
				{Out, FIN | ACK, 6, 6, 0, EventFIN},
				{In, FIN | ACK, 6, 7, 0, EventFIN},
				{Out, ACK, 7, 7, 0, EventFINAcked},
			}, 3)
			checkFlow(t, segs, local, remote)
		})
	}
}

func echoHello(t *testing.T, conn net.Conn) {
	t.Helper()
	if _, err := conn.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(testDeadline))
	buf := make([]byte, 5)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkFlow checks that every segment is of the one connection, in time
// order, and that the handshake's options were read.
func checkFlow(t *testing.T, segs []Segment, local, remote netip.AddrPort) {
	t.Helper()
	for i, s := range segs {
		l, r := s.Flow()
		if l != local || r != remote {
			t.Errorf("segment %d is of %s-%s, not %s-%s", i, l, r, local, remote)
		}
		if i > 0 && s.Time.Before(segs[i-1].Time) {
			t.Errorf("segment %d is earlier than the one before", i)
		}
	}
	syn := segs[0]
	if syn.Options.MSS == 0 || syn.Options.WindowScale < 0 || !syn.Options.SACKPermitted {
		t.Errorf("the SYN's options were not read: %+v", syn.Options)
	}
	if last := segs[len(segs)-1]; last.WindowShift != syn.Options.WindowScale ||
		last.Window != uint32(last.RawWindow)<<last.WindowShift {
		t.Errorf("the last ACK's window %d (raw %d, shift %d) is not scaled by the SYN's %d", last.Window,
			last.RawWindow, last.WindowShift, syn.Options.WindowScale)
	}
}

// TestCaptureRefused connects to a port where nothing listens: a SYN, then
// a RST ACK that refuses it.
func TestCaptureRefused(t *testing.T) {
	for _, lo := range loopbacks {
		t.Run(lo.name, func(t *testing.T) {
			remote := testpeer.Refused(t, lo.ip)
			c := startCapture(t, Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}})
			if _, err := net.Dial(lo.network, remote.String()); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial %s: %v, want ECONNREFUSED", remote, err)
			}
			segs := waitSegments(t, c, "RST", func(segs []Segment) bool { return len(segs) >= 2 })
			checkSteps(t, segs[:2], []step{
				{Out, SYN, 0, 0, 0, EventSYN},
				{In, RST | ACK, 0, 1, 0, EventRefused},
			}, 2)
			if !strings.Contains(segs[1].Meaning, "refused") {
				t.Errorf("the RST's meaning: %q", segs[1].Meaning)
			}
		})
	}
}

// TestCaptureBlackHole connects where SYNs are dropped, with a timeout of
// 3s: the SYN goes again, with the same sequence number, later.
func TestCaptureBlackHole(t *testing.T) {
	remote := testpeer.BlackHole(t, "127.0.0.1")
	c := startCapture(t, Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}})
	d := net.Dialer{Timeout: 3 * time.Second}
	if conn, err := d.Dial("tcp4", remote.String()); err == nil {
		conn.Close()
		t.Fatal("the black hole accepted the connection")
	}
	segs := waitSegments(t, c, "retransmitted SYN", func(segs []Segment) bool {
		return len(segs) >= 2
	})
	first, again := segs[0], segs[1]
	if first.Flags != SYN || first.Event != EventSYN || again.Flags != SYN || again.Event != EventRetransmission {
		t.Fatalf("want a SYN then its retransmission:\n%s", segmentLines(segs))
	}
	if again.RawSeq != first.RawSeq || again.Src != first.Src || !again.Time.After(first.Time) {
		t.Errorf("the retransmission is not the same SYN later:\n%s", segmentLines(segs))
	}
	if !strings.Contains(again.Meaning, "retransmitted") {
		t.Errorf("meaning %q", again.Meaning)
	}
}

// udpEcho answers every datagram with itself until the test ends.
func udpEcho(t *testing.T, ip string) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(ip), 0)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TestCaptureUDP exchanges two datagrams with an echo, then sends one to a
// port where nothing listens: the capture shows the four datagrams, then
// the datagram and the ICMP port unreachable that quotes it.
func TestCaptureUDP(t *testing.T) {
	for _, lo := range loopbacks {
		t.Run(lo.name, func(t *testing.T) {
			echo, closed := udpEcho(t, lo.ip), testpeer.UDPRefused(t, lo.ip)
			c := startCapture(t, Config{Filter: Filter{Proto: UDP, Remotes: []netip.AddrPort{echo, closed}}})
			conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(echo))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			exchangeDatagrams(t, conn, "one", "second")
			lost, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(closed))
			if err != nil {
				t.Fatal(err)
			}
			defer lost.Close()
			if _, err := lost.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			segs := waitSegments(t, c, "port unreachable", func(segs []Segment) bool { return len(segs) >= 6 })
			for i, want := range []struct {
				dir Dir
				n   int
			}{{Out, 3}, {In, 3}, {Out, 6}, {In, 6}, {Out, 1}} {
				if s := segs[i]; s.Proto != UDP || s.Dir != want.dir || s.Len != want.n {
					t.Fatalf("segment %d: want %s UDP len %d:\n%s", i, want.dir, want.n, segmentLines(segs))
				}
			}
			icmp := segs[5]
			l, r := icmp.Flow()
			if icmp.Dir != In || icmp.Event != EventPortUnreachable || icmp.ICMP == nil || icmp.ICMP.Proto != UDP ||
				r != closed || l != testpeer.AddrPort(lost.LocalAddr()) {
				t.Fatalf("want a port unreachable about %s:\n%s", closed, segmentLines(segs))
			}
		})
	}
}

func exchangeDatagrams(t *testing.T, conn *net.UDPConn, msgs ...string) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(testDeadline))
	buf := make([]byte, 100)
	for _, m := range msgs {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if err != nil || string(buf[:n]) != m {
			t.Fatalf("echo of %q: %q, %v", m, buf[:n], err)
		}
	}
}

// TestCaptureLimits fills a capture's limits: past MaxBytes packets keep
// their headers, and their segments stay whole; past MaxPackets packets
// are counted, not kept.
func TestCaptureLimits(t *testing.T) {
	remote := testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0"))
	filter := Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}
	cut := startCapture(t, Config{Filter: filter, MaxBytes: 1})
	few := startCapture(t, Config{Filter: filter, MaxPackets: 3})
	conn, err := net.Dial("tcp4", remote.String())
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 1000)
	if _, err := conn.Write(payload); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(testDeadline))
	if _, err := io.ReadFull(conn, payload); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	segs := waitSegments(t, cut, "the echo", func(segs []Segment) bool { return countLen(segs, 1000) == 2 })
	for _, s := range segs {
		if s.Captured > HeaderBytes || (s.Len == 1000 && (s.Captured != HeaderBytes || s.Length <= 1000)) {
			t.Errorf("segment %s: %d bytes kept of %d", s, s.Captured, s.Length)
		}
	}
	if st := cut.Stats(); st.Truncated < 2 || st.Bytes > int64(st.Kept)*HeaderBytes {
		t.Errorf("stats %+v: want the two data packets cut", st)
	}
	waitSegments(t, few, "three packets", func(segs []Segment) bool { return len(segs) == 3 })
	waitStats(t, few, func(st Stats) bool { return st.Dropped > 0 })
	if st := few.Stats(); st.Kept != 3 || st.Dropped == 0 || st.Seen != int64(st.Kept)+st.Dropped {
		t.Errorf("stats %+v: want 3 kept and the rest counted", st)
	}
}

// waitStats waits until done holds for the capture's counters; every
// batch of packets, kept or not, wakes it.
func waitStats(t *testing.T, c *Capture, done func(Stats) bool) {
	t.Helper()
	deadline := time.After(testDeadline)
	for {
		changed := c.Changed()
		if done(c.Stats()) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the counters stay %+v", c.Stats())
		}
	}
}

func countLen(segs []Segment, n int) int {
	k := 0
	for _, s := range segs {
		if s.Len == n {
			k++
		}
	}
	return k
}

// TestSetFilterNarrows starts a capture on the remote address alone, then
// narrows it to the first connection: a second connection to the same
// server is not captured.
func TestSetFilterNarrows(t *testing.T) {
	remote := testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0"))
	c := startCapture(t, Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}})
	first, err := net.Dial("tcp4", remote.String())
	if err != nil {
		t.Fatal(err)
	}
	local := testpeer.AddrPort(first.LocalAddr())
	if err := c.SetFilter(Filter{Proto: TCP, Local: local, Remotes: []netip.AddrPort{remote}}); err != nil {
		t.Fatal(err)
	}
	second, err := net.Dial("tcp4", remote.String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// The first connection's FIN exchange comes after the second's
	// handshake: once it is in, the second's would be too.
	echoHello(t, first)
	segs := waitSegments(t, c, "last ACK", func(segs []Segment) bool {
		return len(segs) > 0 && segs[len(segs)-1].Event == EventFINAcked
	})
	for _, s := range segs {
		if l, _ := s.Flow(); l != local {
			t.Fatalf("a segment of another connection: %s\n%s", s, segmentLines(segs))
		}
	}
	if err := c.SetFilter(Filter{Proto: UDP, Local: local}); err == nil {
		t.Error("the protocol of a capture changed")
	}
}

// TestStartWithoutCapNetRaw runs this test again in a process without
// CAP_NET_RAW (setpriv drops it from the bounding set): Start fails with
// ErrNoCapNetRaw, in one line that says how to grant it, and Permitted
// says so beforehand.
func TestStartWithoutCapNetRaw(t *testing.T) {
	if os.Getenv("WIRE_TEST_CHILD") == "no-net-raw" {
		_, err := Start(Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")}}})
		if !errors.Is(err, ErrNoCapNetRaw) {
			t.Fatalf("Start without CAP_NET_RAW: %v", err)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "sudo setcap cap_net_raw+ep $(which sockbench)") ||
			!strings.Contains(msg, "root") {
			t.Fatalf("message %q", msg)
		}
		if err := Permitted(); !errors.Is(err, ErrNoCapNetRaw) {
			t.Fatalf("Permitted without CAP_NET_RAW: %v", err)
		}
		t.Log("child: capture refused as it should be")
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot drop CAP_NET_RAW")
	}
	cmd := exec.Command(setpriv, "--bounding-set=-net_raw", os.Args[0], "-test.run=^TestStartWithoutCapNetRaw$", "-test.v")
	cmd.Env = append(os.Environ(), "WIRE_TEST_CHILD=no-net-raw")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child: capture refused") {
		t.Fatalf("the child without CAP_NET_RAW: %v\n%s", err, out)
	}
}

// TestStampsAreOnForCaptures: once a capture has started, the kernel
// stamps packets as they pass, not when they are read, for every socket
// that asks: a probe datagram's stamp is from before its read.
func TestStampsAreOnForCaptures(t *testing.T) {
	startCapture(t, Config{Filter: Filter{Proto: UDP, Remotes: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:9")}}})
	fd, err := stampKeeper()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if !stampedEarly(fd) {
		t.Error("a datagram was stamped when it was read")
	}
}
