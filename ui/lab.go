package ui

import (
	"fmt"

	"sockbench/safe"
)

// ---- lab ----

// RenderLab draws the lab panel, w x h cells with its border.
func RenderLab(s *Styles, v LabView, w, h int, focused bool) string {
	inner := w - 2
	rows := h - 2
	var body []string
	if len(v.Rows) == 0 {
		note := v.Note
		if note == "" {
			note = "no lab services"
		}
		body = append(body, s.Muted.Render(safe.Text(note)))
		return s.box(w, h, "Lab", "", "", focused, body)
	}
	cols := []column{{title: "service", width: 12}, {title: "address", width: max(8, inner-12-1)}}
	body = append(body, s.header(cols))
	listH := LabList.Rows(rows)
	off := visibleOffset(v.Selected, v.Offset, listH, len(v.Rows))
	for i := off; i < len(v.Rows) && i < off+listH; i++ {
		row := v.Rows[i]
		cells := []string{safe.Text(row.Name), safe.Text(row.Addr)}
		body = append(body, s.row(cols, cells, nil, i == v.Selected, focused))
	}
	for len(body) < rows-1 {
		body = append(body, "")
	}
	if v.Selected >= 0 && v.Selected < len(v.Rows) {
		body = append(body, s.Muted.Render(safe.Text(v.Rows[v.Selected].Help)))
	}
	info := fmt.Sprintf("%d/%d · enter uses · c connects", v.Selected+1, len(v.Rows))
	return s.box(w, h, "Lab", s.Muted.Render(info), "", focused, body)
}
