package wire

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"

	"sockbench/capture"
	"sockbench/safe"
)

// Conversation says whose traffic a capture.Store holds, for
// WriteSynthesized.
type Conversation struct {
	Proto Proto          // TCP or UDP
	Local netip.AddrPort // the socket's own address
	// Remote is the peer. A chunk whose Peer is an address ("127.0.0.1:9",
	// "[::1]:53") is that peer's instead: the datagrams of an unconnected
	// socket, or the connections of a listener kept in one store.
	Remote netip.AddrPort
	// Accepted says the local socket was accepted by a listener: the
	// peer sent the SYN.
	Accepted bool
	// Reason, if set, says why no capture ran; it goes in the file's
	// comment.
	Reason string
}

const (
	// synthSegment is the most payload one synthesised TCP segment holds;
	// a larger chunk becomes several segments.
	synthSegment = 32 << 10
	// The most payload one UDP datagram can carry in IPv4 and in IPv6.
	maxUDPv4 = 65535 - 20 - 8
	maxUDPv6 = 65535 - 8
	// The made-up initial sequence numbers of the two sides.
	isnLocal  = 0x10000000
	isnRemote = 0x50000000
)

// synthesizer turns the chunks of a store into packets.
type synthesizer struct {
	conv  Conversation
	out   *ngFile
	build *packetBuilder
	flows map[netip.AddrPort]*synthFlow
	held  *heldPacket // the last packet made, written when the next comes
	notes []string    // notes that came before any packet
}

// synthFlow is a TCP connection being made up: its endpoints, and the
// next sequence number of each side (local first).
type synthFlow struct {
	local, remote netip.AddrPort
	next          [2]uint32
}

// heldPacket waits for the notes that follow it, which become its
// comments.
type heldPacket struct {
	time     time.Time
	data     []byte
	dir      Dir
	comments []string
}

// WriteSynthesized writes the traffic kept in store as a pcapng file of
// packets made up from it, for when no capture ran: every chunk sent or
// received becomes TCP segments (at most 32 KiB each, acknowledged by the
// other side) or one UDP datagram, with valid IPv4 or IPv6 headers,
// correct checksums and the chunk's time. A TCP connection starts with a
// made-up handshake, and its sequence numbers run on across chunks, so
// that Wireshark dissects the protocol and "Follow TCP stream" gives back
// the bytes. The file's comment says the packets are synthesised, and
// each note of the store becomes a comment on the packet before it. It
// returns the number of packets written.
func WriteSynthesized(w io.Writer, store *capture.Store, conv Conversation) (int, error) {
	if conv.Proto != TCP && conv.Proto != UDP {
		return 0, fmt.Errorf("wire: cannot synthesise protocol %s, only tcp and udp", conv.Proto)
	}
	comment := "synthesised by sockbench, no packet capture ran"
	if conv.Reason != "" {
		comment += " (" + safe.Text(conv.Reason) + ")"
	}
	comment += ": the payloads and their times are the bytes the socket sent and received; the IP and " +
		conv.Proto.String() + " headers around them, the handshake and the acknowledgements are made up"
	out, err := newNgFile(w, "synthesised", "", comment)
	if err != nil {
		return 0, err
	}
	s := &synthesizer{conv: conv, out: out, build: newPacketBuilder(), flows: map[netip.AddrPort]*synthFlow{}}
	if err := s.chunks(store); err != nil {
		return out.packets, err
	}
	if err := s.flush(); err != nil {
		return out.packets, err
	}
	return out.packets, out.w.Flush()
}

// chunks makes the packets of every kept chunk, in order. It finds each
// chunk by its sequence number, so chunks the store drops meanwhile are
// skipped rather than mistaken for others.
func (s *synthesizer) chunks(store *capture.Store) error {
	for seq := int64(0); ; {
		c, data, ok := store.Nearest(capture.All, seq, true)
		if !ok {
			return nil
		}
		seq = c.Seq + 1
		var err error
		switch {
		case c.Dir == capture.Note:
			s.note("sockbench note: " + safe.Text(c.Peer))
		case s.conv.Proto == TCP:
			err = s.tcpChunk(c, data)
		default:
			err = s.udpChunk(c, data)
		}
		if err != nil {
			return err
		}
	}
}

// endpoints returns the two ends of a chunk's conversation: the local
// address, and the chunk's peer or the conversation's remote. A local
// address that cannot stand in a packet to that peer (unspecified, as a
// listener's, or of the other family) is replaced by the loopback address
// of the peer's family when the peer is on loopback, else by the
// unspecified one.
func (s *synthesizer) endpoints(c capture.Chunk) (local, remote netip.AddrPort, err error) {
	remote = s.conv.Remote
	if p, err := netip.ParseAddrPort(c.Peer); err == nil {
		remote = p
	}
	if !remote.IsValid() {
		return local, remote, errors.New("wire: no remote address to synthesise packets for")
	}
	ra := remote.Addr().Unmap().WithZone("")
	la := s.conv.Local.Addr().Unmap().WithZone("")
	if !la.IsValid() || la.IsUnspecified() || la.Is4() != ra.Is4() {
		la = standIn(ra)
	}
	return netip.AddrPortFrom(la, s.conv.Local.Port()), netip.AddrPortFrom(ra, remote.Port()), nil
}

func standIn(peer netip.Addr) netip.Addr {
	switch {
	case peer.Is4() && peer.IsLoopback():
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case peer.Is4():
		return netip.IPv4Unspecified()
	case peer.IsLoopback():
		return netip.IPv6Loopback()
	}
	return netip.IPv6Unspecified()
}

// tcpChunk makes the segments of a chunk of a stream, and the other side's
// acknowledgement; the first chunk of a connection starts it with a
// handshake.
func (s *synthesizer) tcpChunk(c capture.Chunk, data []byte) error {
	fl, err := s.flowOf(c)
	if err != nil {
		return err
	}
	from, to, me, dir := fl.local, fl.remote, 0, Out
	if c.Dir == capture.Received {
		from, to, me, dir = to, from, 1, In
	}
	for off := 0; off < len(data); off += synthSegment {
		piece := data[off:min(off+synthSegment, len(data))]
		flags := ACK
		if off+len(piece) == len(data) {
			flags |= PSH
		}
		if err := s.tcp(c.Time, dir, from, to, fl.next[me], fl.next[1-me], flags, piece, nil); err != nil {
			return err
		}
		fl.next[me] += uint32(len(piece))
	}
	return s.tcp(c.Time, Out+In-dir, to, from, fl.next[1-me], fl.next[me], ACK, nil, nil)
}

// flowOf returns the connection of a chunk, made up with its handshake
// just before the chunk when it is the first.
func (s *synthesizer) flowOf(c capture.Chunk) (*synthFlow, error) {
	local, remote, err := s.endpoints(c)
	if err != nil {
		return nil, err
	}
	if fl := s.flows[remote]; fl != nil {
		return fl, nil
	}
	fl := &synthFlow{local: local, remote: remote, next: [2]uint32{isnLocal + 1, isnRemote + 1}}
	s.flows[remote] = fl
	client, server, cISN, sISN, cDir := local, remote, uint32(isnLocal), uint32(isnRemote), Out
	if s.conv.Accepted {
		client, server, cISN, sISN, cDir = remote, local, isnRemote, isnLocal, In
	}
	mss := []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0xff, 0xd7}}} // 65495
	steps := []struct {
		dir      Dir
		from, to netip.AddrPort
		seq, ack uint32
		flags    Flags
		opts     []layers.TCPOption
	}{
		{cDir, client, server, cISN, 0, SYN, mss},
		{Out + In - cDir, server, client, sISN, cISN + 1, SYN | ACK, mss},
		{cDir, client, server, cISN + 1, sISN + 1, ACK, nil},
	}
	for i, st := range steps {
		t := c.Time.Add(time.Duration(i-len(steps)) * time.Microsecond)
		if err := s.tcp(t, st.dir, st.from, st.to, st.seq, st.ack, st.flags, nil, st.opts); err != nil {
			return nil, err
		}
	}
	s.note("sockbench: no capture ran; this handshake is made up, the bytes after it are the socket's")
	return fl, nil
}

// udpChunk makes the datagram of a chunk. A payload larger than a
// datagram can carry (which no UDP socket sends) is cut, and says so.
func (s *synthesizer) udpChunk(c capture.Chunk, data []byte) error {
	local, remote, err := s.endpoints(c)
	if err != nil {
		return err
	}
	from, to, dir := local, remote, Out
	if c.Dir == capture.Received {
		from, to, dir = remote, local, In
	}
	limit := maxUDPv6
	if from.Addr().Is4() {
		limit = maxUDPv4
	}
	var comments []string
	if len(data) > limit {
		comments = append(comments, fmt.Sprintf("sockbench: cut from %d bytes, more than a datagram holds", len(data)))
		data = data[:limit]
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(from.Port()), DstPort: layers.UDPPort(to.Port())}
	return s.packet(c.Time, dir, from, to, udp, data, comments)
}

// tcp makes one TCP segment.
func (s *synthesizer) tcp(t time.Time, dir Dir, from, to netip.AddrPort, seq, ack uint32, flags Flags, payload []byte,
	opts []layers.TCPOption) error {
	return s.packet(t, dir, from, to, tcpLayer(from, to, seq, ack, flags, 65535, opts), payload, nil)
}

// packet makes an IP packet and holds it.
func (s *synthesizer) packet(t time.Time, dir Dir, from, to netip.AddrPort, transport transportLayer, payload []byte,
	comments []string) error {
	data, err := s.build.packet(from, to, transport, payload)
	if err != nil {
		return err
	}
	if err := s.flush(); err != nil {
		return err
	}
	s.held = &heldPacket{time: t, data: data, dir: dir, comments: append(s.notes, comments...)}
	s.notes = nil
	return nil
}

// note adds a comment to the last packet made, or to the next one when
// there is none yet.
func (s *synthesizer) note(text string) {
	if s.held != nil {
		s.held.comments = append(s.held.comments, text)
		return
	}
	s.notes = append(s.notes, text)
}

// flush writes the held packet.
func (s *synthesizer) flush() error {
	if s.held == nil {
		return nil
	}
	p := s.held
	s.held = nil
	return s.out.write(p.time, p.data, len(p.data), p.dir, p.comments)
}
