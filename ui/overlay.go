package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockbench/safe"
)

// RenderHelp draws the full help overlay: body is what its viewport
// shows.
func RenderHelp(s *Styles, body string, w, h int) string {
	return s.box(w, h, "Help", s.Muted.Render("↑↓ pgup pgdn scroll · ? or esc closes"), "", true, strings.Split(body, "\n"))
}

// FullHelpLines lays out the full help for a width: the keys of the
// focused panel and of everywhere, in groups side by side while they fit,
// then what each panel is for.
func FullHelpLines(s *Styles, keys help.KeyMap, focus Panel, width int) []string {
	var body []string
	body = append(body, s.Muted.Render("Keys for the "+focus.String()+" panel and everywhere."), "")
	if keys != nil {
		h := help.New()
		h.Styles = s.Help
		var row []string
		rowW := 0
		flush := func() {
			if len(row) > 0 {
				body = append(body, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, row...), "\n")...)
				body = append(body, "")
			}
			row, rowW = nil, 0
		}
		for _, group := range keys.FullHelp() {
			block := h.FullHelpView([][]key.Binding{group})
			bw := lipgloss.Width(block) + 4
			if rowW+bw > width {
				flush()
			}
			row = append(row, lipgloss.NewStyle().PaddingRight(4).Render(block))
			rowW += bw
		}
		flush()
	}
	about := "Panels: Lab (loopback services to try) · Resolve (getaddrinfo) · Attempts (connect, address by address) " +
		"· Sockets (everything open) · Hex (traffic of the selected socket) · Send (bytes to send). " +
		"Text on the send line takes \\r \\n \\t \\0 \\\\ \\xNN escapes; ctrl+t switches to hex."
	for _, line := range strings.Split(ansi.Wordwrap(about, max(10, width), " "), "\n") {
		body = append(body, s.Muted.Render(line))
	}
	return indent(body)
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = " " + l
	}
	return out
}

// RenderOptions draws the options overlay of the socket called title.
func RenderOptions(s *Styles, title string, v OptionsView, w, h int) string {
	inner := w - 2
	rows := h - 2
	var body []string
	body = append(body, s.Muted.Render("space toggles a boolean · enter edits a value · ↑↓ move · esc closes · values are read again after each change"))
	cols := []column{{title: "option", width: 24}, {title: "level", width: 12}, {title: "type", width: 8},
		{title: "value", width: 24}, {title: "", width: max(10, inner-24-12-8-24-4)}}
	body = append(body, s.header(cols))
	listH := max(1, rows-len(body)-1)
	off := visibleOffset(v.Selected, v.Offset, listH, len(v.Rows))
	for i := off; i < len(v.Rows) && i < off+listH; i++ {
		row := v.Rows[i]
		value := safe.Text(row.Value)
		if row.Err != "" {
			value = "(" + safe.Text(row.Err) + ")"
		}
		if v.Editing && i == v.Selected {
			cells := []string{row.Name, row.Level, row.Type}
			line := s.row(cols[:3], cells, []lipgloss.Style{s.Bold, s.Muted, s.Muted}, false, true)
			body = append(body, line+" "+v.Input)
			continue
		}
		note := safe.Text(row.Help)
		switch {
		case !row.Available:
			note = "not on this system · " + note
		case !row.Writable:
			note = "read-only · " + note
		}
		valStyle := s.Text
		switch {
		case row.Err != "":
			valStyle = s.Subtle
		case row.Bool && row.Value == "on":
			valStyle = s.OK
		case row.Bool:
			valStyle = s.Muted
		}
		cells := []string{row.Name, row.Level, row.Type, value, note}
		styles := []lipgloss.Style{s.Text, s.Muted, s.Muted, valStyle, s.Subtle}
		body = append(body, s.row(cols, cells, styles, i == v.Selected, true))
	}
	for len(body) < rows-1 {
		body = append(body, "")
	}
	switch {
	case v.Err != "":
		body = append(body, s.Error.Render("✗ "+safe.Text(v.Err)+" · nothing changed"))
	case v.Busy:
		body = append(body, s.Info.Render("reading options…"))
	case v.Selected >= 0 && v.Selected < len(v.Rows):
		row := v.Rows[v.Selected]
		body = append(body, s.Accent.Render(row.Name)+s.Muted.Render(": "+safe.Text(row.Help)))
	default:
		body = append(body, "")
	}
	info := s.Muted.Render(fmt.Sprintf("%d options", len(v.Rows)))
	return s.box(w, h, "Options · "+safe.Text(title), info, "", true, body)
}

// RenderSyscalls draws the syscall log overlay of the socket (or
// attempt) called title.
func RenderSyscalls(s *Styles, title string, v SyscallsView, w, h int) string {
	var body []string
	if v.Total == 0 {
		body = append(body, s.Subtle.Render("no system calls recorded"))
	}
	for _, row := range v.Rows {
		t := s.Muted.Render(row.Time.Format("15:04:05.000000"))
		d := s.Subtle.Render(fmt.Sprintf("%9s", FormatDuration(row.Duration)))
		st := s.Text
		switch {
		case row.WouldWait:
			st = s.Warn
		case row.Failed:
			st = s.Error
		}
		body = append(body, t+" "+d+"  "+st.Render(safe.Text(row.Text)))
	}
	info := fmt.Sprintf("%d calls", v.Total)
	if v.Dropped > 0 {
		info += fmt.Sprintf(" · %d older dropped", v.Dropped)
	}
	if v.Hidden > 0 {
		info += fmt.Sprintf(" · %d state polls (TCP_INFO) not shown", v.Hidden)
	}
	note := "↑↓ pgup pgdn home end · esc closes"
	if v.Follow {
		note = "following · " + note
	}
	return s.box(w, h, "System calls · "+safe.Text(title), s.Muted.Render(info), note, true, body)
}

// RenderPicker draws a picker overlay (the snippets) around body, the
// list's view.
func RenderPicker(s *Styles, title, body string, w, h int) string {
	return s.box(w, h, title, s.Muted.Render("enter runs · / filters · esc closes"), "", true, strings.Split(body, "\n"))
}
