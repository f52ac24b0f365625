package engine

import (
	"context"
	"io"
	"net/netip"
	"sync"
	"time"

	"sockbench/netcore"
	"sockbench/wire"
)

// Packets is the packet capture a socket's segments come from: its own,
// its listener's (shared by every connection it accepted), or its connect
// run's (shared by every attempt). Each socket picks its own flow from it.
type Packets struct {
	cap   *wire.Capture
	err   error // why there is no capture (no CAP_NET_RAW, not Linux)
	owner *Sock // the socket whose traffic it is all of, if any

	mu    sync.Mutex
	users int // the sockets that still read it; the last one to close stops it
}

// startPackets starts a capture for f, bounded by the engine's capture
// limit; notify is told of new packets. A failure is kept as the reason.
func (e *Engine) startPackets(f wire.Filter, notify func()) *Packets {
	cap, err := wire.Start(wire.Config{Filter: f, MaxBytes: e.limit, Notify: notify})
	return &Packets{cap: cap, err: err}
}

// Err says why there are no packets: no permission to capture, say.
func (p *Packets) Err() error { return p.err }

// Capture returns the capture, nil when none runs.
func (p *Packets) Capture() *wire.Capture { return p.cap }

// use counts one more socket reading p.
func (p *Packets) use() *Packets {
	p.mu.Lock()
	p.users++
	p.mu.Unlock()
	return p
}

// closeLinger is the longest a capture runs on after its last socket
// closed, for the end of the conversation (the peer's FIN and the last
// ACK come after close returns); settleQuiet ends it sooner when nothing
// more comes.
const (
	closeLinger = 3 * time.Second
	settleQuiet = 300 * time.Millisecond
)

// release ends one socket's use; the last one stops the capture (its
// packets stay) once the conversation has ended on the wire, nothing more
// came for a while, or ctx ended.
func (p *Packets) release(ctx context.Context) {
	p.mu.Lock()
	p.users--
	last := p.users <= 0
	p.mu.Unlock()
	if last && p.cap != nil {
		ctx, cancel := context.WithTimeout(ctx, closeLinger)
		defer cancel()
		p.cap.Settle(ctx, settleQuiet)
		_ = p.cap.Stop()
	}
}

// releasePackets ends a closed socket's use of its capture, off the
// caller's goroutine: the end of the conversation may take a moment. The
// engine's own close cuts it short.
func (e *Engine) releasePackets(p *Packets) {
	if p == nil {
		return
	}
	if !e.goTracked(func() { p.release(e.ctx) }) {
		p.release(e.ctx)
	}
}

// Stop stops the capture now, keeping its packets.
func (p *Packets) Stop() {
	if p.cap != nil {
		_ = p.cap.Stop()
	}
}

// inetEndpoint is an internet socket address, or false for a UNIX one.
func inetEndpoint(a netcore.Addr) (netip.AddrPort, bool) {
	if a.Family() != netcore.FamilyInet && a.Family() != netcore.FamilyInet6 {
		return netip.AddrPort{}, false
	}
	return a.AddrPort(), true
}

// protoOf is the protocol of a socket type's packets.
func protoOf(t netcore.SockType) wire.Proto {
	if t == netcore.SockDgram {
		return wire.UDP
	}
	return wire.TCP
}

// Packets returns the socket's packet capture, nil when none was asked
// for; see Segments for its own.
func (k *Sock) Packets() *Packets {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.packets
}

// Segments returns this socket's captured segments in the order the
// kernel saw them: those of its own connection when the capture is shared
// (a listener's, for an accepted socket). ok is false when no capture was
// asked for; err says why there is none when one was.
func (k *Sock) Segments() (segs []wire.Segment, ok bool, err error) {
	p := k.Packets()
	if p == nil {
		return nil, false, nil
	}
	if p.cap == nil {
		return nil, true, p.err
	}
	all := p.cap.Segments(0)
	if k.role == RoleListener || k.role == RoleDatagram {
		return all, true, nil
	}
	local, ok1 := inetEndpoint(k.local)
	remote, ok2 := inetEndpoint(k.peer)
	if !ok1 || !ok2 {
		return all, true, nil
	}
	return FlowSegments(all, local, remote), true, nil
}

// FlowSegments picks from segs those of one connection. A zero local
// port matches any (an attempt whose port is not known yet).
func FlowSegments(segs []wire.Segment, local, remote netip.AddrPort) []wire.Segment {
	var out []wire.Segment
	for _, s := range segs {
		l, r := s.Flow()
		if r == remote && (local.Port() == 0 || l.Port() == local.Port()) {
			out = append(out, s)
		}
	}
	return out
}

// CapturePackets starts capturing a socket's packets now (the
// connection's start is then not in it); it does nothing for a socket
// that has a capture, and says why when none can run.
func (e *Engine) CapturePackets(k *Sock) error {
	local, ok := inetEndpoint(k.local)
	if !ok {
		return errNoPackets
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.packets != nil && k.packets.cap != nil {
		return nil
	}
	f := wire.Filter{Proto: protoOf(k.Type()), Local: local}
	if remote, ok := inetEndpoint(k.peer); ok {
		f.Remotes = []netip.AddrPort{remote}
	}
	k.packets = e.startPackets(f, func() { e.hub.post(Traffic{Sock: k}) }).use()
	k.packets.owner = k
	return k.packets.err
}

// errNoPackets says that a UNIX socket has no packets to capture.
var errNoPackets = errUnix{}

type errUnix struct{}

func (errUnix) Error() string { return "a UNIX socket sends no packets: there is nothing to capture" }

// WritePcapng writes a socket's traffic as a pcapng file: the packets the
// capture kept when one ran, made up from its capture store otherwise. It
// says which (synthesized) and how many packets it wrote.
func (k *Sock) WritePcapng(w io.Writer) (packets int, synthesized bool, err error) {
	// The real packets when the capture is this socket's alone: a
	// listener's holds every connection it accepted.
	if p := k.Packets(); p != nil && p.cap != nil && p.owner == k && p.cap.Len() > 0 {
		n, err := p.cap.WritePcapng(w)
		return n, false, err
	}
	local, ok1 := inetEndpoint(k.local)
	remote, _ := inetEndpoint(k.peer)
	if !ok1 {
		return 0, false, errNoPackets
	}
	reason := "no packet capture ran for this socket"
	if p := k.Packets(); p != nil && p.err != nil {
		reason = p.err.Error()
	}
	conv := wire.Conversation{Proto: protoOf(k.Type()), Local: local, Remote: remote,
		Accepted: k.role == RoleAccepted, Reason: reason}
	n, err := wire.WriteSynthesized(w, k.store, conv)
	return n, true, err
}

// runPackets starts the capture of a connect run, before its first SYN,
// on every address it will try (a race starts attempts from goroutines of
// its own, too late to start one each).
func (e *Engine) runPackets(d Dial) *Packets {
	var remotes []netip.AddrPort
	for _, r := range d.Rows {
		if ap, ok := inetEndpoint(r.Addr); ok {
			remotes = append(remotes, ap)
		}
	}
	if len(remotes) == 0 {
		return nil
	}
	run := d.Run
	return e.startPackets(wire.Filter{Proto: protoOf(d.Rows[0].SockType), Remotes: remotes},
		func() { e.hub.post(PacketsCaptured{Run: run}) })
}

// adoptPackets gives a connected socket its run's capture, narrowed to
// its connection from now on.
func (k *Sock) adoptPackets(p *Packets) {
	if p == nil {
		return
	}
	if local, ok := inetEndpoint(k.local); ok && p.cap != nil {
		f := p.cap.Filter()
		f.Local = local
		if remote, ok := inetEndpoint(k.peer); ok {
			f.Remotes = []netip.AddrPort{remote}
		}
		_ = p.cap.SetFilter(f)
	}
	p.owner = k
	k.packets = p.use()
}

// listenerPackets starts the capture of a listener or a datagram socket:
// everything to and from its local address.
func (e *Engine) listenerPackets(k *Sock) {
	local, ok := inetEndpoint(k.local)
	if !ok || !e.capturePackets {
		return
	}
	k.packets = e.startPackets(wire.Filter{Proto: protoOf(k.Type()), Local: local},
		func() { e.hub.post(Traffic{Sock: k}) }).use()
	k.packets.owner = k
}
