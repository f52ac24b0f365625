package wire

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// talk is a made-up TCP conversation between a client (local) and a
// server, fed to the decoder and the analyzer as a capture would.
type talk struct {
	t              *testing.T
	build          *packetBuilder
	dec            *decoder
	an             *analyzer
	filter         Filter
	client, server netip.AddrPort
	now            time.Time
}

func newTalk(t *testing.T) *talk {
	client, server := ap("127.0.0.1:40000"), ap("127.0.0.1:80")
	return &talk{t: t, build: newPacketBuilder(), dec: newDecoder(), an: newAnalyzer(),
		filter: Filter{Proto: TCP, Local: client, Remotes: []netip.AddrPort{server}}, client: client, server: server,
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// seg sends one segment (from the client when out) and returns what the
// analyzer makes of it.
func (k *talk) seg(out bool, seq, ack uint32, flags Flags, window uint16, n int, opts ...layers.TCPOption) Segment {
	k.t.Helper()
	from, to := k.client, k.server
	if !out {
		from, to = to, from
	}
	pkt, err := k.build.packet(from, to, tcpLayer(from, to, seq, ack, flags, window, opts), make([]byte, n))
	if err != nil {
		k.t.Fatal(err)
	}
	h, err := k.dec.decode(pkt)
	if err != nil {
		k.t.Fatal(err)
	}
	k.now = k.now.Add(time.Millisecond)
	return k.an.segment(&h, k.now, k.filter.direction(&h))
}

func option(kind layers.TCPOptionKind, data ...byte) layers.TCPOption {
	return layers.TCPOption{OptionType: kind, OptionLength: uint8(2 + len(data)), OptionData: data}
}

func timestamps(val, ecr uint32) layers.TCPOption {
	data := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, val), ecr)
	return option(layers.TCPOptionKindTimestamps, data...)
}

const (
	isnC = 1_000_000
	isnS = 4_000_000_000 // wraps past 2^32 as the conversation goes on
)

// handshake opens the conversation, both sides announcing a window scale
// of 7 (the client) and 5 (the server).
func (k *talk) handshake() [3]Segment {
	return [3]Segment{
		k.seg(true, isnC, 0, SYN, 65535, 0, option(layers.TCPOptionKindMSS, 0xff, 0xd7),
			option(layers.TCPOptionKindSACKPermitted), timestamps(7, 0), option(layers.TCPOptionKindWindowScale, 7)),
		k.seg(false, isnS, isnC+1, SYN|ACK, 65535, 0, option(layers.TCPOptionKindWindowScale, 5)),
		k.seg(true, isnC+1, isnS+1, ACK, 512, 0),
	}
}

func wantEvent(t *testing.T, s Segment, e Event, meaning string) {
	t.Helper()
	if s.Event != e || !strings.Contains(s.Meaning, meaning) {
		t.Errorf("%s: want event %q with %q in its meaning", s, e, meaning)
	}
}

func TestAnalyzeHandshake(t *testing.T) {
	k := newTalk(t)
	hs := k.handshake()
	wantEvent(t, hs[0], EventSYN, "handshake 1/3")
	wantEvent(t, hs[1], EventSYNACK, "handshake 2/3")
	wantEvent(t, hs[2], EventEstablished, "handshake 3/3")
	o := hs[0].Options
	if o.MSS != 65495 || !o.SACKPermitted || !o.Timestamps || o.TSval != 7 || o.WindowScale != 7 {
		t.Errorf("SYN options %+v", o)
	}
	if got := o.String(); got != "mss 65495, sack ok, ts 7 0, wscale 7" {
		t.Errorf("options text %q", got)
	}
	if hs[0].Window != 65535 || hs[0].WindowShift != 0 {
		t.Errorf("a SYN's window is never scaled: %d, shift %d", hs[0].Window, hs[0].WindowShift)
	}
	if s := hs[2]; s.Seq != 1 || s.Ack != 1 || s.Window != 512<<7 || s.WindowShift != 7 || s.Dir != Out {
		t.Errorf("third step %+v", s)
	}
	if s := k.seg(false, isnS+1, isnC+1, ACK, 100, 0); s.Window != 100<<5 || s.Dir != In {
		t.Errorf("the server's window %d, want %d", s.Window, 100<<5)
	}
	if got := hs[1].Summary(); got != "in SYN ACK seq 0 ack 1 win 65535 len 0 [wscale 5]: handshake 2/3: SYN ACK, the server accepts" {
		t.Errorf("summary %q", got)
	}
}

// TestAnalyzeNoScale: a SYN ACK without the option turns scaling off; a
// capture that missed the handshake does not know the scale.
func TestAnalyzeNoScale(t *testing.T) {
	k := newTalk(t)
	k.seg(true, isnC, 0, SYN, 65535, 0, option(layers.TCPOptionKindWindowScale, 7))
	k.seg(false, isnS, isnC+1, SYN|ACK, 65535, 0)
	if s := k.seg(true, isnC+1, isnS+1, ACK, 512, 0); s.Window != 512 || s.WindowShift != 0 {
		t.Errorf("window %d shift %d, want 512 unscaled", s.Window, s.WindowShift)
	}
	late := newTalk(t)
	s := late.seg(true, 5000, 9000, ACK|PSH, 512, 10)
	if s.Window != 512 || s.WindowShift != -1 || s.Seq != 0 || s.Ack != 0 {
		t.Errorf("mid-stream %+v", s)
	}
	if s := late.seg(false, 9000, 5010, ACK, 512, 0); s.Seq != 0 || s.Ack != 10 {
		t.Errorf("mid-stream answer %+v", s)
	}
}

func TestAnalyzeRetransmissionAndDupACKs(t *testing.T) {
	k := newTalk(t)
	k.handshake()
	k.seg(true, isnC+1, isnS+1, PSH|ACK, 512, 100)
	k.seg(true, isnC+101, isnS+1, PSH|ACK, 512, 100)
	k.seg(true, isnC+201, isnS+1, PSH|ACK, 512, 100)
	if s := k.seg(false, isnS+1, isnC+101, ACK, 100, 0); s.Event != EventNone || s.Ack != 101 {
		t.Errorf("first ACK %s", s)
	}
	sack := option(layers.TCPOptionKindSACK, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, isnC+201), isnC+301)...)
	first := k.seg(false, isnS+1, isnC+101, ACK, 100, 0, sack)
	wantEvent(t, first, EventDupACK, "duplicate ACK #1")
	if b := first.Options.SACK; len(b) != 1 || b[0] != (SACKBlock{201, 301}) {
		t.Errorf("SACK blocks %v, want 201-301", b)
	}
	wantEvent(t, k.seg(false, isnS+1, isnC+101, ACK, 100, 0, sack), EventDupACK, "duplicate ACK #2")
	wantEvent(t, k.seg(true, isnC+101, isnS+1, ACK, 512, 100), EventRetransmission, "bytes 101-200 sent again")
	if s := k.seg(false, isnS+1, isnC+301, ACK, 100, 0); s.Event != EventNone {
		t.Errorf("the ACK after the repair %s", s)
	}
}

func TestAnalyzeWindowsAndKeepAlive(t *testing.T) {
	k := newTalk(t)
	k.handshake()
	k.seg(true, isnC+1, isnS+1, PSH|ACK, 512, 10)
	k.seg(false, isnS+1, isnC+11, ACK, 100, 0)
	wantEvent(t, k.seg(false, isnS+1, isnC+11, ACK, 0, 0), EventZeroWindow, "zero window")
	wantEvent(t, k.seg(false, isnS+1, isnC+11, ACK, 50, 0), EventWindowUpdate, "room for 1600 bytes")
	wantEvent(t, k.seg(true, isnC+10, isnS+1, ACK, 512, 0), EventKeepAlive, "keep-alive")
	wantEvent(t, k.seg(false, isnS+1, isnC+11, RST|ACK, 0, 0), EventReset, "aborted")
	if !k.an.ended() {
		t.Error("a reset connection has not ended")
	}
}

func TestAnalyzeClose(t *testing.T) {
	k := newTalk(t)
	k.handshake()
	wantEvent(t, k.seg(false, isnS+1, isnC+1, FIN|ACK, 100, 0), EventFIN, "no more data")
	wantEvent(t, k.seg(true, isnC+1, isnS+2, ACK, 512, 0), EventFINAcked, "acknowledges the peer's FIN")
	if k.an.ended() {
		t.Error("ended with one FIN")
	}
	wantEvent(t, k.seg(true, isnC+1, isnS+2, FIN|PSH|ACK, 512, 5), EventFIN, "after the peer's FIN")
	wantEvent(t, k.seg(true, isnC+1, isnS+2, FIN|PSH|ACK, 512, 5), EventRetransmission, "FIN retransmitted")
	wantEvent(t, k.seg(false, isnS+2, isnC+7, ACK, 100, 0), EventFINAcked, "connection is closed")
	if !k.an.ended() {
		t.Error("not ended after both FINs")
	}
}

func TestAnalyzeRefused(t *testing.T) {
	k := newTalk(t)
	k.seg(true, isnC, 0, SYN, 65535, 0)
	wantEvent(t, k.seg(true, isnC, 0, SYN, 65535, 0), EventRetransmission, "SYN retransmitted, 1ms after the last")
	rst := k.seg(false, 0, isnC+1, RST|ACK, 0, 0)
	wantEvent(t, rst, EventRefused, "nothing listens on port 80")
	if rst.Seq != 0 || rst.Ack != 1 || rst.Flags.String() != "RST ACK" {
		t.Errorf("refusal %s", rst)
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{SYN | ACK: "SYN ACK", FIN | PSH | ACK: "FIN PSH ACK", RST: "RST", 0: "none",
		ECE | CWR | URG: "URG ECE CWR"} {
		if got := f.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint16(f), got, want)
		}
	}
}

// TestAnalyzePortUnreachable describes an ICMP error about a datagram.
func TestAnalyzePortUnreachable(t *testing.T) {
	f := Filter{Proto: UDP, Local: ap("[::1]:5000"), Remotes: []netip.AddrPort{ap("[::1]:9")}}
	pkt := icmpError(t, udpPacket(t, "[::1]:5000", "[::1]:9", []byte("x")))
	h, err := newDecoder().decode(pkt)
	if err != nil {
		t.Fatal(err)
	}
	s := newAnalyzer().segment(&h, time.Now(), f.direction(&h))
	wantEvent(t, s, EventPortUnreachable, "nothing listens on udp port 9")
	if l, r := s.Flow(); s.Dir != In || s.Proto != ICMPv6 || l != ap("[::1]:5000") || r != ap("[::1]:9") {
		t.Errorf("%s: flow %s-%s", s, l, r)
	}
	if !strings.HasSuffix(s.Summary(), "ICMPv6: port unreachable: nothing listens on udp port 9") {
		t.Errorf("summary %q", s.Summary())
	}
}
