package capture

import (
	"runtime"
	"testing"
	"time"
)

// TestMemoryBounded floods an 8 MiB store with 64 MiB in chunks of mixed
// sizes (1 byte up to three blocks) and bounds what the store allocated
// on the heap meanwhile, as TotalAlloc counts it: deterministic for a
// fixed sequence, and it counts garbage the collector has not reclaimed
// yet, which is what a resident-memory peak is made of.
//
// The bound is limit + 3 blocks + an index allowance:
//   - the kept bytes (at most the limit) span at most limit/block + 1
//     blocks, when they start inside a block;
//   - one spare block may wait, recycled, for the next append;
//   - the first block starts small and doubles up to the block size, so
//     its outgrown copies add up to less than one block;
//   - the index stays small: the sequence averages 600 KiB a chunk, so
//     about 15 chunks are kept, but a queue reclaims its dead prefix only
//     after 64 pops, so the records array reaches about 128 entries of
//     ~100 bytes, and its doublings left as much again: ~30 KB, for
//     which 64 KiB leaves room.
//
// In fact a new block is allocated only when there is no spare, so at
// most limit/block + 1 blocks ever exist at once here, and the store
// allocated limit + 1 block + 25 KB (9,462,640 bytes). A store that grew
// one buffer up to 1.5 x the limit, doubling and copying, allocated
// 18,904,400 bytes here: 2.25 x the limit.
func TestMemoryBounded(t *testing.T) {
	const (
		limit = 8 << 20
		block = 1 << 20 // the block size an 8 MiB limit gets (limit/8)
		index = 64 << 10
		total = 64 << 20
	)
	sizes := []int{1, 3<<20 + 5, 1, 17, 4096, block, 100_000, 1, 700_000, 2*block - 3, 1, 65_537, block + 1}
	src := make([]byte, 3<<20+5)
	for i := range src {
		src[i] = byte(i * 7)
	}
	s := NewStore(limit)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for i := 0; n < total; i++ {
		p := src[:sizes[i%len(sizes)]]
		s.Append(Dir(1+i%2), time.Time{}, "", p)
		n += len(p)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("appended %d MiB, allocated %d bytes (%.2f x limit), %d chunks kept", n>>20, allocated, float64(allocated)/limit, s.NumChunks())
	if bound := uint64(limit + 3*block + index); allocated > bound {
		t.Errorf("allocated %d bytes for an %d-byte limit, more than %d", allocated, limit, bound)
	}
	if s.Kept() != limit {
		t.Errorf("Kept = %d, want %d", s.Kept(), limit)
	}
}
