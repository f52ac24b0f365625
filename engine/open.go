package engine

import (
	"context"
	"fmt"
	"time"

	"sockbench/netcore"
	"sockbench/relay"
)

// Dial is one connect run over a list of addresses.
type Dial struct {
	Run     int // a number the run's events carry
	Rows    []netcore.AddrInfo
	Timeout time.Duration // per attempt; 0 for none
	Race    bool          // race the rows (RFC 8305) instead of one after another
	// Traces has one trace per row, for each attempt's system calls; the
	// winner's becomes the socket's.
	Traces []*Trace
	// Capture captures the run's packets, from before the first SYN
	// (announced by a RunPackets event); the socket keeps its own.
	Capture bool
}

// Connect runs d until an attempt connects, every one failed, or ctx
// ends. It reports each attempt as it starts and ends (Attempt events),
// then the outcome (ConnectDone); a connected socket is a socket of the
// engine, already receiving. Connect waits for all of that: call it from a
// goroutine of your own.
func (e *Engine) Connect(ctx context.Context, d Dial) {
	var packets *Packets
	if d.Capture {
		if packets = e.runPackets(d); packets != nil {
			e.hub.post(RunPackets{Run: d.Run, Packets: packets})
		}
	}
	winner := -1
	dialer := netcore.Dialer{
		Timeout: d.Timeout,
		Race:    d.Race,
		Observe: func(a netcore.Attempt) {
			if a.Result == netcore.ResultConnected {
				winner = a.Index
			}
			e.hub.post(Attempt{Run: d.Run, Attempt: a})
		},
		Trace: func(i int, call netcore.Syscall) {
			if i >= 0 && i < len(d.Traces) {
				d.Traces[i].Add(call)
			}
		},
	}
	s, err := dialer.ConnectList(ctx, d.Rows)
	if err != nil {
		if packets != nil {
			packets.Stop() // what it kept stays, for the attempts
		}
		e.hub.post(ConnectDone{Run: d.Run, Err: err})
		return
	}
	var trace *Trace
	if winner >= 0 && winner < len(d.Traces) {
		trace = d.Traces[winner]
	}
	k := e.add(s, RoleConnected, nil, trace)
	if k == nil {
		e.hub.post(ConnectDone{Run: d.Run, Err: netcore.ErrClosed})
		return
	}
	if !k.peer.IsValid() && winner >= 0 {
		k.peer = d.Rows[winner].Addr
	}
	k.adoptPackets(packets)
	e.hub.post(ConnectDone{Run: d.Run, Sock: k})
	e.start(k)
}

// ListenBacklog is the backlog of the engine's listeners: the most the
// kernel takes by default (net.core.somaxconn), so that a burst of
// connections waits in the queue rather than have its SYNs dropped and
// sent again a second later.
const ListenBacklog = 4096

// Listen opens a stream listener on addr, reported as Opened (or
// OpenFailed). Its accepted connections become sockets of their own.
func (e *Engine) Listen(addr netcore.Addr) { e.listen(addr, nil) }

// listen opens a stream listener whose connections r relays, or the
// engine serves when r is nil.
func (e *Engine) listen(addr netcore.Addr, r *relay.Relay) {
	trace := NewTrace()
	router := newTraceRouter(trace)
	s, err := netcore.ListenConfig{Backlog: ListenBacklog, Options: []netcore.Option{netcore.WithTrace(router.trace)}}.Listen(addr)
	if err != nil {
		what := "listen on "
		if r != nil {
			what = "relay listen on "
		}
		e.hub.post(OpenFailed{What: what + addr.String(), Err: err})
		return
	}
	if k := e.add(s, RoleListener, nil, trace); k != nil {
		k.router, k.relay = router, r
		e.listenerPackets(k)
		e.announce(k)
	}
}

// OpenUDP opens a datagram socket bound to local and, with a valid peer,
// connected to it; reported as Opened (or OpenFailed).
func (e *Engine) OpenUDP(local, peer netcore.Addr) {
	trace := NewTrace()
	s, err := netcore.ListenConfig{SockType: netcore.SockDgram,
		Options: []netcore.Option{netcore.WithTrace(trace.Add)}}.Listen(local)
	if err != nil {
		e.hub.post(OpenFailed{What: "UDP socket on " + local.String(), Err: err})
		return
	}
	if peer.IsValid() {
		if err := s.Connect(e.ctx, peer); err != nil {
			_ = s.Close()
			e.hub.post(OpenFailed{What: "UDP connect to " + peer.String(), Err: err})
			return
		}
	}
	if k := e.add(s, RoleDatagram, nil, trace); k != nil {
		e.listenerPackets(k)
		e.announce(k)
	}
}

// Pair creates a connected pair of UNIX stream sockets, reported as one
// Opened event with both ends (or OpenFailed).
func (e *Engine) Pair() {
	router := newTraceRouter(NewTrace())
	a, b, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockStream, 0, netcore.WithTrace(router.trace))
	if err != nil {
		e.hub.post(OpenFailed{What: "socketpair", Err: err})
		return
	}
	ka := e.add(a, RolePair, nil, router.traceFor(a.Fd()))
	kb := e.add(b, RolePair, nil, router.traceFor(b.Fd()))
	if ka == nil || kb == nil {
		return // the engine closed meanwhile, and with it both ends
	}
	// The ends' peers have no name (netcore gives the unnamed address);
	// each is known by the other's number instead.
	ka.peer, kb.peer = netcore.Addr{}, netcore.Addr{}
	ka.peerNote = fmt.Sprintf("pair #%d", kb.id)
	kb.peerNote = fmt.Sprintf("pair #%d", ka.id)
	e.announce(ka, kb)
}

// announce posts Opened for socks, then starts them.
func (e *Engine) announce(socks ...*Sock) {
	e.hub.post(Opened{Socks: socks})
	for _, k := range socks {
		e.start(k)
	}
}
