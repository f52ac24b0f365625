package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"sockbench/capture"
	"sockbench/safe"
)

// HexLineWidth is the width of one hex view line of n bytes: a direction
// mark, the offset, n byte pairs and the text column.
func HexLineWidth(n int) int { return 2 + 8 + 2 + n*3 - 1 + 2 + n }

// hexRowSizes are the numbers of bytes a hex row may hold when the width
// decides: the most that fit.
var hexRowSizes = []int{64, 48, 32, 24, 16, 8}

// HexRowBytes is the number of bytes a row holds in a hex view w cells
// wide: the most of 8, 16, 24, 32, 48 or 64 that fit (8 at the least).
func HexRowBytes(w int) int {
	for _, n := range hexRowSizes {
		if HexLineWidth(n) <= w {
			return n
		}
	}
	return hexRowSizes[len(hexRowSizes)-1]
}

// RenderHex draws the hex view, w x h cells with its border.
func RenderHex(s *Styles, v HexView, w, h int, focused bool) string {
	title := "Hex"
	if v.Socket == "" {
		return s.box(w, h, title, "", "", focused, []string{s.Subtle.Render("no socket selected: connect, or pick one in the sockets panel")})
	}
	title += " · " + safe.Text(v.Socket)
	var body []string
	if len(v.Rows) == 0 {
		body = append(body, s.Subtle.Render("no traffic yet"+filterNote(v.Filter)))
	}
	for _, row := range v.Rows {
		body = append(body, s.HexRow(row, v.RowBytes, v.Match))
	}
	where := ""
	if v.Total > 0 && !v.Following {
		where = fmt.Sprintf("line %d/%d", v.Top+1, v.Total)
	}
	note := viewNotes(s, v.Stats, v.Limit, v.Search, v.Matched, v.Paused, v.Following && v.Total > 0, where)
	return s.box(w, h, title, s.trafficInfo(v.Filter, v.Stats), note, focused, body)
}

// trafficInfo is the top right of the hex and stream views: the filter and
// the counts each way.
func (s *Styles) trafficInfo(f capture.Filter, st capture.Stats) string {
	return s.KeyHint.Render("f") + " " + s.Bold.Render(f.String()) + s.Muted.Render(" · ") +
		s.Received.Render("rx "+FormatBytes(st.RxBytes)) + s.Muted.Render(fmt.Sprintf("/%d", st.RxChunks)) + " " +
		s.Sent.Render("tx "+FormatBytes(st.TxBytes)) + s.Muted.Render(fmt.Sprintf("/%d", st.TxChunks))
}

// viewNotes is the bottom right of the hex and stream views: drops, the
// search, a pause, and where the view is.
func viewNotes(s *Styles, st capture.Stats, limit int64, search string, matched bool, paused string, following bool, where string) string {
	var notes []string
	if st.DroppedBytes > 0 {
		notes = append(notes, s.Warn.Render(fmt.Sprintf("dropped %s oldest (%d chunks), limit %s",
			FormatBytes(st.DroppedBytes), st.DroppedChunks, FormatBytes(limit))))
	}
	if search != "" {
		if matched {
			notes = append(notes, s.Match.Render("match")+s.Muted.Render(" "+safe.Text(search)+" (n/N)"))
		} else {
			notes = append(notes, s.Muted.Render("no match: "+safe.Text(search)))
		}
	}
	if paused != "" {
		notes = append(notes, s.Warn.Render("paused: "+safe.Text(paused)+" · space resumes"))
	}
	switch {
	case following:
		notes = append(notes, s.Muted.Render("following"))
	case where != "":
		notes = append(notes, s.Warn.Render(where+" · end follows"))
	}
	return strings.Join(notes, s.Muted.Render(" · "))
}

func filterNote(f capture.Filter) string {
	if f == capture.All {
		return ""
	}
	return " (showing " + f.String() + " only; f changes)"
}

// HexRow draws one row of the hex view: a chunk header, a note, or up to
// n bytes as lowercase pairs and glyphs coloured by category, the bytes a
// search matched highlighted.
func (s *Styles) HexRow(row capture.Row, n int, match []capture.Span) string {
	if row.Chunk.Dir == capture.Note {
		return s.NoteLine(row.Chunk)
	}
	dirStyle := s.Received
	mark := "◀"
	if row.Chunk.Dir == capture.Sent {
		dirStyle = s.Sent
		mark = "▶"
	}
	if row.Header {
		c := row.Chunk
		text := fmt.Sprintf("%s %s  %s  offset %d  %s", mark, c.Dir, c.Time.Format("15:04:05.000000"),
			c.Offset, plural(c.Len, "byte"))
		if c.Peer != "" {
			if c.Dir == capture.Sent {
				text += "  to " + safe.Text(c.Peer)
			} else {
				text += "  from " + safe.Text(c.Peer)
			}
		}
		return dirStyle.Bold(true).Render(text)
	}
	start := int(row.Offset - row.Chunk.Offset) // the row's first byte in its chunk
	hit := func(i int) bool {
		for _, m := range match {
			if m.Has(row.Chunk.Seq, start+i) {
				return true
			}
		}
		return false
	}
	var b strings.Builder
	b.WriteString(dirStyle.Render("│"))
	b.WriteByte(' ')
	b.WriteString(s.Muted.Render(fmt.Sprintf("%08x", row.Offset)))
	b.WriteString("  ")
	s.hexPairs(&b, row.Bytes, hit)
	if pad := n - len(row.Bytes); pad > 0 {
		b.WriteString(strings.Repeat(" ", pad*3))
	}
	b.WriteString("  ")
	s.glyphs(&b, row.Bytes, hit)
	return b.String()
}

// NoteLine draws a note: something that happened to the socket, marked so
// that it cannot be taken for traffic.
func (s *Styles) NoteLine(c capture.Chunk) string {
	return s.Warn.Bold(true).Render("● " + c.Time.Format("15:04:05.000000") + "  " + safe.Text(c.Peer))
}

// runs calls fn for each stretch of bytes of one category and match.
func runs(p []byte, hit func(int) bool, fn func(cat safe.Category, matched bool, start, end int)) {
	for i := 0; i < len(p); {
		cat, matched := safe.CategoryOf(p[i]), hit(i)
		j := i + 1
		for j < len(p) && safe.CategoryOf(p[j]) == cat && hit(j) == matched {
			j++
		}
		fn(cat, matched, i, j)
		i = j
	}
}

func (s *Styles) byteStyle(cat safe.Category, matched bool) lipgloss.Style {
	if matched {
		return s.Match
	}
	if int(cat) < len(s.Byte) {
		return s.Byte[cat]
	}
	return s.Text
}

func (s *Styles) hexPairs(b *strings.Builder, p []byte, hit func(int) bool) {
	const digits = "0123456789abcdef"
	runs(p, hit, func(cat safe.Category, matched bool, i, j int) {
		if i > 0 {
			b.WriteByte(' ')
		}
		var t strings.Builder
		for k := i; k < j; k++ {
			if k > i {
				t.WriteByte(' ')
			}
			t.WriteByte(digits[p[k]>>4])
			t.WriteByte(digits[p[k]&15])
		}
		b.WriteString(s.byteStyle(cat, matched).Render(t.String()))
	})
}

func (s *Styles) glyphs(b *strings.Builder, p []byte, hit func(int) bool) {
	runs(p, hit, func(cat safe.Category, matched bool, i, j int) {
		var t strings.Builder
		for k := i; k < j; k++ {
			t.WriteRune(safe.ByteGlyph(p[k]))
		}
		b.WriteString(s.byteStyle(cat, matched).Render(t.String()))
	})
}

// TranscriptLine renders the text column of the transcript export: one
// glyph per byte, as on screen.
func TranscriptLine(p []byte) string {
	var b strings.Builder
	for _, c := range p {
		b.WriteRune(safe.ByteGlyph(c))
	}
	return b.String()
}
