package capture

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"sockbench/safe"
)

// WriteDir writes the kept bytes of direction d to w, raw and in order:
// what went over the wire, less what the limit dropped. It holds the
// store's lock while writing, so appends wait for it.
func (s *Store) WriteDir(w io.Writer, d Dir) (int64, error) {
	if !d.valid() {
		return 0, fmt.Errorf("capture: no direction %d", uint8(d))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var written int64
	q := &s.dirs[d]
	for i := range q.len() {
		r := s.bySeq(*q.at(i))
		for span := range s.log.spans(r.pos, r.chunk.Len) {
			n, err := w.Write(span)
			written += int64(n)
			if err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// WriteTranscript writes the chunks shown under filter f as text, the way
// the hex view shows them: per chunk a header line
//
//	<sent|received> <RFC3339Nano time> offset <n> len <n> [peer]
//
// (a note is one line, "note <RFC3339Nano time> <text>")
// then its rows as
//
//	%08x  hh hh ... hh  |ascii|
//
// with the offset in the direction's stream, the hex padded to a full row
// and the text column made by render. Pass the safe renderer: the file is
// then safe to cat. A nil render uses one glyph per byte (safe.ByteGlyph).
// Peers and notes, text from outside, go through safe.Text. It holds the
// store's lock while writing.
func (s *Store) WriteTranscript(w io.Writer, f Filter, render func([]byte) string) error {
	v, ok := s.view(f)
	if !ok {
		return fmt.Errorf("capture: no filter %d", uint8(f))
	}
	if render == nil {
		render = glyphs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriterSize(w, 64<<10)
	var line, row []byte
	for k := range v.len() {
		r := v.rec(k)
		line = appendHeader(line[:0], r.chunk)
		for b := 0; b < r.chunk.Len; b += BytesPerLine {
			row = s.appendRow(row[:0], r, b, BytesPerLine)
			line = AppendHexLine(line, r.chunk.Offset+int64(b), row, render)
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendHeader appends the header line of chunk c: for a note, its text.
func appendHeader(dst []byte, c Chunk) []byte {
	dst = append(dst, c.Dir.String()...)
	dst = append(dst, ' ')
	dst = c.Time.AppendFormat(dst, time.RFC3339Nano)
	if c.Dir == Note {
		dst = append(dst, ' ')
		dst = append(dst, safe.Text(c.Peer)...)
		return append(dst, '\n')
	}
	dst = append(dst, " offset "...)
	dst = strconv.AppendInt(dst, c.Offset, 10)
	dst = append(dst, " len "...)
	dst = strconv.AppendInt(dst, int64(c.Len), 10)
	if c.Peer != "" {
		dst = append(dst, ' ')
		dst = append(dst, safe.Text(c.Peer)...)
	}
	return append(dst, '\n')
}

// AppendHexLine appends one transcript row: the offset as %08x, two
// spaces, the bytes (at most BytesPerLine) as lowercase hex pairs separated
// by single spaces and padded to a full row, two spaces, then the text
// column render makes between bars, and a newline.
func AppendHexLine(dst []byte, offset int64, p []byte, render func([]byte) string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = fmt.Appendf(dst, "%08x  ", offset)
	for i := range BytesPerLine {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if i < len(p) {
			dst = append(dst, hexDigits[p[i]>>4], hexDigits[p[i]&0x0f])
		} else {
			dst = append(dst, ' ', ' ')
		}
	}
	dst = append(dst, "  |"...)
	dst = append(dst, render(p)...)
	return append(dst, "|\n"...)
}

// glyphs renders each byte as one glyph, as the hex view's text column does.
func glyphs(p []byte) string {
	out := make([]byte, 0, len(p)*utf8.UTFMax)
	for _, b := range p {
		out = utf8.AppendRune(out, safe.ByteGlyph(b))
	}
	return string(out)
}
