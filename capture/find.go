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
// where needle starts.
func (s *Store) searchForward(r *record, needle []byte, from int) (int, bool) {
	data := s.data(r)
	if i := bytes.Index(data[from:], needle); i >= 0 {
		return from + i, true
	}
	for p := max(from, len(data)-len(needle)+1); p < len(data); p++ {
		if s.matchAt(r, p, needle) {
			return p, true
		}
	}
	return 0, false
}

// searchBackward returns the last position before limit in r's bytes where
// needle starts.
func (s *Store) searchBackward(r *record, needle []byte, limit int) (int, bool) {
	data := s.data(r)
	limit = min(limit, len(data))
	// Matches that run into the next chunk start after any match inside r.
	for p := limit - 1; p >= max(0, len(data)-len(needle)+1); p-- {
		if s.matchAt(r, p, needle) {
			return p, true
		}
	}
	if i := bytes.LastIndex(data[:min(len(data), limit-1+len(needle))], needle); i >= 0 {
		return i, true
	}
	return 0, false
}

// matchAt reports whether needle starts at position p of r's bytes,
// continuing into the following chunks of the same direction and peer.
func (s *Store) matchAt(r *record, p int, needle []byte) bool {
	rest := s.data(r)[p:]
	for len(rest) < len(needle) {
		if !bytes.HasPrefix(needle, rest) {
			return false
		}
		needle = needle[len(rest):]
		next := s.nextInDir(r)
		if next == nil || next.chunk.Peer != r.chunk.Peer {
			return false
		}
		r, rest = next, s.data(next)
	}
	return bytes.HasPrefix(rest, needle)
}
