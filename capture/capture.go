// Package capture keeps the traffic of one socket for the hex view: both
// directions in the order they happened, as chunks (one per read or send)
// over a log of bytes kept in fixed-size blocks.
//
// The view shows a capture as rows: per chunk one header row (direction,
// time, peer, offset) and then one row per BytesPerLine bytes, counted from
// the chunk's first kept byte. Per-filter prefix sums of those row counts
// let RowsAt find the first chunk of a screen by binary search, so drawing
// costs the visible rows only, however large the capture.
//
// A Store keeps at most its limit of bytes: the newest ones. Older chunks
// are dropped whole, and the oldest kept chunk loses its head when only
// part of it fits. Offsets stay cumulative (they count dropped bytes) and
// Stats stay exact.
//
// The bytes live in blocks of one size (at most 1 MiB, see blockShiftFor),
// and a chunk may span several. Appending copies the new bytes into the
// last block and never moves kept ones; dropping frees the blocks it
// empties, one of them kept as a spare for the next append. So a store
// holds at most its limit rounded up to whole blocks plus two blocks (the
// partly dropped oldest one and the spare), and a flood allocates no more
// blocks once the store is full.
//
// A Store is safe for concurrent use: every method takes the store's mutex,
// so the UI may draw from View while Update appends. The bytes it hands out
// (Data, Row.Bytes) are copies, since the blocks are recycled once their
// bytes are dropped; a screen of rows is a few hundred bytes.
package capture

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Dir is the direction of a chunk.
type Dir uint8

// Directions. A Note is no traffic but something that happened to the
// socket (the peer's end of stream, a reset, our shutdown), recorded in
// its place among the chunks.
const (
	Sent     Dir = 1
	Received Dir = 2
	Note     Dir = 3
)

// String returns "sent", "received" or "note".
func (d Dir) String() string {
	switch d {
	case Sent:
		return "sent"
	case Received:
		return "received"
	case Note:
		return "note"
	}
	return fmt.Sprintf("dir(%d)", uint8(d))
}

func (d Dir) valid() bool { return d == Sent || d == Received }

// Filter selects the chunks a view shows.
type Filter uint8

// Filters.
const (
	All          Filter = 0
	OnlySent     Filter = 1
	OnlyReceived Filter = 2
)

// String returns "all", "sent" or "received".
func (f Filter) String() string {
	switch f {
	case All:
		return "all"
	case OnlySent, OnlyReceived:
		return Dir(f).String()
	}
	return fmt.Sprintf("filter(%d)", uint8(f))
}

// Shows reports whether chunks of direction d pass the filter.
func (f Filter) Shows(d Dir) bool { return f == All || Filter(d) == f }

func (f Filter) valid() bool { return f <= OnlyReceived }

// Sizes.
const (
	// DefaultLimit is the number of bytes a store keeps unless told otherwise.
	DefaultLimit = 256 << 20
	// BytesPerLine is the number of bytes in one row of the hex view.
	BytesPerLine = 16
	// ChunkCost is what one chunk's index entry is counted as, in bytes, to
	// bound the index: a store keeps at most limit/ChunkCost chunks (and at
	// least minChunks), so a flood of one-byte datagrams cannot make the
	// index outgrow the byte limit. An entry takes about 150 bytes in its
	// queues, which grow by doubling, and the garbage collector lets the
	// heap grow to twice what is live: 512 keeps a flood of tiny datagrams
	// within the limit.
	ChunkCost = 512
	minChunks = 1024
	maxLimit  = 1 << 46
)

// Chunk describes one kept chunk: the bytes of one read or one send (none
// for an empty datagram), or a note.
type Chunk struct {
	Dir Dir
	// Seq numbers the chunks of the store from 0, dropped ones included:
	// it names a chunk for good, while its index among the kept ones
	// shifts as older chunks are dropped.
	Seq  int64
	Time time.Time
	// Offset is the position of the chunk's first kept byte in its
	// direction's stream, counting every byte ever appended in that
	// direction, dropped ones included.
	Offset int64
	// Len is the number of bytes kept: fewer than appended when the limit
	// trimmed the chunk's head.
	Len int
	// Peer is the sender or destination of a datagram as given to Append,
	// raw text from outside; "" for connected sockets. For a note, it is
	// the note's text.
	Peer string
}

// Stats counts the traffic of a store. Totals are exact even after drops.
type Stats struct {
	RxBytes, TxBytes   int64
	RxChunks, TxChunks int64
	DroppedBytes       int64 // bytes no longer kept (whole chunks and trimmed heads)
	DroppedChunks      int64 // chunks dropped whole (a trimmed chunk is still kept)
}

// Row is one row of the hex view.
type Row struct {
	Header     bool  // a chunk header (direction, time, peer, offset) rather than bytes
	Chunk      Chunk // the chunk the row belongs to
	ChunkIndex int   // index of the chunk among the kept chunks (for Chunk and Data)
	// Offset is the position of the row's first byte in its direction's
	// stream; for a header, the chunk's Offset.
	Offset int64
	// Bytes holds up to BytesPerLine bytes, nil for a header: a copy that
	// the rows of one RowsAt call share, so do not modify it.
	Bytes []byte
}

// record is a kept chunk with its place in the byte log and the row counts
// that let a filter find it.
type record struct {
	chunk   Chunk
	pos     int64 // position of the chunk's first kept byte in the store's byte log
	dirSeq  int64 // chunks of the same direction appended before this one
	rowsAll int64 // rows of every chunk up to this one, as each was appended
	rowsDir int64 // the same, for this chunk's direction only
}

// Store is the capture of one socket. The zero value is not usable; call
// NewStore.
type Store struct {
	mu       sync.Mutex
	limit    int64
	rowBytes int // bytes in one row of the view

	log  blockLog // every byte appended; the kept bytes are its last kept
	kept int64

	recs queue[record] // kept chunks, oldest first
	dirs [3]queue[int64]
	seqs [3]int64 // chunks appended: all, then per direction (indexed by Dir)

	// Row counts per filter (indexed by Filter): total is every row ever
	// appended; gone, the rows of dropped chunks and trimmed heads. Row r
	// of a filter is absolute row r+gone.
	total [3]int64
	gone  [3]int64

	next  [3]int64 // next stream offset per direction
	stats Stats
}

// NewStore returns an empty store that keeps at most limit bytes
// (DefaultLimit when limit <= 0).
func NewStore(limit int64) *Store {
	limit = normLimit(limit)
	return &Store{limit: limit, rowBytes: BytesPerLine, log: newBlockLog(blockShiftFor(limit), 0)}
}

func normLimit(n int64) int64 {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, maxLimit)
}

// rowsOf returns the number of rows of a chunk of n bytes: its header and
// its bytes. A note is its header alone.
func (s *Store) rowsOf(n int) int64 { return 1 + int64(n+s.rowBytes-1)/int64(s.rowBytes) }

// Append records p, sent or received at t (peer for datagrams, "" else).
// It copies p. An empty p is recorded as a chunk of no bytes: give one
// only for an empty datagram, which is traffic too. An unknown direction
// records nothing. When the store passes its limit the oldest bytes are
// dropped.
func (s *Store) Append(dir Dir, t time.Time, peer string, p []byte) {
	if !dir.valid() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countBytes(dir, int64(len(p)))
	off := s.next[dir]
	s.next[dir] += int64(len(p))
	if over := int64(len(p)) - s.limit; over > 0 {
		p, off = p[over:], off+over
		s.stats.DroppedBytes += over
	}
	s.makeRoom(int64(len(p)))
	pos := s.log.write(s.keptFrom(), p)
	s.index(Chunk{Dir: dir, Time: t.Round(0), Offset: off, Len: len(p), Peer: s.intern(peer)}, pos)
}

// AppendNote records that something happened at t, in its place among
// the chunks: text says what, in words (it may hold outside text such as
// an error string; render it safely). A note is shown under the filter
// All only, and counts in no statistic.
func (s *Store) AppendNote(t time.Time, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.makeRoom(0)
	s.index(Chunk{Dir: Note, Time: t.Round(0), Peer: text}, s.log.end)
}

func (s *Store) countBytes(dir Dir, n int64) {
	if dir == Sent {
		s.stats.TxBytes += n
		s.stats.TxChunks++
	} else {
		s.stats.RxBytes += n
		s.stats.RxChunks++
	}
}

// intern returns peer, sharing the previous chunk's string when equal, so
// a datagram flood from one peer keeps one copy of its address.
func (s *Store) intern(peer string) string {
	if peer != "" && s.recs.len() > 0 && s.recs.last().chunk.Peer == peer {
		return s.recs.last().chunk.Peer
	}
	return peer
}

// index adds the record of a chunk whose bytes were written at pos.
func (s *Store) index(c Chunk, pos int64) {
	c.Seq = s.seqs[All]
	r := record{chunk: c, pos: pos}
	s.countRows(&r)
	if c.Dir.valid() {
		r.dirSeq = s.seqs[c.Dir]
		s.dirs[c.Dir].push(c.Seq)
		s.seqs[c.Dir]++
	}
	s.recs.push(r)
	s.seqs[All]++
	s.kept += int64(c.Len)
}

// countRows adds r's rows to the totals and gives r its prefix sums.
func (s *Store) countRows(r *record) {
	rows := s.rowsOf(r.chunk.Len)
	s.total[All] += rows
	r.rowsAll = s.total[All]
	if d := r.chunk.Dir; d.valid() {
		s.total[d] += rows
		r.rowsDir = s.total[d]
	}
}

// SetRowBytes sets how many bytes one row of the view holds (n >= 1;
// BytesPerLine by default): a wide terminal shows more per row. It counts
// every kept chunk's rows again, so call it when the width changes, not
// per frame.
func (s *Store) SetRowBytes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = max(n, 1)
	if n == s.rowBytes {
		return
	}
	s.rowBytes = n
	s.total, s.gone = [3]int64{}, [3]int64{}
	for i := range s.recs.len() {
		s.countRows(s.recs.at(i))
	}
}

// RowBytes returns how many bytes one row of the view holds.
func (s *Store) RowBytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rowBytes
}

// makeRoom drops the oldest bytes until n more fit the limit (n <= limit)
// and one more chunk fits the index. Chunks of no bytes (empty datagrams,
// notes) that end up first go with the bytes before them.
func (s *Store) makeRoom(n int64) {
	for s.recs.len() > 0 && s.recs.len() >= s.maxChunks() {
		s.dropFirst()
	}
	excess := s.kept + n - s.limit
	if excess <= 0 {
		return
	}
	for excess > 0 {
		first := int64(s.recs.at(0).chunk.Len)
		if first > excess {
			s.trimFirst(int(excess))
			return
		}
		s.dropFirst()
		excess -= first
	}
	for s.recs.len() > 0 && s.recs.at(0).chunk.Len == 0 {
		s.dropFirst()
	}
}

func (s *Store) maxChunks() int { return int(max(s.limit/ChunkCost, minChunks)) }

// dropFirst forgets the oldest kept chunk.
func (s *Store) dropFirst() {
	r := s.recs.at(0)
	s.forget(r.chunk.Dir, s.rowsOf(r.chunk.Len))
	if r.chunk.Dir.valid() {
		s.kept -= int64(r.chunk.Len)
		s.stats.DroppedBytes += int64(r.chunk.Len)
		s.stats.DroppedChunks++
		s.dirs[r.chunk.Dir].pop()
	}
	s.recs.pop()
}

// trimFirst drops the first k bytes of the oldest chunk (k < its Len).
func (s *Store) trimFirst(k int) {
	r := s.recs.at(0)
	before := s.rowsOf(r.chunk.Len)
	r.chunk.Len -= k
	r.chunk.Offset += int64(k)
	r.pos += int64(k)
	s.forget(r.chunk.Dir, before-s.rowsOf(r.chunk.Len))
	s.kept -= int64(k)
	s.stats.DroppedBytes += int64(k)
}

func (s *Store) forget(dir Dir, rows int64) {
	s.gone[All] += rows
	if dir.valid() {
		s.gone[dir] += rows
	}
}

// keptFrom returns the position in the byte log of the oldest kept byte:
// the kept bytes are the log's tail.
func (s *Store) keptFrom() int64 { return s.log.end - s.kept }

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Limit returns the number of bytes the store keeps at most.
func (s *Store) Limit() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

// SetLimit changes the limit (DefaultLimit when n <= 0), dropping the
// oldest bytes at once when the store holds more. When the new limit calls
// for another block size the kept bytes (at most the new limit) are copied
// to blocks of that size, so a store shrunk to a small limit does not hold
// on to big blocks.
func (s *Store) SetLimit(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = normLimit(n)
	s.makeRoom(0)
	for s.recs.len() > s.maxChunks() {
		s.dropFirst()
	}
	s.log.drop(s.keptFrom())
	if shift := blockShiftFor(s.limit); shift != s.log.shift {
		s.log = s.log.resized(shift, s.keptFrom())
	}
}

// Kept returns the number of bytes kept.
func (s *Store) Kept() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kept
}

// NumChunks returns the number of kept chunks.
func (s *Store) NumChunks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs.len()
}

// Chunk returns kept chunk i (0 is the oldest kept). It panics when i is
// out of range, as a slice index does.
func (s *Store) Chunk(i int) Chunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs.at(s.checkIndex(i)).chunk
}

// Data returns a copy of the kept bytes of chunk i. It panics when i is out
// of range.
func (s *Store) Data(i int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recs.at(s.checkIndex(i))
	return s.log.appendTo(make([]byte, 0, r.chunk.Len), r.pos, r.chunk.Len)
}

func (s *Store) checkIndex(i int) int {
	if i < 0 || i >= s.recs.len() {
		panic(fmt.Sprintf("capture: chunk index %d out of range [0, %d)", i, s.recs.len()))
	}
	return i
}

// Rows returns the number of rows under filter f: per chunk shown, one
// header and one row per BytesPerLine bytes (the last one partial).
func (s *Store) Rows(f Filter) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.rows(f))
}

func (s *Store) rows(f Filter) int64 {
	if !f.valid() {
		return 0
	}
	return s.total[f] - s.gone[f]
}

// view is the sequence of kept chunks a filter shows.
type view struct {
	s *Store
	f Filter
}

// view returns the chunks of filter f, false for an unknown filter.
func (s *Store) view(f Filter) (view, bool) { return view{s, f}, f.valid() }

func (v view) len() int {
	if v.f == All {
		return v.s.recs.len()
	}
	return v.s.dirs[v.f].len()
}

// rec returns the k-th chunk of the view.
func (v view) rec(k int) *record {
	if v.f == All {
		return v.s.recs.at(k)
	}
	return v.s.bySeq(*v.s.dirs[v.f].at(k))
}

// end returns the row just after the k-th chunk of the view.
func (v view) end(k int) int64 {
	r := v.rec(k)
	if v.f == All {
		return r.rowsAll - v.s.gone[All]
	}
	return r.rowsDir - v.s.gone[v.f]
}

// start returns the row of the k-th chunk's header.
func (v view) start(k int) int64 { return v.end(k) - v.s.rowsOf(v.rec(k).chunk.Len) }

// find returns the chunk that holds row (len() when row is past the end).
func (v view) find(row int64) int {
	return sort.Search(v.len(), func(k int) bool { return v.end(k) > row })
}

// firstSeq is the sequence number of the oldest kept chunk.
func (s *Store) firstSeq() int64 { return s.seqs[All] - int64(s.recs.len()) }

func (s *Store) bySeq(seq int64) *record { return s.recs.at(int(seq - s.firstSeq())) }

// nextInDir returns the kept chunk after r in r's direction, or nil.
func (s *Store) nextInDir(r *record) *record {
	q := &s.dirs[r.chunk.Dir]
	i := int(r.dirSeq-(s.seqs[r.chunk.Dir]-int64(q.len()))) + 1
	if i >= q.len() {
		return nil
	}
	return s.bySeq(*q.at(i))
}

// RowsAt returns rows [start, start+n) under filter f, fewer at the end.
// It costs a binary search over the chunks plus the rows returned.
func (s *Store) RowsAt(f Filter, start, n int) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.view(f)
	start = max(start, 0)
	total := s.rows(f)
	if !ok || n <= 0 || int64(start) >= total {
		return nil
	}
	end := min(int64(start)+int64(min(n, int(total))), total)
	out := make([]Row, 0, end-int64(start))
	// One array for the copies of all the rows' bytes; its capacity is
	// never passed, so the slices handed out stay put.
	arena := make([]byte, 0, cap(out)*s.rowBytes)
	row := int64(start)
	for k := v.find(row); row < end; k++ {
		r, first := v.rec(k), v.start(k)
		for i := row - first; i < s.rowsOf(r.chunk.Len) && row < end; i++ {
			var rw Row
			rw, arena = s.row(r, i, arena)
			out = append(out, rw)
			row++
		}
	}
	return out
}

// row returns row i of chunk r (0 is its header), its bytes copied to the
// end of arena.
func (s *Store) row(r *record, i int64, arena []byte) (Row, []byte) {
	out := Row{Header: i == 0, Chunk: r.chunk, ChunkIndex: int(r.chunk.Seq - s.firstSeq()), Offset: r.chunk.Offset}
	if i == 0 {
		return out, arena
	}
	b := int(i-1) * s.rowBytes
	out.Offset += int64(b)
	a := len(arena)
	arena = s.appendRow(arena, r, b, s.rowBytes)
	out.Bytes = arena[a:len(arena):len(arena)]
	return out, arena
}

// appendRow appends to dst up to n of r's bytes from b, which may lie in
// several blocks.
func (s *Store) appendRow(dst []byte, r *record, b, n int) []byte {
	return s.log.appendTo(dst, r.pos+int64(b), min(n, r.chunk.Len-b))
}

// Nearest returns the kept chunk seq when filter f shows it; otherwise the
// next one shown after it (forward) or the one before it, with its bytes
// copied. It reports false when there is none.
func (s *Store) Nearest(f Filter, seq int64, forward bool) (Chunk, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !f.valid() {
		return Chunk{}, nil, false
	}
	r := s.shownAt(f, seq, forward)
	if r == nil {
		return Chunk{}, nil, false
	}
	return r.chunk, s.log.appendTo(make([]byte, 0, r.chunk.Len), r.pos, r.chunk.Len), true
}

// NearestChunk is Nearest without the bytes: the chunk, and its last
// byte (-1 for a chunk of no bytes).
func (s *Store) NearestChunk(f Filter, seq int64, forward bool) (c Chunk, last int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !f.valid() {
		return Chunk{}, -1, false
	}
	r := s.shownAt(f, seq, forward)
	if r == nil {
		return Chunk{}, -1, false
	}
	last = -1
	if r.chunk.Len > 0 {
		last = int(s.log.appendTo(nil, r.pos+int64(r.chunk.Len-1), 1)[0])
	}
	return r.chunk, last, true
}

// Extent returns the bytes n bytes from p cover: from p on in its chunk,
// then on into the next chunks of the same direction and peer, as a
// search's match runs on. It stops early at the end of what is kept.
func (s *Store) Extent(p Pos, n int) []Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Seq < s.firstSeq() || p.Seq >= s.seqs[All] {
		return nil
	}
	var out []Span
	r, at := s.bySeq(p.Seq), p.Byte
	for n > 0 && r != nil {
		take := min(n, r.chunk.Len-at)
		out = append(out, Span{Seq: r.chunk.Seq, From: at, To: at + take})
		n -= take
		next := s.nextInDir(r)
		if next == nil || next.chunk.Peer != r.chunk.Peer {
			break
		}
		r, at = next, 0
	}
	return out
}

// Span is a run of the bytes of one chunk, [From, To).
type Span struct {
	Seq      int64
	From, To int
}

// Has reports whether byte b of chunk seq is in the span.
func (sp Span) Has(seq int64, b int) bool { return seq == sp.Seq && b >= sp.From && b < sp.To }

// EndSeq is the Seq the next chunk appended will have.
func (s *Store) EndSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seqs[All]
}
