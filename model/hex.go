package model

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/ui"
)

// viewState is where one socket's traffic view stands.
type viewState struct {
	filter capture.Filter
	follow bool
	top    int       // the hex view's first row, when not following
	text   streamTop // the stream view's first line, when not following
	search search
	// The wire view has a place of its own: its lines are not the bytes.
	wireTop    int
	wireFollow bool
}

// viewMode is how the traffic panel shows the selected socket.
type viewMode int

const (
	viewHex  viewMode = iota // the bytes as hex rows
	viewText                 // the bytes read as text (the stream view)
	viewWire                 // the packets and the system calls, in time order
)

// hexPanel shows the traffic of the selected socket, both directions in
// order: as hex rows, read as text (the stream view), or as the packets
// on the wire with the socket's system calls. Each socket keeps its own
// place, filter and search.
type hexPanel struct {
	basePanel
	c        *common
	states   map[*engine.Sock]*viewState
	mode     viewMode
	rowBytes int // bytes a hex row holds; 0 fits the width
	width    int // inside the border
	height   int
}

func newHexPanel(c *common) *hexPanel {
	return &hexPanel{c: c, states: map[*engine.Sock]*viewState{}, height: 1}
}

var filterCycle = []capture.Filter{capture.All, capture.OnlySent, capture.OnlyReceived}

// rowSizes are the widths w cycles through; 0 fits the terminal.
var rowSizes = []int{0, 8, 16, 32, 64}

func (p *hexPanel) SetSize(w, h int) { p.width, p.height = w, max(1, h) }

// state returns the view state of k, made on first use.
func (p *hexPanel) state(k *engine.Sock) *viewState {
	st, ok := p.states[k]
	if !ok {
		st = &viewState{follow: true, wireFollow: true, search: search{match: -1}}
		p.states[k] = st
	}
	return st
}

// bytesPerRow is the row width in use.
func (p *hexPanel) bytesPerRow() int {
	if p.rowBytes > 0 {
		return p.rowBytes
	}
	return ui.HexRowBytes(p.width)
}

// fit gives k's store the row width in use, keeping the hex view's place.
func (p *hexPanel) fit(k *engine.Sock) {
	n, store := p.bytesPerRow(), k.Store()
	if store.RowBytes() == n {
		return
	}
	st := p.state(k)
	at, ok := store.PosOf(st.filter, st.top)
	store.SetRowBytes(n)
	if ok {
		st.top = store.RowOf(st.filter, at)
	}
}

func (p *hexPanel) streamerFor(k *engine.Sock) *streamer {
	return newStreamer(k.Store(), p.state(k).filter, p.width, k.IsDgram())
}

func (p *hexPanel) Busy() bool {
	for _, st := range p.states {
		if st.search.running {
			return true
		}
	}
	return false
}

func (p *hexPanel) Running() string { return "searching" }

func (p *hexPanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k, l := p.c.keys.Hex, p.c.keys.List
	e := p.c.selected
	if e == nil {
		if key.Matches(msg, l.Up, l.Down, l.PageUp, l.PageDown, l.Home, l.End, k.Filter, k.Search, k.NextMatch,
			k.PrevMatch, k.Export, k.ToSend, k.View, k.Width, k.Pause, k.Capture, k.Handshake) {
			return p.c.info("no socket selected: connect first, or pick one in the sockets panel"), true
		}
		return nil, false
	}
	st := p.state(e)
	if l.scroll(msg, p.height, p.scroll, func() { p.home(e) }, func() { st.follow, st.wireFollow = true, true }) {
		return nil, true
	}
	switch {
	case key.Matches(msg, k.Filter):
		p.setFilter(e, nextOf(filterCycle, st.filter))
		return p.c.info("showing " + st.filter.String() + " chunks"), true
	case key.Matches(msg, k.View):
		return p.cycleView(e), true
	case key.Matches(msg, k.Width):
		p.rowBytes = nextOf(rowSizes, p.rowBytes)
		return p.c.info(fmt.Sprintf("hex rows of %s", rowSizeText(p.rowBytes, p.bytesPerRow()))), true
	case key.Matches(msg, k.Pause):
		return pauseKey(p.c, e), true
	case key.Matches(msg, k.Capture):
		return captureKey(p.c, e), true
	case key.Matches(msg, k.Handshake):
		return handshakeKey(p.c, e), true
	case key.Matches(msg, k.Search):
		return askLine(p.c, "search (text with \\x escapes, or hex:68 65):", "", st.search.query, 256,
			func(q string) (tea.Cmd, error) { return p.startSearch(e, q), nil }), true
	case key.Matches(msg, k.NextMatch, k.PrevMatch):
		return p.findNext(e, key.Matches(msg, k.NextMatch)), true
	case key.Matches(msg, k.Export):
		return p.askExport(e), true
	case key.Matches(msg, k.ToSend):
		return p.c.emit(focusMsg{panel: ui.PanelSend}), true
	}
	return nil, false
}

func rowSizeText(setting, inUse int) string {
	if setting == 0 {
		return fmt.Sprintf("%d bytes (as many as fit)", inUse)
	}
	return fmt.Sprintf("%d bytes", inUse)
}

// pauseKey pauses or resumes reading on a socket.
func pauseKey(c *common, k *engine.Sock) tea.Cmd {
	switch {
	case k.IsListener():
		return c.info(fmt.Sprintf("#%d is a listener: it reads nothing to pause", k.ID()))
	case k.Relay() != nil:
		return c.info(fmt.Sprintf("#%d is relayed: the relay reads it (I in the sockets panel holds its chunks)", k.ID()))
	case k.Status().Closed:
		return c.info(fmt.Sprintf("#%d is closed", k.ID()))
	case k.Status().Paused != "":
		c.engine.SetPaused(k, false)
		return c.okay(fmt.Sprintf("#%d: reading resumed", k.ID()))
	}
	c.engine.SetPaused(k, true)
	return c.okay(fmt.Sprintf("#%d: reading paused: the kernel's queue fills and the peer is held back; space resumes", k.ID()))
}

// setFilter changes k's filter, keeping the place when it still shows.
func (p *hexPanel) setFilter(k *engine.Sock, f capture.Filter) {
	st := p.state(k)
	st.filter, st.follow = f, true
	st.search.forget()
}

// cycleView goes from hex to text to wire and back to hex. Hex and text
// show the same bytes, so the place is kept between them.
func (p *hexPanel) cycleView(k *engine.Sock) tea.Cmd {
	st := p.state(k)
	switch p.mode {
	case viewHex:
		if at, ok := k.Store().PosOf(st.filter, p.hexTop(k)); ok && !st.follow {
			st.text = p.streamerFor(k).topOf(at)
		}
		p.mode = viewText
		return p.c.info("text view: the conversation as lines; v shows the packets and system calls")
	case viewText:
		if !st.follow {
			at := p.streamerFor(k).posOf(st.text)
			p.fit(k)
			st.top = k.Store().RowOf(st.filter, at)
		}
		p.mode = viewWire
		return p.c.info("wire view: the packets (▶ sent ◀ received) and system calls in time order; W captures; v back to hex")
	}
	p.mode = viewHex
	return p.c.info("hex view; v shows the conversation as text")
}

// hexTop is the first hex row shown for k.
func (p *hexPanel) hexTop(k *engine.Sock) int {
	st := p.state(k)
	p.fit(k)
	total := k.Store().Rows(st.filter)
	if st.follow {
		return max(0, total-p.height)
	}
	return max(0, min(st.top, max(0, total-p.height)))
}

// scroll moves the selected socket's view by n rows or lines; reaching
// the bottom follows the tail again.
func (p *hexPanel) scroll(n int) {
	e := p.c.selected
	if e == nil {
		return
	}
	st := p.state(e)
	switch p.mode {
	case viewWire:
		p.scrollWire(e, n)
		return
	case viewText:
		s := p.streamerFor(e)
		last, _ := s.tail(p.height)
		if st.follow {
			st.text = last
		}
		st.text, _ = s.scroll(st.text, n)
		st.follow = !before(st.text, last)
		return
	}
	last := max(0, e.Store().Rows(st.filter)-p.height)
	top := p.hexTop(e) + n
	if top >= last {
		st.follow, st.top = true, last
		return
	}
	st.follow, st.top = false, max(0, top)
}

// before reports whether a comes before b.
func before(a, b streamTop) bool { return a.para < b.para || a.para == b.para && a.line < b.line }

// home goes to the first kept row or line.
func (p *hexPanel) home(k *engine.Sock) {
	st := p.state(k)
	st.follow, st.top, st.text = false, 0, streamTop{}
	st.wireFollow, st.wireTop = false, 0
}

func (p *hexPanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case foundMsg:
		return p.found(msg)
	case exportedMsg:
		if msg.err != nil {
			return p.c.fail("export: " + msg.err.Error())
		}
		return p.c.okay(msg.done)
	case followMsg:
		p.state(msg.sock).follow = true
	case cancelMsg:
		for _, st := range p.states {
			st.search.cancel()
		}
	case scrollMsg:
		p.scroll(msg.rows)
	case hexScrollMsg:
		p.scroll(msg.rows)
	}
	return nil
}

// followMsg asks the traffic view to follow a socket's tail (after a send).
type followMsg struct{ sock *engine.Sock }

// View draws the selected socket's traffic, the visible rows only.
func (p *hexPanel) View(w, h int, focused bool) string {
	e := p.c.selected
	switch {
	case e == nil && p.mode == viewText:
		return ui.RenderStream(p.c.styles, ui.StreamView{}, w, h, focused)
	case e == nil && p.mode == viewWire:
		return ui.RenderWire(p.c.styles, ui.WireView{}, w, h, focused)
	case e == nil:
		return ui.RenderHex(p.c.styles, ui.HexView{}, w, h, focused)
	case p.mode == viewText:
		return ui.RenderStream(p.c.styles, p.streamView(e), w, h, focused)
	case p.mode == viewWire:
		return ui.RenderWire(p.c.styles, p.wireView(e), w, h, focused)
	}
	return ui.RenderHex(p.c.styles, p.hexView(e), w, h, focused)
}

func (p *hexPanel) hexView(e *engine.Sock) ui.HexView {
	st := p.state(e)
	top := p.hexTop(e)
	return ui.HexView{
		Socket:    e.Describe(),
		Filter:    st.filter,
		Top:       top,
		Total:     e.Store().Rows(st.filter),
		Following: st.follow,
		Stats:     e.Store().Stats(),
		Limit:     e.Store().Limit(),
		RowBytes:  p.bytesPerRow(),
		Match:     st.search.spans,
		Matched:   st.search.match >= 0,
		Search:    st.search.status(),
		Paused:    pausedText(e),
		Rows:      e.Store().RowsAt(st.filter, top, p.height),
	}
}

func (p *hexPanel) streamView(e *engine.Sock) ui.StreamView {
	st := p.state(e)
	s := p.streamerFor(e)
	top := st.text
	if st.follow {
		top, _ = s.tail(p.height)
	}
	return ui.StreamView{
		Socket:    e.Describe(),
		Filter:    st.filter,
		Lines:     s.lines(top, p.height),
		Following: st.follow,
		Where:     s.where(top),
		Stats:     e.Store().Stats(),
		Limit:     e.Store().Limit(),
		Match:     st.search.spans,
		Matched:   st.search.match >= 0,
		Search:    st.search.status(),
		Paused:    pausedText(e),
	}
}

// pausedText says why reading is paused, with what waits in the kernel.
func pausedText(k *engine.Sock) string {
	why := k.Status().Paused
	if why == "" {
		return ""
	}
	if in, _, err := k.Socket().Queued(); err == nil {
		why += fmt.Sprintf(", %s waiting in the kernel", ui.FormatBytes(int64(in)))
	}
	return why
}

func (p *hexPanel) Help() contextKeys {
	k, l := p.c.keys.Hex, p.c.keys.List
	return contextKeys{
		short: []key.Binding{k.View, l.Up, l.Down, l.End, k.Filter, k.Search, k.NextMatch, k.Pause, k.Export, k.ToSend},
		full:  [][]key.Binding{{k.ToSend, k.View, k.Width, k.Filter, k.Search, k.NextMatch, k.PrevMatch, k.Pause, k.Capture, k.Handshake, k.Export}, l.nav()},
	}
}
