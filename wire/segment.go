package wire

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Event is what a segment means, for the classic moments of a connection.
type Event uint8

// Events.
const (
	EventNone            Event = iota // data, an ordinary ACK, a datagram
	EventSYN                          // handshake 1/3: the client asks to connect
	EventSYNACK                       // handshake 2/3: the server accepts
	EventEstablished                  // handshake 3/3: the client's ACK of the SYN ACK
	EventRefused                      // RST answering a SYN: nothing listens
	EventReset                        // RST: the connection is aborted
	EventFIN                          // FIN: the sender has no more to send
	EventFINAcked                     // the ACK of a FIN
	EventRetransmission               // a segment sent again (same seq)
	EventKeepAlive                    // a keep-alive probe
	EventZeroWindow                   // the receiver's buffer is full
	EventWindowUpdate                 // the window changed and nothing else did
	EventDupACK                       // the same ACK again: a segment may be missing
	EventPortUnreachable              // ICMP: nothing listens on the UDP port
	EventICMPError                    // another ICMP error
)

var eventNames = [...]string{"", "syn", "syn-ack", "established", "refused", "reset", "fin", "fin-acked",
	"retransmission", "keep-alive", "zero-window", "window-update", "dup-ack", "port-unreachable", "icmp-error"}

// String returns a short name for the event ("" for EventNone).
func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", uint8(e))
}

// Segment describes one captured packet: a TCP segment, a UDP datagram or
// an ICMP error about one of them.
type Segment struct {
	Index int       // the packet's number in its capture, from 0
	Time  time.Time // when the kernel saw it
	Dir   Dir       // relative to the local socket
	Proto Proto     // TCP, UDP, ICMP or ICMPv6
	// Src and Dst are the packet's endpoints (port 0 for ICMP).
	Src, Dst netip.AddrPort
	Len      int // payload bytes (TCP, UDP), as the headers say
	Captured int // bytes of the packet kept: fewer than its length when the capture kept its headers only
	Length   int // the packet's length from its IP header on

	// TCP only.
	Flags Flags
	// Seq and Ack are relative to the first sequence number of their
	// side (the SYN's when the capture saw it): a SYN is 0, the first byte
	// after it 1. Ack is 0 without the ACK flag.
	Seq, Ack       uint32
	RawSeq, RawAck uint32
	// Window is the receive window in bytes: RawWindow shifted by the
	// window scale the handshake agreed on. WindowShift is that shift, or
	// -1 when the capture did not see the handshake (Window is then the
	// raw field).
	Window      uint32
	RawWindow   uint16
	WindowShift int8
	Options     Options

	ICMP *ICMPError // an ICMP error, with the packet it quotes

	Event Event
	// Meaning says in a few words what the segment does, for the classic
	// moments; "" for the others.
	Meaning string
}

// Flow returns the packet's endpoints as the local socket sees them:
// local first. For an ICMP error, those of the packet it quotes.
func (s Segment) Flow() (local, remote netip.AddrPort) {
	src, dst := s.Src, s.Dst
	if s.ICMP != nil {
		src, dst = s.ICMP.Dst, s.ICMP.Src
	}
	if s.Dir == In {
		return dst, src
	}
	return src, dst
}

// Summary is the segment in one line without its time: direction,
// protocol details, length and meaning, as
//
//	out SYN seq 0 win 65495 len 0 [mss 65495, sack ok, ts 1 0, wscale 7]: handshake 1/3: ...
func (s Segment) Summary() string {
	line := s.Dir.String() + " " + s.Detail()
	if s.Meaning != "" {
		line += ": " + s.Meaning
	}
	return line
}

// Detail is the segment's protocol details and length, without its
// direction and meaning: "SYN seq 0 win 65495 len 0 [mss 65495, ...]",
// "UDP len 5", "ICMP".
func (s Segment) Detail() string {
	var b strings.Builder
	switch s.Proto {
	case TCP:
		fmt.Fprintf(&b, "%s seq %d", s.Flags, s.Seq)
		if s.Flags.Has(ACK) {
			fmt.Fprintf(&b, " ack %d", s.Ack)
		}
		fmt.Fprintf(&b, " win %d len %d", s.Window, s.Len)
		if o := s.Options.String(); o != "" {
			fmt.Fprintf(&b, " [%s]", o)
		}
	case UDP:
		fmt.Fprintf(&b, "UDP len %d", s.Len)
	case ICMP:
		b.WriteString("ICMP")
	case ICMPv6:
		b.WriteString("ICMPv6")
	default:
		b.WriteString("packet")
	}
	return b.String()
}

// String is the segment in one line: its time (to the microsecond) and
// its Summary.
func (s Segment) String() string {
	return s.Time.Format("15:04:05.000000") + " " + s.Summary()
}
