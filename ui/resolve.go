package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"sockbench/safe"
)

// ---- resolve ----

// RenderResolve draws the resolve panel, w x h cells with its border.
func RenderResolve(s *Styles, v ResolveView, w, h int, focused bool) string {
	inner := w - 2
	var body []string
	body = append(body, s.Muted.Render("host ")+v.Host+s.Muted.Render(" service ")+v.Service)
	body = append(body, s.KeyHint.Render("f")+" family "+s.Bold.Render(v.Family)+"   "+
		s.KeyHint.Render("y")+" type "+s.Bold.Render(v.SockType)+"   "+s.KeyHint.Render("e")+" edit")
	var flags []string
	for _, f := range v.Flags {
		st := s.FlagOff
		mark := "○"
		if f.On {
			st = s.FlagOn
			mark = "●"
		}
		flags = append(flags, s.KeyHint.Render(f.Key)+st.Render(mark+f.Name))
	}
	body = append(body, strings.Join(flags, " "))
	switch {
	case v.Busy:
		body = append(body, s.Info.Render(fmt.Sprintf("%s resolving %s… %s (esc cancels)", v.Spinner, safe.Text(v.Query), FormatDuration(v.Elapsed))))
	case v.Err != "":
		// The whole reason, wrapped: it is why the lookup failed.
		for _, line := range strings.Split(ansi.Wrap("✗ "+safe.Text(v.Err), max(10, inner), " "), "\n") {
			body = append(body, s.Error.Render(line))
		}
	case v.Query != "":
		msg := fmt.Sprintf("%s → %s in %s", safe.Text(v.Query), plural(len(v.Rows), "row"), FormatDuration(v.Took))
		if v.Canon != "" {
			msg += " · canonical " + safe.Text(v.Canon)
		}
		body = append(body, s.OK.Render(msg))
	default:
		body = append(body, s.Subtle.Render("enter resolves the host and service"))
	}
	cols := []column{{title: "#", width: 2, right: true}, {title: "family", width: 6}, {title: "type", width: 6},
		{title: "proto", width: 5}, {title: "address", width: max(8, inner-2-6-6-5-4)}}
	if len(v.Rows) > 0 {
		body = append(body, s.header(cols))
		listH := ResolveList.Rows(h - 2)
		off := visibleOffset(v.Selected, v.Offset, listH, len(v.Rows))
		for i := off; i < len(v.Rows) && i < off+listH; i++ {
			row := v.Rows[i]
			cells := []string{fmt.Sprint(i), row.Family, row.Type, row.Proto, safe.Text(row.Addr)}
			body = append(body, s.row(cols, cells, nil, i == v.Selected, focused))
		}
	}
	info := ""
	if len(v.Rows) > 0 {
		info = s.Muted.Render("c connects")
	}
	return s.box(w, h, "Resolve", info, "", focused, body)
}
