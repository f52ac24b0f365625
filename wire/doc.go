// Package wire shows what a socket puts on the wire: it captures the TCP
// and UDP packets of one socket (or of one listener, or of the attempts to
// reach a list of addresses) with an AF_PACKET socket, parses them, and
// describes each as a segment: time, direction, flags, sequence numbers
// relative to each side's first one, window, payload length and, for the
// classic moments (the handshake, a refusal, a retransmission, a zero
// window, a duplicate ACK, a FIN, a reset, a port unreachable), what it
// means in a few words.
//
// A capture keeps the packets, so it can be written as a pcapng file that
// Wireshark opens (WritePcapng). Where no capture ran, WriteSynthesized
// makes a pcapng file of packets built from a capture.Store: the bytes
// that went each way, in made-up but valid IPv4 or IPv6, TCP and UDP
// headers, so that Wireshark still dissects the protocol.
//
// The kernel filters the packets (a classic BPF program built from a
// Filter), so a capture costs nothing for the rest of the machine's
// traffic. Capturing needs CAP_NET_RAW: without it Start fails with
// ErrNoCapNetRaw, whose message says how to grant it. Only Linux can
// capture; elsewhere Start returns ErrUnsupported, and the rest of the
// package (parsing, the synthesised export) works everywhere.
//
// Packets are parsed with gopacket's layers (github.com/gopacket/gopacket),
// and pcapng files written with its pcapgo.NgWriter.
package wire
