package capture

import (
	"fmt"
	"testing"
	"time"
)

// filled returns a store with chunks appended chunks of 4 KiB, alternating
// directions, under the default 256 MiB limit (so at most 64 Ki chunks
// stay).
func filled(chunks int) *Store {
	s := NewStore(DefaultLimit)
	p := make([]byte, 4<<10)
	for i := range p {
		p[i] = byte(i)
	}
	for i := range chunks {
		s.Append(Dir(1+i%2), time.Time{}, "", p)
	}
	return s
}

// BenchmarkRowsAtLarge draws one screen (40 rows) at spread-out starts of
// captures from 4 MiB to the 256 MiB cap (200k chunks appended, 800 MiB):
// the cost per screen stays flat.
func BenchmarkRowsAtLarge(b *testing.B) {
	for _, chunks := range []int{1_000, 20_000, 200_000} {
		s := filled(chunks)
		b.Run(fmt.Sprintf("chunks=%d/kept=%dMiB", chunks, s.Kept()>>20), func(b *testing.B) {
			for _, f := range []Filter{All, OnlyReceived} {
				rows := s.Rows(f)
				b.Run(f.String(), func(b *testing.B) {
					i := 0
					for b.Loop() {
						start := (i * 7919 * 40) % rows
						if len(s.RowsAt(f, start, 40)) == 0 {
							b.Fatal("no rows")
						}
						i++
					}
				})
			}
		})
	}
}

// BenchmarkAppend appends 4 KiB chunks to a store at its cap, where every
// append drops the oldest chunk and compaction runs now and then.
func BenchmarkAppend(b *testing.B) {
	s := NewStore(64 << 20)
	p := make([]byte, 4<<10)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		s.Append(Received, time.Time{}, "", p)
	}
}
