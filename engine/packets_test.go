package engine

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"sockbench/internal/testpeer"
	"sockbench/netcore"
	"sockbench/wire"
)

// flags lists the flags of segments, as people write them.
func flags(segs []wire.Segment) string {
	var out []string
	for _, s := range segs {
		out = append(out, s.Dir.String()+" "+s.Flags.String())
	}
	return strings.Join(out, ", ")
}

// TestConnectCapturesItsPackets: a connect run with Capture keeps the
// SYN of every attempt: the refused one shows SYN then RST ACK, the
// connected one the three-way handshake, which its socket then keeps.
func TestConnectCapturesItsPackets(t *testing.T) {
	e, c := newEngine(t)
	refused := addr(t, testpeer.Refused(t, "127.0.0.1").String())
	e.Listen(addr(t, "127.0.0.1:0"))
	l := c.await("the listener", is[Opened]).(Opened).Socks[0]
	rows := []netcore.AddrInfo{
		{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: refused},
		{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: l.Local()},
	}
	e.Connect(context.Background(), Dial{Run: 1, Rows: rows, Traces: []*Trace{NewTrace(), NewTrace()}, Capture: true})
	run := c.await("the run's capture", is[RunPackets]).(RunPackets)
	if errors.Is(run.Packets.Err(), wire.ErrNoCapNetRaw) {
		t.Skip("no CAP_NET_RAW here: ", run.Packets.Err())
	}
	if run.Packets.Err() != nil {
		t.Fatal(run.Packets.Err())
	}
	done := c.await("the connect", is[ConnectDone]).(ConnectDone)
	if done.Err != nil {
		t.Fatal(done.Err)
	}
	k := done.Sock
	waitUntil(t, "the handshake", patience, func() bool {
		segs, _, _ := k.Segments()
		return len(segs) >= 3
	})
	segs, ok, err := k.Segments()
	if !ok || err != nil || !strings.HasPrefix(flags(segs), "out SYN, in SYN ACK, out ACK") {
		t.Errorf("the socket's segments: %s (%v %v)", flags(segs), ok, err)
	}
	remote, _ := inetEndpoint(refused)
	refusal := FlowSegments(run.Packets.Capture().Segments(0), netip.AddrPort{}, remote)
	if flags(refusal) != "out SYN, in RST ACK" {
		t.Errorf("the refused attempt: %s", flags(refusal))
	}

	// Closing both ends: the capture runs on until the FIN exchange is
	// over, so the peer's FIN, which comes after close returns, is in it.
	server := c.await("the accept", is[Accepted]).(Accepted).Sock
	if err := e.CloseSock(k); err != nil {
		t.Fatal(err)
	}
	c.await("the peer's end of stream", is[EOF])
	if err := e.CloseSock(server); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the capture to stop", patience, run.Packets.Capture().Stopped)
	segs, _, _ = k.Segments()
	if got := flags(segs); !strings.HasSuffix(got, "out FIN ACK, in FIN ACK, out ACK") && !strings.HasSuffix(got, "out FIN ACK, in ACK, in FIN ACK, out ACK") {
		t.Errorf("the close: %s", got)
	}
}
