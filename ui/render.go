package ui

import (
	"fmt"
	"strings"
	"time"

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
	if sc.Overlay != nil {
		put(l.Body, renderOverlay(sc, l.Body))
	} else {
		for p := PanelLab; p < NumPanels; p++ {
			r := l.Panels[p]
			if r.Empty() {
				continue
			}
			put(r, renderPanel(sc, p, r))
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

func renderPanel(sc Screen, p Panel, r Rect) string {
	focused := sc.Focus == p
	switch p {
	case PanelLab:
		return renderLab(sc, r, focused)
	case PanelResolve:
		return renderResolve(sc, r, focused)
	case PanelAttempts:
		return renderAttempts(sc, r, focused)
	case PanelSockets:
		return renderSockets(sc, r, focused)
	case PanelHex:
		return renderHex(sc, r, focused)
	case PanelSend:
		return renderSend(sc, r, focused)
	}
	return ""
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
	for p := PanelLab; p < PanelSend; p++ {
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
	if sc.Keys == nil {
		return ""
	}
	h := help.New()
	h.Styles = sc.Styles.Help
	h.SetWidth(sc.Layout.Width - 1)
	return " " + h.ShortHelpView(sc.Keys.ShortHelp())
}

// ---- lab ----

func renderLab(sc Screen, r Rect, focused bool) string {
	s, v := sc.Styles, sc.Lab
	inner := r.W - 2
	h := r.H - 2
	var body []string
	if len(v.Rows) == 0 {
		note := v.Note
		if note == "" {
			note = "no lab services"
		}
		body = append(body, s.Muted.Render(safe.Text(note)))
		return s.box(r.W, r.H, "Lab", "", "", focused, body)
	}
	cols := []column{{title: "service", width: 12}, {title: "address", width: max(8, inner-12-1)}}
	body = append(body, s.header(cols))
	listH := ListArea(sc.Layout, PanelLab).H
	off := visibleOffset(v.Selected, v.Offset, listH, len(v.Rows))
	for i := off; i < len(v.Rows) && i < off+listH; i++ {
		row := v.Rows[i]
		cells := []string{safe.Text(row.Name), safe.Text(row.Addr)}
		body = append(body, s.row(cols, cells, nil, i == v.Selected, focused))
	}
	for len(body) < h-1 {
		body = append(body, "")
	}
	if v.Selected >= 0 && v.Selected < len(v.Rows) {
		body = append(body, s.Muted.Render(safe.Text(v.Rows[v.Selected].Help)))
	}
	info := fmt.Sprintf("%d/%d · enter uses · c connects", v.Selected+1, len(v.Rows))
	return s.box(r.W, r.H, "Lab", s.Muted.Render(info), "", focused, body)
}

// ---- resolve ----

func renderResolve(sc Screen, r Rect, focused bool) string {
	s, v := sc.Styles, sc.Resolve
	inner := r.W - 2
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
		body = append(body, s.Error.Render("✗ "+safe.Text(v.Err)))
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
		listH := ListArea(sc.Layout, PanelResolve).H
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
	return s.box(r.W, r.H, "Resolve", info, "", focused, body)
}

// ---- attempts ----

func (s *Styles) attemptStyle(st AttemptState) (lipgloss.Style, string) {
	switch st {
	case AttemptConnected:
		return s.OK, "✓"
	case AttemptRefused, AttemptUnreachable, AttemptError:
		return s.Error, "✗"
	case AttemptTimeout:
		return s.Warn, "◷"
	case AttemptCancelled:
		return s.Warn, "⊘"
	case AttemptConnecting:
		return s.Info, ""
	}
	return s.Subtle, "·"
}

func renderAttempts(sc Screen, r Rect, focused bool) string {
	s, v := sc.Styles, sc.Attempts
	inner := r.W - 2
	h := r.H - 2
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
		st, icon := s.attemptStyle(row.State)
		if row.State == AttemptConnecting {
			icon = v.Spinner
		}
		dur := ""
		if row.State != AttemptWaiting && row.State != AttemptNotTried {
			dur = FormatDuration(row.Elapsed)
		}
		cells := []string{fmt.Sprintf("#%d", row.Index), icon, row.State.String(), safe.Text(row.Addr), row.Errno, dur}
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

// ---- sockets ----

func renderSockets(sc Screen, r Rect, focused bool) string {
	s, v := sc.Styles, sc.Sockets
	inner := r.W - 2
	var body []string
	if len(v.Rows) == 0 {
		body = append(body, s.Subtle.Render("no sockets: connect (c), or l listener · u UDP · p socketpair"))
		return s.box(r.W, r.H, "Sockets", "", "", focused, body)
	}
	fixed := 3 + 6 + 11 + 2 + 6 + 6 + 7
	addrW := max(8, (inner-fixed)/2)
	cols := []column{{title: "#", width: 3, right: true}, {title: "kind", width: 6}, {title: "local", width: addrW},
		{title: "peer", width: max(8, inner-fixed-addrW)}, {title: "state", width: 11}, {title: "io", width: 2},
		{title: "rx", width: 6, right: true}, {title: "tx", width: 6, right: true}}
	body = append(body, s.header(cols))
	listH := ListArea(sc.Layout, PanelSockets).H
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
		}
		cells := []string{fmt.Sprint(row.ID), kind, safe.Text(row.Local), safe.Text(row.Peer), safe.Text(row.State), io,
			FormatBytes(row.Rx), FormatBytes(row.Tx)}
		var styles []lipgloss.Style
		if row.Closed {
			styles = repeatStyle(s.Subtle, len(cells))
		} else {
			styles = []lipgloss.Style{s.Muted, s.Accent, s.Text, s.Text, stateStyle(s, row.State), s.Muted, s.Received, s.Sent}
		}
		body = append(body, s.row(cols, cells, styles, i == v.Selected, focused))
	}
	info := s.Muted.Render(fmt.Sprintf("%d/%d", v.Selected+1, len(v.Rows)))
	return s.box(r.W, r.H, "Sockets", info, "", focused, body)
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

// ---- send ----

func renderSend(sc Screen, r Rect, focused bool) string {
	s, v := sc.Styles, sc.Send
	focused = focused || v.DestFocused
	inner := r.W - 2
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
		hexs := HexString(v.Preview, 64)
		line2 = s.Muted.Render("enter sends "+plural(len(v.Preview), "byte")+": ") + s.Text.Render(hexs)
	default:
		line2 = s.Subtle.Render("type text (\\r \\n \\t \\0 \\\\ \\xNN) or hex; enter sends")
	}
	info := s.Muted.Render(v.Mode + " (ctrl+t) · ending " + v.Ending + " (ctrl+l) · ↑↓ history")
	_ = inner
	return s.box(r.W, r.H, "Send", info, "", focused, []string{line1, line2})
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

// ---- lists ----

type column struct {
	title string
	width int
	right bool
}

func (s *Styles) header(cols []column) string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = c.title
	}
	return s.ColumnHeader.Render(joinCells(cols, cells, nil))
}

// row draws a list row. A selected row is drawn in one style so that its
// highlight runs unbroken; otherwise each cell takes its style.
func (s *Styles) row(cols []column, cells []string, styles []lipgloss.Style, selected, focused bool) string {
	if selected {
		st := s.Selected
		if !focused {
			st = s.SelectedBlurred
		}
		return st.Render(joinCells(cols, cells, nil))
	}
	return joinCells(cols, cells, func(i int, cell string) string {
		if i < len(styles) {
			return styles[i].Render(cell)
		}
		return s.Text.Render(cell)
	})
}

// joinCells pads each cell to its column and joins them with a space,
// passing each padded cell through style when it is not nil.
func joinCells(cols []column, cells []string, style func(i int, cell string) string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		text := ""
		if i < len(cells) {
			text = cells[i]
		}
		cell := padCell(text, c.width, c.right)
		if style != nil {
			cell = style(i, cell)
		}
		b.WriteString(cell)
	}
	return b.String()
}

func padCell(text string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(text) > w {
		text = ansi.Truncate(text, w, "…")
	}
	pad := strings.Repeat(" ", max(0, w-ansi.StringWidth(text)))
	if right {
		return pad + text
	}
	return text + pad
}

// visibleOffset keeps the selected row inside a window of h rows starting
// at off.
func visibleOffset(sel, off, h, n int) int {
	if h <= 0 {
		return 0
	}
	if sel < off {
		off = sel
	}
	if sel >= off+h {
		off = sel - h + 1
	}
	return max(0, min(off, max(0, n-h)))
}

// ---- formatting ----

// FormatBytes writes a byte count for people: 512B, 1.2K, 3.4M, 1.0G.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%c", float64(n)/float64(div), "KMGTP"[exp])
}

// FormatDuration writes a duration with three significant digits: 85µs,
// 1.23ms, 3.00s.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
