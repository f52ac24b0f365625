package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockbench/netcore"
	"sockbench/safe"
)

// ---- attempts ----

// attemptStyle is the style and the icon of an attempt row.
func (s *Styles) attemptStyle(row AttemptRow) (lipgloss.Style, string) {
	switch {
	case row.Pending || row.Skipped:
		return s.Subtle, "·"
	}
	switch row.Result {
	case netcore.ResultConnected:
		return s.OK, "✓"
	case netcore.ResultRefused, netcore.ResultUnreachable, netcore.ResultError:
		return s.Error, "✗"
	case netcore.ResultTimeout:
		return s.Warn, "◷"
	case netcore.ResultCancelled:
		return s.Warn, "⊘"
	}
	return s.Info, ""
}

// attemptWord names where an attempt row stands.
func attemptWord(row AttemptRow) string {
	switch {
	case row.Pending:
		return "waiting"
	case row.Skipped:
		return "not tried"
	}
	return row.Result.String()
}

// RenderAttempts draws the attempts panel, w x h cells with its border.
func RenderAttempts(s *Styles, v AttemptsView, w, h int, focused bool) string {
	inner := w - 2
	r := Rect{W: w, H: h}
	h -= 2
	var body []string
	body = append(body, s.KeyHint.Render("m")+" mode "+s.Bold.Render(v.Mode)+"   "+
		s.KeyHint.Render("t")+" timeout "+s.Bold.Render(v.Timeout)+"   "+s.KeyHint.Render("c")+" connect")
	switch {
	case v.Summary != "":
		st := s.Info
		switch v.SummaryLevel {
		case LevelOK:
			st = s.OK
		case LevelWarn:
			st = s.Warn
		case LevelError:
			st = s.Error
		}
		body = append(body, st.Render(safe.Text(v.Summary)))
	case len(v.Rows) == 0:
		body = append(body, s.Subtle.Render("no attempts yet: resolve, then press c"))
	default:
		body = append(body, "")
	}
	// Each attempt takes one line plus its local address and explanation,
	// wrapped to at most two lines.
	type item struct{ lines []string }
	items := make([]item, len(v.Rows))
	const fixed = 3 + 1 + 11 + 13 + 8 + 5
	addrW := max(10, inner-fixed)
	cols := []column{{width: 3}, {width: 1}, {width: 11}, {width: addrW}, {width: 13}, {width: 8, right: true}}
	for i, row := range v.Rows {
		st, icon := s.attemptStyle(row)
		connecting := !row.Pending && !row.Skipped && row.Result == netcore.ResultConnecting
		if connecting {
			icon = v.Spinner
		}
		dur := ""
		if !row.Pending && !row.Skipped {
			dur = FormatDuration(row.Elapsed)
		}
		cells := []string{fmt.Sprintf("#%d", row.Index), icon, attemptWord(row), safe.Text(row.Addr), row.Errno, dur}
		styles := []lipgloss.Style{s.Muted, st, st, s.Text, st, s.Muted}
		it := item{lines: []string{s.row(cols, cells, styles, i == v.Selected, focused)}}
		text := safe.Text(row.Explain)
		if row.Local != "" {
			text = "from " + safe.Text(row.Local) + " · " + text
		}
		if strings.TrimSpace(text) != "" {
			width := max(10, inner-5)
			wrapped := strings.Split(ansi.Wrap(text, width, " "), "\n")
			if len(wrapped) > 2 {
				wrapped = wrapped[:2]
				wrapped[1] = ansi.Truncate(wrapped[1]+" …", width, "…")
			}
			for _, w := range wrapped {
				it.lines = append(it.lines, "     "+s.Muted.Render(w))
			}
		}
		items[i] = it
	}
	listH := max(1, h-len(body))
	// Choose the first item so that the selected one is fully visible.
	first := min(max(0, v.Offset), max(0, len(items)-1))
	if v.Selected < first {
		first = v.Selected
	}
	for first < v.Selected {
		n := 0
		for i := first; i <= v.Selected && i < len(items); i++ {
			n += len(items[i].lines)
		}
		if n <= listH {
			break
		}
		first++
	}
	for i := max(first, 0); i < len(items); i++ {
		for _, line := range items[i].lines {
			if len(body) < h {
				body = append(body, line)
			}
		}
	}
	info := ""
	if v.Busy {
		info = s.Info.Render(v.Spinner + " connecting · esc cancels")
	}
	return s.box(r.W, r.H, "Attempts", info, "", focused, body)
}
