package engine

import (
	"io"
	"time"
)

// SendThrough sends all of p through w, a writer that cannot send without
// waiting, such as a TLS session on the duplex's socket, in pieces of at
// most piece bytes (0 for no limit).
//
// Duplex.Send records a piece under the lock as the socket takes it; a
// TLS session cannot say what it would take without waiting, so the
// order is kept the other way round: sent runs under the lock with each
// piece just before its write starts. A reply cannot come before the
// write starts, so it is recorded after the piece it answers. The write
// itself runs outside the lock, so the receiving side goes on reading
// while it waits for room.
//
// When a write fails, unsent runs under the lock with what of the piece
// did not go, to correct the record, and SendThrough returns the bytes
// that went with the failure.
func (d *Duplex) SendThrough(w io.Writer, p []byte, piece int, sent func(start time.Time, p []byte), unsent func(p []byte)) (int, error) {
	total := 0
	for total < len(p) {
		chunk := p[total:]
		if piece > 0 && len(chunk) > piece {
			chunk = chunk[:piece]
		}
		d.Received(func() { sent(time.Now(), chunk) })
		n, err := w.Write(chunk)
		total += n
		if err != nil {
			d.Received(func() { unsent(chunk[n:]) })
			return total, err
		}
	}
	return total, nil
}
