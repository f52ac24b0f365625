package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/tlsinfo"
	"sockbench/ui"
)

// socketsPanel lists every socket of the engine, open or closed (until x
// removes it), with accepted connections under their listener; its
// selection is the socket the hex view shows and the send line uses.
type socketsPanel struct {
	basePanel
	c    *common
	all  []*engine.Sock
	sel  int
	off  int
	page int
	// accepted counts each listener's connections as their events come,
	// so that the count never runs ahead of the rows listed.
	accepted map[*engine.Sock]int
	replies  *autoReplies
}

func newSocketsPanel(c *common) *socketsPanel {
	return &socketsPanel{c: c, page: 1, accepted: map[*engine.Sock]int{}, replies: newAutoReplies()}
}

func (p *socketsPanel) SetSize(_, h int) { p.page = ui.SocketsList.Rows(h) }

// selected returns the selected socket, or nil.
func (p *socketsPanel) selected() *engine.Sock {
	if p.sel >= 0 && p.sel < len(p.all) {
		return p.all[p.sel]
	}
	return nil
}

// setSel selects row i and tells the others through the shared context.
func (p *socketsPanel) setSel(i int) {
	p.sel = max(0, min(i, len(p.all)-1))
	p.c.selected = p.selected()
}

func (p *socketsPanel) selectSock(k *engine.Sock) {
	if i := slices.Index(p.all, k); i >= 0 {
		p.setSel(i)
	}
}

// add puts a socket in the list: after its listener's other children
// when it was accepted, at the end otherwise. The selection stays on the
// socket it was on.
func (p *socketsPanel) add(k *engine.Sock) {
	at := len(p.all)
	if parent := k.Parent(); parent != nil {
		for i, o := range p.all {
			if o == parent || descends(o, parent) {
				at = i + 1
			}
		}
	}
	was := p.selected()
	p.all = slices.Insert(p.all, at, k)
	if was != nil {
		p.selectSock(was)
	} else {
		p.setSel(p.sel)
	}
}

// descends reports whether k was accepted by l, or is the upstream of a
// connection l accepted (a relay's).
func descends(k, l *engine.Sock) bool {
	for k = k.Parent(); k != nil; k = k.Parent() {
		if k == l {
			return true
		}
	}
	return false
}

func (p *socketsPanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := p.c.keys.Sockets
	e := p.selected()
	if cmd, ok := p.handleRelayKey(msg, e); ok {
		return cmd, true
	}
	switch {
	case key.Matches(msg, k.Listen):
		return askLine(p.c, "listen on (ADDR, PORT or unix:PATH; enter for 127.0.0.1:0):", "", "127.0.0.1:0", 256, p.listen), true
	case key.Matches(msg, k.UDP):
		return askLine(p.c, "UDP socket: LOCAL, or LOCAL -> PEER to connect (enter: 127.0.0.1:0; 0.0.0.0:0 reaches other hosts):", "",
			"127.0.0.1:0 -> 127.0.0.1:9999", 256, p.openUDP), true
	case key.Matches(msg, k.Pair):
		eng := p.c.engine
		return p.c.cmd(func() tea.Msg { eng.Pair(); return nil }), true
	case key.Matches(msg, k.ToSend):
		if e == nil {
			return p.c.info("no socket selected: connect first, or l/u/p open one"), true
		}
		return p.c.emit(focusMsg{panel: ui.PanelSend}), true
	case key.Matches(msg, k.ShutRead, k.ShutWrite):
		how := netcore.ShutRD
		if key.Matches(msg, k.ShutWrite) {
			how = netcore.ShutWR
		}
		return p.shutdown(e, how), true
	case key.Matches(msg, k.Close):
		return p.close(e), true
	case key.Matches(msg, k.Options):
		return p.options(e), true
	case key.Matches(msg, k.Pause, k.Capture, k.StartTLS, k.Handshake) && e == nil:
		return p.c.info("no socket selected"), true
	case key.Matches(msg, k.Pause, k.StartTLS, k.Rules) && e != nil && e.Relay() != nil:
		return p.c.info(fmt.Sprintf("#%d is relayed: the relay moves its bytes (I intercepts them)", e.ID())), true
	case key.Matches(msg, k.StartTLS):
		return startTLSKey(p.c, e), true
	case key.Matches(msg, k.Rules):
		return p.askRule(e), true
	case key.Matches(msg, k.Reset):
		return p.reset(e), true
	case key.Matches(msg, k.Handshake):
		return handshakeKey(p.c, e), true
	case key.Matches(msg, k.Pause):
		return pauseKey(p.c, e), true
	case key.Matches(msg, k.Capture):
		return captureKey(p.c, e), true
	case key.Matches(msg, k.Syscalls):
		if e == nil {
			return p.c.info("no socket selected"), true
		}
		return openSyscalls(p.c, e.Trace(), e.Describe()), true
	}
	sel := p.sel
	if p.c.keys.List.move(msg, &sel, len(p.all), p.page) {
		p.setSel(sel)
		return nil, true
	}
	return nil, false
}

func (p *socketsPanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case relayOpenFailedMsg, engine.RelayUpstream, engine.RelayHeld, engine.RelayEnded:
		return p.relayUpdate(msg)
	case engine.ConnectDone:
		if msg.Sock != nil {
			p.add(msg.Sock)
			p.selectSock(msg.Sock)
		}
	case engine.Opened:
		return p.opened(msg)
	case engine.OpenFailed:
		return p.c.fail(msg.What + ": " + errText(msg.Err))
	case engine.Accepted:
		p.add(msg.Sock)
		p.accepted[msg.Listener]++
		return p.c.okay(fmt.Sprintf("#%d accepted %s as #%d", msg.Listener.ID(), msg.Sock.Peer(), msg.Sock.ID()))
	case engine.AcceptFailed:
		text := fmt.Sprintf("#%d accept: %s", msg.Listener.ID(), errText(msg.Err))
		if !msg.Stopped {
			text += " (connections wait in the queue; accepting again as soon as it works)"
		}
		return p.c.fail(text)
	case engine.AcceptResumed:
		return p.c.okay(fmt.Sprintf("#%d accepts again", msg.Listener.ID()))
	case engine.EOF:
		if msg.Ours {
			return p.c.info(fmt.Sprintf("#%d: reading ended: we shut down our reading side (SHUT_RD)", msg.Sock.ID()))
		}
		return p.c.info(fmt.Sprintf("#%d: the peer closed its side (end of stream); x closes ours", msg.Sock.ID()))
	case engine.ReceiveFailed:
		return p.c.fail(receiveFailure(msg))
	case engine.Sent:
		return p.sent(msg)
	case engine.SendStalled:
		return p.c.warn(fmt.Sprintf("#%d: the send makes no progress: the peer is not reading (%s wait in our send queue); x or X ends it", msg.Sock.ID(), plural(msg.Queued, "byte")))
	case engine.SendResumed:
		return p.c.info(fmt.Sprintf("#%d: the send moves again", msg.Sock.ID()))
	case engine.TLSDone:
		return tlsDone(p.c, msg)
	case shutdownMsg:
		return p.shutDone(msg)
	case closedMsg:
		p.replies.stop(msg.sock)
		if msg.err != nil {
			return p.c.fail(fmt.Sprintf("#%d close: %s", msg.sock.ID(), errText(msg.err)))
		}
		text := fmt.Sprintf("#%d closed (x again removes it from the list)", msg.sock.ID())
		if msg.reset {
			text = fmt.Sprintf("#%d reset: the peer got RST (x removes it from the list)", msg.sock.ID())
		}
		if n := p.children(msg.sock); n > 0 {
			text += fmt.Sprintf("; its %s stay open: closing a listener closes no connection it accepted", plural(n, "accepted connection"))
		}
		return p.c.okay(text)
	case scrollMsg:
		p.setSel(p.sel + msg.rows/3)
	case clickMsg:
		if i := p.off + msg.y - ui.SocketsList.Top; msg.y >= ui.SocketsList.Top && i < len(p.all) {
			p.setSel(i)
		}
	}
	return nil
}

func (p *socketsPanel) opened(ev engine.Opened) tea.Cmd {
	for _, k := range ev.Socks {
		p.add(k)
	}
	first := ev.Socks[0]
	p.selectSock(first)
	switch {
	case len(ev.Socks) == 2:
		return p.c.okay(fmt.Sprintf("socketpair #%d ⇄ #%d: what one sends, the other receives", first.ID(), ev.Socks[1].ID()))
	case first.IsListener() && first.Relay() != nil:
		return p.c.okay(fmt.Sprintf("#%d relays %s: connect a client to %s; I intercepts", first.ID(), relayPeerText(first.Relay(), 0), first.Local()))
	case first.IsListener():
		return p.c.okay(fmt.Sprintf("#%d listening on %s: connections appear as rows of their own", first.ID(), first.Local()))
	case first.Connected():
		return p.c.okay(fmt.Sprintf("#%d UDP %s connected to %s", first.ID(), first.Local(), first.Peer()))
	}
	return p.c.okay(fmt.Sprintf("#%d UDP bound to %s: the send line asks for a destination", first.ID(), first.Local()))
}

// loopbackOnly reports whether local is a loopback address and to is
// not: Linux refuses such a send with EINVAL.
func loopbackOnly(local, to netcore.Addr) bool {
	return to.IsValid() && to.Family() != netcore.FamilyUnix && local.Family() != netcore.FamilyUnix &&
		local.IP().IsLoopback() && !to.IP().IsLoopback()
}

// receiveFailure puts a failed receive in words.
func receiveFailure(ev engine.ReceiveFailed) string {
	what := fmt.Sprintf("#%d receive: %s", ev.Sock.ID(), errText(ev.Err))
	switch netcore.ErrnoOf(ev.Err) {
	case unix.ECONNREFUSED:
		if ev.Sock.IsDgram() {
			what += " (an ICMP port unreachable came back for an earlier datagram: nobody listens there)"
		}
	case unix.ECONNRESET:
		what += " (the peer reset the connection)"
	}
	return what
}

func (p *socketsPanel) sent(ev engine.Sent) tea.Cmd {
	if ev.Err != nil {
		if errors.Is(ev.Err, netcore.ErrClosed) || netcore.ClassOf(ev.Err) == netcore.ClassCancelled {
			return nil
		}
		msg := fmt.Sprintf("#%d send: %d of %d bytes went: %s", ev.Sock.ID(), ev.N, ev.Total, errText(ev.Err))
		switch netcore.ErrnoOf(ev.Err) {
		case unix.EPIPE:
			msg += " (the peer is gone or our write side is shut)"
		case unix.EINVAL:
			if loopbackOnly(ev.Sock.Local(), ev.Destination) {
				msg += " (a socket bound to loopback cannot send off this host: open one on 0.0.0.0:0 or [::]:0 with u)"
			}
		}
		return p.c.fail(msg)
	}
	return p.c.okay(fmt.Sprintf("#%d: sent %d bytes", ev.Sock.ID(), ev.N))
}

func (p *socketsPanel) shutDone(msg shutdownMsg) tea.Cmd {
	id := msg.sock.ID()
	if msg.err != nil {
		return p.c.fail(fmt.Sprintf("#%d shutdown %s: %s", id, msg.how, errText(msg.err)))
	}
	if msg.how == netcore.ShutRD {
		return p.c.okay(fmt.Sprintf("#%d: read side shut (SHUT_RD): further data from the peer is discarded", id))
	}
	return p.c.okay(fmt.Sprintf("#%d: write side shut (SHUT_WR): the peer sees end of stream (FIN)", id))
}

// watched are the sockets whose kernel state is worth reading again: the
// rows in view and the selected one.
func (p *socketsPanel) watched() []*engine.Sock {
	p.off = ui.VisibleOffset(p.sel, p.off, p.page, len(p.all))
	rows := slices.Clone(p.all[p.off:min(len(p.all), p.off+p.page)])
	if sel := p.selected(); sel != nil && !slices.Contains(rows, sel) {
		rows = append(rows, sel)
	}
	return rows
}

// children counts the open connections a listener accepted that are
// still listed.
func (p *socketsPanel) children(l *engine.Sock) int {
	n := 0
	for _, k := range p.all {
		if k.Parent() == l && !k.Status().Closed {
			n++
		}
	}
	return n
}
func (p *socketsPanel) View(w, h int, focused bool) string {
	p.off = ui.VisibleOffset(p.sel, p.off, p.page, len(p.all))
	v := ui.SocketsView{Selected: p.sel, Offset: p.off}
	for _, k := range p.all {
		row := socketRow(k, p.accepted[k], p.replies.count(k))
		// An accepted connection is drawn under its listener while that is
		// listed; once removed, the connection stands on its own.
		row.Child = row.Child && slices.Contains(p.all, k.Parent())
		v.Rows = append(v.Rows, row)
	}
	return ui.RenderSockets(p.c.styles, v, w, h, focused)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// socketRow is one socket as the list shows it; accepted counts a
// listener's connections.
func socketRow(k *engine.Sock, accepted, rulesCount int) ui.SocketRow {
	st := k.Status()
	row := ui.SocketRow{
		ID:        k.ID(),
		Kind:      k.Kind(),
		Local:     k.LocalText(),
		State:     st.State,
		ReadOpen:  !st.ReadShut,
		WriteOpen: !st.WriteShut,
		Closed:    st.Closed,
		Child:     k.Parent() != nil,
		Listener:  k.IsListener(),
	}
	switch {
	case k.IsListener() && k.Relay() != nil:
		row.Kind, row.Peer = "relay", relayPeerText(k.Relay(), accepted)
	case k.IsListener() && rulesCount > 0:
		row.Peer = fmt.Sprintf("(%d accepted, %s)", accepted, plural(rulesCount, "rule"))
	case k.IsListener():
		row.Peer = fmt.Sprintf("(%d accepted)", accepted)
	case k.Peer().IsValid():
		row.Peer = k.Peer().String()
	case k.PeerNote() != "":
		row.Peer = k.PeerNote()
	case k.IsDgram():
		row.Peer = "(any: sendto)"
	}
	if st.EOF && !k.IsTCP() && !st.Closed {
		row.State = "EOF"
	}
	if st.AcceptFailing != 0 && !st.Closed { // "EMFILE": the listener waits for it to pass
		row.State = netcore.ErrnoName(st.AcceptFailing)
	}
	row.Paused = st.Paused != ""
	if k.TLS() != nil { // "tls", "tls6"; "tls!" when the peer was not verified
		row.Kind = strings.Replace(row.Kind, "tcp", "tls", 1)
		if r := k.TLSReport(); r.Side == tlsinfo.SideClient && !r.Verified {
			row.Kind += "!"
			row.Unverified = true
		}
	}
	stats := k.Store().Stats()
	row.Rx, row.Tx = stats.RxBytes, stats.TxBytes
	row.Dropped = stats.DroppedBytes > 0
	return row
}

func (p *socketsPanel) Help() contextKeys {
	k := p.c.keys.Sockets
	keys := []key.Binding{k.ToSend, k.Listen, k.UDP, k.Pair, k.Relay, k.ShutRead, k.ShutWrite, k.Close, k.Reset, k.Pause, k.Options, k.Syscalls, k.Capture, k.StartTLS, k.Handshake, k.Rules}
	if e := p.selected(); e != nil && e.Relay() != nil {
		keys = []key.Binding{k.Intercept, k.Forward, k.EditHeld, k.DropHeld, k.Relay, k.ShutRead, k.ShutWrite, k.Close, k.Reset, k.Options, k.Syscalls, k.Capture}
	}
	return contextKeys{short: keys, full: [][]key.Binding{keys, p.c.keys.List.nav()}}
}
