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
// Each attempt takes one line, then its local address and what it means,
// wrapped to at most two lines.
func RenderAttempts(s *Styles, v AttemptsView, w, h int, focused bool) string {
	inner := w - 2
	body := []string{
		s.KeyHint.Render("m") + " mode " + s.Bold.Render(v.Mode) + "  " +
			s.KeyHint.Render("t") + " timeout " + s.Bold.Render(v.Timeout) + "  " +
			s.KeyHint.Render("W") + " packets " + s.Bold.Render(onOff(v.Packets)) + "  " +
			s.KeyHint.Render("L") + " tls " + s.Bold.Render(onOff(v.TLS)) + "  " + s.KeyHint.Render("c") + " connect",
		attemptsSummary(s, v),
	}
	if v.NoPackets != "" {
		body = append(body, s.Warn.Render(ansi.Truncate("no packets: "+safe.Text(v.NoPackets), inner, "…")))
	}
	const fixed = 3 + 1 + 11 + 13 + 8 + 5
	cols := []column{{width: 3}, {width: 1}, {width: 11}, {width: max(10, inner-fixed)}, {width: 13}, {width: 8, right: true}}
	items := make([][]string, len(v.Rows))
	for i, row := range v.Rows {
		items[i] = s.attemptLines(cols, row, v.Spinner, i == v.Selected, focused, max(10, inner-5))
	}
	for _, lines := range items[firstShown(items, v.Selected, v.Offset, max(1, h-2-len(body))):] {
		body = append(body, lines...)
	}
	info := ""
	if v.Busy {
		info = s.Info.Render(v.Spinner + " connecting · esc cancels")
	}
	return s.box(w, h, "Attempts", info, "", focused, body)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// attemptsSummary is the line under the settings: how the run ended, or
// what to do.
func attemptsSummary(s *Styles, v AttemptsView) string {
	switch {
	case v.Summary != "":
		return s.levelStyle(v.SummaryLevel).Render(safe.Text(v.Summary))
	case len(v.Rows) == 0:
		return s.Subtle.Render("no attempts yet: resolve, then press c")
	}
	return ""
}

// levelStyle is the style of a message of a level.
func (s *Styles) levelStyle(l Level) lipgloss.Style {
	switch l {
	case LevelOK:
		return s.OK
	case LevelWarn:
		return s.Warn
	case LevelError:
		return s.Error
	}
	return s.Info
}

// attemptLines draws one attempt: its row, then its explanation wrapped
// to width, at most two lines.
func (s *Styles) attemptLines(cols []column, row AttemptRow, spinner string, selected, focused bool, width int) []string {
	st, icon := s.attemptStyle(row)
	if !row.Pending && !row.Skipped && row.Result == netcore.ResultConnecting {
		icon = spinner
	}
	dur := ""
	if !row.Pending && !row.Skipped {
		dur = FormatDuration(row.Elapsed)
	}
	cells := []string{fmt.Sprintf("#%d", row.Index), icon, attemptWord(row), safe.Text(row.Addr), row.Errno, dur}
	lines := []string{s.row(cols, cells, []lipgloss.Style{s.Muted, st, st, s.Text, st, s.Muted}, selected, focused)}
	text := safe.Text(row.Explain)
	if row.Local != "" {
		text = "from " + safe.Text(row.Local) + " · " + text
	}
	if strings.TrimSpace(text) != "" {
		wrapped := strings.Split(ansi.Wrap(text, width, " "), "\n")
		if len(wrapped) > 2 {
			wrapped = wrapped[:2]
			wrapped[1] = ansi.Truncate(wrapped[1]+" …", width, "…")
		}
		for _, w := range wrapped {
			lines = append(lines, "     "+s.Muted.Render(w))
		}
	}
	if row.Wire != "" {
		lines = append(lines, "     "+s.Info.Render(ansi.Truncate(safe.Text(row.Wire), width, "…")))
	}
	return lines
}

// firstShown is the first item to show so that the selected one fits
// whole in rows lines, starting near off.
func firstShown(items [][]string, sel, off, rows int) int {
	first := min(max(0, off), max(0, len(items)-1))
	if sel < first {
		first = sel
	}
	for ; first < sel; first++ {
		n := 0
		for i := first; i <= sel && i < len(items); i++ {
			n += len(items[i])
		}
		if n <= rows {
			break
		}
	}
	return max(first, 0)
}
