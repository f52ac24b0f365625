package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/relay"
)

// Role says how a socket came to be.
type Role int

// Roles.
const (
	RoleConnected Role = iota // made by a connect run
	RoleListener              // a stream listener
	RoleAccepted              // accepted by a listener of the engine
	RoleDatagram              // a datagram socket opened by OpenUDP
	RolePair                  // one end of a socketpair
)

// Status is what is known of a socket now. The engine keeps it up to date
// from its goroutines; Sock.Status returns a copy.
type Status struct {
	// State is the kernel's TCP state ("ESTABLISHED", "CLOSE_WAIT", ...)
	// for TCP, else "connected", "bound" or "LISTEN"; "closed" once closed.
	State     string
	Closed    bool
	ReadShut  bool // reading has ended: our shutdown, the peer's EOF, or a receive failure
	WriteShut bool // we shut down writing
	EOF       bool // the peer shut down its side
	Accepted  int  // the connections a listener accepted
	// AcceptFailing is the errno of a listener's transient accept failure
	// (EMFILE, say) while it lasts; 0 while accepting works.
	AcceptFailing unix.Errno
	LastErr       error
	// Paused says why reading is paused (PausedByUser, PausedFull), "" while
	// reading.
	Paused string
}

// Sock is one socket of the engine: a netcore socket with its capture
// store, its syscall trace and the goroutines that move its bytes.
type Sock struct {
	id       int
	role     Role
	parent   *Sock
	s        *netcore.Socket
	local    netcore.Addr
	peer     netcore.Addr
	peerNote string
	store    *capture.Store
	trace    *Trace
	router   *traceRouter // a listener's or a pair's: routes its children's calls
	duplex   *Duplex

	ctx    context.Context
	cancel context.CancelFunc
	sendCh chan sendReq  // made at the first send, under mu
	room   chan struct{} // a token each time the writer took a request
	// shutRead is set before we shut down reading, so that the reader
	// tells our end of reading from the peer's.
	shutRead atomic.Bool

	mu      sync.Mutex // guards status, flow, writing, packets and tls, and orders notes
	status  Status
	flow    pauser
	writing bool      // a writer goroutine runs
	packets *Packets  // the packet capture, nil when none was asked for
	tls     *tlsState // TLS, once a handshake started
	taps    []*tap    // who is told of each received piece
	// onAccept, on a listener, is called with each connection it accepts,
	// before the connection's reader starts.
	onAccept func(k *Sock)
	// relay moves the bytes of a relay listener's connections and of
	// their upstreams; the engine does not read or write those.
	relay *relay.Relay
	stall stall // the state refresh's record of sending progress
	// readMu is held by the reader while it reads the socket itself, so
	// that a TLS handshake starts only once no such read is under way.
	readMu sync.Mutex
}

// ID is the socket's number in the engine, from 1 up.
func (k *Sock) ID() int { return k.id }

// Role says how the socket came to be.
func (k *Sock) Role() Role { return k.role }

// Parent is the listener that accepted the socket, the client's socket
// for a relay's upstream, or nil.
func (k *Sock) Parent() *Sock { return k.parent }

// Socket returns the netcore socket, for reading its options.
func (k *Sock) Socket() *netcore.Socket { return k.s }

// Local is the socket's local address when it was opened.
func (k *Sock) Local() netcore.Addr { return k.local }

// Peer is the address of the peer, if the socket has one.
func (k *Sock) Peer() netcore.Addr { return k.peer }

// PeerNote names a peer that has no address ("pair #3"), or "".
func (k *Sock) PeerNote() string { return k.peerNote }

// Context ends when the socket is closed (or the engine is).
func (k *Sock) Context() context.Context { return k.ctx }

// Store is the capture of the socket's traffic.
func (k *Sock) Store() *capture.Store { return k.store }

// Trace is the log of the socket's system calls.
func (k *Sock) Trace() *Trace { return k.trace }

// Status returns a copy of the socket's status.
func (k *Sock) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.status
}

// update changes the status under its lock.
func (k *Sock) update(f func(*Status)) {
	k.mu.Lock()
	f(&k.status)
	k.mu.Unlock()
}

// Family is the address family.
func (k *Sock) Family() netcore.Family { return k.s.Family() }

// Type is the socket type.
func (k *Sock) Type() netcore.SockType { return k.s.Type() }

// IsListener reports whether the socket listens.
func (k *Sock) IsListener() bool { return k.role == RoleListener }

// IsTCP reports whether the socket is an internet stream socket.
func (k *Sock) IsTCP() bool {
	f := k.Family()
	return (f == netcore.FamilyInet || f == netcore.FamilyInet6) && k.Type() == netcore.SockStream
}

// IsDgram reports whether the socket is a datagram socket.
func (k *Sock) IsDgram() bool { return k.Type() == netcore.SockDgram }

// Connected reports whether the socket has a peer: a stream connection,
// a connected datagram socket or a pair's end.
func (k *Sock) Connected() bool {
	return k.role != RoleListener && (k.peer.IsValid() || k.role == RolePair || !k.IsDgram())
}

// Kind names the socket for a list: tcp, tcp6, udp, udp6, unix, unixdg,
// unixsq, pair, raw, seq.
func (k *Sock) Kind() string {
	switch {
	case k.role == RolePair:
		return "pair"
	case k.Family() == netcore.FamilyUnix:
		switch k.Type() {
		case netcore.SockDgram:
			return "unixdg"
		case netcore.SockSeqpacket:
			return "unixsq"
		}
		return "unix"
	}
	base := "tcp"
	switch k.Type() {
	case netcore.SockDgram:
		base = "udp"
	case netcore.SockRaw:
		base = "raw"
	case netcore.SockSeqpacket:
		base = "seq"
	}
	if k.Family() == netcore.FamilyInet6 {
		base += "6"
	}
	return base
}

// LocalText is the local address for people: an unnamed UNIX socket (a
// socketpair's end, an unbound client) says so.
func (k *Sock) LocalText() string {
	if k.Family() == netcore.FamilyUnix && (k.local.Path() == "" || k.local.Path() == "@") {
		return "(unnamed)"
	}
	return k.local.String()
}

// Describe is the one-line name of the socket for titles, from outside
// sources in part (a peer's UNIX path): render it safely.
func (k *Sock) Describe() string {
	s := fmt.Sprintf("#%d %s %s", k.id, k.Kind(), k.LocalText())
	switch {
	case k.role == RoleListener:
		s += " (listening)"
	case k.peer.IsValid():
		s += " ⇄ " + k.peer.String()
	case k.peerNote != "":
		s += " ⇄ " + k.peerNote
	}
	if k.Status().Closed {
		s += " (closed)"
	}
	return s
}

// initialState is the state a socket shows before the first refresh.
func (k *Sock) initialState() string {
	switch {
	case k.role == RoleListener:
		return "LISTEN"
	case k.IsTCP():
		return "ESTABLISHED"
	case k.IsDgram() && !k.Connected():
		return "bound"
	}
	return "connected"
}
