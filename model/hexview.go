package model

import (
	"fmt"
	"os"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/payload"
	"sockbench/ui"
)

// hexState is where a socket's hex view stands.
type hexState struct {
	top    int
	follow bool
	filter capture.Filter
	match  int // the matched row, -1 for none
	needle []byte
	query  string
	gen    int
}

var filterCycle = []capture.Filter{capture.All, capture.OnlySent, capture.OnlyReceived}

func (m *Model) hexKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	e := m.selected()
	if e == nil {
		if key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Filter, k.Search, k.NextMatch, k.PrevMatch, k.Export, k.ToSend) {
			return m.info("no socket selected: connect first, or pick one in the sockets panel")
		}
		return m.unbound(msg)
	}
	if k.scroll(msg, m.hexHeight(), m.scrollHex,
		func() { e.hex.top, e.hex.follow = 0, false },
		func() { e.hex.follow = true }) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Filter):
		e.hex.filter = nextOf(filterCycle, e.hex.filter)
		e.hex.follow = true
		e.hex.match = -1
		return m.info("showing " + e.hex.filter.String() + " chunks")
	case key.Matches(msg, k.Search):
		return m.openPrompt(promptSearch)
	case key.Matches(msg, k.NextMatch, k.PrevMatch):
		if len(e.hex.needle) == 0 {
			return m.info("no search yet: / searches")
		}
		from := e.hex.match
		forward := key.Matches(msg, k.NextMatch)
		if from < 0 {
			from = m.hexTop(e)
		} else if forward {
			from++
		} else {
			from--
		}
		return m.findCmd(e, from, forward)
	case key.Matches(msg, k.Export):
		return m.openPrompt(promptExportChoice)
	case key.Matches(msg, k.ToSend):
		m.setFocus(ui.PanelSend)
	default:
		return m.unbound(msg)
	}
	return nil
}

// hexTop is the first row shown for e.
func (m *Model) hexTop(e *sockEntry) int {
	total := e.store.Rows(e.hex.filter)
	h := m.hexHeight()
	if e.hex.follow {
		return max(0, total-h)
	}
	return max(0, min(e.hex.top, max(0, total-h)))
}

// scrollHex moves the selected socket's hex view by n rows; reaching the
// bottom follows the tail again.
func (m *Model) scrollHex(n int) {
	e := m.selected()
	if e == nil {
		return
	}
	total := e.store.Rows(e.hex.filter)
	h := m.hexHeight()
	top := m.hexTop(e) + n
	last := max(0, total-h)
	switch {
	case top >= last:
		e.hex.follow = true
		e.hex.top = last
	default:
		e.hex.follow = false
		e.hex.top = max(0, top)
	}
}

// parseNeedle reads a search: payload text, or hex after "hex:".
func parseNeedle(s string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "hex:"); ok {
		return payload.ParseHex(rest)
	}
	return payload.ParseText(s)
}

type foundMsg struct {
	id, gen int
	row     int
	ok      bool
	forward bool
	wrapped bool
}

func (m *Model) startSearch(id int, query string) tea.Cmd {
	e := m.socks.byID(id)
	if e == nil {
		return nil
	}
	needle, err := parseNeedle(query)
	if err != nil {
		return m.fail("search: " + err.Error())
	}
	if len(needle) == 0 {
		e.hex.needle, e.hex.query, e.hex.match = nil, "", -1
		return m.info("search cleared")
	}
	e.hex.needle = needle
	e.hex.query = query
	e.hex.match = -1
	return m.findCmd(e, m.hexTop(e), true)
}

// findCmd searches in the background (a long capture takes a while) and
// wraps around once.
func (m *Model) findCmd(e *sockEntry, from int, forward bool) tea.Cmd {
	e.hex.gen++
	store, f, needle, id, gen := e.store, e.hex.filter, e.hex.needle, e.id, e.hex.gen
	return m.cmd(func() tea.Msg {
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
		return foundMsg{id: id, gen: gen, row: row, ok: ok, forward: forward, wrapped: wrapped}
	})
}

func (m *Model) handleFound(msg foundMsg) tea.Cmd {
	e := m.socks.byID(msg.id)
	if e == nil || msg.gen != e.hex.gen {
		return nil
	}
	if !msg.ok {
		e.hex.match = -1
		return m.warn(fmt.Sprintf("%q not found in #%d (%s)", e.hex.query, e.id, e.hex.filter))
	}
	e.hex.match = msg.row
	h := m.hexHeight()
	e.hex.follow = false
	e.hex.top = max(0, msg.row-h/2)
	if total := e.store.Rows(e.hex.filter); e.hex.top >= total-h {
		e.hex.top = max(0, total-h)
	}
	note := ""
	if msg.wrapped {
		note = " (wrapped around)"
	}
	return m.info(fmt.Sprintf("match at line %d%s · n next · N previous", msg.row+1, note))
}

type exportedMsg struct {
	path string
	n    int64
	err  error
}

// exportCmd writes a capture to a new file: raw bytes of one direction,
// exactly as on the wire, or the transcript as shown.
func (m *Model) exportCmd(id int, dir capture.Dir, path string) tea.Cmd {
	e := m.socks.byID(id)
	if e == nil {
		return m.fail("that socket is gone")
	}
	store, filter := e.store, e.hex.filter
	return m.cmd(func() tea.Msg {
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
	})
}

type countingWriter struct {
	w interface{ Write([]byte) (int, error) }
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (m *Model) handleExported(msg exportedMsg) tea.Cmd {
	if msg.err != nil {
		return m.fail("export: " + msg.err.Error())
	}
	return m.okay(fmt.Sprintf("wrote %d bytes to %s", msg.n, msg.path))
}

// hexView fills the hex view with the visible rows only.
func (m *Model) hexView() ui.HexView {
	e := m.selected()
	if e == nil {
		return ui.HexView{MatchRow: -1}
	}
	h := m.hexHeight()
	top := m.hexTop(e)
	v := ui.HexView{
		Socket:    e.describe(),
		Filter:    e.hex.filter,
		Top:       top,
		Total:     e.store.Rows(e.hex.filter),
		Following: e.hex.follow,
		Stats:     e.store.Stats(),
		Limit:     e.store.Limit(),
		MatchRow:  e.hex.match,
		Search:    e.hex.query,
	}
	if m.layout.Visible(ui.PanelHex) {
		v.Rows = e.store.RowsAt(e.hex.filter, top, h)
	}
	return v
}
