// Package engine runs sockets for the workbench and for the command line:
// it owns the open sockets, their reader, writer and acceptor goroutines,
// their syscall traces and capture stores, and reports what happens as
// typed events. It knows nothing of Bubble Tea or of the terminal.
package engine

import (
	"context"
	"sync"
	"time"

	"sockbench/netcore"
)

// Duplex keeps the record of one socket's traffic in the order it
// happened: a reply is never recorded before the bytes that caused it.
//
// Sending and receiving run on two goroutines. Each piece is sent without
// waiting, under the Duplex's lock, and recorded there; a receive is
// recorded under the same lock. A reply can only be read after the piece
// it answers went out, and by then that piece is recorded. When the socket
// cannot take more, the sender waits for room outside the lock, so the
// receiving side goes on reading meanwhile (a peer that echoes can only
// drain our send buffer if we drain its).
type Duplex struct {
	mu sync.Mutex
	s  *netcore.Socket
}

// NewDuplex orders the traffic of s.
func NewDuplex(s *netcore.Socket) *Duplex { return &Duplex{s: s} }

// Socket returns the socket whose traffic d orders.
func (d *Duplex) Socket() *netcore.Socket { return d.s }

// Send sends all of p: on a stream in pieces of at most piece bytes (0 for
// no limit), otherwise as one datagram, which may be empty. With a valid
// to, it sends there (an unconnected datagram socket). sent is called
// under the lock for each piece that went, with the time its send began
// (an answer cannot come before that, though it may be read before the
// send call returns). Each wait for room is limited by the socket's send
// timeout, or by the per-call one in ctx; Send returns how many bytes
// went, and the failure that stopped it.
func (d *Duplex) Send(ctx context.Context, p []byte, to netcore.Addr, piece int, sent func(start time.Time, p []byte)) (int, error) {
	stream := d.s.Type() == netcore.SockStream
	if stream && len(p) == 0 {
		return 0, nil
	}
	total := 0
	for {
		chunk := p[total:]
		if stream && piece > 0 && len(chunk) > piece {
			chunk = chunk[:piece]
		}
		n, ok, err := d.sendNow(ctx, chunk, to, sent)
		if err != nil {
			return total, err
		}
		if !ok {
			if err := d.s.WaitWritable(ctx); err != nil {
				return total, err
			}
			continue
		}
		total += n
		if !stream || total == len(p) {
			return total, nil
		}
	}
}

// sendNow sends what the socket takes at once and records it, under the
// lock; ok is false when the socket could take nothing without waiting.
func (d *Duplex) sendNow(ctx context.Context, p []byte, to netcore.Addr, sent func(time.Time, []byte)) (n int, ok bool, err error) {
	now := netcore.WithCallTimeout(ctx, time.Nanosecond)
	d.mu.Lock()
	defer d.mu.Unlock()
	start := time.Now()
	if to.IsValid() {
		n, err = d.s.SendTo(now, p, to, 0)
	} else {
		n, err = d.s.Send(now, p, 0)
	}
	if err != nil {
		if netcore.ClassOf(err) == netcore.ClassTimeout && ctx.Err() == nil {
			return 0, false, nil
		}
		return 0, false, err
	}
	sent(start, p[:n])
	return n, true, nil
}

// Received runs record under the lock, so that what a receive got is
// recorded either before a piece is sent or after that piece is recorded,
// never between the two.
func (d *Duplex) Received(record func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	record()
}
