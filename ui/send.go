package ui

import (
	"strings"

	"sockbench/safe"
)

// ---- send ----

// RenderSend draws the send line, w x h cells with its border.
func RenderSend(s *Styles, v SendView, w, h int, focused bool) string {
	focused = focused || v.DestFocused
	var line1 string
	if v.ShowDest {
		line1 = s.Muted.Render("to ") + v.Dest + s.Muted.Render(" data ") + v.Input
	} else {
		line1 = v.Input
	}
	var line2 string
	switch {
	case v.Disabled != "":
		line2 = s.Subtle.Render(safe.Text(v.Disabled))
	case v.Err != "":
		line2 = s.Error.Render("✗ " + safe.Text(v.Err) + " · nothing will be sent")
	case v.HasPreview && v.Empty && len(v.Preview) > 0:
		line2 = s.Subtle.Render("type text (\\r \\n \\t \\0 \\\\ \\xNN) or hex (ctrl+t); enter alone sends the line ending: ") +
			s.Muted.Render(HexString(v.Preview, 8))
	case v.HasPreview:
		what := "enter sends " + plural(len(v.Preview), "byte")
		if v.Placeholders {
			what += ", placeholders as of now"
		}
		line2 = s.Muted.Render(what+": ") + s.Text.Render(HexString(v.Preview, 64))
	default:
		line2 = s.Subtle.Render("type text (\\r \\n \\t \\0 \\\\ \\xNN) or hex; enter sends")
	}
	info := s.Muted.Render(v.Mode + " (ctrl+t) · ending " + v.Ending + " (ctrl+l) · ↑↓ history")
	var note []string
	if v.Recording != "" {
		note = append(note, s.Error.Render("● "+safe.Text(v.Recording)))
	}
	if v.Job != "" {
		note = append(note, s.Info.Render(safe.Text(v.Job)+" · esc stops"))
	}
	return s.box(w, h, "Send", info, strings.Join(note, s.Muted.Render(" · ")), focused, []string{line1, line2})
}

// HexString writes p as lowercase pairs separated by spaces, at most limit
// bytes, with "…" when cut.
func HexString(p []byte, limit int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i, c := range p {
		if i >= limit {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}
