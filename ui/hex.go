package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"sockbench/capture"
	"sockbench/safe"
)

// HexLineWidth is the width of one hex view line: a direction mark, the
// offset, 16 byte pairs and the text column.
const HexLineWidth = 2 + 8 + 2 + capture.BytesPerLine*3 - 1 + 2 + capture.BytesPerLine

// RenderHex draws the hex view, w x h cells with its border.
func RenderHex(s *Styles, v HexView, w, h int, focused bool) string {
	var body []string
	title := "Hex"
	if v.Socket != "" {
		title = "Hex · " + safe.Text(v.Socket)
	}
	if v.Socket == "" {
		body = append(body, s.Subtle.Render("no socket selected: connect, or pick one in the sockets panel"))
		return s.box(w, h, title, "", "", focused, body)
	}
	st := v.Stats
	info := s.KeyHint.Render("f") + " " + s.Bold.Render(v.Filter.String()) + s.Muted.Render(" · ") +
		s.Received.Render("rx "+FormatBytes(st.RxBytes)) + s.Muted.Render(fmt.Sprintf("/%d", st.RxChunks)) + " " +
		s.Sent.Render("tx "+FormatBytes(st.TxBytes)) + s.Muted.Render(fmt.Sprintf("/%d", st.TxChunks))
	var notes []string
	if st.DroppedBytes > 0 {
		notes = append(notes, s.Warn.Render(fmt.Sprintf("dropped %s oldest (%d chunks), limit %s",
			FormatBytes(st.DroppedBytes), st.DroppedChunks, FormatBytes(v.Limit))))
	}
	if v.Search != "" {
		if v.MatchRow >= 0 {
			notes = append(notes, s.Match.Render("match")+s.Muted.Render(" "+safe.Text(v.Search)+" (n/N)"))
		} else {
			notes = append(notes, s.Muted.Render("no match: "+safe.Text(v.Search)))
		}
	}
	if v.Total > 0 {
		if v.Following {
			notes = append(notes, s.Muted.Render("following"))
		} else {
			notes = append(notes, s.Warn.Render(fmt.Sprintf("line %d/%d · end follows", v.Top+1, v.Total)))
		}
	}
	note := strings.Join(notes, s.Muted.Render(" · "))
	if len(v.Rows) == 0 {
		body = append(body, s.Subtle.Render("no traffic yet"+filterNote(v.Filter)))
	}
	for i, row := range v.Rows {
		body = append(body, s.HexRow(row, v.Top+i == v.MatchRow))
	}
	return s.box(w, h, title, info, note, focused, body)
}

func filterNote(f capture.Filter) string {
	if f == capture.All {
		return ""
	}
	return " (showing " + f.String() + " only; f changes)"
}

// HexRow draws one row of the hex view: a chunk header, or up to 16 bytes
// as lowercase pairs and glyphs coloured by category.
func (s *Styles) HexRow(row capture.Row, match bool) string {
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
	var b strings.Builder
	b.WriteString(dirStyle.Render("│"))
	b.WriteByte(' ')
	off := fmt.Sprintf("%08x", row.Offset)
	if match {
		b.WriteString(s.Match.Render(off))
	} else {
		b.WriteString(s.Muted.Render(off))
	}
	b.WriteString("  ")
	s.hexPairs(&b, row.Bytes)
	if pad := capture.BytesPerLine - len(row.Bytes); pad > 0 {
		b.WriteString(strings.Repeat(" ", pad*3))
	}
	b.WriteString("  ")
	s.glyphs(&b, row.Bytes)
	return b.String()
}

// runs calls fn for each stretch of bytes of one category.
func runs(p []byte, fn func(cat safe.Category, start, end int)) {
	for i := 0; i < len(p); {
		cat := safe.CategoryOf(p[i])
		j := i + 1
		for j < len(p) && safe.CategoryOf(p[j]) == cat {
			j++
		}
		fn(cat, i, j)
		i = j
	}
}

func (s *Styles) byteStyle(cat safe.Category) lipgloss.Style {
	if int(cat) < len(s.Byte) {
		return s.Byte[cat]
	}
	return s.Text
}

func (s *Styles) hexPairs(b *strings.Builder, p []byte) {
	const digits = "0123456789abcdef"
	runs(p, func(cat safe.Category, i, j int) {
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
		b.WriteString(s.byteStyle(cat).Render(t.String()))
	})
}

func (s *Styles) glyphs(b *strings.Builder, p []byte) {
	runs(p, func(cat safe.Category, i, j int) {
		var t strings.Builder
		for k := i; k < j; k++ {
			t.WriteRune(safe.ByteGlyph(p[k]))
		}
		b.WriteString(s.byteStyle(cat).Render(t.String()))
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
