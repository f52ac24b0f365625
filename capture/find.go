package capture

import (
	"bytes"
	"math"
)

// Find searches the bytes shown under filter f for needle and returns the
// byte row where the match starts: the first match starting in fromRow or
// after it when forward, the last one starting in fromRow or before it
// otherwise. A header row as fromRow counts as just before its chunk's
// bytes. It reports false when there is no match or needle is empty.
//
// A match may run over row boundaries and over chunk boundaries: it goes on
// into the next kept chunk of the same direction when that chunk has the
// same Peer, since a direction's chunks are consecutive pieces of one
// stream (a TCP read boundary means nothing). Datagrams from one peer are
// treated the same way. Under a filter the continuation is the same, as
// both chunks pass it or neither does.
//
// The search reads the kept bytes from fromRow on, so its cost grows with
// the distance to the match (bytes.Index speed), unlike RowsAt.
func (s *Store) Find(f Filter, needle []byte, fromRow int, forward bool) (row int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, valid := s.view(f)
	total := s.rows(f)
	if !valid || len(needle) == 0 || total == 0 {
		return 0, false
	}
	if forward {
		return s.findForward(v, needle, max(int64(fromRow), 0))
	}
	return s.findBackward(v, needle, min(int64(fromRow), total-1))
}

func (s *Store) findForward(v view, needle []byte, from int64) (int, bool) {
	k := v.find(from)
	if k == v.len() {
		return 0, false
	}
	first := int(max(from-v.start(k)-1, 0)) * BytesPerLine
	for ; k < v.len(); k++ {
		if p, ok := s.searchForward(v.rec(k), needle, first); ok {
			return int(v.start(k)) + 1 + p/BytesPerLine, true
		}
		first = 0
	}
	return 0, false
}

func (s *Store) findBackward(v view, needle []byte, from int64) (int, bool) {
	if from < 0 {
		return 0, false
	}
	k := v.find(from)
	limit := int(from-v.start(k)) * BytesPerLine // a header row allows no byte of its chunk
	for ; k >= 0; k-- {
		if p, ok := s.searchBackward(v.rec(k), needle, limit); ok {
			return int(v.start(k)) + 1 + p/BytesPerLine, true
		}
		limit = math.MaxInt
	}
	return 0, false
}

// searchForward returns the first position at or after from in r's bytes
// where needle starts. It searches r's bytes a block span at a time: first
// inside the span, then at the positions whose match would run past its
// end (into the next block or chunk), which all come after those inside.
func (s *Store) searchForward(r *record, needle []byte, from int) (int, bool) {
	for at := from; at < r.chunk.Len; {
		span := s.log.span(r.pos+int64(at), r.chunk.Len-at)
		if i := bytes.Index(span, needle); i >= 0 {
			return at + i, true
		}
		end := at + len(span)
		for p := max(at, end-len(needle)+1); p < end; p++ {
			if s.matchAt(r, p, needle) {
				return p, true
			}
		}
		at = end
	}
	return 0, false
}

// searchBackward returns the last position before limit in r's bytes where
// needle starts. It searches from the end a block span at a time, in the
// reverse of searchForward's order.
func (s *Store) searchBackward(r *record, needle []byte, limit int) (int, bool) {
	limit = min(limit, r.chunk.Len)
	// A match that starts before limit ends by limit-1+len(needle).
	for end := min(r.chunk.Len, limit-1+len(needle)); end > 0; {
		span := s.log.spanBefore(r.pos+int64(end), end)
		at := end - len(span)
		for p := min(end, limit) - 1; p >= max(at, end-len(needle)+1); p-- {
			if s.matchAt(r, p, needle) {
				return p, true
			}
		}
		if i := bytes.LastIndex(span, needle); i >= 0 {
			return at + i, true
		}
		end = at
	}
	return 0, false
}

// matchAt reports whether needle starts at position p of r's bytes,
// continuing into the following chunks of the same direction and peer.
func (s *Store) matchAt(r *record, p int, needle []byte) bool {
	for {
		n := min(r.chunk.Len-p, len(needle))
		if !s.log.equal(r.pos+int64(p), needle[:n]) {
			return false
		}
		if needle = needle[n:]; len(needle) == 0 {
			return true
		}
		next := s.nextInDir(r)
		if next == nil || next.chunk.Peer != r.chunk.Peer {
			return false
		}
		r, p = next, 0
	}
}
