package engine

import (
	"context"
	"fmt"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/relay"
)

// RoleUpstream is a relay's connection to its upstream; its Parent is the
// client's socket it relays.
const RoleUpstream Role = RolePair + 1

// RelayUpstream reports a relay session's connection to the upstream: a
// socket of its own, moved by the relay (the engine does not read it).
type RelayUpstream struct{ Client, Upstream *Sock }

// RelayHeld reports a chunk the relay's intercept holds, until it is
// forwarded or dropped (see Sock.Relay). Sock is the socket it came from.
type RelayHeld struct {
	Sock  *Sock
	Chunk relay.Chunk
}

// RelayEnded reports the end of a relay session: both its sockets are
// closed. Upstream is nil when the upstream could not be reached.
type RelayEnded struct {
	Client, Upstream *Sock
	Summary          relay.Summary
}

func (RelayUpstream) event() {}
func (RelayHeld) event()     {}
func (RelayEnded) event()    {}

// ListenRelay opens a stream listener on addr, reported as Opened (or
// OpenFailed), whose connections r relays to its upstream instead of the
// engine reading them. Each client and its upstream are sockets of the
// engine, with the traffic of each in its own store, in order: what the
// client sent is the client socket's received bytes, what went on to the
// server the upstream socket's sent bytes, and so on back.
func (e *Engine) ListenRelay(addr netcore.Addr, r *relay.Relay) { e.listen(addr, r) }

// Relay is the relay that moves this socket's bytes (a relay listener's,
// a relayed client's or its upstream's), or nil: the engine reads it.
func (k *Sock) Relay() *relay.Relay { return k.relay }

// relaySession relays a client the listener l accepted, records the
// traffic in the sockets' stores and reports the session, then closes
// both sockets.
func (e *Engine) relaySession(l, client *Sock) {
	up := &relaySink{e: e}
	hooks := relay.Hooks{
		Client:   &relaySink{e: e, k: client},
		Upstream: up,
		Attempt: func(a netcore.Attempt) {
			client.store.AppendNote(time.Now(), attemptNote(a))
			e.hub.post(Traffic{Sock: client})
		},
		Event: func(ev relay.Event) { e.relayEvent(client, up, ev) },
	}
	client.store.AppendNote(time.Now(), "relayed: what this socket receives goes on to the upstream; what it sends came from there")
	sum := l.relay.Relay(client.ctx, client.s, hooks)
	e.relayClosed(client)
	if up.k != nil {
		e.relayClosed(up.k)
	}
	e.hub.post(RelayEnded{Client: client, Upstream: up.k, Summary: sum})
}

// relayEvent keeps the sockets' status in step with the session. It runs
// under the session's record lock, so up.k is set before any record for
// the upstream.
func (e *Engine) relayEvent(client *Sock, up *relaySink, ev relay.Event) {
	from := func(d relay.Dir) *Sock {
		if d == relay.ClientToServer {
			return client
		}
		return up.k
	}
	switch ev.Kind {
	case relay.Connected:
		k := e.add(ev.Socket, RoleUpstream, client, nil)
		if k == nil {
			return // the engine is closing; so is the session
		}
		k.relay = client.relay
		up.k = k
		// Closing either socket ends the session, which closes both.
		context.AfterFunc(k.ctx, client.cancel)
		k.store.AppendNote(time.Now(), fmt.Sprintf("relayed for #%d: what this socket sends came from the client; what it receives goes back", client.id))
		e.hub.post(RelayUpstream{Client: client, Upstream: k})
	case relay.Held:
		if k := from(ev.Dir); k != nil {
			e.hub.post(RelayHeld{Sock: k, Chunk: relay.Chunk{ID: ev.ID, Dir: ev.Dir, Time: ev.Time, Data: append([]byte(nil), ev.Data...)}})
		}
	case relay.EOF:
		if k := from(ev.Dir); k != nil {
			k.update(func(st *Status) { st.EOF, st.ReadShut = true, true })
		}
		if k := from(1 - ev.Dir); k != nil {
			k.update(func(st *Status) { st.WriteShut = true })
		}
	case relay.Reset, relay.Failed:
		if k := from(ev.Dir); k != nil {
			k.update(func(st *Status) { st.LastErr = ev.Err })
		}
	}
}

// relayClosed marks a relayed socket closed (the relay closed it) and
// forgets it.
func (e *Engine) relayClosed(k *Sock) {
	e.forget(k)
	p, _ := k.closeNow()
	e.releasePackets(p)
	e.hub.post(Traffic{Sock: k})
}

// attemptNote tells one attempt to reach the upstream.
func attemptNote(a netcore.Attempt) string {
	text := fmt.Sprintf("upstream attempt %d: %s", a.Index+1, a.Addr)
	switch {
	case a.Result == netcore.ResultConnecting:
		return text + ": connecting"
	case a.Err != nil:
		return fmt.Sprintf("%s: %s after %s", text, a.Err, a.Elapsed.Round(time.Microsecond))
	}
	return fmt.Sprintf("%s: connected after %s", text, a.Elapsed.Round(time.Microsecond))
}

// relaySink records a relayed socket's traffic in its store; k is nil
// until the socket exists (the upstream's, before it is connected).
type relaySink struct {
	e *Engine
	k *Sock
}

func (s *relaySink) Append(dir capture.Dir, t time.Time, peer string, p []byte) {
	if s.k != nil {
		s.k.store.Append(dir, t, peer, p)
		s.e.hub.post(Traffic{Sock: s.k})
	}
}

func (s *relaySink) AppendNote(t time.Time, text string) {
	if s.k != nil {
		s.k.store.AppendNote(t, text)
		s.e.hub.post(Traffic{Sock: s.k})
	}
}
