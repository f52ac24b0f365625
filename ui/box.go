package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fit truncates or pads the styled line s to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	cw := ansi.StringWidth(s)
	if cw > w {
		s = ansi.Truncate(s, w, "…")
		cw = ansi.StringWidth(s)
	}
	if cw < w {
		s += strings.Repeat(" ", w-cw)
	}
	return s
}

// fitLines makes exactly h lines of exactly w cells from lines.
func fitLines(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range h {
		if i < len(lines) {
			out[i] = fit(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", max(w, 0))
		}
	}
	return out
}

// box draws a rounded border of w x h cells around body, with a title on
// the top left, info on the top right and a note on the bottom right.
func (s *Styles) box(w, h int, title, info, note string, focused bool, body []string) string {
	if w < 2 || h < 2 {
		return ""
	}
	bs, ts := s.Border, s.Title
	if focused {
		bs, ts = s.BorderFocused, s.TitleFocused
	}
	inner := w - 2
	top := s.borderLine(bs, ts, "╭", "╮", inner, title, info)
	bottom := s.borderLine(bs, s.Muted, "╰", "╯", inner, "", note)
	lines := make([]string, 0, h)
	lines = append(lines, top)
	left, right := bs.Render("│"), bs.Render("│")
	for _, l := range fitLines(body, inner, h-2) {
		lines = append(lines, left+l+right)
	}
	lines = append(lines, bottom)
	return strings.Join(lines, "\n")
}

// borderLine draws "╭─ title ───── info ─╮" in inner+2 cells.
func (s *Styles) borderLine(bs, ts lipgloss.Style, lc, rc string, inner int, title, info string) string {
	var b strings.Builder
	b.WriteString(bs.Render(lc))
	used := 0
	if title != "" && inner > 4 {
		t := ansi.Truncate(title, inner-4, "…")
		b.WriteString(bs.Render("─"))
		b.WriteString(ts.Render(" " + t + " "))
		used += 1 + ansi.StringWidth(t) + 2
	}
	infoW := 0
	if info != "" {
		room := inner - used - 4
		if room > 3 {
			info = ansi.Truncate(info, room, "…")
			infoW = ansi.StringWidth(info) + 3 // " info " + "─"
		} else {
			info = ""
		}
	}
	if fill := inner - used - infoW; fill > 0 {
		b.WriteString(bs.Render(strings.Repeat("─", fill)))
	}
	if info != "" {
		b.WriteString(" " + info + " ")
		b.WriteString(bs.Render("─"))
	}
	b.WriteString(bs.Render(rc))
	return b.String()
}

// place puts block (lines of any width) on a canvas of w x h, padding and
// cutting to size.
func place(block string, w, h int) []string {
	return fitLines(strings.Split(block, "\n"), w, h)
}
