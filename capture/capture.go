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

// Directions.
const (
	Sent     Dir = 1
	Received Dir = 2
)

// String returns "sent" or "received".
func (d Dir) String() string {
	switch d {
	case Sent:
		return "sent"
	case Received:
		return "received"
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
	// index outgrow the byte limit.
	ChunkCost = 128
	minChunks = 1024
	maxLimit  = 1 << 46
)

// Chunk describes one kept chunk: the bytes of one read or one send.
type Chunk struct {
	Dir  Dir
	Time time.Time
	// Offset is the position of the chunk's first kept byte in its
	// direction's stream, counting every byte ever appended in that
	// direction, dropped ones included.
	Offset int64
	// Len is the number of bytes kept: fewer than appended when the limit
	// trimmed the chunk's head.
	Len int
	// Peer is the sender or destination of a datagram as given to Append,
	// raw text from outside; "" for connected sockets.
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
	seq     int64 // chunks appended before this one
	dirSeq  int64 // chunks of the same direction appended before this one
	rowsAll int64 // rows of every chunk up to this one, as each was appended
	rowsDir int64 // the same, for this chunk's direction only
}

// Store is the capture of one socket. The zero value is not usable; call
// NewStore.
type Store struct {
	mu    sync.Mutex
	limit int64

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
	return &Store{limit: limit, log: newBlockLog(blockShiftFor(limit), 0)}
}

func normLimit(n int64) int64 {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, maxLimit)
}

// rowsOf returns the number of rows of a chunk of n bytes.
func rowsOf(n int) int64 { return 1 + int64(n+BytesPerLine-1)/BytesPerLine }

// Append records p, sent or received at t (peer for datagrams, "" else).
// It copies p; an empty p or an unknown direction records nothing. When the
// store passes its limit the oldest bytes are dropped.
func (s *Store) Append(dir Dir, t time.Time, peer string, p []byte) {
	if len(p) == 0 || !dir.valid() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count(dir, int64(len(p)))
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

func (s *Store) count(dir Dir, n int64) {
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
	rows := rowsOf(c.Len)
	s.total[All] += rows
	s.total[c.Dir] += rows
	s.recs.push(record{chunk: c, pos: pos, seq: s.seqs[All], dirSeq: s.seqs[c.Dir],
		rowsAll: s.total[All], rowsDir: s.total[c.Dir]})
	s.dirs[c.Dir].push(s.seqs[All])
	s.seqs[All]++
	s.seqs[c.Dir]++
	s.kept += int64(c.Len)
}

// makeRoom drops the oldest bytes until n more fit the limit (n <= limit)
// and one more chunk fits the index.
func (s *Store) makeRoom(n int64) {
	for s.recs.len() > 0 && s.recs.len() >= s.maxChunks() {
		s.dropFirst()
	}
	excess := s.kept + n - s.limit
	for excess > 0 {
		first := int64(s.recs.at(0).chunk.Len)
		if first > excess {
			s.trimFirst(int(excess))
			return
		}
		s.dropFirst()
		excess -= first
	}
}

func (s *Store) maxChunks() int { return int(max(s.limit/ChunkCost, minChunks)) }

// dropFirst forgets the oldest kept chunk.
func (s *Store) dropFirst() {
	r := s.recs.at(0)
	s.forget(r.chunk.Dir, rowsOf(r.chunk.Len))
	s.kept -= int64(r.chunk.Len)
	s.stats.DroppedBytes += int64(r.chunk.Len)
	s.stats.DroppedChunks++
	s.dirs[r.chunk.Dir].pop()
	s.recs.pop()
}

// trimFirst drops the first k bytes of the oldest chunk (k < its Len).
func (s *Store) trimFirst(k int) {
	r := s.recs.at(0)
	before := rowsOf(r.chunk.Len)
	r.chunk.Len -= k
	r.chunk.Offset += int64(k)
	r.pos += int64(k)
	s.forget(r.chunk.Dir, before-rowsOf(r.chunk.Len))
	s.kept -= int64(k)
	s.stats.DroppedBytes += int64(k)
}

func (s *Store) forget(dir Dir, rows int64) {
	s.gone[All] += rows
	s.gone[dir] += rows
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
func (v view) start(k int) int64 { return v.end(k) - rowsOf(v.rec(k).chunk.Len) }

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
	arena := make([]byte, 0, cap(out)*BytesPerLine)
	row := int64(start)
	for k := v.find(row); row < end; k++ {
		r, first := v.rec(k), v.start(k)
		for i := row - first; i < rowsOf(r.chunk.Len) && row < end; i++ {
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
	out := Row{Header: i == 0, Chunk: r.chunk, ChunkIndex: int(r.seq - s.firstSeq()), Offset: r.chunk.Offset}
	if i == 0 {
		return out, arena
	}
	b := int(i-1) * BytesPerLine
	out.Offset += int64(b)
	a := len(arena)
	arena = s.appendRow(arena, r, b)
	out.Bytes = arena[a:len(arena):len(arena)]
	return out, arena
}

// appendRow appends to dst the row of r's bytes that starts at b (a
// multiple of BytesPerLine): up to BytesPerLine bytes, which may lie in two
// blocks.
func (s *Store) appendRow(dst []byte, r *record, b int) []byte {
	return s.log.appendTo(dst, r.pos+int64(b), min(BytesPerLine, r.chunk.Len-b))
}
