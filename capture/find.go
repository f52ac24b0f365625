package capture

import (
	"bytes"
	"context"
	"math"
)

// Pos is a place in a store: a chunk, named by its Seq, and a byte of it.
type Pos struct {
	Seq  int64
	Byte int
}

// Find searches the bytes shown under filter f for needle and returns the
// byte row where the match starts: the first match starting in fromRow or
// after it when forward, the last one starting in fromRow or before it
// otherwise. A header row as fromRow counts as just before its chunk's
// bytes. It reports false when there is no match or needle is empty. See
// FindPos for how matches are found.
func (s *Store) Find(f Filter, needle []byte, fromRow int, forward bool) (row int, ok bool) {
	from, ok := s.findStart(f, fromRow, forward)
	if !ok {
		return 0, false
	}
	at, ok, _ := s.FindPos(context.Background(), f, needle, from, forward, nil)
	if !ok {
		return 0, false
	}
	return s.RowOf(f, at), true
}

// findStart turns Find's row into FindPos's start: the row's first byte
// going forward, its last going back (a header: just before its chunk).
func (s *Store) findStart(f Filter, row int, forward bool) (Pos, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, valid := s.view(f)
	total := s.rows(f)
	if !valid || total == 0 || (forward && int64(row) >= total) || (!forward && row < 0) {
		return Pos{}, false
	}
	r64 := min(max(int64(row), 0), total-1)
	k := v.find(r64)
	rec, i := v.rec(k), int(r64-v.start(k))
	if forward {
		return Pos{rec.chunk.Seq, max(i-1, 0) * s.rowBytes}, true
	}
	return Pos{rec.chunk.Seq, i*s.rowBytes - 1}, true
}

// FindPos searches the bytes shown under filter f for needle: the first
// match starting at from or after it when forward, the last one starting
// at from or before it otherwise. It reports where, or false when there is
// none, needle is empty, or ctx ended (then with ctx's error).
//
// A match may run over chunk boundaries: it goes on into the next kept
// chunk of the same direction when that chunk has the same Peer, since a
// direction's chunks are consecutive pieces of one stream (a TCP read
// boundary means nothing). Datagrams from one peer are treated the same
// way. Under a filter the continuation is the same, as both chunks pass it
// or neither does.
//
// The store's lock is taken for one chunk at a time, so appends and drawing
// go on during a long search; chunks dropped meanwhile are skipped, and
// chunks appended after the search began are not searched (on a flood it
// would never end). After each chunk, progress (when not nil) is told how
// many bytes were searched so far.
func (s *Store) FindPos(ctx context.Context, f Filter, needle []byte, from Pos, forward bool, progress func(searched int64)) (Pos, bool, error) {
	if !f.valid() || len(needle) == 0 {
		return Pos{}, false, nil
	}
	end := s.EndSeq()
	var searched int64
	seq, at := min(from.Seq, end), from.Byte
	for {
		if err := ctx.Err(); err != nil {
			return Pos{}, false, err
		}
		p, next, n, found := s.searchChunk(f, needle, seq, at, forward)
		if found {
			return p, true, nil
		}
		searched += n
		if progress != nil {
			progress(searched)
		}
		if next < 0 || next >= end {
			return Pos{}, false, nil
		}
		seq = next
		at = 0
		if !forward {
			at = math.MaxInt
		}
	}
}

// searchChunk searches the chunk seq (or, when it was dropped, the first
// kept chunk going forward) from byte at, under the lock. It returns the
// match, or the next chunk to search (-1 at the end) and the bytes it
// searched.
func (s *Store) searchChunk(f Filter, needle []byte, seq int64, at int, forward bool) (p Pos, next int64, n int64, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.shownAt(f, seq, forward)
	if r == nil {
		return Pos{}, -1, 0, false
	}
	if r.chunk.Seq != seq {
		at = 0 // seq itself was dropped or not shown: start at the next one
		if !forward {
			at = math.MaxInt
		}
	}
	var i int
	if forward {
		i, found = s.searchForward(r, needle, max(at, 0))
		n = int64(r.chunk.Len - max(at, 0))
	} else {
		i, found = s.searchBackward(r, needle, min(at, r.chunk.Len-1)+1)
		n = int64(min(at+1, r.chunk.Len))
	}
	if found {
		return Pos{r.chunk.Seq, i}, 0, n, true
	}
	next = -1
	if q := s.stepShown(f, r, forward); q != nil {
		next = q.chunk.Seq
	}
	return Pos{}, next, max(n, 0), false
}

// shownAt returns the kept chunk seq when filter f shows it; otherwise the
// next one shown after it going forward, the one before it going back;
// nil when there is none.
func (s *Store) shownAt(f Filter, seq int64, forward bool) *record {
	if f != All {
		return s.stepInDir(Dir(f), seq, forward)
	}
	first, end := s.firstSeq(), s.seqs[All]
	switch {
	case s.recs.len() == 0, seq < first && !forward, seq >= end && forward:
		return nil
	case seq < first:
		seq = first
	case seq >= end:
		seq = end - 1
	}
	return s.bySeq(seq)
}

// stepShown returns the chunk after r (or before it) that filter f shows,
// nil at the end.
func (s *Store) stepShown(f Filter, r *record, forward bool) *record {
	seq := r.chunk.Seq + 1
	if !forward {
		seq = r.chunk.Seq - 1
	}
	return s.shownAt(f, seq, forward)
}

// stepInDir returns the first chunk of direction d at or after seq (at or
// before it going back), nil when there is none.
func (s *Store) stepInDir(d Dir, seq int64, forward bool) *record {
	q := &s.dirs[d]
	lo, hi := 0, q.len()
	for lo < hi { // the first index whose seq is >= seq
		mid := (lo + hi) / 2
		if *q.at(mid) < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if !forward {
		if lo < q.len() && *q.at(lo) == seq {
			return s.bySeq(seq)
		}
		lo--
	}
	if lo < 0 || lo >= q.len() {
		return nil
	}
	return s.bySeq(*q.at(lo))
}

// RowOf returns the row of the view under filter f that shows position p
// (a byte row, or the header for a chunk of no bytes); 0 when p's chunk
// is no longer kept or not shown.
func (s *Store) RowOf(f Filter, p Pos) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.view(f)
	if !ok || p.Seq < s.firstSeq() || p.Seq >= s.seqs[All] {
		return 0
	}
	r := s.bySeq(p.Seq)
	if !f.Shows(r.chunk.Dir) || (f != All && !r.chunk.Dir.valid()) {
		return 0
	}
	k := int(p.Seq - s.firstSeq())
	if f != All {
		k = int(r.dirSeq - (s.seqs[f] - int64(s.dirs[f].len())))
	}
	row := v.start(k)
	if r.chunk.Len > 0 && p.Byte >= 0 {
		row += 1 + int64(min(p.Byte, r.chunk.Len-1)/s.rowBytes)
	}
	return int(row)
}

// PosOf returns the position a row of the view under filter f shows: its
// first byte (a header: its chunk's first byte).
func (s *Store) PosOf(f Filter, row int) (Pos, bool) { return s.findStart(f, row, true) }

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
