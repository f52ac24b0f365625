package ui

import (
	"fmt"
	"time"

	"sockbench/safe"
)

// WireLine is one line of the wire view: a captured segment, or a system
// call of the socket, in the order of their times.
type WireLine struct {
	Time    time.Time
	Segment bool   // a segment; else a system call
	Out     bool   // a segment the socket sent
	Text    string // "SYN seq 0 win 65495 len 0 [...]", or "connect(5, ...) = 0"
	Meaning string // what a segment does, when it is a classic moment
	Failed  bool   // a call that failed (it may have had to wait)
	Record  bool   // a TLS record (the record layer, under the plaintext)
}

// WireView is the selected socket's segments and system calls.
type WireView struct {
	Socket    string
	Lines     []WireLine // the visible lines only
	Top       int
	Total     int
	Following bool
	// Why says why there are no segments: no capture asked for (and how
	// to ask), no permission to capture, or a UNIX socket.
	Why string
}

// RenderWire draws the wire view, w x h cells with its border.
func RenderWire(s *Styles, v WireView, w, h int, focused bool) string {
	title := "Wire"
	if v.Socket == "" {
		return s.box(w, h, title, "", "", focused, []string{s.Subtle.Render("no socket selected: connect, or pick one in the sockets panel")})
	}
	title += " · " + safe.Text(v.Socket)
	var body []string
	if v.Why != "" {
		body = append(body, s.Warn.Render(safe.Text(v.Why)))
	}
	for _, l := range v.Lines {
		body = append(body, s.wireLine(l))
	}
	note := ""
	switch {
	case v.Total > 0 && v.Following:
		note = s.Muted.Render("following")
	case v.Total > 0:
		note = s.Warn.Render(fmt.Sprintf("line %d/%d · end follows", v.Top+1, v.Total))
	}
	info := s.Muted.Render("segments (▶ sent ◀ received), TLS records and system calls, in time order")
	return s.box(w, h, title, info, note, focused, body)
}

func (s *Styles) wireLine(l WireLine) string {
	t := s.Muted.Render(l.Time.Format("15:04:05.000000")) + " "
	if !l.Segment {
		st := s.Subtle
		switch {
		case l.Record:
			st = s.Info
		case l.Failed:
			st = s.Warn
		}
		return t + st.Render("  "+safe.Text(l.Text))
	}
	dir, mark := s.Received, "◀ "
	if l.Out {
		dir, mark = s.Sent, "▶ "
	}
	line := t + dir.Bold(true).Render(mark+safe.Text(l.Text))
	if l.Meaning != "" {
		line += s.Muted.Render(": " + safe.Text(l.Meaning))
	}
	return line
}
