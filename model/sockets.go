package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/ui"
)

// readSize is the most one receive reads: one event per read.
const readSize = 64 << 10

// sendQueueLen is how many sends may wait for a socket's writer.
const sendQueueLen = 64

// sockEntry is one socket of the sockets panel.
type sockEntry struct {
	id        int
	sock      *netcore.Socket
	family    netcore.Family
	typ       netcore.SockType
	listener  bool
	pair      bool
	parent    int // the listener that accepted it, 0 for none
	local     netcore.Addr
	peer      netcore.Addr
	peerNote  string
	connected bool // has a peer (TCP, connected UDP, pair)
	state     string

	closed, readShut, writeShut bool
	eof                         bool
	lastErr                     string
	accepted                    int

	store  *capture.Store
	log    *traceLog
	router *traceRouter
	ctx    context.Context
	cancel context.CancelFunc
	sendCh chan sendReq
	order  *sync.Mutex // orders the sent and received chunks of the socket

	hex hexState
}

// kind names the socket for the list: tcp, tcp6, udp, udp6, unix, ...
func (e *sockEntry) kind() string {
	switch {
	case e.pair:
		return "pair"
	case e.family == netcore.FamilyUnix:
		if e.typ == netcore.SockDgram {
			return "unixdg"
		}
		if e.typ == netcore.SockSeqpacket {
			return "unixsq"
		}
		return "unix"
	}
	base := "tcp"
	switch e.typ {
	case netcore.SockDgram:
		base = "udp"
	case netcore.SockRaw:
		base = "raw"
	case netcore.SockSeqpacket:
		base = "seq"
	}
	if e.family == netcore.FamilyInet6 {
		base += "6"
	}
	return base
}

func (e *sockEntry) isTCP() bool {
	return (e.family == netcore.FamilyInet || e.family == netcore.FamilyInet6) && e.typ == netcore.SockStream
}

func (e *sockEntry) isDgram() bool { return e.typ == netcore.SockDgram }

// localText is the local address for people: an unnamed UNIX socket
// (a socketpair's end) says so.
func (e *sockEntry) localText() string {
	if e.family == netcore.FamilyUnix && (e.local.Path() == "" || e.local.Path() == "@") {
		return "(unnamed)"
	}
	return e.local.String()
}

// describe is the one-line name of the socket for titles.
func (e *sockEntry) describe() string {
	s := fmt.Sprintf("#%d %s %s", e.id, e.kind(), e.localText())
	switch {
	case e.listener:
		s += " (listening)"
	case e.peer.IsValid():
		s += " ⇄ " + e.peer.String()
	case e.peerNote != "":
		s += " ⇄ " + e.peerNote
	}
	if e.closed {
		s += " (closed)"
	}
	return s
}

// shut stops the socket's goroutines and closes it. It closes even a
// socket marked closed, whose close command may not have run yet; a
// second close only reports ErrClosed.
func (e *sockEntry) shut() {
	if e.cancel != nil {
		e.cancel()
	}
	e.closed = true
	_ = e.sock.Close()
}

// sockList is the sockets panel: entries in display order.
type sockList struct {
	all    []*sockEntry
	sel    int
	off    int
	nextID int
}

func (l *sockList) selected() *sockEntry {
	if l.sel >= 0 && l.sel < len(l.all) {
		return l.all[l.sel]
	}
	return nil
}

func (l *sockList) byID(id int) *sockEntry {
	for _, e := range l.all {
		if e.id == id {
			return e
		}
	}
	return nil
}

func (l *sockList) selectID(id int) {
	for i, e := range l.all {
		if e.id == id {
			l.sel = i
		}
	}
}

func (l *sockList) move(d int) { l.sel = max(0, min(l.sel+d, len(l.all)-1)) }

// addSocket gives e an id, a capture store and a place in the list: after
// its listener's other children when it was accepted, at the end otherwise.
func (m *Model) addSocket(e *sockEntry) *sockEntry {
	m.socks.nextID++
	e.id = m.socks.nextID
	e.store = capture.NewStore(m.cfg.CaptureLimit)
	e.hex = hexState{follow: true, match: -1}
	e.order = &sync.Mutex{}
	if e.log == nil {
		e.log = newTraceLog()
	}
	e.ctx, e.cancel = context.WithCancel(m.ctx)
	e.state = initialState(e)
	at := len(m.socks.all)
	if e.parent != 0 {
		for i, o := range m.socks.all {
			if o.id == e.parent || o.parent == e.parent {
				at = i + 1
			}
		}
	}
	m.socks.all = append(m.socks.all, nil)
	copy(m.socks.all[at+1:], m.socks.all[at:])
	m.socks.all[at] = e
	if m.socks.sel >= at && len(m.socks.all) > 1 && at < len(m.socks.all)-1 {
		m.socks.sel++
	}
	return e
}

func initialState(e *sockEntry) string {
	switch {
	case e.listener:
		return "LISTEN"
	case e.isTCP():
		return "ESTABLISHED"
	case e.isDgram() && !e.connected:
		return "bound"
	}
	return "connected"
}

// ---- goroutines ----

type evData struct {
	id   int
	dir  capture.Dir
	t    time.Time
	peer string
	data []byte
}

type evEOF struct{ id int }

type evReadErr struct {
	id    int
	err   error
	fatal bool
}

type sendReq struct {
	data []byte
	to   netcore.Addr
}

type evSendDone struct {
	id          int
	sent, total int
	err         error
}

type evAccepted struct {
	listener    int
	sock        *netcore.Socket
	local, peer netcore.Addr
	log         *traceLog
}

type evAcceptErr struct {
	listener int
	err      error
}

// startIO starts the goroutines of a socket: an acceptor for a listener,
// a reader and a writer for anything else.
func (m *Model) startIO(e *sockEntry) {
	if e.listener {
		m.startAcceptor(e)
		return
	}
	m.startReader(e)
	m.startWriter(e)
}

// startReader reads up to readSize bytes at a time from a stream, or one
// whole datagram at a time however large, and posts one event per read. A
// full hub makes it wait: nothing received is dropped.
func (m *Model) startReader(e *sockEntry) {
	s, ctx, id, order, h := e.sock, e.ctx, e.id, e.order, m.hub
	from := e.isDgram() && !e.connected
	dgram := e.isDgram()
	m.goTracked(func() {
		buf := make([]byte, readSize)
		rctx := netcore.WithCallTimeout(ctx, 0)
		for {
			data, peer, err := receiveOnce(rctx, s, buf, dgram)
			t := time.Now()
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, netcore.ErrClosed) {
					return
				}
				fatal := !(dgram && netcore.ClassOf(err) == netcore.ClassTransient)
				h.post(evReadErr{id: id, err: err, fatal: fatal})
				if fatal {
					return
				}
				continue
			}
			n := len(data)
			if n == 0 && !dgram {
				h.post(evEOF{id: id})
				return
			}
			if n == 0 {
				continue // an empty datagram: nothing to show
			}
			ev := evData{id: id, dir: capture.Received, t: t, data: data}
			if from && peer.IsValid() {
				ev.peer = peer.String()
			}
			order.Lock()
			ok := h.postData(ctx, ev, n)
			order.Unlock()
			if !ok {
				return
			}
		}
	})
}

// receiveOnce reads what a stream has (copied out of buf), or the next
// datagram whole with its sender.
func receiveOnce(ctx context.Context, s *netcore.Socket, buf []byte, dgram bool) ([]byte, netcore.Addr, error) {
	if dgram {
		return s.ReceiveDatagram(ctx)
	}
	n, err := s.Receive(ctx, buf, 0)
	if err != nil || n == 0 {
		return nil, netcore.Addr{}, err
	}
	return append([]byte(nil), buf[:n]...), netcore.Addr{}, nil
}

// startWriter sends what the send line queues, in order. Each piece sent
// is recorded as it goes, under the socket's order lock, so the capture
// shows sent and received chunks in the order they happened.
func (m *Model) startWriter(e *sockEntry) {
	ch := make(chan sendReq, sendQueueLen)
	e.sendCh = ch
	s, ctx, id, order, h := e.sock, e.ctx, e.id, e.order, m.hub
	dgram := e.isDgram()
	m.goTracked(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case req := <-ch:
				sent, err := sendOne(ctx, s, req, dgram, order, h, id)
				h.post(evSendDone{id: id, sent: sent, total: len(req.data), err: err})
			}
		}
	})
}

// sendOne sends one request: in pieces of at most readSize bytes on a
// stream, as one datagram otherwise.
func sendOne(ctx context.Context, s *netcore.Socket, req sendReq, dgram bool, order *sync.Mutex, h *hub, id int) (int, error) {
	sent := 0
	// A sent chunk carries the time its send began: an answer cannot come
	// before that, though it may be read before the send call returns.
	record := func(t time.Time, p []byte) bool {
		ev := evData{id: id, dir: capture.Sent, t: t, data: append([]byte(nil), p...)}
		if req.to.IsValid() {
			ev.peer = req.to.String()
		}
		return h.postData(ctx, ev, len(p))
	}
	send := func(c context.Context, p []byte) (int, error) {
		if req.to.IsValid() {
			return s.SendTo(c, p, req.to, 0)
		}
		return s.Send(c, p, 0)
	}
	for sent < len(req.data) {
		piece := req.data[sent:]
		if !dgram && len(piece) > readSize {
			piece = piece[:readSize]
		}
		// Send with a short wait, holding the order lock so that an answer
		// cannot be recorded before what it answers. When the socket is
		// full, wait for room without the lock (the reader keeps reading)
		// and try again under it.
		order.Lock()
		start := time.Now()
		n, err := send(netcore.WithCallTimeout(ctx, 20*time.Millisecond), piece)
		if n > 0 {
			record(start, piece[:n])
		}
		order.Unlock()
		if err != nil && n == 0 && netcore.ClassOf(err) == netcore.ClassTimeout && ctx.Err() == nil {
			if err = s.WaitWritable(ctx); err == nil {
				continue
			}
		}
		sent += n
		if err != nil {
			return sent, err
		}
		if dgram {
			break
		}
	}
	return sent, nil
}

// startAcceptor accepts connections and posts each as a socket.
func (m *Model) startAcceptor(e *sockEntry) {
	s, ctx, id, router, h := e.sock, e.ctx, e.id, e.router, m.hub
	m.goTracked(func() {
		for {
			c, peer, err := s.Accept(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, netcore.ErrClosed) {
					return
				}
				h.post(evAcceptErr{listener: id, err: err})
				if netcore.ClassOf(err) != netcore.ClassTransient {
					return
				}
				continue
			}
			local, _ := c.LocalAddr()
			var log *traceLog
			if router != nil {
				log = router.logFor(c.Fd())
			}
			h.post(evAccepted{listener: id, sock: c, local: local, peer: peer, log: log})
		}
	})
}

// ---- events ----

func (m *Model) handleData(ev evData) tea.Cmd {
	e := m.socks.byID(ev.id)
	if e == nil {
		return nil
	}
	e.store.Append(ev.dir, ev.t, ev.peer, ev.data)
	return nil
}

func (m *Model) handleEOF(ev evEOF) tea.Cmd {
	e := m.socks.byID(ev.id)
	if e == nil || e.closed {
		return nil
	}
	e.eof = true
	e.readShut = true
	return m.info(fmt.Sprintf("#%d: the peer closed its side (end of stream); x closes ours", e.id))
}

func (m *Model) handleReadErr(ev evReadErr) tea.Cmd {
	e := m.socks.byID(ev.id)
	if e == nil || e.closed {
		return nil
	}
	e.lastErr = errText(ev.err)
	if ev.fatal {
		e.readShut = true
	}
	what := fmt.Sprintf("#%d receive: %s", e.id, e.lastErr)
	if errno := netcore.ErrnoOf(ev.err); errno == unix.ECONNREFUSED && e.isDgram() {
		what += " (an ICMP port unreachable came back for an earlier datagram: nobody listens there)"
	}
	if errno := netcore.ErrnoOf(ev.err); errno == unix.ECONNRESET {
		what += " (the peer reset the connection)"
	}
	return m.fail(what)
}

func (m *Model) handleSendDone(ev evSendDone) tea.Cmd {
	e := m.socks.byID(ev.id)
	if e == nil {
		return nil
	}
	if ev.err != nil {
		if errors.Is(ev.err, netcore.ErrClosed) || netcore.ClassOf(ev.err) == netcore.ClassCancelled {
			return nil
		}
		e.lastErr = errText(ev.err)
		msg := fmt.Sprintf("#%d send: %d of %d bytes went: %s", e.id, ev.sent, ev.total, e.lastErr)
		if netcore.ErrnoOf(ev.err) == unix.EPIPE {
			msg += " (the peer is gone or our write side is shut)"
		}
		return m.fail(msg)
	}
	return m.okay(fmt.Sprintf("#%d: sent %d bytes", e.id, ev.sent))
}

func (m *Model) handleAccepted(ev evAccepted) tea.Cmd {
	l := m.socks.byID(ev.listener)
	if l == nil || l.closed {
		_ = ev.sock.Close()
		return nil
	}
	l.accepted++
	e := m.addSocket(&sockEntry{
		sock: ev.sock, family: ev.sock.Family(), typ: ev.sock.Type(), parent: l.id,
		local: ev.local, peer: ev.peer, connected: true, log: ev.log,
	})
	m.startIO(e)
	return m.okay(fmt.Sprintf("#%d accepted %s as #%d", l.id, ev.peer, e.id))
}

func (m *Model) handleAcceptErr(ev evAcceptErr) tea.Cmd {
	l := m.socks.byID(ev.listener)
	if l == nil || l.closed {
		return nil
	}
	l.lastErr = errText(ev.err)
	return m.fail(fmt.Sprintf("#%d accept: %s", l.id, l.lastErr))
}

// ---- opening sockets ----

// openedSock is a socket a command opened, with what the view needs.
type openedSock struct {
	sock        *netcore.Socket
	local, peer netcore.Addr
	log         *traceLog
}

// evOpened is a listener, a UDP socket or a socketpair, ready.
type evOpened struct {
	what     string // "listener", "udp", "pair"
	socks    []openedSock
	router   *traceRouter
	peerAddr netcore.Addr // UDP: the peer it was connected to
}

type openFailedMsg struct{ text string }

// listenCmd opens a stream listener on addr.
func (m *Model) listenCmd(addr netcore.Addr) tea.Cmd {
	h := m.hub
	return m.cmd(func() tea.Msg {
		log := newTraceLog()
		router := newTraceRouter(log)
		s, err := netcore.ListenConfig{Options: []netcore.Option{netcore.WithTrace(router.trace)}}.Listen(addr)
		if err != nil {
			return openFailedMsg{"listen on " + addr.String() + ": " + errText(err)}
		}
		local, _ := s.LocalAddr()
		h.post(evOpened{what: "listener", socks: []openedSock{{sock: s, local: local, log: log}}, router: router})
		return nil
	})
}

// udpCmd opens a UDP socket bound to local and, with a peer, connected.
func (m *Model) udpCmd(local, peer netcore.Addr) tea.Cmd {
	h := m.hub
	ctx := m.ctx
	return m.cmd(func() tea.Msg {
		log := newTraceLog()
		s, err := netcore.ListenConfig{SockType: netcore.SockDgram,
			Options: []netcore.Option{netcore.WithTrace(log.add)}}.Listen(local)
		if err != nil {
			return openFailedMsg{"UDP socket on " + local.String() + ": " + errText(err)}
		}
		if peer.IsValid() {
			if err := s.Connect(ctx, peer); err != nil {
				return openFailedMsg{"UDP connect to " + peer.String() + ": " + errText(err)}
			}
		}
		la, _ := s.LocalAddr()
		h.post(evOpened{what: "udp", socks: []openedSock{{sock: s, local: la, log: log}}, peerAddr: peer})
		return nil
	})
}

// pairCmd creates a connected pair of UNIX stream sockets.
func (m *Model) pairCmd() tea.Cmd {
	h := m.hub
	return m.cmd(func() tea.Msg {
		log := newTraceLog()
		router := newTraceRouter(log)
		a, b, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockStream, 0, netcore.WithTrace(router.trace))
		if err != nil {
			return openFailedMsg{"socketpair: " + errText(err)}
		}
		la, _ := a.LocalAddr()
		lb, _ := b.LocalAddr()
		h.post(evOpened{what: "pair", router: router, socks: []openedSock{
			{sock: a, local: la, log: router.logFor(a.Fd())},
			{sock: b, local: lb, log: router.logFor(b.Fd())},
		}})
		return nil
	})
}

func (m *Model) handleOpened(ev evOpened) tea.Cmd {
	switch ev.what {
	case "listener":
		o := ev.socks[0]
		e := m.addSocket(&sockEntry{sock: o.sock, family: o.sock.Family(), typ: o.sock.Type(), listener: true,
			local: o.local, log: o.log, router: ev.router})
		m.startIO(e)
		m.socks.selectID(e.id)
		return m.okay(fmt.Sprintf("#%d listening on %s: connections appear as rows of their own", e.id, e.local))
	case "udp":
		o := ev.socks[0]
		e := m.addSocket(&sockEntry{sock: o.sock, family: o.sock.Family(), typ: o.sock.Type(),
			local: o.local, peer: ev.peerAddr, connected: ev.peerAddr.IsValid(), log: o.log})
		m.startIO(e)
		m.socks.selectID(e.id)
		if e.connected {
			return m.okay(fmt.Sprintf("#%d UDP %s connected to %s", e.id, e.local, e.peer))
		}
		return m.okay(fmt.Sprintf("#%d UDP bound to %s: the send line asks for a destination", e.id, e.local))
	case "pair":
		a := m.addSocket(&sockEntry{sock: ev.socks[0].sock, family: netcore.FamilyUnix, typ: netcore.SockStream,
			pair: true, local: ev.socks[0].local, connected: true, log: ev.socks[0].log})
		b := m.addSocket(&sockEntry{sock: ev.socks[1].sock, family: netcore.FamilyUnix, typ: netcore.SockStream,
			pair: true, local: ev.socks[1].local, connected: true, log: ev.socks[1].log})
		a.peerNote = fmt.Sprintf("pair #%d", b.id)
		b.peerNote = fmt.Sprintf("pair #%d", a.id)
		m.startIO(a)
		m.startIO(b)
		m.socks.selectID(a.id)
		return m.okay(fmt.Sprintf("socketpair #%d ⇄ #%d: what one sends, the other receives", a.id, b.id))
	}
	return nil
}

// ---- actions ----

type shutdownMsg struct {
	id  int
	how netcore.ShutHow
	err error
}

type closedMsg struct {
	id  int
	err error
}

func (m *Model) socketsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	e := m.selected()
	switch {
	case key.Matches(msg, k.Listen):
		return m.openPrompt(promptListen)
	case key.Matches(msg, k.UDP):
		return m.openPrompt(promptUDP)
	case key.Matches(msg, k.Pair):
		return m.pairCmd()
	case key.Matches(msg, k.ToSend):
		if e == nil {
			return m.info("no socket selected: connect first, or l/u/p open one")
		}
		m.setFocus(ui.PanelSend)
		return nil
	case key.Matches(msg, k.ShutRead, k.ShutWrite):
		how := netcore.ShutRD
		if key.Matches(msg, k.ShutWrite) {
			how = netcore.ShutWR
		}
		return m.shutdown(e, how)
	case key.Matches(msg, k.Close):
		return m.closeSocket(e)
	case key.Matches(msg, k.Options):
		return m.openOptions(e)
	case key.Matches(msg, k.Syscalls):
		if e == nil {
			return m.info("no socket selected")
		}
		m.openSyscalls(e.log, e.describe())
		return nil
	}
	if m.listKey(msg, &m.socks.sel, len(m.socks.all), ui.ListArea(m.layout, ui.PanelSockets).H) {
		return nil
	}
	return m.unbound(msg)
}

func (m *Model) shutdown(e *sockEntry, how netcore.ShutHow) tea.Cmd {
	switch {
	case e == nil:
		return m.info("no socket selected")
	case e.closed:
		return m.info(fmt.Sprintf("#%d is closed", e.id))
	case e.listener:
		return m.info(fmt.Sprintf("#%d is a listener: shutdown is for connections (x closes it)", e.id))
	case how == netcore.ShutRD && e.readShut && !e.eof:
		return m.info(fmt.Sprintf("#%d: the read side is already shut", e.id))
	case how == netcore.ShutWR && e.writeShut:
		return m.info(fmt.Sprintf("#%d: the write side is already shut", e.id))
	}
	s, id := e.sock, e.id
	return m.cmd(func() tea.Msg {
		return shutdownMsg{id: id, how: how, err: s.Shutdown(how)}
	})
}

func (m *Model) handleShutdown(msg shutdownMsg) tea.Cmd {
	e := m.socks.byID(msg.id)
	if e == nil {
		return nil
	}
	if msg.err != nil {
		return m.fail(fmt.Sprintf("#%d shutdown %s: %s", e.id, msg.how, errText(msg.err)))
	}
	if msg.how == netcore.ShutRD {
		e.readShut = true
		return m.okay(fmt.Sprintf("#%d: read side shut (SHUT_RD): further data from the peer is discarded", e.id))
	}
	e.writeShut = true
	return m.okay(fmt.Sprintf("#%d: write side shut (SHUT_WR): the peer sees end of stream (FIN)", e.id))
}

// closeSocket closes the selected socket, or removes a closed one from the
// list.
func (m *Model) closeSocket(e *sockEntry) tea.Cmd {
	if e == nil {
		return m.info("no socket selected")
	}
	if e.closed {
		for i, o := range m.socks.all {
			if o == e {
				m.socks.all = append(m.socks.all[:i], m.socks.all[i+1:]...)
				break
			}
		}
		m.socks.sel = max(0, min(m.socks.sel, len(m.socks.all)-1))
		return m.info(fmt.Sprintf("#%d removed from the list", e.id))
	}
	e.closed = true
	e.cancel()
	s, id := e.sock, e.id
	// A listener's socket file goes with it, so that the path can be
	// listened on again; an abstract name needs no cleaning up.
	unlink := ""
	if e.listener && e.family == netcore.FamilyUnix && !e.local.IsAbstract() && e.local.Path() != "" {
		unlink = e.local.Path()
	}
	return m.cmd(func() tea.Msg {
		err := s.Close()
		if unlink != "" {
			_ = os.Remove(unlink)
		}
		return closedMsg{id: id, err: err}
	})
}

func (m *Model) handleClosed(msg closedMsg) tea.Cmd {
	e := m.socks.byID(msg.id)
	if e == nil {
		return nil
	}
	e.state = "closed"
	if msg.err != nil && !errors.Is(msg.err, netcore.ErrClosed) {
		return m.fail(fmt.Sprintf("#%d close: %s", e.id, errText(msg.err)))
	}
	return m.okay(fmt.Sprintf("#%d closed (x again removes it from the list)", e.id))
}

// ---- states ----

type statesMsg struct{ states map[int]string }

// refreshStates reads the kernel's TCP state of every open TCP socket.
func (m *Model) refreshStates() tea.Cmd {
	type item struct {
		id  int
		s   *netcore.Socket
		log *traceLog
	}
	var items []item
	for _, e := range m.socks.all {
		if !e.closed && e.isTCP() {
			items = append(items, item{e.id, e.sock, e.log})
		}
	}
	if len(items) == 0 {
		return nil
	}
	return m.cmd(func() tea.Msg {
		out := statesMsg{states: map[int]string{}}
		for _, it := range items {
			it.log.polling.Store(true)
			st, err := it.s.TCPState()
			it.log.polling.Store(false)
			if err == nil {
				out.states[it.id] = st
			}
		}
		return out
	})
}

func (m *Model) applyStates(msg statesMsg) {
	for id, st := range msg.states {
		if e := m.socks.byID(id); e != nil && !e.closed {
			e.state = st
		}
	}
}

// parseListenAddr reads the listener prompt: an address, a bare port, or
// empty for the default.
func parseListenAddr(s, def string) (netcore.Addr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = def
	}
	if isDigits(s) {
		s = "127.0.0.1:" + s
	}
	return netcore.ParseAddr(s)
}

// parseUDPSpec reads "LOCAL", "LOCAL -> PEER" or "-> PEER".
func parseUDPSpec(s string) (local, peer netcore.Addr, err error) {
	s = strings.TrimSpace(s)
	l, p, hasPeer := strings.Cut(s, "->")
	local, err = parseListenAddr(l, "127.0.0.1:0")
	if err != nil {
		return
	}
	if hasPeer {
		p = strings.TrimSpace(p)
		if isDigits(p) {
			p = "127.0.0.1:" + p
		}
		peer, err = netcore.ParseAddr(p)
		if err == nil && peer.Family() != local.Family() {
			if local.IP().IsLoopback() && peer.Family() == netcore.FamilyInet6 && strings.TrimSpace(l) == "" {
				local, _ = netcore.ParseAddr("[::1]:0")
			} else {
				err = fmt.Errorf("the local address %s and the peer %s are of different families", local, peer)
			}
		}
	}
	return
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
