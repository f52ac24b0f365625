package capture

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// withBlocks gives the empty store s blocks of 1<<shift bytes, below the
// sizes a limit chooses, so tests cross block boundaries with few bytes.
func withBlocks(s *Store, shift uint) *Store {
	s.log = newBlockLog(shift, 0)
	return s
}

// held returns the bytes the log holds on to, spares included.
func (l *blockLog) held() int {
	n := 0
	for i := range l.blocks.len() {
		n += cap(*l.blocks.at(i))
	}
	for _, b := range l.spares {
		n += cap(b)
	}
	return n
}

// maxHeld is what the design lets a store hold: the blocks its kept
// bytes can span when they start inside a block, and one spare.
func maxHeld(s *Store) int {
	size := int64(s.log.blockSize())
	return int(((s.limit+size-1)/size + 2) * size)
}

func TestBlockShiftFor(t *testing.T) {
	for _, c := range []struct {
		limit int64
		shift uint
	}{
		{1, 12}, {100, 12}, {32 << 10, 12}, {64 << 10, 13}, {100_000, 13},
		{8 << 20, 20}, {8<<20 - 1, 19}, {DefaultLimit, 20}, {maxLimit, 20},
	} {
		if got := blockShiftFor(c.limit); got != c.shift {
			t.Errorf("blockShiftFor(%d) = %d, want %d", c.limit, got, c.shift)
		}
	}
}

// stream is the bytes appended in one direction, for checking what a
// store keeps of them.
type stream []byte

// check compares the store's kept bytes of dir, read through Data and
// WriteDir, with the tail of the stream, and the memory it holds with
// maxHeld.
func (want stream) check(t *testing.T, s *Store, dir Dir) {
	t.Helper()
	var out bytes.Buffer
	if _, err := s.WriteDir(&out, dir); err != nil {
		t.Fatal(err)
	}
	tail := want[len(want)-out.Len():]
	if !bytes.Equal(out.Bytes(), tail) || int64(out.Len()) != s.Kept() {
		t.Fatalf("WriteDir gave %d bytes (equal to the stream's tail: %v), kept %d", out.Len(), bytes.Equal(out.Bytes(), tail), s.Kept())
	}
	var data []byte
	for i := range s.NumChunks() {
		data = append(data, s.Data(i)...)
	}
	if !bytes.Equal(data, tail) {
		t.Fatal("Data differs from WriteDir")
	}
	if held := s.log.held(); held > maxHeld(s) {
		t.Fatalf("holds %d bytes for limit %d in blocks of %d, more than %d", held, s.limit, s.log.blockSize(), maxHeld(s))
	}
}

func TestBlocksHoldLimitAndTwoBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []*Store{NewStore(100_000), NewStore(5000), withBlocks(NewStore(1000), 6)} {
		var want stream
		for range 400 {
			p := randomBytes(rng, []int{1, 15, 16, 17, 700, 9000, 30_000}[rng.IntN(7)])
			s.Append(Received, t0, "", p)
			want = append(want, p...)
			want.check(t, s, Received)
		}
	}
}

func TestSetLimitChangesBlockSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := NewStore(8 << 20)
	var want stream
	add := func(n int) {
		for range n {
			p := randomBytes(rng, 1+rng.IntN(300_000))
			s.Append(Sent, t0, "", p)
			want = append(want, p...)
		}
	}
	add(20)
	for _, limit := range []int64{10_000, 3 << 20, 5, 0} {
		s.SetLimit(limit)
		if s.log.shift != blockShiftFor(s.limit) {
			t.Fatalf("SetLimit(%d): blocks of %d bytes", limit, s.log.blockSize())
		}
		want.check(t, s, Sent)
		add(10)
		want.check(t, s, Sent)
	}
}

// TestFewBytesFewKiB checks that a store that saw a few bytes holds a
// few KiB, not a whole block: a workbench has a store per socket.
func TestFewBytesFewKiB(t *testing.T) {
	s := NewStore(0)
	s.Append(Received, t0, "", []byte("hello"))
	if held := s.log.held(); held > firstBlockCap {
		t.Fatalf("holds %d bytes for 5", held)
	}
	p := make([]byte, 100_000)
	s.Append(Received, time.Time{}, "", p)
	if held := s.log.held(); held > 2*len(p) {
		t.Fatalf("holds %d bytes for %d", held, s.Kept())
	}
}
