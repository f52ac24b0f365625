package model

import (
	"fmt"

	"sockbench/capture"
	"sockbench/ui"
)

// streamer lays out one socket's capture as text, for the stream view. It
// works in paragraphs: runs of chunks that flow into each other (one
// direction and peer, no line ending between them). A screen costs the
// paragraphs it shows, whatever the size of the capture, so where a
// paragraph starts must follow from the chunks around it alone: besides a
// change of direction or peer and a line ending, a paragraph also ends
// where the chunk numbers cross a multiple of 64 or the stream offsets one
// of 16 KiB, which bounds its size.
type streamer struct {
	store *capture.Store
	f     capture.Filter
	width int
	dgram bool // every datagram is a paragraph and a turn of its own
	laid  map[int64]paragraph
}

// paragraph is a laid-out run of chunks: start and last name its first
// and last chunk.
type paragraph struct {
	start, last int64
	lines       []ui.StreamLine
}

// streamTop is the first line the stream view shows: a line of the
// paragraph that starts at chunk para.
type streamTop struct {
	para int64
	line int
}

func newStreamer(store *capture.Store, f capture.Filter, width int, dgram bool) *streamer {
	return &streamer{store: store, f: f, width: width, dgram: dgram, laid: map[int64]paragraph{}}
}

// flows reports whether chunk cur goes on from prev, whose last byte is
// last (-1 for none), in one paragraph.
func (s *streamer) flows(prev capture.Chunk, last int, cur capture.Chunk) bool {
	return !s.dgram && sameTurn(prev, cur) && last >= 0 && last != '\n' && last != '\r' &&
		prev.Seq>>6 == cur.Seq>>6 && prev.Offset>>14 == cur.Offset>>14
}

// sameTurn reports whether cur comes from the same side as prev.
func sameTurn(prev, cur capture.Chunk) bool {
	return prev.Dir == cur.Dir && prev.Dir != capture.Note && prev.Peer == cur.Peer
}

// at returns the paragraph that holds the chunk shown at seq, or the
// nearest one after it (forward) or before it.
func (s *streamer) at(seq int64, forward bool) (paragraph, bool) {
	c, _, ok := s.store.NearestChunk(s.f, seq, forward)
	if !ok {
		return paragraph{}, false
	}
	for {
		prev, last, ok := s.store.NearestChunk(s.f, c.Seq-1, false)
		if !ok || !s.flows(prev, last, c) {
			return s.layout(c.Seq), true
		}
		c = prev
	}
}

// layout lays out the paragraph that starts at chunk start.
func (s *streamer) layout(start int64) paragraph {
	if p, ok := s.laid[start]; ok {
		return p
	}
	first, data, _ := s.store.Nearest(s.f, start, true)
	prev, _, hasPrev := s.store.NearestChunk(s.f, start-1, false)
	turn := s.dgram || !hasPrev || !sameTurn(prev, first)
	chunks := []ui.StreamChunk{{Chunk: first, Data: data}}
	for {
		last := chunks[len(chunks)-1]
		next, data, ok := s.store.Nearest(s.f, last.Chunk.Seq+1, true)
		if !ok || !s.flows(last.Chunk, lastByte(last.Data), next) {
			break
		}
		chunks = append(chunks, ui.StreamChunk{Chunk: next, Data: data})
	}
	p := paragraph{start: start, last: chunks[len(chunks)-1].Chunk.Seq, lines: ui.LayoutStream(chunks, s.width, turn)}
	s.laid[start] = p
	return p
}

func lastByte(p []byte) int {
	if len(p) == 0 {
		return -1
	}
	return int(p[len(p)-1])
}

// after returns the paragraph after p. Chunks may arrive meanwhile and
// make p's last one flow on; the paragraph after is then one that starts
// later still, or none.
func (s *streamer) after(p paragraph) (paragraph, bool) {
	if q, ok := s.at(p.last+1, true); ok && q.start > p.start {
		return q, true
	}
	return paragraph{}, false
}

func (s *streamer) before(p paragraph) (paragraph, bool) {
	if q, ok := s.at(p.start-1, false); ok && q.start < p.start {
		return q, true
	}
	return paragraph{}, false
}

// lines returns up to n lines from top on.
func (s *streamer) lines(top streamTop, n int) []ui.StreamLine {
	var out []ui.StreamLine
	p, ok := s.at(top.para, true)
	line := top.line
	if ok && p.start != top.para {
		line = 0 // the paragraph is gone (dropped): start at the next one
	}
	for ok && len(out) < n {
		if line < len(p.lines) {
			out = append(out, p.lines[line:min(len(p.lines), line+n-len(out))]...)
		}
		p, ok = s.after(p)
		line = 0
	}
	return out
}

// tail returns the top that shows the last n lines.
func (s *streamer) tail(n int) (streamTop, bool) {
	p, ok := s.at(s.store.EndSeq()-1, false)
	if !ok {
		return streamTop{}, false
	}
	top := streamTop{para: p.start, line: len(p.lines)}
	t, _ := s.scroll(top, -n)
	return t, true
}

// scroll moves top by n lines; it reports whether it reached the end.
func (s *streamer) scroll(top streamTop, n int) (streamTop, bool) {
	p, ok := s.at(top.para, true)
	if !ok {
		return top, true
	}
	line := top.line + n
	if p.start != top.para {
		line = n
	}
	for line >= len(p.lines) {
		next, ok := s.after(p)
		if !ok {
			return streamTop{p.start, max(0, len(p.lines)-1)}, true
		}
		line -= len(p.lines)
		p = next
	}
	for line < 0 {
		prev, ok := s.before(p)
		if !ok {
			return streamTop{p.start, 0}, false
		}
		line += len(prev.lines)
		p = prev
	}
	return streamTop{p.start, line}, false
}

// topOf returns the line that shows position pos.
func (s *streamer) topOf(pos capture.Pos) streamTop {
	p, ok := s.at(pos.Seq, true)
	if !ok {
		return streamTop{}
	}
	at := 0
	for i, l := range p.lines {
		if l.Kind == ui.StreamText && (l.Chunk.Seq < pos.Seq || l.Chunk.Seq == pos.Seq && l.Byte <= pos.Byte) {
			at = i
		}
	}
	return streamTop{p.start, at}
}

// posOf returns the position of the first byte top shows.
func (s *streamer) posOf(top streamTop) capture.Pos {
	p, ok := s.at(top.para, true)
	if !ok || len(p.lines) == 0 {
		return capture.Pos{Seq: top.para}
	}
	l := p.lines[min(top.line, len(p.lines)-1)]
	return capture.Pos{Seq: l.Chunk.Seq, Byte: l.Byte}
}

// where says which chunk top is at, for people.
func (s *streamer) where(top streamTop) string {
	return fmt.Sprintf("chunk %d of %d", top.para+1, s.store.EndSeq())
}
