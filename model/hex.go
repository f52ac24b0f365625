package model

import (
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/payload"
	"sockbench/ui"
)

// hexState is where one socket's hex view stands.
type hexState struct {
	top    int
	follow bool
	filter capture.Filter
	match  int // the matched row, -1 for none
	needle []byte
	query  string
	gen    int
}

// hexPanel shows the traffic of the selected socket: both directions in
// order, chunk by chunk. Each socket keeps its own place in it.
type hexPanel struct {
	basePanel
	c      *common
	states map[*engine.Sock]*hexState
	height int // rows visible
}

func newHexPanel(c *common) *hexPanel {
	return &hexPanel{c: c, states: map[*engine.Sock]*hexState{}, height: 1}
}

var filterCycle = []capture.Filter{capture.All, capture.OnlySent, capture.OnlyReceived}

func (p *hexPanel) SetSize(_, h int) { p.height = max(1, h) }

// state returns the view state of k, made on first use.
func (p *hexPanel) state(k *engine.Sock) *hexState {
	st, ok := p.states[k]
	if !ok {
		st = &hexState{follow: true, match: -1}
		p.states[k] = st
	}
	return st
}

func (p *hexPanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k, l := p.c.keys.Hex, p.c.keys.List
	e := p.c.selected
	if e == nil {
		if key.Matches(msg, l.Up, l.Down, l.PageUp, l.PageDown, l.Home, l.End, k.Filter, k.Search, k.NextMatch, k.PrevMatch, k.Export, k.ToSend) {
			return p.c.info("no socket selected: connect first, or pick one in the sockets panel"), true
		}
		return nil, false
	}
	st := p.state(e)
	if l.scroll(msg, p.height, p.scroll, func() { st.top, st.follow = 0, false }, func() { st.follow = true }) {
		return nil, true
	}
	switch {
	case key.Matches(msg, k.Filter):
		st.filter = nextOf(filterCycle, st.filter)
		st.follow = true
		st.match = -1
		return p.c.info("showing " + st.filter.String() + " chunks"), true
	case key.Matches(msg, k.Search):
		return askLine(p.c, "search (text with \\x escapes, or hex:68 65):", st.query, "", 256,
			func(q string) (tea.Cmd, error) { return p.search(e, q), nil }), true
	case key.Matches(msg, k.NextMatch, k.PrevMatch):
		return p.findNext(e, key.Matches(msg, k.NextMatch)), true
	case key.Matches(msg, k.Export):
		return p.askExport(e), true
	case key.Matches(msg, k.ToSend):
		return p.c.emit(focusMsg{panel: ui.PanelSend}), true
	}
	return nil, false
}

// top is the first row shown for k.
func (p *hexPanel) top(k *engine.Sock) int {
	st := p.state(k)
	total := k.Store().Rows(st.filter)
	if st.follow {
		return max(0, total-p.height)
	}
	return max(0, min(st.top, max(0, total-p.height)))
}

// scroll moves the selected socket's view by n rows; reaching the bottom
// follows the tail again.
func (p *hexPanel) scroll(n int) {
	e := p.c.selected
	if e == nil {
		return
	}
	st := p.state(e)
	last := max(0, e.Store().Rows(st.filter)-p.height)
	top := p.top(e) + n
	if top >= last {
		st.follow, st.top = true, last
		return
	}
	st.follow, st.top = false, max(0, top)
}

// parseNeedle reads a search: payload text, or hex after "hex:".
func parseNeedle(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "hex:"); ok {
		return payload.ParseHex(rest)
	}
	return payload.ParseText(s)
}

type foundMsg struct {
	sock    *engine.Sock
	gen     int
	row     int
	ok      bool
	wrapped bool
}

func (p *hexPanel) search(k *engine.Sock, query string) tea.Cmd {
	st := p.state(k)
	needle, err := parseNeedle(query)
	if err != nil {
		return p.c.fail("search: " + err.Error())
	}
	if len(needle) == 0 {
		st.needle, st.query, st.match = nil, "", -1
		return p.c.info("search cleared")
	}
	st.needle, st.query, st.match = needle, query, -1
	return p.find(k, p.top(k), true)
}

func (p *hexPanel) findNext(k *engine.Sock, forward bool) tea.Cmd {
	st := p.state(k)
	if len(st.needle) == 0 {
		return p.c.info("no search yet: / searches")
	}
	from := st.match
	switch {
	case from < 0:
		from = p.top(k)
	case forward:
		from++
	default:
		from--
	}
	return p.find(k, from, forward)
}

// find searches in the background (a long capture takes a while) and
// wraps around once.
func (p *hexPanel) find(k *engine.Sock, from int, forward bool) tea.Cmd {
	st := p.state(k)
	st.gen++
	store, f, needle, gen := k.Store(), st.filter, st.needle, st.gen
	return p.c.cmd(func() tea.Msg {
		row, ok := store.Find(f, needle, from, forward)
		wrapped := false
		if !ok {
			start := 0
			if !forward {
				start = store.Rows(f) - 1
			}
			row, ok = store.Find(f, needle, start, forward)
			wrapped = ok
		}
		return foundMsg{sock: k, gen: gen, row: row, ok: ok, wrapped: wrapped}
	})
}

func (p *hexPanel) found(msg foundMsg) tea.Cmd {
	st := p.state(msg.sock)
	if msg.gen != st.gen {
		return nil
	}
	if !msg.ok {
		st.match = -1
		return p.c.warn(fmt.Sprintf("%q not found in #%d (%s)", st.query, msg.sock.ID(), st.filter))
	}
	st.match = msg.row
	st.follow = false
	st.top = max(0, msg.row-p.height/2)
	if total := msg.sock.Store().Rows(st.filter); st.top >= total-p.height {
		st.top = max(0, total-p.height)
	}
	note := ""
	if msg.wrapped {
		note = " (wrapped around)"
	}
	return p.c.info(fmt.Sprintf("match at line %d%s · n next · N previous", msg.row+1, note))
}

func (p *hexPanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case foundMsg:
		return p.found(msg)
	case exportedMsg:
		if msg.err != nil {
			return p.c.fail("export: " + msg.err.Error())
		}
		return p.c.okay(fmt.Sprintf("wrote %d bytes to %s", msg.n, msg.path))
	case followMsg:
		p.state(msg.sock).follow = true
	case scrollMsg:
		p.scroll(msg.rows)
	case hexScrollMsg:
		p.scroll(msg.rows)
	}
	return nil
}

// followMsg asks the hex view to follow a socket's tail (after a send).
type followMsg struct{ sock *engine.Sock }

// askExport asks what of k to export, then where.
func (p *hexPanel) askExport(k *engine.Sock) tea.Cmd {
	pk := p.c.keys.Prompt
	ask := func(dir capture.Dir, what, file string) func() tea.Cmd {
		return func() tea.Cmd {
			label := fmt.Sprintf("write the %s of #%d to file:", what, k.ID())
			return askLine(p.c, label, fmt.Sprintf("sockbench-%d-%s", k.ID(), file), "", 1024,
				func(name string) (tea.Cmd, error) { return p.export(k, dir, name) })
		}
	}
	return askChoice(p.c, fmt.Sprintf("export #%d: r received bytes (raw) · s sent bytes (raw) · t transcript as shown · esc cancels", k.ID()),
		choice{pk.Received, ask(capture.Received, "received bytes", "received.bin")},
		choice{pk.SentBytes, ask(capture.Sent, "sent bytes", "sent.bin")},
		choice{pk.Transcript, ask(0, "transcript", "transcript.txt")},
	)
}

type exportedMsg struct {
	path string
	n    int64
	err  error
}

// export writes a capture to a new file: the raw bytes of one direction,
// exactly as on the wire, or (dir 0) the transcript as shown.
func (p *hexPanel) export(k *engine.Sock, dir capture.Dir, name string) (tea.Cmd, error) {
	path := strings.TrimSpace(name)
	if path == "" {
		return nil, fmt.Errorf("no file name")
	}
	store, filter := k.Store(), p.state(k).filter
	return p.c.cmd(func() tea.Msg {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if os.IsExist(err) {
				err = fmt.Errorf("%s exists: choose another name", path)
			}
			return exportedMsg{path: path, err: err}
		}
		var n int64
		if dir != 0 {
			n, err = store.WriteDir(f, dir)
		} else {
			cw := &countingWriter{w: f}
			err = store.WriteTranscript(cw, filter, ui.TranscriptLine)
			n = cw.n
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return exportedMsg{path: path, n: n, err: err}
	}), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// View fills the hex view with the visible rows only.
func (p *hexPanel) View(w, h int, focused bool) string {
	e := p.c.selected
	if e == nil {
		return ui.RenderHex(p.c.styles, ui.HexView{MatchRow: -1}, w, h, focused)
	}
	st := p.state(e)
	top := p.top(e)
	v := ui.HexView{
		Socket:    e.Describe(),
		Filter:    st.filter,
		Top:       top,
		Total:     e.Store().Rows(st.filter),
		Following: st.follow,
		Stats:     e.Store().Stats(),
		Limit:     e.Store().Limit(),
		MatchRow:  st.match,
		Search:    st.query,
		Rows:      e.Store().RowsAt(st.filter, top, p.height),
	}
	return ui.RenderHex(p.c.styles, v, w, h, focused)
}

func (p *hexPanel) Help() contextKeys {
	k, l := p.c.keys.Hex, p.c.keys.List
	return contextKeys{
		short: []key.Binding{l.Up, l.Down, l.End, k.Filter, k.Search, k.NextMatch, k.Export, k.ToSend},
		full:  [][]key.Binding{{k.ToSend, k.Filter, k.Search, k.NextMatch, k.PrevMatch, k.Export}, l.nav()},
	}
}
