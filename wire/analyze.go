package wire

import (
	"fmt"
	"net/netip"
	"time"
)

// analyzer follows the conversations in a sequence of packets and turns
// each packet into a Segment: sequence numbers relative to each side's
// first one, the window scaled as the handshake agreed, and the meaning of
// the classic moments. It is not safe for concurrent use.
type analyzer struct {
	flows map[flowKey]*flow
}

// flowKey names a conversation whatever the direction: a is the lesser
// endpoint.
type flowKey struct {
	proto Proto
	a, b  netip.AddrPort
}

func keyOf(p Proto, x, y netip.AddrPort) flowKey {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return flowKey{p, x, y}
}

// flow is one conversation: its two sides, the first being the one that
// sent the first packet seen.
type flow struct {
	first netip.AddrPort
	sides [2]side
	ended bool // reset, or both FINs acknowledged
}

// side is what one end of a TCP connection has sent.
type side struct {
	based   bool
	base    uint32 // the first sequence number: its SYN's, when seen
	syn     bool   // sent a SYN (or a SYN ACK)
	synSeq  uint32
	synTime time.Time
	synACK  bool // its SYN was a SYN ACK: it is the server
	wscale  int8 // the window scale its SYN announced; -1 for none
	sent    bool // next is set
	next    uint32
	acked   bool // lastAck and lastWin are set
	lastAck uint32
	lastWin uint16
	dupACKs int
	fin     bool
	finSeq  uint32
	finACK  bool // the other side acknowledged its FIN
	joined  bool // acknowledged the other side's SYN ACK
}

func newAnalyzer() *analyzer { return &analyzer{flows: map[flowKey]*flow{}} }

// segment describes packet h, seen at t, going dir.
func (an *analyzer) segment(h *header, t time.Time, dir Dir) Segment {
	s := Segment{Time: t, Dir: dir, Proto: h.proto, Src: h.src, Dst: h.dst, Len: h.payload, Length: h.ipLen,
		ICMP: h.icmp, WindowShift: -1}
	switch {
	case h.proto == TCP:
		an.tcp(h, &s)
	case h.icmp != nil && h.icmp.Proto != 0:
		s.Event, s.Meaning = icmpMeaning(h.icmp)
	}
	return s
}

// ended reports whether every TCP conversation seen has ended (a reset, or
// both FINs acknowledged), and there was one.
func (an *analyzer) ended() bool {
	tcp := 0
	for k, f := range an.flows {
		if k.proto == TCP {
			tcp++
			if !f.ended {
				return false
			}
		}
	}
	return tcp > 0
}

func (an *analyzer) flowOf(h *header) (*flow, int) {
	k := keyOf(h.proto, h.src, h.dst)
	f := an.flows[k]
	if f == nil {
		f = &flow{first: h.src}
		f.sides[0].wscale, f.sides[1].wscale = -1, -1
		an.flows[k] = f
	}
	if h.src == f.first {
		return f, 0
	}
	return f, 1
}

// tcp fills in the TCP fields of s and classifies the segment.
func (an *analyzer) tcp(h *header, s *Segment) {
	f, i := an.flowOf(h)
	me, peer := &f.sides[i], &f.sides[1-i]
	t := h.tcp
	if t.flags.Has(SYN) && !me.syn {
		me.base, me.based = t.seq, true
		if t.opts.WindowScale >= 0 {
			me.wscale = t.opts.WindowScale
		}
	}
	if !me.based {
		me.base, me.based = t.seq, true
	}
	if t.flags.Has(ACK) && !peer.based {
		peer.base, peer.based = t.ack, true
	}
	s.Flags, s.RawSeq, s.RawWindow, s.Options = t.flags, t.seq, t.window, t.opts
	s.Seq = t.seq - me.base
	if t.flags.Has(ACK) {
		s.RawAck, s.Ack = t.ack, t.ack-peer.base
	}
	s.Options.SACK = relativeSACK(t.opts.SACK, peer.base)
	s.WindowShift = windowShift(me, peer, t.flags)
	s.Window = uint32(t.window) << max(s.WindowShift, 0)
	s.Event, s.Meaning = classify(f, me, peer, h, s)
	record(f, me, peer, h, s)
}

func relativeSACK(blocks []SACKBlock, base uint32) []SACKBlock {
	if len(blocks) == 0 {
		return nil
	}
	out := make([]SACKBlock, len(blocks))
	for i, b := range blocks {
		out[i] = SACKBlock{b.Left - base, b.Right - base}
	}
	return out
}

// windowShift is the scale of the windows me sends: none in a SYN, the
// shift me announced once both SYNs were seen with the option, 0 when one
// lacked it, and -1 (unknown) when the handshake was not seen.
func windowShift(me, peer *side, flags Flags) int8 {
	switch {
	case flags.Has(SYN):
		return 0
	case !me.syn || !peer.syn:
		return -1
	case me.wscale < 0 || peer.wscale < 0:
		return 0
	}
	return me.wscale
}

// seqLen is how much sequence space a segment takes: its bytes, and one
// for a SYN and for a FIN.
func seqLen(h *header) uint32 {
	n := uint32(h.payload)
	if h.tcp.flags.Has(SYN) {
		n++
	}
	if h.tcp.flags.Has(FIN) {
		n++
	}
	return n
}

// before reports whether sequence number a comes before b, modulo 2^32.
func before(a, b uint32) bool { return int32(a-b) < 0 }

// classify says what a TCP segment means, from what its conversation had
// shown before it.
func classify(f *flow, me, peer *side, h *header, s *Segment) (Event, string) {
	flags := h.tcp.flags
	switch {
	case flags.Has(RST):
		return resetMeaning(me, peer, h)
	case flags.Has(SYN):
		return synMeaning(me, h, s)
	case flags.Has(FIN) && me.fin && h.tcp.seq+uint32(h.payload) == me.finSeq:
		return EventRetransmission, "FIN retransmitted: not acknowledged yet"
	case flags.Has(FIN) && peer.fin:
		return EventFIN, "FIN: closes its side too, after the peer's FIN"
	case flags.Has(FIN):
		return EventFIN, "FIN: no more data from this side (close or shutdown)"
	case me.syn && !me.synACK && peer.synACK && !me.joined && flags.Has(ACK) && h.tcp.ack == peer.synSeq+1:
		return EventEstablished, "handshake 3/3: ACK, the connection is established"
	case h.payload > 0 && me.sent && !before(me.next, s.Seq+uint32(h.payload)):
		return EventRetransmission, fmt.Sprintf("retransmission: bytes %d-%d sent again", s.Seq, s.Seq+uint32(h.payload)-1)
	case h.payload <= 1 && me.sent && s.Seq == me.next-1:
		return EventKeepAlive, "keep-alive: is the peer still there?"
	case h.tcp.window == 0:
		return EventZeroWindow, "zero window: the receive buffer is full, the peer must wait"
	}
	if h.payload == 0 && flags.Has(ACK) {
		return ackMeaning(me, peer, h, s)
	}
	return EventNone, ""
}

func resetMeaning(me, peer *side, h *header) (Event, string) {
	if peer.syn && !peer.synACK && !me.syn && !me.sent {
		return EventRefused, fmt.Sprintf("refused: RST answers the SYN, nothing listens on port %d", h.src.Port())
	}
	return EventReset, "reset: the connection is aborted (RST)"
}

func synMeaning(me *side, h *header, s *Segment) (Event, string) {
	name := "SYN"
	if h.tcp.flags.Has(ACK) {
		name = "SYN ACK"
	}
	if me.syn && h.tcp.seq == me.synSeq {
		return EventRetransmission, fmt.Sprintf("%s retransmitted, %s after the last: no answer", name, gapText(s.Time.Sub(me.synTime)))
	}
	if h.tcp.flags.Has(ACK) {
		return EventSYNACK, "handshake 2/3: SYN ACK, the server accepts"
	}
	return EventSYN, "handshake 1/3: SYN, the client asks to connect"
}

// ackMeaning classifies a segment with no data and no SYN, FIN or RST.
func ackMeaning(me, peer *side, h *header, s *Segment) (Event, string) {
	switch {
	case peer.fin && !peer.finACK && h.tcp.ack == peer.finSeq+1 && me.fin && me.finACK:
		return EventFINAcked, "last ACK: acknowledges the peer's FIN, the connection is closed"
	case peer.fin && !peer.finACK && h.tcp.ack == peer.finSeq+1:
		return EventFINAcked, "acknowledges the peer's FIN"
	case !me.acked || h.tcp.ack != me.lastAck:
		return EventNone, ""
	case h.tcp.window != me.lastWin:
		return EventWindowUpdate, fmt.Sprintf("window update: room for %d bytes", s.Window)
	case peer.sent && before(s.Ack, peer.next):
		return EventDupACK, fmt.Sprintf("duplicate ACK #%d: a segment may be missing", me.dupACKs+1)
	}
	return EventNone, ""
}

// record updates the conversation with the segment just classified.
func record(f *flow, me, peer *side, h *header, s *Segment) {
	t := h.tcp
	if t.flags.Has(SYN) {
		me.syn, me.synSeq, me.synTime, me.synACK = true, t.seq, s.Time, t.flags.Has(ACK)
	}
	if end := s.Seq + seqLen(h); !me.sent || before(me.next, end) {
		me.next, me.sent = end, true
	}
	if t.flags.Has(FIN) && !me.fin {
		me.fin, me.finSeq = true, t.seq+uint32(h.payload)
	}
	if t.flags.Has(ACK) {
		if s.Event == EventDupACK {
			me.dupACKs++
		} else if t.ack != me.lastAck {
			me.dupACKs = 0
		}
		me.acked, me.lastAck, me.lastWin = true, t.ack, t.window
		if peer.synACK && t.ack == peer.synSeq+1 {
			me.joined = true
		}
		if peer.fin && t.ack == peer.finSeq+1 {
			peer.finACK = true
		}
	}
	if t.flags.Has(RST) || (me.fin && me.finACK && peer.fin && peer.finACK) {
		f.ended = true
	}
}

// icmpMeaning says what an ICMP error about a TCP or UDP packet means.
func icmpMeaning(e *ICMPError) (Event, string) {
	if e.portUnreachable() {
		return EventPortUnreachable, fmt.Sprintf("port unreachable: nothing listens on %s port %d", e.Proto, e.Dst.Port())
	}
	return EventICMPError, fmt.Sprintf("%s: for the %s packet to %s", e.Text(), e.Proto, e.Dst)
}

// gapText writes a gap between packets, to the millisecond.
func gapText(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}
