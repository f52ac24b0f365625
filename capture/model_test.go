package capture

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// model is the obvious, slow capture: every chunk ever appended, the newest
// limit bytes of them kept, shown rowBytes bytes a row.
type model struct {
	limit    int
	rowBytes int
	next     [4]int64
	chunks   []modelChunk
}

type modelChunk struct {
	dir    Dir
	peer   string
	offset int64
	data   []byte
}

// append adds a chunk (an empty one too: an empty datagram, or a note),
// then drops the oldest bytes over the limit: whole chunks first, chunks
// of no bytes among them, then the head of the oldest kept one; when the
// bytes dropped end at a chunk boundary, the chunks of no bytes that are
// then first go too.
func (m *model) append(dir Dir, peer string, p []byte) {
	m.chunks = append(m.chunks, modelChunk{dir, peer, m.next[dir], bytes.Clone(p)})
	m.next[dir] += int64(len(p))
	excess := -m.limit
	for _, c := range m.chunks {
		excess += len(c.data)
	}
	if excess <= 0 {
		return
	}
	i := 0
	for ; excess > 0; i++ {
		c := &m.chunks[i]
		if len(c.data) > excess {
			c.offset += int64(excess)
			c.data = c.data[excess:]
			m.chunks = m.chunks[i:]
			return
		}
		excess -= len(c.data)
	}
	for i < len(m.chunks) && len(m.chunks[i].data) == 0 {
		i++
	}
	m.chunks = m.chunks[i:]
}

// modelRow is one row of the model: chunk index, position in the chunk's
// data (-1 for a header).
type modelRow struct{ chunk, pos int }

func (m *model) rows(f Filter) []modelRow {
	var out []modelRow
	for i, c := range m.chunks {
		if !f.Shows(c.dir) {
			continue
		}
		out = append(out, modelRow{i, -1})
		for p := 0; p < len(c.data); p += m.rowBytes {
			out = append(out, modelRow{i, p})
		}
	}
	return out
}

func (m *model) text(f Filter) []string {
	var out []string
	for _, r := range m.rows(f) {
		c := m.chunks[r.chunk]
		if r.pos < 0 {
			if c.dir == Note {
				out = append(out, fmt.Sprintf("H%d %s @0 len 0 %s", r.chunk, c.dir, c.peer))
				continue
			}
			out = append(out, fmt.Sprintf("H%d %s @%d len %d %s", r.chunk, c.dir, c.offset, len(c.data), c.peer))
			continue
		}
		out = append(out, fmt.Sprintf("B%d @%d %q", r.chunk, c.offset+int64(r.pos), c.data[r.pos:min(r.pos+m.rowBytes, len(c.data))]))
	}
	return out
}

// stream returns chunk i's bytes followed by those of the next chunks of
// its direction and peer.
func (m *model) stream(i int) []byte {
	c := m.chunks[i]
	out := bytes.Clone(c.data)
	for _, n := range m.chunks[i+1:] {
		if n.dir != c.dir {
			continue
		}
		if n.peer != c.peer {
			break
		}
		out = append(out, n.data...)
	}
	return out
}

// find checks every byte position of every row in order.
func (m *model) find(f Filter, needle []byte, from int, forward bool) (int, bool) {
	rows := m.rows(f)
	if len(needle) == 0 || len(rows) == 0 {
		return 0, false
	}
	step := 1
	if !forward {
		step = -1
		from = min(from, len(rows)-1)
	}
	for r := max(from, 0); r >= 0 && r < len(rows); r += step {
		mr := rows[r]
		if mr.pos < 0 {
			continue
		}
		s := m.stream(mr.chunk)
		for k := range m.rowBytes {
			p := mr.pos + k
			if !forward {
				p = mr.pos + m.rowBytes - 1 - k
			}
			if p < len(m.chunks[mr.chunk].data) && bytes.HasPrefix(s[p:], needle) {
				return r, true
			}
		}
	}
	return 0, false
}

func TestAgainstModel(t *testing.T) {
	againstModel(t, NewStore)
}

// TestAgainstModelTinyBlocks runs the model test on stores whose blocks
// hold 1 to 32 bytes, so chunks, rows and matches cross block boundaries
// everywhere.
func TestAgainstModelTinyBlocks(t *testing.T) {
	for shift := range uint(6) {
		againstModel(t, func(limit int64) *Store { return withBlocks(NewStore(limit), shift) })
	}
}

// againstModel compares stores made by newStore with the model over
// random appends, rows and searches.
func againstModel(t *testing.T, newStore func(limit int64) *Store) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	peers := []string{"", "", "[::1]:9", "127.0.0.1:7"}
	for round := range 80 {
		limit := []int{50, 100, 333, 1 << 20}[round%4]
		s, m := newStore(int64(limit)), &model{limit: limit, rowBytes: BytesPerLine}
		for range 1 + rng.IntN(60) {
			switch dir, peer := Dir(1+rng.IntN(3)), peers[rng.IntN(len(peers))]; dir {
			case Note:
				s.AppendNote(time.Time{}, "note "+peer)
				m.append(Note, "note "+peer, nil)
			default:
				p := randomBytes(rng, rng.IntN(45))
				s.Append(dir, time.Time{}, peer, p)
				m.append(dir, peer, p)
			}
		}
		for _, rb := range []int{BytesPerLine, 1 + rng.IntN(40), BytesPerLine} {
			s.SetRowBytes(rb)
			m.rowBytes = rb
			for _, f := range []Filter{All, OnlySent, OnlyReceived} {
				checkRows(t, s, m, f, rng)
				checkFind(t, s, m, f, rng)
			}
		}
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = "ab\x00"[rng.IntN(3)]
	}
	return p
}

func checkRows(t *testing.T, s *Store, m *model, f Filter, rng *rand.Rand) {
	t.Helper()
	want := m.text(f)
	if s.Rows(f) != len(want) {
		t.Fatalf("Rows(%s) = %d, model %d", f, s.Rows(f), len(want))
	}
	for range 20 {
		start, n := rng.IntN(len(want)+2), rng.IntN(30)
		got := rowTexts(s.RowsAt(f, start, n))
		lo := min(start, len(want))
		exp := append([]string{}, want[lo:min(lo+n, len(want))]...)
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("RowsAt(%s, %d, %d) =\n%q\nmodel\n%q", f, start, n, got, exp)
		}
	}
}

func checkFind(t *testing.T, s *Store, m *model, f Filter, rng *rand.Rand) {
	t.Helper()
	rows := s.Rows(f)
	for range 40 {
		needle := randomBytes(rng, 1+rng.IntN(6))
		from, forward := rng.IntN(rows+3)-1, rng.IntN(2) == 0
		row, ok := s.Find(f, needle, from, forward)
		wrow, wok := m.find(f, needle, from, forward)
		if row != wrow || ok != wok {
			t.Fatalf("Find(%s, %q, %d, %v) = %d, %v; model %d, %v", f, needle, from, forward, row, ok, wrow, wok)
		}
	}
}
