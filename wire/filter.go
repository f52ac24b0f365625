package wire

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/bpf"
)

// Proto is an IP protocol number.
type Proto uint8

// The protocols a capture shows.
const (
	ICMP   Proto = 1
	TCP    Proto = 6
	UDP    Proto = 17
	ICMPv6 Proto = 58
)

// String returns "tcp", "udp", "icmp" or "icmpv6".
func (p Proto) String() string {
	switch p {
	case ICMP:
		return "icmp"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case ICMPv6:
		return "icmpv6"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// Dir is the direction of a packet as the local socket sees it.
type Dir uint8

// Directions. A packet is Out when the local socket sent it (or the
// kernel sent it on the socket's behalf), In when it came to the socket.
const (
	DirUnknown Dir = 0
	Out        Dir = 1
	In         Dir = 2
)

// String returns "out", "in" or "?".
func (d Dir) String() string {
	switch d {
	case Out:
		return "out"
	case In:
		return "in"
	}
	return "?"
}

// MaxRemotes is the most peers one Filter names: the kernel's filter grows
// with each.
const MaxRemotes = 64

// Filter says which packets a capture keeps: those of protocol Proto
// between the local endpoint and one of the remote ones, and the ICMP
// errors about them.
//
// Local is the socket's own address. Leave it zero while it is not known
// (before a connect has picked its port) and Narrow the capture once it
// is. A port of 0 matches any port; an unspecified address matches any
// address, of IPv4 only for 0.0.0.0, of both families for "::" (a
// dual-stack listener). Remotes are the peers (the addresses a connect
// will try); none matches any peer. A filter must pin something down: a
// local port or address, or remotes.
//
// IPv4-mapped IPv6 addresses stand for the IPv4 address they hold, as they
// do on the wire. Fragments and IPv6 packets with extension headers before
// the transport header are not matched.
type Filter struct {
	Proto   Proto
	Local   netip.AddrPort
	Remotes []netip.AddrPort
}

// String describes the filter as tcpdump's syntax would.
func (f Filter) String() string {
	var parts []string
	if f.Local.IsValid() {
		parts = append(parts, endpointText(f.Local))
	}
	var remotes []string
	for _, r := range f.Remotes {
		remotes = append(remotes, endpointText(r))
	}
	if len(remotes) > 1 {
		parts = append(parts, "("+strings.Join(remotes, " or ")+")")
	} else {
		parts = append(parts, remotes...)
	}
	return f.Proto.String() + " and " + strings.Join(parts, " and ")
}

func endpointText(ap netip.AddrPort) string {
	var parts []string
	if a := ap.Addr().Unmap(); !a.IsUnspecified() {
		parts = append(parts, "host "+a.String())
	}
	if ap.Port() != 0 {
		parts = append(parts, fmt.Sprintf("port %d", ap.Port()))
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " and ")
}

// check validates the filter.
func (f Filter) check() error {
	switch {
	case f.Proto != TCP && f.Proto != UDP:
		return fmt.Errorf("wire: cannot capture protocol %s, only tcp and udp", f.Proto)
	case len(f.Remotes) > MaxRemotes:
		return fmt.Errorf("wire: %d remote addresses, more than %d", len(f.Remotes), MaxRemotes)
	case !f.Local.IsValid() && len(f.Remotes) == 0:
		return errors.New("wire: a filter needs the local address or the remote ones")
	}
	for _, r := range f.Remotes {
		if !r.IsValid() {
			return errors.New("wire: a remote address is not valid")
		}
	}
	for _, alt := range f.alternatives() {
		if len(alt.checks) == 0 {
			return errors.New("wire: the filter matches every packet; give a port or an address")
		}
	}
	return nil
}

// The fields a filter compares, in the order of the slots where both the
// kernel's program (in its scratch memory) and Go code put them: ports,
// then the addresses as four 32-bit words each (IPv4 as IPv4-mapped IPv6).
const (
	slotSrcPort = 0
	slotDstPort = 1
	slotSrcAddr = 2 // to 5
	slotDstAddr = 6 // to 9
	numSlots    = 10
)

// slots are the fields of one packet, as the filter compares them.
type slots [numSlots]uint32

// fill puts the endpoints of a packet in the slots.
func (s *slots) fill(src, dst netip.AddrPort) {
	s[slotSrcPort], s[slotDstPort] = uint32(src.Port()), uint32(dst.Port())
	putAddr(s[slotSrcAddr:slotSrcAddr+4], src.Addr())
	putAddr(s[slotDstAddr:slotDstAddr+4], dst.Addr())
}

func putAddr(words []uint32, a netip.Addr) {
	b := a.As16()
	for i := range 4 {
		words[i] = uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
	}
}

// check is one comparison: slot equals val.
type check struct {
	slot int
	val  uint32
}

// alternative is a set of comparisons that must all hold, and the
// direction of the packets that pass them.
type alternative struct {
	dir    Dir
	checks []check
}

// alternatives returns the filter as a list of alternatives: a packet
// matches when one of them holds. Per remote, one for each direction.
func (f Filter) alternatives() []alternative {
	remotes := f.Remotes
	if len(remotes) == 0 {
		remotes = []netip.AddrPort{{}}
	}
	var out []alternative
	for _, r := range remotes {
		out = append(out,
			alternative{Out, append(endpointChecks(f.Local, slotSrcAddr, slotSrcPort), endpointChecks(r, slotDstAddr, slotDstPort)...)},
			alternative{In, append(endpointChecks(r, slotSrcAddr, slotSrcPort), endpointChecks(f.Local, slotDstAddr, slotDstPort)...)})
	}
	return out
}

// endpointChecks are the comparisons that pin a packet's address and port
// to ap: none for a zero ap, the IPv4-mapped prefix alone for 0.0.0.0,
// nothing of the address for "::", and nothing of the port for port 0.
func endpointChecks(ap netip.AddrPort, addrSlot, portSlot int) []check {
	if !ap.IsValid() {
		return nil
	}
	var out []check
	a := ap.Addr().Unmap()
	if !a.IsUnspecified() || a.Is4() {
		var words [4]uint32
		putAddr(words[:], a)
		n := 4
		if a.IsUnspecified() {
			n = 3 // the ::ffff:0:0/96 prefix: any IPv4 address
		}
		for i := range n {
			out = append(out, check{addrSlot + i, words[i]})
		}
	}
	if ap.Port() != 0 {
		out = append(out, check{portSlot, uint32(ap.Port())})
	}
	return out
}

// match returns the direction of the first alternative the slots pass,
// DirUnknown when none does.
func (f Filter) match(s *slots) Dir {
	for _, alt := range f.alternatives() {
		if alt.holds(s) {
			return alt.dir
		}
	}
	return DirUnknown
}

func (alt alternative) holds(s *slots) bool {
	for _, c := range alt.checks {
		if s[c.slot] != c.val {
			return false
		}
	}
	return true
}

// Offsets in the packets the filter reads. The packet socket delivers
// packets from their IP header on, whatever the link.
const (
	ipv4ProtoOff  = 9
	ipv4FragOff   = 6
	ipv4SrcOff    = 12
	ipv4DstOff    = 16
	ipv6NextOff   = 6
	ipv6SrcOff    = 8
	ipv6DstOff    = 24
	ipv6HeaderLen = 40
	icmpHeaderLen = 8
)

// ICMP types that quote the packet they are about.
var (
	icmpv4Errors = []uint32{3, 4, 11, 12}  // unreachable, source quench, time exceeded, parameter problem
	icmpv6Errors = []uint32{1, 2, 3, 4}    // unreachable, packet too big, time exceeded, parameter problem
	mappedPrefix = [3]uint32{0, 0, 0xffff} // the first words of an IPv4-mapped IPv6 address
)

// body returns the part of the kernel's program that reads the packet: it
// puts the packet's endpoints (or those of the packet an ICMP error
// quotes) in the scratch slots, then tries the alternatives. It keeps snap
// bytes of a packet that matches. It uses no kernel extension, so
// bpf.VM can run it in tests.
func (f Filter) body(snap uint32) ([]bpf.Instruction, error) {
	a := newAssembler()
	a.op(bpf.LoadAbsolute{Off: 0, Size: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 4})
	a.jumpIf(bpf.JumpEqual, 4, "v4", "")
	a.jumpIf(bpf.JumpEqual, 6, "v6", "")
	a.op(bpf.RetConstant{Val: 0})
	f.ipv4(a)
	f.ipv6(a)
	a.label("match")
	for i, alt := range f.alternatives() {
		next := fmt.Sprintf("alt%d", i+1)
		for _, c := range alt.checks {
			a.op(bpf.LoadScratch{Dst: bpf.RegA, N: c.slot})
			a.jumpIf(bpf.JumpEqual, c.val, "", next)
		}
		a.op(bpf.RetConstant{Val: snap})
		a.label(next)
	}
	a.label("drop")
	a.op(bpf.RetConstant{Val: 0})
	return a.program()
}

// ipv4 reads an IPv4 packet: TCP or UDP straight, or an ICMP error that
// quotes one, never a fragment. Register X holds the IP header's length.
func (f Filter) ipv4(a *assembler) {
	a.label("v4")
	a.op(bpf.LoadAbsolute{Off: ipv4FragOff, Size: 2})
	a.jumpIf(bpf.JumpBitsSet, 0x3fff, "drop4", "") // more fragments, or an offset
	a.op(bpf.LoadAbsolute{Off: 0, Size: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.jumpIf(bpf.JumpLessThan, 5, "drop4", "") // a header shorter than 20 bytes
	a.op(bpf.LoadMemShift{Off: 0}, bpf.LoadAbsolute{Off: ipv4ProtoOff, Size: 1})
	a.jumpIf(bpf.JumpEqual, uint32(f.Proto), "v4direct", "")
	a.jumpIf(bpf.JumpEqual, uint32(ICMP), "", "drop4")
	a.op(bpf.LoadIndirect{Off: 0, Size: 1})
	oneOf(a, icmpv4Errors, "v4quoted", "drop4")
	a.label("v4quoted")
	// The quoted header starts icmpHeaderLen after X.
	a.op(bpf.LoadIndirect{Off: icmpHeaderLen + ipv4ProtoOff, Size: 1})
	a.jumpIf(bpf.JumpEqual, uint32(f.Proto), "", "drop4")
	storeIPv4Addrs(a, bpf.LoadIndirect{Off: icmpHeaderLen + ipv4SrcOff, Size: 4}, bpf.LoadIndirect{Off: icmpHeaderLen + ipv4DstOff, Size: 4})
	// X += the quoted header's length, so that the quoted ports are at
	// X + icmpHeaderLen.
	a.op(bpf.LoadIndirect{Off: icmpHeaderLen, Size: 1}, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.jumpIf(bpf.JumpLessThan, 5, "drop4", "")
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2},
		bpf.ALUOpX{Op: bpf.ALUOpAdd},
		bpf.TAX{})
	storePorts(a, bpf.LoadIndirect{Off: icmpHeaderLen, Size: 2}, bpf.LoadIndirect{Off: icmpHeaderLen + 2, Size: 2})
	a.jump("match")
	a.label("v4direct")
	storeIPv4Addrs(a, bpf.LoadAbsolute{Off: ipv4SrcOff, Size: 4}, bpf.LoadAbsolute{Off: ipv4DstOff, Size: 4})
	storePorts(a, bpf.LoadIndirect{Off: 0, Size: 2}, bpf.LoadIndirect{Off: 2, Size: 2})
	a.jump("match")
	a.label("drop4")
	a.op(bpf.RetConstant{Val: 0})
}

// ipv6 reads an IPv6 packet whose next header is TCP or UDP, or an
// ICMPv6 error quoting one.
func (f Filter) ipv6(a *assembler) {
	a.label("v6")
	a.op(bpf.LoadAbsolute{Off: ipv6NextOff, Size: 1})
	a.jumpIf(bpf.JumpEqual, uint32(f.Proto), "v6direct", "")
	a.jumpIf(bpf.JumpEqual, uint32(ICMPv6), "", "drop6")
	a.op(bpf.LoadAbsolute{Off: ipv6HeaderLen, Size: 1})
	oneOf(a, icmpv6Errors, "v6quoted", "drop6")
	a.label("v6quoted")
	const quoted = ipv6HeaderLen + icmpHeaderLen
	a.op(bpf.LoadAbsolute{Off: quoted + ipv6NextOff, Size: 1})
	a.jumpIf(bpf.JumpEqual, uint32(f.Proto), "", "drop6")
	storeIPv6(a, quoted)
	a.jump("match")
	a.label("drop6")
	a.op(bpf.RetConstant{Val: 0})
	a.label("v6direct")
	storeIPv6(a, 0)
}

// oneOf goes on at label when register A is one of vals, else at drop.
func oneOf(a *assembler, vals []uint32, label, drop string) {
	for i, v := range vals {
		ifFalse := ""
		if i == len(vals)-1 {
			ifFalse = drop
		}
		a.jumpIf(bpf.JumpEqual, v, label, ifFalse)
	}
}

// storeIPv4Addrs stores two IPv4 addresses as IPv4-mapped IPv6 ones.
func storeIPv4Addrs(a *assembler, src, dst bpf.Instruction) {
	for _, base := range []int{slotSrcAddr, slotDstAddr} {
		for i, w := range mappedPrefix {
			a.op(bpf.LoadConstant{Dst: bpf.RegA, Val: w}, bpf.StoreScratch{Src: bpf.RegA, N: base + i})
		}
	}
	a.op(src, bpf.StoreScratch{Src: bpf.RegA, N: slotSrcAddr + 3}, dst, bpf.StoreScratch{Src: bpf.RegA, N: slotDstAddr + 3})
}

func storePorts(a *assembler, src, dst bpf.Instruction) {
	a.op(src, bpf.StoreScratch{Src: bpf.RegA, N: slotSrcPort}, dst, bpf.StoreScratch{Src: bpf.RegA, N: slotDstPort})
}

// storeIPv6 stores the endpoints of the IPv6 header at off (the packet's
// own, or the one an ICMPv6 error quotes), whose transport header follows
// it at once.
func storeIPv6(a *assembler, off uint32) {
	for i := range uint32(4) {
		a.op(bpf.LoadAbsolute{Off: off + ipv6SrcOff + 4*i, Size: 4}, bpf.StoreScratch{Src: bpf.RegA, N: slotSrcAddr + int(i)},
			bpf.LoadAbsolute{Off: off + ipv6DstOff + 4*i, Size: 4}, bpf.StoreScratch{Src: bpf.RegA, N: slotDstAddr + int(i)})
	}
	storePorts(a, bpf.LoadAbsolute{Off: off + ipv6HeaderLen, Size: 2}, bpf.LoadAbsolute{Off: off + ipv6HeaderLen + 2, Size: 2})
}

// fullSnap is the most of one packet a capture keeps: more than any IP
// packet, even one the kernel has not yet segmented.
const fullSnap = 256 << 10

// packetOutgoing is the packet type of a packet the host sends, as a
// packet socket sees it (PACKET_OUTGOING).
const packetOutgoing = 4

// program is the whole program for the kernel: first it drops the copy of
// each packet that a loopback interface shows as it leaves (the same
// packet comes back in, and is kept then), then it runs body.
func (f Filter) program(snap uint32, loopbacks []int) ([]bpf.Instruction, error) {
	body, err := f.body(snap)
	if err != nil {
		return nil, err
	}
	if len(loopbacks) == 0 {
		return body, nil
	}
	a := newAssembler()
	a.op(bpf.LoadExtension{Num: bpf.ExtInterfaceIndex})
	for i, index := range loopbacks {
		ifFalse := ""
		if i == len(loopbacks)-1 {
			ifFalse = "body"
		}
		a.jumpIf(bpf.JumpEqual, uint32(index), "loopback", ifFalse)
	}
	a.label("loopback")
	a.op(bpf.LoadExtension{Num: bpf.ExtType})
	a.jumpIf(bpf.JumpEqual, packetOutgoing, "", "body")
	a.op(bpf.RetConstant{Val: 0})
	a.label("body")
	head, err := a.program()
	if err != nil {
		return nil, err
	}
	return append(head, body...), nil
}
