package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockbench/safe"
)

// Render draws the whole screen: exactly Layout.Height lines of
// Layout.Width cells.
func Render(sc Screen) string {
	l := sc.Layout
	s := sc.Styles
	if l.Mode == ModeTooSmall {
		return tooSmall(s, l)
	}
	canvas := make([]string, l.Height)
	blank := strings.Repeat(" ", l.Width)
	for i := range canvas {
		canvas[i] = blank
	}
	put := func(r Rect, block string) {
		if r.Empty() {
			return
		}
		lines := place(block, r.W, r.H)
		for i, line := range lines {
			y := r.Y + i
			if y < 0 || y >= len(canvas) {
				continue
			}
			if r.X == 0 && r.W == l.Width {
				canvas[y] = line
				continue
			}
			canvas[y] = spliceLine(canvas[y], r.X, r.W, line, l.Width)
		}
	}
	put(l.Header, renderHeader(sc))
	if l.Mode == ModeTabbed {
		put(l.Tabs, renderTabs(sc))
	}
	if sc.Overlay != "" {
		put(l.Body, sc.Overlay)
	} else {
		for p, block := range sc.Panels {
			put(l.Panels[p], block)
		}
	}
	put(l.Status, renderStatus(sc))
	put(l.Help, renderHelpBar(sc))
	return strings.Join(canvas, "\n")
}

// spliceLine replaces cells [x, x+w) of a full-width line with part.
func spliceLine(line string, x, w int, part string, width int) string {
	left := ansi.Truncate(line, x, "")
	right := ansi.Cut(line, x+w, width)
	return left + fit(part, w) + right
}

func tooSmall(s *Styles, l Layout) string {
	msg := []string{
		s.Warn.Render("terminal too small"),
		s.Muted.Render(fmt.Sprintf("%dx%d, need %dx%d", l.Width, l.Height, MinWidth, MinHeight)),
		s.Muted.Render("q quits"),
	}
	lines := make([]string, 0, len(msg))
	for _, m := range msg {
		lines = append(lines, lipgloss.PlaceHorizontal(max(l.Width, 1), lipgloss.Center, m))
	}
	block := strings.Join(lines, "\n")
	return lipgloss.Place(max(l.Width, 1), max(l.Height, 1), lipgloss.Center, lipgloss.Center, block)
}

// ---- header, tabs, status, help ----

func renderHeader(sc Screen) string {
	s, h := sc.Styles, sc.Header
	left := " sockbench "
	parts := []string{
		plural(h.Open, "socket") + " open",
	}
	if h.Listeners > 0 {
		parts = append(parts, plural(h.Listeners, "listener"))
	}
	if h.Sockets > h.Open {
		parts = append(parts, fmt.Sprintf("%d closed", h.Sockets-h.Open))
	}
	parts = append(parts, "rx "+FormatBytes(h.Rx), "tx "+FormatBytes(h.Tx))
	if h.LabOff {
		parts = append(parts, "lab off")
	} else {
		parts = append(parts, "lab "+plural(h.LabServices, "service"))
	}
	mid := strings.Join(parts, " · ")
	right := "theme " + h.Theme + " · ? help "
	w := sc.Layout.Width
	used := ansi.StringWidth(left) + ansi.StringWidth(right)
	mid = ansi.Truncate(" "+mid, max(0, w-used-1), "…")
	gap := max(1, w-used-ansi.StringWidth(mid))
	return s.Header.Render(left) + s.HeaderDim.Render(mid+strings.Repeat(" ", gap)+right)
}

func renderTabs(sc Screen) string {
	s := sc.Styles
	var b strings.Builder
	focus := sc.Focus
	if focus == PanelSend {
		focus = PanelHex
	}
	for p := Panel(0); p < PanelSend; p++ {
		label := " " + tabLabel(p) + " "
		if p == focus {
			b.WriteString(s.TabActive.Render(label))
		} else {
			b.WriteString(s.TabInactive.Render(label))
		}
		b.WriteString(" ")
	}
	b.WriteString(s.Subtle.Render(" tab/shift+tab to switch"))
	return b.String()
}

func renderStatus(sc Screen) string {
	s, st := sc.Styles, sc.Status
	w := sc.Layout.Width
	if st.Prompt != "" || st.Label != "" {
		return " " + s.Accent.Render(safe.Text(st.Label)) + " " + st.Prompt
	}
	var left string
	if st.Text != "" {
		style, icon := s.Info, "•"
		switch st.Level {
		case LevelOK:
			style, icon = s.OK, "✓"
		case LevelWarn:
			style, icon = s.Warn, "!"
		case LevelError:
			style, icon = s.Error, "✗"
		}
		left = " " + style.Render(icon+" "+safe.Text(st.Text))
	}
	right := ""
	if st.Busy != "" {
		right = s.Info.Render(st.Busy) + " "
	}
	rw := ansi.StringWidth(right)
	left = ansi.Truncate(left, max(0, w-rw-1), "…")
	gap := max(0, w-rw-ansi.StringWidth(left))
	return left + strings.Repeat(" ", gap) + right
}

func renderHelpBar(sc Screen) string {
	if e := sc.Status.PromptErr; e != "" {
		return ansi.Truncate(" "+sc.Styles.Error.Render("✗ "+safe.Text(e)+" · esc cancels"), sc.Layout.Width, "…")
	}
	if sc.Keys == nil {
		return ""
	}
	h := help.New()
	h.Styles = sc.Styles.Help
	h.SetWidth(sc.Layout.Width - 1)
	return " " + h.ShortHelpView(sc.Keys.ShortHelp())
}
