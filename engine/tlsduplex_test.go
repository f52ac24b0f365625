package engine

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"sockbench/netcore"
)

// echoOnce reads one piece of n bytes on s and sends it back.
func echoOnce(t *testing.T, wg *sync.WaitGroup, s *netcore.Socket, n int) {
	wg.Go(func() {
		piece, err := s.ReceiveN(context.Background(), n, 0)
		if err == nil {
			_, err = s.SendAll(context.Background(), piece, 0)
		}
		if err != nil {
			t.Error(err)
		}
	})
}

// slowWriter sends on a socket, then returns only once release is closed:
// a TLS write that is still in its call when the answer is read.
type slowWriter struct {
	s       *netcore.Socket
	release chan struct{}
}

func (w slowWriter) Write(p []byte) (int, error) {
	n, err := w.s.SendAll(context.Background(), p, 0)
	select {
	case <-w.release:
	case <-time.After(patience):
		return n, errors.New("never released")
	}
	return n, err
}

// TestSendThroughReplyAfterItsCause: the write's call has not returned
// when the echo is read and recorded; the piece must be in the record
// before the echo all the same.
func TestSendThroughReplyAfterItsCause(t *testing.T) {
	ours, peer := pair(t)
	d := NewDuplex(ours)
	var j journal
	var wg sync.WaitGroup
	defer wg.Wait()
	echoOnce(t, &wg, peer, 5)
	w := slowWriter{s: ours, release: make(chan struct{})}
	wg.Go(func() { // our reader
		defer close(w.release)
		buf := make([]byte, 16)
		n, err := ours.Receive(context.Background(), buf, 0)
		if err != nil {
			t.Error(err)
			return
		}
		d.Received(func() { j.add(-n) })
	})

	n, err := d.SendThrough(w, []byte("hello"), 0, func(_ time.Time, p []byte) { j.add(len(p)) },
		func(p []byte) { t.Errorf("unsent %q", p) })
	wg.Wait()
	if err != nil || n != 5 {
		t.Fatalf("SendThrough: %d, %v", n, err)
	}
	if got := j.entries; len(got) != 2 || got[0] != 5 || got[1] != -5 {
		t.Errorf("journal %v, want [5 -5]: the echo was recorded before what it answers", got)
	}
}

// TestSendThroughWritesOutsideTheLock: a write that waits until something
// received has been recorded must not hold the lock the record needs.
func TestSendThroughWritesOutsideTheLock(t *testing.T) {
	ours, peer := pair(t)
	d := NewDuplex(ours)
	var wg sync.WaitGroup
	defer wg.Wait()
	w := slowWriter{s: ours, release: make(chan struct{})}
	if _, err := peer.SendAll(context.Background(), []byte("ping"), 0); err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		defer close(w.release)
		if _, err := ours.ReceiveN(context.Background(), 4, 0); err != nil {
			t.Error(err)
		}
		d.Received(func() {})
	})
	if _, err := d.SendThrough(w, []byte("x"), 0, func(time.Time, []byte) {}, func([]byte) {}); err != nil {
		t.Fatal(err)
	}
}

// failingWriter takes its first ok bytes, then fails.
type failingWriter struct {
	ok   int
	took []byte
}

var errWriteFailed = errors.New("write failed")

func (w *failingWriter) Write(p []byte) (int, error) {
	n := min(len(p), w.ok-len(w.took))
	w.took = append(w.took, p[:n]...)
	if n < len(p) {
		return n, errWriteFailed
	}
	return n, nil
}

// TestSendThroughPiecesAndCorrection: pieces of at most 4 bytes, in
// order; a write that fails part way has the rest of its piece taken
// back, and the count is what went.
func TestSendThroughPiecesAndCorrection(t *testing.T) {
	ours, _ := pair(t)
	d := NewDuplex(ours)
	var record []string
	w := &failingWriter{ok: 6}
	n, err := d.SendThrough(w, []byte("abcdefghij"), 4,
		func(_ time.Time, p []byte) { record = append(record, "+"+string(p)) },
		func(p []byte) { record = append(record, "-"+string(p)) })
	if n != 6 || !errors.Is(err, errWriteFailed) || string(w.took) != "abcdef" {
		t.Fatalf("SendThrough: %d, %v; the writer took %q", n, err, w.took)
	}
	if got := record; len(got) != 3 || got[0] != "+abcd" || got[1] != "+efgh" || got[2] != "-gh" {
		t.Errorf("record %q, want [+abcd +efgh -gh]", got)
	}

	record = nil
	all := &failingWriter{ok: 100}
	if n, err := d.SendThrough(all, []byte("abcdefghij"), 0, func(_ time.Time, p []byte) {
		record = append(record, "+"+string(p))
	}, nil); n != 10 || err != nil || len(record) != 1 {
		t.Errorf("whole: %d, %v, %q", n, err, record)
	}
	if n, err := d.SendThrough(io.Discard, nil, 4, nil, nil); n != 0 || err != nil {
		t.Errorf("nothing to send: %d, %v", n, err)
	}
}
