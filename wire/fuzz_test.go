package wire

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzDecode gives the parser any bytes: it must not panic, a packet it
// reads must describe itself, and the kernel's filter (run in bpf's VM)
// must agree with Go's matcher on it. The seeds in testdata/fuzz are real
// packets: a SYN with every option, a SYN ACK over IPv6, data, a FIN, a
// SACK, datagrams, and ICMP and ICMPv6 port unreachables.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, pkt []byte) {
		h, err := newDecoder().decode(pkt)
		if err != nil {
			return
		}
		an := newAnalyzer()
		for _, dir := range []Dir{Out, In} {
			s := an.segment(&h, time.Unix(1, 0), dir)
			if s.Summary() == "" || s.Len != h.payload || s.Len < 0 {
				t.Fatalf("segment %+v", s)
			}
		}
		for _, filter := range filtersFor(&h) {
			goDir := filter.direction(&h)
			kernel := vmAccepts(t, filter, pkt)
			unreadQuote := h.icmp != nil && h.icmp.Proto == 0
			if (goDir != DirUnknown) != kernel && !(kernel && unreadQuote) {
				t.Fatalf("filter %s: the kernel keeps it: %v, Go says %s", filter, kernel, goDir)
			}
		}
	})
}

// filtersFor returns filters for a packet: its own endpoints (which match
// it), the same with another port (which do not), and a port alone.
func filtersFor(h *header) []Filter {
	proto, src, dst := h.proto, h.src, h.dst
	if h.icmp != nil {
		proto, src, dst = h.icmp.Proto, h.icmp.Src, h.icmp.Dst
		if proto == 0 {
			proto = UDP
		}
	}
	if proto != TCP && proto != UDP || !src.IsValid() || !dst.IsValid() {
		return nil
	}
	other := netip.AddrPortFrom(dst.Addr(), dst.Port()+1)
	return []Filter{
		{Proto: proto, Local: src, Remotes: []netip.AddrPort{dst}},
		{Proto: proto, Local: src, Remotes: []netip.AddrPort{other}},
		{Proto: proto, Local: netip.AddrPortFrom(netip.IPv6Unspecified(), dst.Port())},
	}
}
