package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sockbench/capture"
	"sockbench/safe"
)

// StreamChunk is a chunk of the stream view with its bytes.
type StreamChunk struct {
	Chunk capture.Chunk
	Data  []byte
}

// StreamLineKind says what a line of the stream view shows.
type StreamLineKind uint8

// Stream view lines.
const (
	StreamText StreamLineKind = iota // text of a chunk (or of chunks that flow into each other)
	StreamTurn                       // the start of a turn: direction, time, peer
	StreamNote                       // a note: something that happened to the socket
)

// StreamLine is one line of the stream view.
type StreamLine struct {
	Kind  StreamLineKind
	Chunk capture.Chunk // the chunk of the line's first byte (of the turn, of the note)
	// Byte is the line's first byte in its chunk: with Chunk.Seq, where
	// the line starts, to keep the place when the view changes.
	Byte   int
	Pieces []safe.Piece // a text line's pieces, cut to fit
}

// StreamGutter is the width of the direction mark that starts each line.
const StreamGutter = 2

// LayoutStream lays out chunks that flow into each other (one direction,
// one peer, no line ending between them) as lines of at most width cells
// after the gutter. A line ends at a line ending, after which the next
// starts, or where it is full. turn adds the turn's header first.
func LayoutStream(chunks []StreamChunk, width int, turn bool) []StreamLine {
	width = max(width-StreamGutter, 8)
	var lines []StreamLine
	if len(chunks) == 0 {
		return nil
	}
	if c := chunks[0].Chunk; c.Dir == capture.Note {
		return []StreamLine{{Kind: StreamNote, Chunk: c}}
	} else if turn {
		lines = append(lines, StreamLine{Kind: StreamTurn, Chunk: c})
	}
	l := lineLayout{width: width}
	for _, sc := range chunks {
		if len(sc.Data) == 0 {
			l.add(sc.Chunk, safe.Piece{Text: "(empty datagram)", Kind: safe.PieceEscape, EndsLine: true})
			continue
		}
		for _, p := range safe.Pieces(sc.Data) {
			l.add(sc.Chunk, p)
		}
	}
	l.flush()
	return append(lines, l.lines...)
}

// lineLayout gathers pieces into lines.
type lineLayout struct {
	width int
	lines []StreamLine
	cur   StreamLine
	used  int // cells of cur
	open  bool
}

func (l *lineLayout) add(c capture.Chunk, p safe.Piece) {
	for {
		if !l.open {
			l.cur, l.used, l.open = StreamLine{Kind: StreamText, Chunk: c, Byte: p.Start}, 0, true
		}
		w := ansi.StringWidth(p.Text)
		if l.used+w <= l.width {
			l.cur.Pieces = append(l.cur.Pieces, p)
			l.used += w
			if p.EndsLine {
				l.flush()
			}
			return
		}
		if p.Kind != safe.PieceText || l.used == l.width {
			if l.used == 0 { // wider than a line on its own: show it cut
				l.cur.Pieces = append(l.cur.Pieces, p)
				l.flush()
				return
			}
			l.flush()
			continue
		}
		head, tail := splitText(p, l.width-l.used)
		if head.Text != "" {
			l.cur.Pieces = append(l.cur.Pieces, head)
		}
		l.flush()
		p = tail
	}
}

func (l *lineLayout) flush() {
	if l.open {
		l.lines = append(l.lines, l.cur)
	}
	l.open = false
}

// splitText cuts a text piece after at most room cells.
func splitText(p safe.Piece, room int) (head, tail safe.Piece) {
	used, cut := 0, 0
	for i, r := range p.Text {
		w := ansi.StringWidth(string(r))
		if used+w > room {
			break
		}
		used += w
		cut = i + len(string(r))
	}
	head, tail = p, p
	head.Text, head.End = p.Text[:cut], p.Start+cut
	tail.Text, tail.Start = p.Text[cut:], p.Start+cut
	return head, tail
}

// StreamView is the selected socket's traffic read as text.
type StreamView struct {
	Socket    string
	Filter    capture.Filter
	Lines     []StreamLine // the visible lines only
	Following bool
	Where     string // where the view is, for people ("chunk 3 of 10")
	Stats     capture.Stats
	Limit     int64
	Match     []capture.Span
	Matched   bool
	Search    string
	Paused    string // why reading is paused, when it is
}

// RenderStream draws the stream view, w x h cells with its border.
func RenderStream(s *Styles, v StreamView, w, h int, focused bool) string {
	title := "Text"
	if v.Socket == "" {
		return s.box(w, h, title, "", "", focused, []string{s.Subtle.Render("no socket selected: connect, or pick one in the sockets panel")})
	}
	title += " · " + safe.Text(v.Socket)
	var body []string
	if len(v.Lines) == 0 {
		body = append(body, s.Subtle.Render("no traffic yet"+filterNote(v.Filter)))
	}
	for _, l := range v.Lines {
		body = append(body, s.streamLine(l, v.Match))
	}
	note := viewNotes(s, v.Stats, v.Limit, v.Search, v.Matched, v.Paused, v.Following, v.Where)
	return s.box(w, h, title, s.trafficInfo(v.Filter, v.Stats), note, focused, body)
}

// streamLine draws one line of the stream view.
func (s *Styles) streamLine(l StreamLine, match []capture.Span) string {
	c := l.Chunk
	dirStyle, mark := s.Received, "◀ "
	if c.Dir == capture.Sent {
		dirStyle, mark = s.Sent, "▶ "
	}
	switch l.Kind {
	case StreamNote:
		return s.NoteLine(c)
	case StreamTurn:
		text := fmt.Sprintf("%s %s", c.Dir, c.Time.Format("15:04:05.000000"))
		if c.Peer != "" {
			text += map[bool]string{true: "  to ", false: "  from "}[c.Dir == capture.Sent] + safe.Text(c.Peer)
		}
		return dirStyle.Bold(true).Render(mark + text)
	}
	var b strings.Builder
	b.WriteString(dirStyle.Render(mark))
	for _, p := range l.Pieces {
		st := s.pieceStyle(p.Kind, dirStyle)
		if p.Kind != safe.PieceText {
			if hit(match, c.Seq, p.Start) {
				st = s.Match
			}
			b.WriteString(st.Render(p.Text))
			continue
		}
		// Text is its bytes: highlight exactly the matched ones.
		for from := 0; from < len(p.Text); {
			matched := hit(match, c.Seq, p.Start+from)
			to := from
			for to < len(p.Text) && hit(match, c.Seq, p.Start+to) == matched {
				to++
			}
			run := st
			if matched {
				run = s.Match
			}
			b.WriteString(run.Render(p.Text[from:to]))
			from = to
		}
	}
	return b.String()
}

// hit reports whether byte b of chunk seq was matched.
func hit(match []capture.Span, seq int64, b int) bool {
	for _, m := range match {
		if m.Has(seq, b) {
			return true
		}
	}
	return false
}

func (s *Styles) pieceStyle(k safe.PieceKind, text lipgloss.Style) lipgloss.Style {
	switch k {
	case safe.PieceMark:
		return s.Byte[safe.Whitespace]
	case safe.PieceEscape:
		return s.Byte[safe.Control]
	}
	return text
}
