package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Flags are the flags of a TCP segment.
type Flags uint16

// TCP flags.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// flagNames are the flags in the order people write them: "SYN ACK",
// "FIN PSH ACK", "RST ACK".
var flagNames = []struct {
	f    Flags
	name string
}{{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {ACK, "ACK"}, {URG, "URG"}, {ECE, "ECE"}, {CWR, "CWR"}}

// String returns the flags set, as "SYN ACK", or "none".
func (f Flags) String() string {
	var names []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " ")
}

// Has reports whether every flag of g is set.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Options are the TCP options of a segment that people look at.
type Options struct {
	MSS           uint16 // maximum segment size; 0 when not given
	WindowScale   int8   // the window scale's shift count; -1 when not given
	SACKPermitted bool
	// SACK are the selective acknowledgement blocks: in a Segment,
	// relative to the peer's first sequence number as Ack is.
	SACK         []SACKBlock
	Timestamps   bool // TSval and TSecr were given
	TSval, TSecr uint32
}

// SACKBlock is one block of selectively acknowledged bytes, [Left, Right).
type SACKBlock struct{ Left, Right uint32 }

// String lists the options given, as "mss 65495, sack ok, ts 1234 0,
// wscale 7"; "" when none.
func (o Options) String() string {
	var parts []string
	if o.MSS != 0 {
		parts = append(parts, fmt.Sprintf("mss %d", o.MSS))
	}
	if o.SACKPermitted {
		parts = append(parts, "sack ok")
	}
	for _, b := range o.SACK {
		parts = append(parts, fmt.Sprintf("sack %d-%d", b.Left, b.Right))
	}
	if o.Timestamps {
		parts = append(parts, fmt.Sprintf("ts %d %d", o.TSval, o.TSecr))
	}
	if o.WindowScale >= 0 {
		parts = append(parts, fmt.Sprintf("wscale %d", o.WindowScale))
	}
	return strings.Join(parts, ", ")
}

// ICMPError is an ICMP or ICMPv6 error and the packet it quotes.
type ICMPError struct {
	V6         bool // ICMPv6
	Type, Code uint8
	// Proto, Src and Dst are the quoted packet's: the packet the error is
	// about. Proto is 0 when the message quotes no TCP or UDP header.
	Proto    Proto
	Src, Dst netip.AddrPort
}

// Text names the error: "port unreachable", "host unreachable",
// "time exceeded", ...
func (e ICMPError) Text() string {
	if e.V6 {
		return icmpv6Text(e.Type, e.Code)
	}
	return icmpv4Text(e.Type, e.Code)
}

func icmpv4Text(typ, code uint8) string {
	switch typ {
	case layers.ICMPv4TypeDestinationUnreachable:
		switch code {
		case layers.ICMPv4CodeNet:
			return "network unreachable"
		case layers.ICMPv4CodeHost:
			return "host unreachable"
		case layers.ICMPv4CodeProtocol:
			return "protocol unreachable"
		case layers.ICMPv4CodePort:
			return "port unreachable"
		case layers.ICMPv4CodeFragmentationNeeded:
			return "fragmentation needed"
		case layers.ICMPv4CodeNetAdminProhibited, layers.ICMPv4CodeHostAdminProhibited, layers.ICMPv4CodeCommAdminProhibited:
			return "administratively prohibited"
		}
		return fmt.Sprintf("destination unreachable (code %d)", code)
	case layers.ICMPv4TypeSourceQuench:
		return "source quench"
	case layers.ICMPv4TypeTimeExceeded:
		return "time exceeded"
	case layers.ICMPv4TypeParameterProblem:
		return "parameter problem"
	}
	return fmt.Sprintf("icmp type %d code %d", typ, code)
}

func icmpv6Text(typ, code uint8) string {
	switch typ {
	case layers.ICMPv6TypeDestinationUnreachable:
		switch code {
		case layers.ICMPv6CodeNoRouteToDst:
			return "no route"
		case layers.ICMPv6CodeAdminProhibited:
			return "administratively prohibited"
		case layers.ICMPv6CodeAddressUnreachable:
			return "address unreachable"
		case layers.ICMPv6CodePortUnreachable:
			return "port unreachable"
		}
		return fmt.Sprintf("destination unreachable (code %d)", code)
	case layers.ICMPv6TypePacketTooBig:
		return "packet too big"
	case layers.ICMPv6TypeTimeExceeded:
		return "time exceeded"
	case layers.ICMPv6TypeParameterProblem:
		return "parameter problem"
	}
	return fmt.Sprintf("icmpv6 type %d code %d", typ, code)
}

// portUnreachable reports whether the error says nothing listens on the
// quoted packet's port.
func (e ICMPError) portUnreachable() bool {
	if e.V6 {
		return e.Type == layers.ICMPv6TypeDestinationUnreachable && e.Code == layers.ICMPv6CodePortUnreachable
	}
	return e.Type == layers.ICMPv4TypeDestinationUnreachable && e.Code == layers.ICMPv4CodePort
}

// header is what one IP packet says, as far as a capture shows it.
type header struct {
	proto    Proto // TCP, UDP, ICMP or ICMPv6
	src, dst netip.AddrPort
	ipLen    int // the IP packet's length, as its header says
	payload  int // the transport payload's length, as the headers say
	tcp      tcpHeader
	icmp     *ICMPError
}

type tcpHeader struct {
	seq, ack uint32
	flags    Flags
	window   uint16
	opts     Options
}

// decoder parses packets with gopacket's layers, reusing them from one
// packet to the next. It is not safe for concurrent use.
type decoder struct {
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	payload gopacket.Payload
	p4, p6  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newDecoder() *decoder {
	d := &decoder{}
	all := []gopacket.DecodingLayer{&d.ip4, &d.ip6, &d.tcp, &d.udp, &d.icmp4, &d.icmp6, &d.payload}
	d.p4 = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv4, all...)
	d.p6 = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv6, all...)
	d.p4.IgnoreUnsupported, d.p6.IgnoreUnsupported = true, true
	return d
}

var errNotShown = errors.New("not a TCP, UDP or ICMP packet")

// decode parses an IP packet, from its IP header on; it may be cut short
// of its length (a capture that kept the headers only).
func (d *decoder) decode(pkt []byte) (header, error) {
	if len(pkt) == 0 {
		return header{}, errors.New("an empty packet")
	}
	var parser *gopacket.DecodingLayerParser
	switch pkt[0] >> 4 {
	case 4:
		parser = d.p4
	case 6:
		parser = d.p6
	default:
		return header{}, fmt.Errorf("IP version %d", pkt[0]>>4)
	}
	if err := parser.DecodeLayers(pkt, &d.decoded); err != nil {
		return header{}, err
	}
	var h header
	ipHeader, network := 0, false
	for _, typ := range d.decoded {
		switch typ {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			if network {
				return header{}, errors.New("a tunnelled packet")
			}
			var err error
			if ipHeader, err = d.readIP(&h, typ); err != nil {
				return header{}, err
			}
			network = true
		case layers.LayerTypeTCP, layers.LayerTypeUDP, layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
			if !network {
				return header{}, errNotShown
			}
			return h, d.readTransport(&h, typ, ipHeader, parser == d.p6)
		}
	}
	return header{}, errNotShown
}

// readIP reads the IP header into h and returns its length.
func (d *decoder) readIP(h *header, typ gopacket.LayerType) (int, error) {
	if typ == layers.LayerTypeIPv6 {
		if d.ip6.HopByHop != nil {
			return 0, errors.New("an IPv6 packet with extension headers")
		}
		h.src, h.dst = addrPort(d.ip6.SrcIP, 0), addrPort(d.ip6.DstIP, 0)
		h.ipLen = ipv6HeaderLen + int(d.ip6.Length)
		return ipv6HeaderLen, nil
	}
	if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
		return 0, errors.New("an IPv4 fragment")
	}
	h.src, h.dst = addrPort(d.ip4.SrcIP, 0), addrPort(d.ip4.DstIP, 0)
	h.ipLen = int(d.ip4.Length)
	return int(d.ip4.IHL) * 4, nil
}

// readTransport reads the transport header into h. ICMP must match the
// IP version it travels in.
func (d *decoder) readTransport(h *header, typ gopacket.LayerType, ipHeader int, v6 bool) error {
	switch typ {
	case layers.LayerTypeTCP:
		h.proto = TCP
		d.readTCP(h, ipHeader)
	case layers.LayerTypeUDP:
		h.proto = UDP
		h.src, h.dst = netip.AddrPortFrom(h.src.Addr(), uint16(d.udp.SrcPort)), netip.AddrPortFrom(h.dst.Addr(), uint16(d.udp.DstPort))
		h.payload = int(d.udp.Length) - 8
	case layers.LayerTypeICMPv4:
		if v6 {
			return errors.New("ICMP for IPv4 in an IPv6 packet")
		}
		h.proto = ICMP
		h.icmp = quotedError(false, d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code(), d.icmp4.Payload)
	case layers.LayerTypeICMPv6:
		if !v6 {
			return errors.New("ICMPv6 in an IPv4 packet")
		}
		h.proto = ICMPv6
		h.icmp = quotedError(true, d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code(), d.icmp6.Payload)
	}
	if h.payload < 0 {
		return fmt.Errorf("%s lengths that do not add up", h.proto)
	}
	return nil
}

// readTCP fills the TCP part of h; the payload's length comes from the IP
// length, as the packet may be cut short.
func (d *decoder) readTCP(h *header, ipHeader int) {
	t := &d.tcp
	h.src, h.dst = netip.AddrPortFrom(h.src.Addr(), uint16(t.SrcPort)), netip.AddrPortFrom(h.dst.Addr(), uint16(t.DstPort))
	h.payload = h.ipLen - ipHeader - int(t.DataOffset)*4
	h.tcp = tcpHeader{seq: t.Seq, ack: t.Ack, window: t.Window, opts: tcpOptions(t.Options)}
	for _, f := range []struct {
		set  bool
		flag Flags
	}{{t.FIN, FIN}, {t.SYN, SYN}, {t.RST, RST}, {t.PSH, PSH}, {t.ACK, ACK}, {t.URG, URG}, {t.ECE, ECE}, {t.CWR, CWR}} {
		if f.set {
			h.tcp.flags |= f.flag
		}
	}
}

// tcpOptions picks out the options people look at; gopacket has checked
// their lengths against the header.
func tcpOptions(opts []layers.TCPOption) Options {
	o := Options{WindowScale: -1}
	for _, opt := range opts {
		data := opt.OptionData
		switch opt.OptionType {
		case layers.TCPOptionKindMSS:
			if len(data) == 2 {
				o.MSS = binary.BigEndian.Uint16(data)
			}
		case layers.TCPOptionKindWindowScale:
			if len(data) == 1 {
				o.WindowScale = int8(min(data[0], 14)) // RFC 7323: larger counts mean 14
			}
		case layers.TCPOptionKindSACKPermitted:
			o.SACKPermitted = true
		case layers.TCPOptionKindSACK:
			for ; len(data) >= 8; data = data[8:] {
				o.SACK = append(o.SACK, SACKBlock{binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:])})
			}
		case layers.TCPOptionKindTimestamps:
			if len(data) == 8 {
				o.Timestamps, o.TSval, o.TSecr = true, binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:])
			}
		}
	}
	return o
}

// quotedError reads an ICMP error's quoted packet: the IP header of a
// packet that went the other way, and the first bytes of its transport
// header, which start with the two ports for TCP and UDP alike. For ICMPv6
// body starts with four bytes of the message's own before the quote.
func quotedError(v6 bool, typ, code uint8, body []byte) *ICMPError {
	e := &ICMPError{V6: v6, Type: typ, Code: code}
	if !isErrorType(v6, typ) {
		return e
	}
	var proto Proto
	var src, dst []byte
	var transport []byte
	if v6 {
		var ip layers.IPv6
		if len(body) < 4 || ip.DecodeFromBytes(body[4:], gopacket.NilDecodeFeedback) != nil {
			return e
		}
		proto, src, dst, transport = Proto(ip.NextHeader), ip.SrcIP, ip.DstIP, ip.Payload
	} else {
		var ip layers.IPv4
		if ip.DecodeFromBytes(body, gopacket.NilDecodeFeedback) != nil {
			return e
		}
		proto, src, dst, transport = Proto(ip.Protocol), ip.SrcIP, ip.DstIP, ip.Payload
	}
	if (proto != TCP && proto != UDP) || len(transport) < 4 {
		return e
	}
	e.Proto = proto
	e.Src = addrPort(src, binary.BigEndian.Uint16(transport[0:2]))
	e.Dst = addrPort(dst, binary.BigEndian.Uint16(transport[2:4]))
	return e
}

// isErrorType reports whether ICMP messages of type typ quote a packet.
func isErrorType(v6 bool, typ uint8) bool {
	types := icmpv4Errors
	if v6 {
		types = icmpv6Errors
	}
	for _, t := range types {
		if uint32(typ) == t {
			return true
		}
	}
	return false
}

func addrPort(ip net.IP, port uint16) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a, port)
}

// slotsOf returns the endpoints a filter compares for h: its own, or for
// an ICMP error those of the packet it quotes, and whether h is a packet
// of protocol p at all.
func (h *header) slotsOf(p Proto) (slots, bool) {
	var s slots
	switch {
	case h.proto == p:
		s.fill(h.src, h.dst)
	case h.icmp != nil && h.icmp.Proto == p:
		s.fill(h.icmp.Src, h.icmp.Dst)
	default:
		return s, false
	}
	return s, true
}

// direction returns the direction of h under filter f, DirUnknown when f
// does not match it. An ICMP error goes the other way from the packet it
// quotes.
func (f Filter) direction(h *header) Dir {
	s, ok := h.slotsOf(f.Proto)
	if !ok {
		return DirUnknown
	}
	d := f.match(&s)
	if h.icmp != nil && d != DirUnknown {
		d = Out + In - d
	}
	return d
}
