package engine

import (
	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// Event is something that happened in the engine. It is one of the types
// of this file; each says which socket it concerns.
type Event interface{ event() }

// Attempt is the progress of one address of a connect run: it started,
// or it ended, and how.
type Attempt struct {
	Run int // the run, as given to Connect
	netcore.Attempt
}

// ConnectDone ends a connect run: Sock is the new connection, already
// receiving, or nil with the failure of the last attempt.
type ConnectDone struct {
	Run  int
	Sock *Sock
	Err  error
}

// Opened reports sockets opened by Listen, OpenUDP or Pair (both ends of a
// pair), already running.
type Opened struct{ Socks []*Sock }

// OpenFailed reports that Listen, OpenUDP or Pair failed; What names the
// attempt ("listen on 127.0.0.1:0").
type OpenFailed struct {
	What string
	Err  error
}

// Accepted reports a connection a listener accepted, already receiving.
type Accepted struct{ Listener, Sock *Sock }

// AcceptFailed reports a failed accept. A transient failure (out of file
// descriptors, a connection aborted before it was accepted) leaves the
// listener accepting; Stopped says when it no longer does.
type AcceptFailed struct {
	Listener *Sock
	Err      error
	Stopped  bool
}

// AcceptResumed says that a listener accepts again after transient
// failures (reported once, by the first AcceptFailed).
type AcceptResumed struct{ Listener *Sock }

// Traffic says that bytes were sent or received on a socket and are in
// its capture store. It is posted at most once until the events are
// taken, however many chunks arrive meanwhile.
type Traffic struct{ Sock *Sock }

// EOF reports that reading a stream ended: the peer shut down its side, or
// (Ours) we shut down reading.
type EOF struct {
	Sock *Sock
	Ours bool
}

// Paused reports that the engine paused reading on a socket by itself:
// its capture is full (see PausedFull).
type Paused struct {
	Sock   *Sock
	Reason string
}

// ReceiveFailed reports a failed receive. On a stream it ends reading
// (Stopped); a datagram socket goes on receiving, since each such error
// reports one earlier datagram (an ICMP port unreachable, say).
type ReceiveFailed struct {
	Sock    *Sock
	Err     error
	Stopped bool
}

// Sent reports the end of one Send: how many of its bytes went, and the
// failure that stopped it, if any.
type Sent struct {
	Sock        *Sock
	N, Total    int
	Err         error
	Destination netcore.Addr // where a datagram went, for an unconnected socket
}

// RunPackets gives a connect run's packet capture (Dial.Capture), before
// its first attempt: each attempt's segments are in it (see FlowSegments).
type RunPackets struct {
	Run     int
	Packets *Packets
}

// PacketsCaptured says that a connect run's capture kept new packets. It
// is posted at most once until the events are taken.
type PacketsCaptured struct{ Run int }

// Crashed reports a panic in one of the engine's goroutines: a bug. The
// engine may be in any state after it; the program should end.
type Crashed struct {
	Value any
	Stack []byte
}

// TLSDone reports the end of a TLS handshake on a socket: Err is nil when
// it worked. Report holds its steps either way.
type TLSDone struct {
	Sock   *Sock
	Report *tlsinfo.Report
	Err    error
}

// StatesChanged says that the kernel's state of a watched socket changed
// (see Watch).
type StatesChanged struct{}

func (Attempt) event()         {}
func (StatesChanged) event()   {}
func (RunPackets) event()      {}
func (PacketsCaptured) event() {}
func (Crashed) event()         {}
func (ConnectDone) event()     {}
func (Opened) event()          {}
func (OpenFailed) event()      {}
func (Accepted) event()        {}
func (AcceptFailed) event()    {}
func (AcceptResumed) event()   {}
func (Traffic) event()         {}
func (EOF) event()             {}
func (Paused) event()          {}
func (ReceiveFailed) event()   {}
func (Sent) event()            {}
func (TLSDone) event()         {}
