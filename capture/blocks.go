package capture

import (
	"bytes"
	"iter"
	"math/bits"
)

// Block sizes. A store's bytes live in blocks of one size, a power of two:
// the largest one not over an eighth of the limit, so that what a store
// holds beyond its limit (the rounding up to whole blocks, the partly
// dropped oldest block, the spare) stays under 3/8 of it, and within
// [4 KiB, 1 MiB]. The floor keeps a tiny store from juggling tiny blocks;
// the ceiling makes dropping free memory in 1 MiB steps while keeping the
// blocks of a default store few (256).
const (
	minBlockShift = 12 // 4 KiB
	maxBlockShift = 20 // 1 MiB
	// firstBlockCap is the capacity the first block of a log starts with;
	// it doubles up to the block size, so a store that sees a few bytes
	// does not pay for a whole block.
	firstBlockCap = 4 << 10
)

// blockShiftFor returns the log2 of the block size for a store of limit
// bytes.
func blockShiftFor(limit int64) uint {
	shift := bits.Len64(uint64(max(limit/8, 1))) - 1
	return uint(min(max(shift, minBlockShift), maxBlockShift))
}

// blockLog is an append-only log of bytes kept in blocks of 1<<shift
// bytes, of which only a tail (the bytes from some position on) is
// wanted. Position p lives in the block that starts at p rounded down to
// the block size, so finding a byte costs a shift and a mask; a write
// never moves bytes already written, and the blocks that hold only
// unwanted bytes are released whole.
type blockLog struct {
	shift uint
	// blocks[i] holds positions [base + i<<shift, base + (i+1)<<shift).
	// Every block is full (len = block size) except the last, whose len
	// ends at end. The first block of a log that starts mid-block holds
	// unused bytes before its start.
	blocks queue[[]byte]
	base   int64 // a multiple of the block size
	end    int64 // the position after the last byte written
	// spares are released blocks, reused before anything is allocated.
	// Between calls there is at most one; during a write, the blocks the
	// caller's drops freed wait here for the write to reuse them, so a
	// chunk of several blocks does not allocate while discarding as many.
	spares [][]byte
}

// newBlockLog returns an empty log of blocks of 1<<shift bytes whose first
// byte will be at position at.
func newBlockLog(shift uint, at int64) blockLog {
	return blockLog{shift: shift, end: at}
}

func (l *blockLog) blockSize() int { return 1 << l.shift }

func (l *blockLog) offset(pos int64) int { return int(pos & int64(l.blockSize()-1)) }

// block returns the block that holds position pos.
func (l *blockLog) block(pos int64) []byte {
	return *l.blocks.at(int(pos>>l.shift - l.base>>l.shift))
}

// write appends p to the log and returns its position. The blocks that
// hold only bytes before keep are released first, so the write reuses
// what the caller's drops freed.
func (l *blockLog) write(keep int64, p []byte) int64 {
	l.release(keep)
	pos := l.end
	for len(p) > 0 {
		n := copy(l.room(len(p)), p)
		l.end += int64(n)
		p = p[n:]
	}
	l.keepOneSpare()
	return pos
}

// drop releases the blocks that hold only bytes before keep, keeping one
// of them as a spare.
func (l *blockLog) drop(keep int64) {
	l.release(keep)
	l.keepOneSpare()
}

// release makes spares of the blocks that hold only bytes before keep.
func (l *blockLog) release(keep int64) {
	size := int64(l.blockSize())
	for l.blocks.len() > 0 && l.base+size <= keep {
		l.spares = append(l.spares, *l.blocks.at(0))
		l.blocks.pop()
		l.base += size
	}
}

// keepOneSpare lets the collector have all spares but one.
func (l *blockLog) keepOneSpare() {
	if len(l.spares) > 1 {
		clear(l.spares[1:])
		l.spares = l.spares[:1]
	}
}

// room extends the last block by up to n bytes (at least one) for a
// write at end and returns them, adding a block when the last is full.
func (l *blockLog) room(n int) []byte {
	if l.blocks.len() == 0 || len(*l.blocks.last()) == l.blockSize() {
		l.addBlock(n)
	}
	b := l.blocks.last()
	i := len(*b)
	j := i + min(n, l.blockSize()-i)
	if j > cap(*b) {
		*b = grow(*b, j, l.blockSize())
	}
	*b = (*b)[:j]
	return (*b)[i:j]
}

// addBlock adds the block that starts at or just before end: a spare when
// there is one, else a new block, of full size unless it is the log's only
// block (which then starts with room for n bytes or firstBlockCap, and
// grows).
func (l *blockLog) addBlock(n int) {
	if l.blocks.len() == 0 {
		l.base = l.end &^ int64(l.blockSize()-1)
	}
	k := l.offset(l.end) // unused bytes before the log's start in a first block
	var b []byte
	switch {
	case len(l.spares) > 0:
		b = l.spares[len(l.spares)-1][:k]
		l.spares[len(l.spares)-1] = nil
		l.spares = l.spares[:len(l.spares)-1]
	case l.blocks.len() == 0:
		b = make([]byte, k, min(max(k+n, firstBlockCap), l.blockSize()))
	default:
		b = make([]byte, k, l.blockSize())
	}
	l.blocks.push(b)
}

// grow returns b with room for need bytes: twice its capacity, or need
// when that is more, but never over size.
func grow(b []byte, need, size int) []byte {
	out := make([]byte, len(b), min(max(2*cap(b), need), size))
	copy(out, b)
	return out
}

// spans yields the n bytes from position pos on (all written), as slices
// of the blocks in order: one per block they touch. The slices are views
// of the blocks, for use under the store's lock only.
func (l *blockLog) spans(pos int64, n int) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for n > 0 {
			s := l.span(pos, n)
			if !yield(s) {
				return
			}
			pos += int64(len(s))
			n -= len(s)
		}
	}
}

// span returns the bytes from position pos on that lie in pos's block, at
// most n.
func (l *blockLog) span(pos int64, n int) []byte {
	b, i := l.block(pos), l.offset(pos)
	j := min(i+n, len(b))
	return b[i:j:j]
}

// spanBefore returns the bytes before position end that lie in the block
// of end-1, at most n.
func (l *blockLog) spanBefore(end int64, n int) []byte {
	b, j := l.block(end-1), l.offset(end-1)+1
	return b[max(j-n, 0):j:j]
}

// appendTo appends the n bytes from position pos on to dst.
func (l *blockLog) appendTo(dst []byte, pos int64, n int) []byte {
	for s := range l.spans(pos, n) {
		dst = append(dst, s...)
	}
	return dst
}

// equal reports whether the bytes from position pos on are p.
func (l *blockLog) equal(pos int64, p []byte) bool {
	for s := range l.spans(pos, len(p)) {
		if !bytes.Equal(s, p[:len(s)]) {
			return false
		}
		p = p[len(s):]
	}
	return true
}

// resized returns a log of blocks of 1<<shift bytes that holds the bytes
// from position keep on, at the same positions, copied.
func (l *blockLog) resized(shift uint, keep int64) blockLog {
	out := newBlockLog(shift, keep)
	for s := range l.spans(keep, int(l.end-keep)) {
		out.write(keep, s)
	}
	return out
}
