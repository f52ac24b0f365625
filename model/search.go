package model

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/payload"
	"sockbench/ui"
)

// search is a socket's search: what is looked for and where it was found.
// It runs off the UI's path, in a command, and shows how far it got.
type search struct {
	needle   []byte
	query    string
	match    int64 // the match's chunk Seq, -1 for none
	at       capture.Pos
	spans    []capture.Span // the matched bytes, to highlight
	gen      int
	running  bool
	searched atomic.Int64 // bytes searched so far, while running
	stop     context.CancelFunc
}

// forget drops the last match (the filter changed, say).
func (s *search) forget() { s.match, s.spans = -1, nil }

func (s *search) cancel() {
	if s.stop != nil {
		s.stop()
	}
}

// status is the search as the view's notes show it.
func (s *search) status() string {
	if s.running {
		return fmt.Sprintf("%s (searching, %s so far · esc stops)", s.query, ui.FormatBytes(s.searched.Load()))
	}
	return s.query
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
	at      capture.Pos
	ok      bool
	wrapped bool
	err     error
}

func (p *hexPanel) startSearch(k *engine.Sock, query string) tea.Cmd {
	s := &p.state(k).search
	needle, err := parseNeedle(query)
	if err != nil {
		return p.c.fail("search: " + err.Error())
	}
	s.cancel()
	s.forget()
	if len(needle) == 0 {
		s.needle, s.query, s.running = nil, "", false
		return p.c.info("search cleared")
	}
	s.needle, s.query = needle, query
	return p.find(k, p.topPos(k), true)
}

func (p *hexPanel) findNext(k *engine.Sock, forward bool) tea.Cmd {
	s := &p.state(k).search
	if len(s.needle) == 0 {
		return p.c.info("no search yet: / searches")
	}
	from := p.topPos(k)
	if s.match >= 0 {
		from = s.at
		if forward {
			from.Byte++
		} else {
			from.Byte--
		}
	}
	return p.find(k, from, forward)
}

// topPos is where the view of k starts.
func (p *hexPanel) topPos(k *engine.Sock) capture.Pos {
	st := p.state(k)
	if p.mode == viewText {
		s := p.streamerFor(k)
		top := st.text
		if st.follow {
			top, _ = s.tail(p.height)
		}
		return s.posOf(top)
	}
	at, _ := k.Store().PosOf(st.filter, p.hexTop(k))
	return at
}

// find searches in the background from a position, and wraps around once.
func (p *hexPanel) find(k *engine.Sock, from capture.Pos, forward bool) tea.Cmd {
	st := p.state(k)
	s := &st.search
	s.cancel()
	s.gen++
	ctx, stop := context.WithCancel(p.c.tasks.ctx)
	s.stop, s.running = stop, true
	s.searched.Store(0)
	store, f, needle, gen, progress := k.Store(), st.filter, s.needle, s.gen, &s.searched
	return p.c.cmd(func() tea.Msg {
		defer stop()
		count := func(n int64) { progress.Store(n) }
		at, ok, err := store.FindPos(ctx, f, needle, from, forward, count)
		wrapped := false
		if !ok && err == nil {
			start := capture.Pos{}
			if !forward {
				start = capture.Pos{Seq: store.EndSeq(), Byte: 0}
			}
			at, ok, err = store.FindPos(ctx, f, needle, start, forward, count)
			wrapped = ok
		}
		return foundMsg{sock: k, gen: gen, at: at, ok: ok, wrapped: wrapped, err: err}
	})
}

func (p *hexPanel) found(msg foundMsg) tea.Cmd {
	st := p.state(msg.sock)
	s := &st.search
	if msg.gen != s.gen {
		return nil
	}
	s.running = false
	switch {
	case msg.err != nil:
		s.forget()
		return p.c.warn(fmt.Sprintf("search for %q stopped", s.query))
	case !msg.ok:
		s.forget()
		return p.c.warn(fmt.Sprintf("%q not found in #%d (%s)", s.query, msg.sock.ID(), st.filter))
	}
	s.at, s.match = msg.at, msg.at.Seq
	s.spans = msg.sock.Store().Extent(msg.at, len(s.needle))
	p.show(msg.sock, msg.at)
	note := ""
	if msg.wrapped {
		note = " (wrapped around)"
	}
	return p.c.info(fmt.Sprintf("match in chunk %d at byte %d%s · n next · N previous", msg.at.Seq+1, msg.at.Byte, note))
}

// show scrolls k's view so that position at is in its middle; the wire
// view, which shows no bytes, gives way to the hex view.
func (p *hexPanel) show(k *engine.Sock, at capture.Pos) {
	st := p.state(k)
	st.follow = false
	if p.mode == viewWire {
		p.mode = viewHex
	}
	if p.mode == viewText {
		st.text, _ = p.streamerFor(k).scroll(p.streamerFor(k).topOf(at), -p.height/2)
		return
	}
	p.fit(k)
	row := k.Store().RowOf(st.filter, at)
	st.top = max(0, row-p.height/2)
	if total := k.Store().Rows(st.filter); st.top >= total-p.height {
		st.top = max(0, total-p.height)
	}
}
