package ui

import (
	"fmt"

	"charm.land/lipgloss/v2"

	"sockbench/safe"
)

// ---- sockets ----

// RenderSockets draws the sockets panel, w x h cells with its border.
func RenderSockets(s *Styles, v SocketsView, w, h int, focused bool) string {
	inner := w - 2
	var body []string
	if len(v.Rows) == 0 {
		body = append(body, s.Subtle.Render("no sockets: connect (c), or l listener · u UDP · p socketpair · R relay"))
		return s.box(w, h, "Sockets", "", "", focused, body)
	}
	fixed := 3 + 6 + 11 + 2 + 6 + 6 + 7
	addrW := max(8, (inner-fixed)/2)
	cols := []column{{title: "#", width: 3, right: true}, {title: "kind", width: 6}, {title: "local", width: addrW},
		{title: "peer", width: max(8, inner-fixed-addrW)}, {title: "state", width: 11}, {title: "io", width: 2},
		{title: "rx", width: 6, right: true}, {title: "tx", width: 6, right: true}}
	body = append(body, s.header(cols))
	listH := SocketsList.Rows(h - 2)
	off := visibleOffset(v.Selected, v.Offset, listH, len(v.Rows))
	for i := off; i < len(v.Rows) && i < off+listH; i++ {
		row := v.Rows[i]
		kind := row.Kind
		if row.Child {
			kind = "└" + kind
		}
		io := ""
		if !row.Closed && !row.Listener {
			io = flagChar(row.ReadOpen, 'r') + flagChar(row.WriteOpen, 'w')
			if row.Paused && row.ReadOpen {
				io = "p" + io[1:]
			}
		}
		cells := []string{fmt.Sprint(row.ID), kind, safe.Text(row.Local), safe.Text(row.Peer), safe.Text(row.State), io,
			FormatBytes(row.Rx), FormatBytes(row.Tx)}
		var styles []lipgloss.Style
		if row.Closed {
			styles = repeatStyle(s.Subtle, len(cells))
		} else {
			styles = []lipgloss.Style{s.Muted, s.Accent, s.Text, s.Text, stateStyle(s, row.State), s.Muted, s.Received, s.Sent}
			if row.Unverified {
				styles[1] = s.Warn
			}
		}
		body = append(body, s.row(cols, cells, styles, i == v.Selected, focused))
	}
	info := s.Muted.Render(fmt.Sprintf("%d/%d", v.Selected+1, len(v.Rows)))
	return s.box(w, h, "Sockets", info, "", focused, body)
}

func stateStyle(s *Styles, state string) lipgloss.Style {
	switch state {
	case "ESTABLISHED", "connected", "LISTEN", "bound", "listening":
		return s.OK
	case "closed", "CLOSE", "":
		return s.Subtle
	case "SYN_SENT", "SYN_RECV":
		return s.Info
	}
	return s.Warn
}

func flagChar(open bool, c byte) string {
	if open {
		return string(c)
	}
	return "-"
}

func repeatStyle(st lipgloss.Style, n int) []lipgloss.Style {
	out := make([]lipgloss.Style, n)
	for i := range out {
		out[i] = st
	}
	return out
}
