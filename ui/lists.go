package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

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
