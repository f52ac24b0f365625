package model

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/relay"
	"sockbench/ui"
)

// relayDialTimeout limits each attempt to reach a relay's upstream, so
// that a black hole shows as a timeout rather than minutes of nothing.
const relayDialTimeout = 10 * time.Second

// handleRelayKey handles the sockets panel's relay keys.
func (p *socketsPanel) handleRelayKey(msg tea.KeyPressMsg, e *engine.Sock) (tea.Cmd, bool) {
	k := p.c.keys.Sockets
	switch {
	case key.Matches(msg, k.Relay):
		return p.askRelay(), true
	case key.Matches(msg, k.Intercept):
		return p.interceptKey(e), true
	case key.Matches(msg, k.Forward):
		return p.forwardHeld(e), true
	case key.Matches(msg, k.EditHeld):
		return p.editHeld(e), true
	case key.Matches(msg, k.DropHeld):
		return p.dropHeld(e), true
	}
	return nil, false
}

// askRelay asks where to listen and where to relay to.
func (p *socketsPanel) askRelay() tea.Cmd {
	return askLine(p.c, "relay: LISTEN -> UPSTREAM (each client is connected to UPSTREAM; I intercepts):", "",
		"127.0.0.1:0 -> 127.0.0.1:8000", 512, p.openRelay)
}

// relayOpenFailedMsg says why a relay did not start.
type relayOpenFailedMsg struct{ err error }

// openRelay resolves the upstream, then opens the relay's listener.
func (p *socketsPanel) openRelay(value string) (tea.Cmd, error) {
	listen, upstream, err := parseRelaySpec(value)
	if err != nil {
		return nil, err
	}
	eng, ctx := p.c.engine, p.c.tasks.ctx
	return tea.Batch(p.c.emit(focusMsg{panel: ui.PanelSockets}), p.c.cmd(func() tea.Msg {
		ais, err := netcore.ResolveTargets(ctx, []netcore.Target{upstream}, netcore.Hints{SockType: netcore.SockStream})
		if err != nil {
			return relayOpenFailedMsg{err}
		}
		eng.ListenRelay(listen, relay.New(relay.Config{Upstream: ais, Dialer: netcore.Dialer{Timeout: relayDialTimeout}}))
		return nil
	})), nil
}

// parseRelaySpec reads "LISTEN -> UPSTREAM"; LISTEN may be empty
// (127.0.0.1:0) or a bare port, UPSTREAM a TARGET or a bare port.
func parseRelaySpec(s string) (listen netcore.Addr, upstream netcore.Target, err error) {
	l, r, ok := strings.Cut(s, "->")
	if !ok {
		return listen, upstream, errors.New("want LISTEN -> UPSTREAM, as 127.0.0.1:0 -> 127.0.0.1:8000")
	}
	if listen, err = parseListenAddr(l, "127.0.0.1:0"); err != nil {
		return listen, upstream, errors.New("LISTEN: " + errText(err))
	}
	if r, err = unescape(strings.TrimSpace(r)); err != nil {
		return listen, upstream, errors.New("UPSTREAM: " + errText(err))
	}
	if r == "" {
		return listen, upstream, errors.New("UPSTREAM is missing: give HOST:PORT, [V6]:PORT, unix:PATH or a PORT")
	}
	if isDigits(r) {
		r = "127.0.0.1:" + r
	}
	if upstream, err = netcore.ParseTarget(r); err != nil {
		return listen, upstream, errors.New("UPSTREAM: " + errText(err))
	}
	return listen, upstream, nil
}

// interceptStates are the intercept switches I steps through: neither
// direction, client->server, both, server->client.
var interceptStates = [][2]bool{{false, false}, {true, false}, {true, true}, {false, true}}

// interceptKey steps the selected relay's intercept switches on.
func (p *socketsPanel) interceptKey(k *engine.Sock) tea.Cmd {
	r := relayOf(p.c, k)
	if r == nil {
		return nil
	}
	now := [2]bool{r.Intercepting(relay.ClientToServer), r.Intercepting(relay.ServerToClient)}
	next := interceptStates[0]
	for i, st := range interceptStates {
		if st == now {
			next = interceptStates[(i+1)%len(interceptStates)]
		}
	}
	r.SetIntercept(relay.ClientToServer, next[0])
	r.SetIntercept(relay.ServerToClient, next[1])
	if text := interceptText(r); text != "" {
		return p.c.okay("relay: holding " + text + " chunks: F forwards, E edits, D drops the oldest held (I again: other directions, then off)")
	}
	return p.c.okay("relay: intercept off; what was held went on as it was")
}

// interceptText names the directions a relay holds, "" for none.
func interceptText(r *relay.Relay) string {
	c2s, s2c := r.Intercepting(relay.ClientToServer), r.Intercepting(relay.ServerToClient)
	switch {
	case c2s && s2c:
		return "client→server and server→client"
	case c2s:
		return "client→server"
	case s2c:
		return "server→client"
	}
	return ""
}

// relayOf is the relay of the selected socket, or nil with the reason in
// the status line.
func relayOf(c *common, k *engine.Sock) *relay.Relay {
	switch {
	case k == nil:
		c.info("no socket selected")
	case k.Relay() == nil:
		c.info(fmt.Sprintf("#%d is not relayed: R opens a relay (LISTEN -> UPSTREAM)", k.ID()))
	default:
		return k.Relay()
	}
	return nil
}

// oldestHeld is the relay's oldest held chunk, or false with the reason
// in the status line.
func oldestHeld(c *common, k *engine.Sock) (*relay.Relay, relay.Chunk, bool) {
	r := relayOf(c, k)
	if r == nil {
		return nil, relay.Chunk{}, false
	}
	held := r.Pending()
	if len(held) == 0 {
		c.info("nothing is held: I turns the intercept on")
		return nil, relay.Chunk{}, false
	}
	return r, held[0], true
}

// forwardHeld lets the oldest held chunk go on as it was.
func (p *socketsPanel) forwardHeld(k *engine.Sock) tea.Cmd {
	return p.decideHeld(k, "forwarded #%d (%s %s)", func(r *relay.Relay, ch relay.Chunk) error { return r.Forward(ch.ID, ch.Data) })
}

// dropHeld throws the oldest held chunk away.
func (p *socketsPanel) dropHeld(k *engine.Sock) tea.Cmd {
	return p.decideHeld(k, "dropped #%d (%s %s): the other side never gets it", func(r *relay.Relay, ch relay.Chunk) error { return r.Drop(ch.ID) })
}

// decideHeld applies decide to the oldest held chunk and says so with
// done (its ID, size and direction).
func (p *socketsPanel) decideHeld(k *engine.Sock, done string, decide func(*relay.Relay, relay.Chunk) error) tea.Cmd {
	r, ch, ok := oldestHeld(p.c, k)
	if !ok {
		return nil
	}
	if err := decide(r, ch); err != nil {
		return p.c.fail(err.Error())
	}
	return p.c.okay(fmt.Sprintf(done, ch.ID, plural(len(ch.Data), "byte"), dirText(ch.Dir)) + p.heldLeft(r))
}

// editHeld asks for the oldest held chunk's new bytes, as text with
// escapes, and forwards them.
func (p *socketsPanel) editHeld(k *engine.Sock) tea.Cmd {
	r, ch, ok := oldestHeld(p.c, k)
	if !ok {
		return nil
	}
	label := fmt.Sprintf("edit held #%d (%s %s; text with \\r \\n \\xNN escapes), enter forwards it:", ch.ID, plural(len(ch.Data), "byte"), dirText(ch.Dir))
	return askLine(p.c, label, payload.EscapeText(ch.Data), "", 4*len(ch.Data)+4096, func(line string) (tea.Cmd, error) {
		data, err := payload.ParseText(line)
		if err != nil {
			return nil, err
		}
		if err := r.Forward(ch.ID, data); err != nil {
			return nil, err
		}
		return p.c.okay(fmt.Sprintf("forwarded #%d edited: %s (it had %d)%s", ch.ID, plural(len(data), "byte"), len(ch.Data), p.heldLeft(r))), nil
	})
}

// heldLeft tells how many chunks are still held, if any.
func (p *socketsPanel) heldLeft(r *relay.Relay) string {
	if n := len(r.Pending()); n > 0 {
		return fmt.Sprintf("; %s still held", plural(n, "chunk"))
	}
	return ""
}

func dirText(d relay.Dir) string {
	if d == relay.ClientToServer {
		return "client→server"
	}
	return "server→client"
}

// relayUpdate handles the relay's events.
func (p *socketsPanel) relayUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case relayOpenFailedMsg:
		return p.c.fail("relay: the upstream: " + errText(msg.err))
	case engine.RelayUpstream:
		p.add(msg.Upstream)
		return p.c.okay(fmt.Sprintf("relay: #%d is connected to the upstream %s as #%d", msg.Client.ID(), msg.Upstream.Peer(), msg.Upstream.ID()))
	case engine.RelayHeld:
		return p.c.warn(fmt.Sprintf("relay holds #%d: %s %s from #%d: F forward · E edit · D drop", msg.Chunk.ID,
			plural(len(msg.Chunk.Data), "byte"), dirText(msg.Chunk.Dir), msg.Sock.ID()))
	case engine.RelayEnded:
		return p.relayEnded(msg)
	}
	return nil
}

func (p *socketsPanel) relayEnded(msg engine.RelayEnded) tea.Cmd {
	if msg.Summary.ConnectErr != nil {
		return p.c.fail(fmt.Sprintf("relay: #%d could not reach the upstream (%s): the client was reset", msg.Client.ID(), errText(msg.Summary.ConnectErr)))
	}
	legs := msg.Summary.Legs
	text := fmt.Sprintf("relay #%d ⇄ #%d ended: client→server %s, %s; server→client %s, %s", msg.Client.ID(), msg.Upstream.ID(),
		ui.FormatBytes(legs[relay.ClientToServer].Bytes), legs[relay.ClientToServer].End,
		ui.FormatBytes(legs[relay.ServerToClient].Bytes), legs[relay.ServerToClient].End)
	return p.c.okay(text)
}

// relayPeerText is a relay listener's peer column: where it relays to.
func relayPeerText(r *relay.Relay, accepted int) string {
	up := r.Upstream()
	to := "?"
	if len(up) > 0 {
		to = up[0].Addr.String()
		if len(up) > 1 {
			to += fmt.Sprintf(" +%d", len(up)-1)
		}
	}
	text := fmt.Sprintf("→ %s (%d accepted", to, accepted)
	if held := interceptText(r); held != "" {
		text += ", holding " + held
	}
	return text + ")"
}
