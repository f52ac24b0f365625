package wire

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// transportLayer is a TCP or UDP header that gopacket can serialise with
// its checksum.
type transportLayer interface {
	gopacket.SerializableLayer
	SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
}

// packetBuilder serialises packets with gopacket, numbering the IPv4 ones.
type packetBuilder struct {
	buf  gopacket.SerializeBuffer
	ipID uint16
}

func newPacketBuilder() *packetBuilder { return &packetBuilder{buf: gopacket.NewSerializeBuffer()} }

// packet returns an IPv4 or IPv6 packet (from's family) around transport
// and payload, with its lengths and checksums filled in.
func (b *packetBuilder) packet(from, to netip.AddrPort, transport transportLayer, payload []byte) ([]byte, error) {
	proto := layers.IPProtocolTCP
	if _, ok := transport.(*layers.UDP); ok {
		proto = layers.IPProtocolUDP
	}
	var ip interface {
		gopacket.NetworkLayer
		gopacket.SerializableLayer
	}
	if from.Addr().Is4() {
		b.ipID++
		ip = &layers.IPv4{Version: 4, TTL: 64, Id: b.ipID, Flags: layers.IPv4DontFragment, Protocol: proto,
			SrcIP: net.IP(from.Addr().AsSlice()), DstIP: net.IP(to.Addr().AsSlice())}
	} else {
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto,
			SrcIP: net.IP(from.Addr().AsSlice()), DstIP: net.IP(to.Addr().AsSlice())}
	}
	if err := transport.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(b.buf, opts, ip, transport, gopacket.Payload(payload)); err != nil {
		return nil, fmt.Errorf("wire: synthesise a packet: %w", err)
	}
	return append([]byte(nil), b.buf.Bytes()...), nil
}

// tcpLayer is a TCP header.
func tcpLayer(from, to netip.AddrPort, seq, ack uint32, flags Flags, window uint16, opts []layers.TCPOption) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(from.Port()), DstPort: layers.TCPPort(to.Port()), Seq: seq, Ack: ack,
		Window: window, Options: opts, SYN: flags.Has(SYN), ACK: flags.Has(ACK), PSH: flags.Has(PSH),
		FIN: flags.Has(FIN), RST: flags.Has(RST)}
}
