package wire

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// vmAccepts runs the filter's program, as the kernel would run it after
// the loopback check, on pkt in bpf's virtual machine.
func vmAccepts(t testing.TB, f Filter, pkt []byte) bool {
	t.Helper()
	body, err := f.body(fullSnap)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(body)
	if err != nil {
		t.Fatal(err)
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

var ap = netip.MustParseAddrPort

// tcpPacket builds a TCP segment from one endpoint to another.
func tcpPacket(t testing.TB, from, to string) []byte {
	t.Helper()
	f, d := ap(from), ap(to)
	pkt, err := newPacketBuilder().packet(f, d, tcpLayer(f, d, 1, 0, SYN, 1000, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func udpPacket(t testing.TB, from, to string, payload []byte) []byte {
	t.Helper()
	f, d := ap(from), ap(to)
	pkt, err := newPacketBuilder().packet(f, d, &layers.UDP{SrcPort: layers.UDPPort(f.Port()), DstPort: layers.UDPPort(d.Port())}, payload)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// icmpError builds the port unreachable that the host of quoted's
// destination sends back about it.
func icmpError(t testing.TB, quoted []byte) []byte {
	t.Helper()
	var h header
	h, err := newDecoder().decode(quoted)
	if err != nil {
		t.Fatal(err)
	}
	from, to := net.IP(h.dst.Addr().AsSlice()), net.IP(h.src.Addr().AsSlice())
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if h.src.Addr().Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: from, DstIP: to}
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
		err = gopacket.SerializeLayers(buf, opts, ip, icmp, gopacket.Payload(quoted))
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: from, DstIP: to}
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeDestinationUnreachable, layers.ICMPv6CodePortUnreachable)}
		_ = icmp.SetNetworkLayerForChecksum(ip)
		err = gopacket.SerializeLayers(buf, opts, ip, icmp, gopacket.Payload(append([]byte{0, 0, 0, 0}, quoted...)))
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withIPv4Options returns an IPv4 packet with 4 bytes of options (NOPs)
// inserted, so that its transport header starts at 24.
func withIPv4Options(pkt []byte) []byte {
	out := append(append(append([]byte(nil), pkt[:20]...), 1, 1, 1, 1), pkt[20:]...)
	out[0] = 0x46
	n := len(out)
	out[2], out[3] = byte(n>>8), byte(n)
	return out
}

// fragment marks an IPv4 packet as the first of several fragments.
func fragment(pkt []byte) []byte {
	out := append([]byte(nil), pkt...)
	out[6] |= 0x20
	return out
}

// TestFilterProgram runs the kernel's filter in bpf's VM and Go's matcher
// over the same packets: they agree, and find the directions.
func TestFilterProgram(t *testing.T) {
	conn := Filter{Proto: TCP, Local: ap("127.0.0.1:40000"), Remotes: []netip.AddrPort{ap("127.0.0.1:7")}}
	list := Filter{Proto: TCP, Remotes: []netip.AddrPort{ap("127.0.0.1:7"), ap("[::1]:7")}}
	any4 := Filter{Proto: TCP, Local: ap("0.0.0.0:7")}
	any6 := Filter{Proto: TCP, Local: ap("[::]:7")}
	udp4 := Filter{Proto: UDP, Local: ap("127.0.0.1:5000"), Remotes: []netip.AddrPort{ap("127.0.0.1:9")}}
	udp6 := Filter{Proto: UDP, Local: ap("[::1]:5000"), Remotes: []netip.AddrPort{ap("[::1]:9")}}
	mapped := Filter{Proto: TCP, Remotes: []netip.AddrPort{ap("[::ffff:127.0.0.1]:7")}}
	out4 := tcpPacket(t, "127.0.0.1:40000", "127.0.0.1:7")
	cases := []struct {
		name string
		f    Filter
		pkt  []byte
		want Dir
	}{
		{"out", conn, out4, Out},
		{"in", conn, tcpPacket(t, "127.0.0.1:7", "127.0.0.1:40000"), In},
		{"other local port", conn, tcpPacket(t, "127.0.0.1:40001", "127.0.0.1:7"), DirUnknown},
		{"other host", conn, tcpPacket(t, "127.0.0.2:40000", "127.0.0.1:7"), DirUnknown},
		{"udp to a tcp filter", conn, udpPacket(t, "127.0.0.1:40000", "127.0.0.1:7", nil), DirUnknown},
		{"ipv4 options", conn, withIPv4Options(out4), Out},
		{"fragment", conn, fragment(out4), DirUnknown},
		{"list v4", list, out4, Out},
		{"list v6", list, tcpPacket(t, "[::1]:40000", "[::1]:7"), Out},
		{"list v6 back", list, tcpPacket(t, "[::1]:7", "[::1]:40000"), In},
		{"list other port", list, tcpPacket(t, "[::1]:40000", "[::1]:8"), DirUnknown},
		{"0.0.0.0 takes v4", any4, tcpPacket(t, "127.0.0.5:1234", "127.0.0.9:7"), In},
		{"0.0.0.0 not v6", any4, tcpPacket(t, "[::1]:1234", "[::1]:7"), DirUnknown},
		{":: takes v6", any6, tcpPacket(t, "[::1]:7", "[::1]:1234"), Out},
		{":: takes v4", any6, tcpPacket(t, "127.0.0.1:1234", "127.0.0.1:7"), In},
		{"mapped remote", mapped, out4, Out},
		{"udp", udp4, udpPacket(t, "127.0.0.1:5000", "127.0.0.1:9", []byte("x")), Out},
		{"port unreachable", udp4, icmpError(t, udpPacket(t, "127.0.0.1:5000", "127.0.0.1:9", []byte("x"))), In},
		{"port unreachable, options", udp4, icmpError(t, withIPv4Options(udpPacket(t, "127.0.0.1:5000", "127.0.0.1:9", nil))), In},
		{"another's unreachable", udp4, icmpError(t, udpPacket(t, "127.0.0.1:5001", "127.0.0.1:9", nil)), DirUnknown},
		{"icmpv6 unreachable", udp6, icmpError(t, udpPacket(t, "[::1]:5000", "[::1]:9", []byte("x"))), In},
		{"icmpv6 another's", udp6, icmpError(t, udpPacket(t, "[::1]:5000", "[::1]:10", nil)), DirUnknown},
		{"not ip", conn, []byte{0x50, 1, 2, 3}, DirUnknown},
		{"empty", conn, nil, DirUnknown},
	}
	for _, c := range cases {
		if err := c.f.check(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		vm := vmAccepts(t, c.f, c.pkt)
		got := DirUnknown
		if h, err := newDecoder().decode(c.pkt); err == nil {
			got = c.f.direction(&h)
		}
		if vm != (c.want != DirUnknown) || got != c.want {
			t.Errorf("%s: the kernel's program keeps it: %v; Go says %s; want %s", c.name, vm, got, c.want)
		}
	}
}

// TestFilterCheck refuses filters that match too much or make no sense,
// and builds the largest one allowed within the kernel's limits.
func TestFilterCheck(t *testing.T) {
	bad := map[string]Filter{
		"no protocol":  {Local: ap("127.0.0.1:1")},
		"icmp":         {Proto: ICMP, Local: ap("127.0.0.1:1")},
		"no endpoints": {Proto: TCP},
		"everything":   {Proto: TCP, Local: ap("[::]:0")},
		"bad remote":   {Proto: TCP, Remotes: []netip.AddrPort{{}}},
		"too many":     {Proto: TCP, Remotes: make([]netip.AddrPort, MaxRemotes+1)},
	}
	for name, f := range bad {
		if err := f.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	big := Filter{Proto: UDP, Local: ap("[2001:db8::1]:53")}
	for i := range MaxRemotes {
		big.Remotes = append(big.Remotes, netip.AddrPortFrom(netip.MustParseAddr("2001:db8::2"), uint16(1000+i)))
	}
	prog, err := big.program(fullSnap, []int{1, 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bpf.Assemble(prog); err != nil || len(prog) > 4096 {
		t.Errorf("%d instructions: %v", len(prog), err)
	}
	if !vmAccepts(t, big, udpPacket(t, "[2001:db8::2]:1063", "[2001:db8::1]:53", nil)) {
		t.Error("the last remote is not matched")
	}
}

func TestFilterString(t *testing.T) {
	f := Filter{Proto: TCP, Local: ap("0.0.0.0:40000"), Remotes: []netip.AddrPort{ap("127.0.0.1:7"), ap("[::1]:0")}}
	want := "tcp and port 40000 and (host 127.0.0.1 and port 7 or host ::1)"
	if got := f.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (Filter{Proto: UDP, Local: ap("[::]:53")}).String(); !strings.HasPrefix(got, "udp and port 53") {
		t.Errorf("got %q", got)
	}
}
