package model

import (
	"context"
	"fmt"
	"io"
	"os"
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
	if p.asText {
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

// show scrolls k's view so that position at is in its middle.
func (p *hexPanel) show(k *engine.Sock, at capture.Pos) {
	st := p.state(k)
	st.follow = false
	if p.asText {
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

// export writes a capture to a file, readable by its owner only: the raw
// bytes of one direction, exactly as on the wire, or (dir 0) the
// transcript as shown. A file that exists is replaced only when the user
// says so.
func (p *hexPanel) export(k *engine.Sock, dir capture.Dir, name string) (tea.Cmd, error) {
	path, err := unescape(strings.TrimSpace(name))
	if err != nil {
		return nil, fmt.Errorf("file name: %w", err)
	}
	if path == "" {
		return nil, fmt.Errorf("no file name")
	}
	if _, err := os.Lstat(path); err == nil {
		pk := p.c.keys.Prompt
		return askChoice(p.c, fmt.Sprintf("%s exists: y replaces it · n keeps it · esc cancels", path),
			choice{pk.Yes, func() tea.Cmd { return p.write(k, dir, path, os.O_TRUNC) }},
			choice{pk.No, func() tea.Cmd { return p.c.info("nothing written: " + path + " is as it was") }},
		), nil
	}
	return p.write(k, dir, path, os.O_EXCL), nil
}

// write writes the export to path, opened with O_CREATE and mode.
func (p *hexPanel) write(k *engine.Sock, dir capture.Dir, path string, mode int) tea.Cmd {
	store, filter := k.Store(), p.state(k).filter
	return p.c.cmd(func() tea.Msg {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode, 0o600)
		if err != nil {
			if os.IsExist(err) {
				err = fmt.Errorf("%s appeared meanwhile: nothing written", path)
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
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
