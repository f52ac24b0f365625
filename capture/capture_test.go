package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

// small is the capture most tests look at:
//
//	chunk 0 sent      "hello"                 offset 0   rows 0-1
//	chunk 1 received  "0123456789abcdefghij"  offset 0   rows 2-4
//	chunk 2 sent      " world"                offset 5   rows 5-6
//	chunk 3 received  16 bytes from "peer"    offset 20  rows 7-8
func small() *Store {
	s := NewStore(0)
	s.Append(Sent, t0, "", []byte("hello"))
	s.Append(Received, t0.Add(time.Second), "", []byte("0123456789abcdefghij"))
	s.Append(Sent, t0.Add(2*time.Second), "", []byte(" world"))
	s.Append(Received, t0.Add(3*time.Second), "peer", []byte("ABCDEFGHIJKLMNOP"))
	return s
}

// rowText is a compact, comparable form of a row.
func rowText(r Row) string {
	if r.Header {
		return fmt.Sprintf("H%d %s @%d len %d %s", r.ChunkIndex, r.Chunk.Dir, r.Offset, r.Chunk.Len, r.Chunk.Peer)
	}
	return fmt.Sprintf("B%d @%d %q", r.ChunkIndex, r.Offset, r.Bytes)
}

func rowTexts(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = rowText(r)
	}
	return out
}

func TestSmallCaptureRows(t *testing.T) {
	s := small()
	want := map[Filter][]string{
		All: {
			"H0 sent @0 len 5 ",
			`B0 @0 "hello"`,
			"H1 received @0 len 20 ",
			`B1 @0 "0123456789abcdef"`,
			`B1 @16 "ghij"`,
			"H2 sent @5 len 6 ",
			`B2 @5 " world"`,
			"H3 received @20 len 16 peer",
			`B3 @20 "ABCDEFGHIJKLMNOP"`,
		},
		OnlySent: {
			"H0 sent @0 len 5 ",
			`B0 @0 "hello"`,
			"H2 sent @5 len 6 ",
			`B2 @5 " world"`,
		},
		OnlyReceived: {
			"H1 received @0 len 20 ",
			`B1 @0 "0123456789abcdef"`,
			`B1 @16 "ghij"`,
			"H3 received @20 len 16 peer",
			`B3 @20 "ABCDEFGHIJKLMNOP"`,
		},
	}
	for f, rows := range want {
		if got := s.Rows(f); got != len(rows) {
			t.Errorf("Rows(%s) = %d, want %d", f, got, len(rows))
		}
		for start := -1; start <= len(rows)+1; start++ {
			for n := 0; n <= len(rows)+2; n++ {
				got := rowTexts(s.RowsAt(f, start, n))
				lo := min(max(start, 0), len(rows))
				exp := rows[lo:min(lo+n, len(rows))]
				if len(exp) == 0 {
					exp = []string{}
				}
				if !reflect.DeepEqual(got, exp) {
					t.Fatalf("RowsAt(%s, %d, %d) =\n%q\nwant\n%q", f, start, n, got, exp)
				}
			}
		}
	}
	if got := s.Rows(Filter(7)); got != 0 {
		t.Errorf("Rows(unknown filter) = %d", got)
	}
	st := s.Stats()
	if st != (Stats{RxBytes: 36, TxBytes: 11, RxChunks: 2, TxChunks: 2}) {
		t.Errorf("Stats = %+v", st)
	}
	if c := s.Chunk(1); c.Dir != Received || !c.Time.Equal(t0.Add(time.Second)) || c.Offset != 0 || c.Len != 20 {
		t.Errorf("Chunk(1) = %+v", c)
	}
	if got := string(s.Data(2)); got != " world" {
		t.Errorf("Data(2) = %q", got)
	}
}

func TestEmptyAppendAndUnknownDir(t *testing.T) {
	s := NewStore(0)
	if s.RowsAt(All, 0, 10) != nil {
		t.Fatal("rows from an empty store")
	}
	s.Append(Note, t0, "", []byte("x"))
	s.Append(Dir(9), t0, "", []byte("x"))
	if s.NumChunks() != 0 || s.Rows(All) != 0 || s.Stats() != (Stats{}) {
		t.Fatalf("recorded something: %d chunks, %+v", s.NumChunks(), s.Stats())
	}
	// An empty datagram is a chunk of its own: a header row, no bytes.
	s.Append(Received, t0, "[::1]:9", nil)
	if s.NumChunks() != 1 || s.Rows(All) != 1 || s.Stats() != (Stats{RxChunks: 1}) {
		t.Fatalf("empty datagram: %d chunks, %d rows, %+v", s.NumChunks(), s.Rows(All), s.Stats())
	}
	if rows := rowTexts(s.RowsAt(All, 0, 10)); !reflect.DeepEqual(rows, []string{"H0 received @0 len 0 [::1]:9"}) {
		t.Fatalf("rows %q", rows)
	}
	if s.Limit() != DefaultLimit {
		t.Fatalf("Limit = %d", s.Limit())
	}
}

func TestNotes(t *testing.T) {
	s := small()
	s.AppendNote(t0.Add(4*time.Second), "the peer closed its side (EOF)")
	s.Append(Sent, t0.Add(5*time.Second), "", []byte("late"))
	if s.Rows(All) != 12 || s.Rows(OnlySent) != 6 || s.Stats().TxChunks != 3 {
		t.Fatalf("rows all %d sent %d, stats %+v", s.Rows(All), s.Rows(OnlySent), s.Stats())
	}
	rows := s.RowsAt(All, 9, 3)
	if !rows[0].Header || rows[0].Chunk.Dir != Note || rows[0].Chunk.Peer != "the peer closed its side (EOF)" {
		t.Fatalf("note row %+v", rows[0])
	}
	if rows[1].Chunk.Dir != Sent || rows[1].Chunk.Seq != 5 {
		t.Fatalf("after the note %+v", rows[1])
	}
	var out bytes.Buffer
	if err := s.WriteTranscript(&out, All, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\nnote 2025-03-01T12:00:04.123456789Z the peer closed its side (EOF)\nsent ") {
		t.Errorf("transcript:\n%s", out.String())
	}
	// A search runs across the note: the two sent chunks are one stream.
	if row, ok := s.Find(OnlySent, []byte("ldla"), 0, true); !ok || row != 3 {
		t.Errorf("Find across a note = %d, %v", row, ok)
	}
}

func TestRowBytes(t *testing.T) {
	s := small()
	s.SetRowBytes(4)
	want := []string{"H0 sent @0 len 5 ", `B0 @0 "hell"`, `B0 @4 "o"`, "H1 received @0 len 20 "}
	if got := rowTexts(s.RowsAt(All, 0, 4)); !reflect.DeepEqual(got, want) {
		t.Fatalf("4 a row: %q", got)
	}
	if s.Rows(All) != 3+6+3+5 {
		t.Errorf("rows %d", s.Rows(All))
	}
	if row, ok := s.Find(All, []byte("ef"), 0, true); !ok || row != 3+1+3 {
		t.Errorf("Find at 4 a row = %d, %v", row, ok)
	}
	s.SetRowBytes(BytesPerLine)
	if s.Rows(All) != 9 {
		t.Errorf("back to 16 a row: %d rows", s.Rows(All))
	}
}

func TestFind(t *testing.T) {
	s := small()
	cases := []struct {
		f       Filter
		needle  string
		from    int
		forward bool
		row     int
		ok      bool
	}{
		{All, "hello", 0, true, 1, true},
		{All, "hello", 1, true, 1, true},
		{All, "hello", 2, true, 0, false},
		{All, "hello", 8, false, 1, true},
		{All, "hello", 0, false, 0, false}, // a header row is before its bytes
		{All, "fghi", 0, true, 3, true},    // runs over a row boundary
		{All, "ghij", 0, true, 4, true},
		{All, "fghi", 4, false, 3, true},
		{All, "fghi", 4, true, 0, false},
		{All, "lo wor", 0, true, 1, true}, // runs over chunks 0 and 2 (sent stream)
		{OnlySent, "lo wor", 0, true, 1, true},
		{All, "lo wor", 8, false, 1, true},
		{All, "jA", 0, true, 0, false},   // chunks 1 and 3 have different peers
		{All, "world", 6, true, 6, true}, // the row itself
		{All, "world", 7, true, 0, false},
		{All, "world", 6, false, 6, true},
		{All, "world", 5, false, 0, false},
		{OnlySent, "world", 3, true, 3, true},
		{OnlyReceived, "world", 0, true, 0, false},
		{OnlyReceived, "P", 100, false, 4, true},
		{All, "", 0, true, 0, false},
		{All, "o", -5, true, 1, true},
		{All, "o", 100, false, 6, true},
		{All, "o", 100, true, 0, false},
	}
	for _, c := range cases {
		row, ok := s.Find(c.f, []byte(c.needle), c.from, c.forward)
		if row != c.row || ok != c.ok {
			t.Errorf("Find(%s, %q, %d, %v) = %d, %v; want %d, %v", c.f, c.needle, c.from, c.forward, row, ok, c.row, c.ok)
		}
	}
}

func TestCapDropsOldest(t *testing.T) {
	s := NewStore(100)
	for i := range 3 {
		s.Append(Sent, t0, "", bytes.Repeat([]byte{byte('a' + i)}, 60))
	}
	want := Stats{TxBytes: 180, TxChunks: 3, DroppedBytes: 80, DroppedChunks: 1}
	if got := s.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
	if n := s.NumChunks(); n != 2 {
		t.Fatalf("NumChunks = %d", n)
	}
	if c := s.Chunk(0); c.Offset != 80 || c.Len != 40 {
		t.Errorf("trimmed chunk = %+v, want offset 80 len 40", c)
	}
	if c := s.Chunk(1); c.Offset != 120 || c.Len != 60 {
		t.Errorf("newest chunk = %+v, want offset 120 len 60", c)
	}
	if got, want := string(s.Data(0)), strings.Repeat("b", 40); got != want {
		t.Errorf("Data(0) = %q", got)
	}
	if s.Kept() != 100 {
		t.Errorf("Kept = %d", s.Kept())
	}
	rows := rowTexts(s.RowsAt(All, 0, 100))
	if len(rows) != 9 || rows[0] != "H0 sent @80 len 40 " || rows[1] != `B0 @80 "bbbbbbbbbbbbbbbb"` || rows[4] != "H1 sent @120 len 60 " {
		t.Errorf("rows after drop: %q", rows)
	}
	var out bytes.Buffer
	if n, err := s.WriteDir(&out, Sent); err != nil || n != 100 || out.String() != strings.Repeat("b", 40)+strings.Repeat("c", 60) {
		t.Errorf("WriteDir = %d, %v, %q", n, err, out.String())
	}
}

func TestOneChunkOverLimit(t *testing.T) {
	s := NewStore(100)
	s.Append(Received, t0, "", []byte("old"))
	p := make([]byte, 250)
	for i := range p {
		p[i] = byte(i)
	}
	s.Append(Received, t0, "", p)
	if st := s.Stats(); st.DroppedBytes != 153 || st.DroppedChunks != 1 || st.RxBytes != 253 {
		t.Fatalf("Stats = %+v", st)
	}
	if c := s.Chunk(0); s.NumChunks() != 1 || c.Offset != 153 || c.Len != 100 || !bytes.Equal(s.Data(0), p[150:]) {
		t.Fatalf("kept %d chunks, first %+v", s.NumChunks(), c)
	}
}

func TestSetLimit(t *testing.T) {
	s := small()
	s.SetLimit(20)
	if s.Kept() != 20 || s.Limit() != 20 {
		t.Fatalf("Kept = %d, Limit = %d", s.Kept(), s.Limit())
	}
	// The newest 20 bytes: "orld" (the tail of " world") and the 16 received.
	if s.NumChunks() != 2 || string(s.Data(0)) != "orld" || s.Chunk(0).Offset != 7 || s.Chunk(1).Len != 16 {
		t.Fatalf("chunks: %d, %+v %q", s.NumChunks(), s.Chunk(0), s.Data(0))
	}
	s.SetLimit(0)
	if s.Limit() != DefaultLimit {
		t.Fatalf("SetLimit(0) gave %d", s.Limit())
	}
}

func TestChunkCountBound(t *testing.T) {
	s := NewStore(minChunks * ChunkCost)
	for range 2000 {
		s.Append(Received, t0, "10.0.0.1:53", []byte{'x'})
	}
	if s.NumChunks() != minChunks || s.Stats().DroppedChunks != 2000-minChunks {
		t.Fatalf("NumChunks = %d, stats %+v", s.NumChunks(), s.Stats())
	}
	if s.Rows(All) != 2*minChunks {
		t.Fatalf("Rows = %d", s.Rows(All))
	}
}

func TestReturnedBytesSurviveCompaction(t *testing.T) {
	s := NewStore(1000)
	s.Append(Sent, t0, "", []byte("keep me as I am"))
	data := s.Data(0)
	row := s.RowsAt(All, 1, 1)[0].Bytes
	for i := range 500 { // drops the chunk and moves the buffer many times
		s.Append(Received, t0, "", bytes.Repeat([]byte{byte(i)}, 37))
	}
	if string(data) != "keep me as I am" || string(row) != "keep me as I am" {
		t.Fatalf("returned bytes changed: %q %q", data, row)
	}
	got := s.Data(s.NumChunks() - 1)
	got[0] = 'X'
	if s.Data(s.NumChunks() - 1)[0] == 'X' {
		t.Fatal("Data returned the store's own bytes")
	}
}

func TestConcurrentAppendAndRead(t *testing.T) {
	s := NewStore(4096)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 2000 {
			s.Append(Dir(1+i%2), t0, "", bytes.Repeat([]byte{byte(i)}, 1+i%50))
		}
	})
	for range 2000 {
		n := s.Rows(All)
		for _, r := range s.RowsAt(All, max(n-40, 0), 40) {
			_ = len(r.Bytes)
		}
		s.Find(OnlyReceived, []byte{7, 7}, 0, true)
	}
	wg.Wait()
	if st := s.Stats(); st.RxChunks+st.TxChunks != 2000 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestWriteDirExact(t *testing.T) {
	s := NewStore(0)
	var sent, received []byte
	for i := range 300 {
		p := make([]byte, i%37+1)
		for j := range p {
			p[j] = byte(i*7 + j)
		}
		if i%3 == 0 {
			s.Append(Sent, t0, "", p)
			sent = append(sent, p...)
		} else {
			s.Append(Received, t0, "", p)
			received = append(received, p...)
		}
	}
	for _, c := range []struct {
		d    Dir
		want []byte
	}{{Sent, sent}, {Received, received}} {
		var out bytes.Buffer
		n, err := s.WriteDir(&out, c.d)
		if err != nil || n != int64(len(c.want)) || !bytes.Equal(out.Bytes(), c.want) {
			t.Errorf("WriteDir(%s): %d bytes, %v; equal %v", c.d, n, err, bytes.Equal(out.Bytes(), c.want))
		}
	}
	if _, err := s.WriteDir(&bytes.Buffer{}, Dir(0)); err == nil {
		t.Error("WriteDir(0) gave no error")
	}
}

func TestWriteTranscript(t *testing.T) {
	s := small()
	var out strings.Builder
	if err := s.WriteTranscript(&out, OnlySent, nil); err != nil {
		t.Fatal(err)
	}
	want := "sent 2025-03-01T12:00:00.123456789Z offset 0 len 5\n" +
		"00000000  68 65 6c 6c 6f" + strings.Repeat(" ", 33) + "  |hello|\n" +
		"sent 2025-03-01T12:00:02.123456789Z offset 5 len 6\n" +
		"00000005  20 77 6f 72 6c 64" + strings.Repeat(" ", 30) + "  | world|\n"
	if out.String() != want {
		t.Fatalf("transcript:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	if err := s.WriteTranscript(&out, All, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != s.Rows(All) {
		t.Fatalf("%d lines for %d rows", len(lines), s.Rows(All))
	}
	if lines[3] != "00000000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  |0123456789abcdef|" {
		t.Errorf("full row: %q", lines[3])
	}
	if !strings.HasSuffix(lines[7], " offset 20 len 16 peer") {
		t.Errorf("peer header: %q", lines[7])
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestExportErrors(t *testing.T) {
	s := small()
	if err := s.WriteTranscript(failWriter{}, All, nil); err == nil {
		t.Error("WriteTranscript hid a write error")
	}
	if _, err := s.WriteDir(failWriter{}, Received); err == nil {
		t.Error("WriteDir hid a write error")
	}
	if err := s.WriteTranscript(&bytes.Buffer{}, Filter(9), nil); err == nil {
		t.Error("WriteTranscript took an unknown filter")
	}
}

func TestDirAndFilterNames(t *testing.T) {
	if Sent.String() != "sent" || Received.String() != "received" || Dir(0).String() != "dir(0)" {
		t.Error("Dir names")
	}
	if All.String() != "all" || OnlySent.String() != "sent" || OnlyReceived.String() != "received" {
		t.Error("Filter names")
	}
	if !All.Shows(Sent) || !OnlySent.Shows(Sent) || OnlySent.Shows(Received) || !OnlyReceived.Shows(Received) {
		t.Error("Filter.Shows")
	}
}

// TestFindPosLetsOthersIn: a search takes the lock one chunk at a time,
// reports its progress, and stops when its context ends.
func TestFindPosLetsOthersIn(t *testing.T) {
	s := NewStore(1 << 20)
	for i := range 100 {
		s.Append(Received, t0, "", bytes.Repeat([]byte{byte('a' + i%20)}, 1000))
	}
	var calls int
	var last int64
	_, ok, err := s.FindPos(context.Background(), All, []byte("zz"), Pos{}, true, func(searched int64) {
		calls++
		last = searched
		s.Append(Sent, t0, "", []byte("x")) // would deadlock if the search held the lock
	})
	if ok || err != nil || calls < 100 || last < 100*1000 {
		t.Fatalf("search: ok %v err %v, %d progress calls, %d bytes", ok, err, calls, last)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, ok, err = s.FindPos(ctx, All, []byte("zz"), Pos{}, true, func(int64) { cancel() })
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled search: ok %v err %v", ok, err)
	}
	// Backwards from the end, and positions back to rows.
	p, ok, err := s.FindPos(context.Background(), OnlyReceived, []byte("ttt"), Pos{Seq: s.EndSeq(), Byte: 0}, false, nil)
	if !ok || err != nil || p.Seq != 99 || p.Byte != 997 {
		t.Fatalf("backward: %+v %v %v", p, ok, err)
	}
	if row := s.RowOf(OnlyReceived, p); row != 99*64+1+997/BytesPerLine {
		t.Errorf("RowOf = %d", row)
	}
}
