package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
)

// readSize is the most one receive from a stream reads, and the largest
// piece one send call is given.
const readSize = 64 << 10

// sendQueueLen is how many sends may wait for a socket's writer.
const sendQueueLen = 64

type sendReq struct {
	data []byte
	to   netcore.Addr
	done chan<- error // told how the send went, when someone waits for it
}

// readLoop receives until the end of the stream, a failure that ends it,
// or the socket's close, and records each read in the capture store.
// Nothing received is dropped: the store keeps its limit by dropping the
// oldest bytes and says so.
//
// It waits for the socket to be readable with no buffer, and takes one
// from a pool only to read what is there, so an idle socket holds no
// 64 KiB buffer. Once woken it reads only if reading is still on: bytes
// that arrive after a pause stay in the kernel, as the pause promises.
// After a TLS handshake it reads the session's plaintext instead.
func (e *Engine) readLoop(k *Sock) {
	full := false // the last read filled its buffer: more is likely there
	for {
		ctx := e.readContext(k) // a wait lasts as long as it takes, or until a pause
		if ctx == nil {
			return
		}
		if st := k.tlsSession(); st != nil {
			if e.readTLS(k, ctx, st) {
				return
			}
			continue
		}
		var err error
		if !full { // after a full read, read again at once: under a flood the wait was a third of the system calls
			err = k.s.WaitReadable(ctx)
		}
		var ended bool
		if err == nil {
			ended, full, err = e.takeReady(k)
		}
		if full {
			// Under a flood the reader seldom blocks, and a goroutine
			// it woke (the one taking the engine's events for the
			// screen) waits in this P's queue until it does: yield.
			runtime.Gosched()
		}
		if err != nil {
			ended = e.readFailed(k, ctx, err)
		}
		if ended {
			return
		}
	}
}

// readBuffers are the buffers reads go into, shared by all sockets: the
// store copies what is read, so a buffer is free again once it has.
var readBuffers = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// takeReady reads what a readable socket has and records it; ended says
// the stream is over, full that the read filled its buffer. A wake with
// nothing to read after all, or with reading paused or taken over by TLS
// meanwhile, reads nothing.
func (e *Engine) takeReady(k *Sock) (ended, full bool, err error) {
	// Checked and read under readMu: a pause or a TLS handshake that
	// comes first leaves the bytes in the kernel; one that comes later
	// waits for this read to end.
	k.readMu.Lock()
	defer k.readMu.Unlock()
	if !k.readsRaw() {
		return false, false, nil
	}
	buf := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(buf)
	dgram := k.Type() != netcore.SockStream
	data, from, ok, err := receiveReady(k, *buf, dgram)
	at := time.Now()
	if err != nil || !ok {
		return false, false, err
	}
	if len(data) == 0 && !dgram {
		if k.ctx.Err() == nil { // not our own close
			e.endOfStream(k)
		}
		return true, false, nil
	}
	peer := ""
	if dgram && !k.peer.IsValid() && from.IsValid() {
		peer = from.String()
	}
	k.duplex.Received(func() { k.store.Append(capture.Received, at, peer, data) })
	k.tell(data, nil)
	e.hub.post(Traffic{Sock: k})
	return false, !dgram && len(data) == len(*buf), nil
}

// receiveReady reads, without waiting, what a stream has into buf, or the
// next datagram whole with its sender, however large; ok is false when
// there was nothing after all.
func receiveReady(k *Sock, buf []byte, dgram bool) (data []byte, from netcore.Addr, ok bool, err error) {
	if !dgram {
		n, ok, err := k.s.ReceiveWithin(k.ctx, buf, 0, 0)
		return buf[:n], netcore.Addr{}, ok, err
	}
	data, from, err = k.s.ReceiveMessage(netcore.WithCallTimeout(k.ctx, time.Nanosecond), buf)
	if netcore.ClassOf(err) == netcore.ClassTimeout {
		return nil, from, false, nil
	}
	return data, from, err == nil, err
}

// readFailed handles a failed wait or read and says whether reading has
// ended. A wait cut short by a pause is no failure. On a datagram socket
// an error reports one earlier datagram (an ICMP port unreachable, say)
// and is cleared once read, so reading goes on.
func (e *Engine) readFailed(k *Sock, ctx context.Context, err error) (ended bool) {
	if k.ctx.Err() != nil || errors.Is(err, netcore.ErrClosed) {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	dgram := k.Type() != netcore.SockStream
	stopped := !dgram
	k.update(func(st *Status) {
		st.LastErr = err
		st.ReadShut = st.ReadShut || stopped
	})
	k.note(receiveNote(err, dgram))
	if stopped {
		k.tell(nil, err)
	}
	e.hub.post(ReceiveFailed{Sock: k, Err: err, Stopped: stopped})
	return stopped
}

// endOfStream records that reading a stream ended: the peer's FIN, or our
// own shutdown of reading.
func (e *Engine) endOfStream(k *Sock) {
	ours := k.shutRead.Load()
	if ours {
		k.update(func(st *Status) { st.ReadShut = true })
		k.note("reading ended: we shut down our reading side (SHUT_RD)")
	} else {
		k.update(func(st *Status) { st.EOF, st.ReadShut = true, true })
		k.note("end of stream: the peer shut down its sending side (FIN)")
	}
	k.tell(nil, io.EOF)
	e.hub.post(EOF{Sock: k, Ours: ours})
}

// writeLoop sends what Send queued, in order, each piece recorded as it
// goes (see Duplex), and ends when the queue is empty: an idle socket has
// no writer, which keeps ten thousand open sockets cheap.
func (e *Engine) writeLoop(k *Sock) {
	for {
		select {
		case <-k.ctx.Done():
			return
		case req := <-k.sendCh:
			select {
			case k.room <- struct{}{}:
			default:
			}
			e.sendOne(k, req)
		default:
			k.mu.Lock()
			if len(k.sendCh) == 0 {
				k.writing = false
				k.mu.Unlock()
				return
			}
			k.mu.Unlock()
		}
	}
}

// sendOne sends one queued request and reports it.
func (e *Engine) sendOne(k *Sock, req sendReq) {
	peer := ""
	if req.to.IsValid() {
		peer = req.to.String()
	}
	record := func(at time.Time, p []byte) { k.store.Append(capture.Sent, at, peer, p) }
	var n int
	var err error
	if st := k.tlsSession(); st != nil {
		w := DeadlineWriter{Ctx: k.ctx, Conn: st.session.Conn}
		n, err = k.duplex.SendThrough(w, req.data, TLSPiece, record, func(p []byte) { unsentNote(k, len(p)) })
	} else {
		n, err = k.duplex.Send(k.ctx, req.data, req.to, readSize, record)
	}
	if err != nil && k.ctx.Err() == nil {
		k.update(func(st *Status) { st.LastErr = err })
		k.note(sendNote(err, n, len(req.data)))
	}
	if req.done != nil {
		req.done <- err
	}
	e.hub.post(Sent{Sock: k, N: n, Total: len(req.data), Err: err, Destination: req.to})
	if n > 0 {
		e.hub.post(Traffic{Sock: k})
	}
}

// unsentNote corrects the record of a TLS send: a piece is recorded as
// its write starts, and n of its bytes did not go.
func unsentNote(k *Sock, n int) {
	if n > 0 {
		k.store.AppendNote(time.Now(), fmt.Sprintf("the last %d bytes shown as sent did not go: the TLS write failed", n))
	}
}

// acceptLoop accepts connections and hands each to adopt, which makes it
// a socket of its own: the loop does nothing else between two accepts, so
// that a burst is taken from the kernel's queue as fast as it arrives. A
// transient failure (out of file descriptors, say) is reported once and
// the loop goes on after a pause, so that a listener outlives it.
func (e *Engine) acceptLoop(l *Sock) {
	accepted := make(chan *netcore.Socket, 1024)
	e.goTracked(func() { e.adopt(l, accepted) })
	defer close(accepted)
	failing := false // a run of transient failures is reported once
	for {
		c, _, err := l.s.Accept(l.ctx)
		if err != nil {
			if l.ctx.Err() != nil || errors.Is(err, netcore.ErrClosed) {
				return
			}
			stopped := netcore.ClassOf(err) != netcore.ClassTransient
			l.update(func(st *Status) { st.LastErr, st.AcceptFailing = err, netcore.ErrnoOf(err) })
			if !failing || stopped {
				l.note("accept failed: " + err.Error() + map[bool]string{true: "; the listener stopped", false: "; trying again until it works"}[stopped])
				e.hub.post(AcceptFailed{Listener: l, Err: err, Stopped: stopped})
			}
			failing = true
			if stopped || !pause(l.ctx, acceptRetryPause) {
				return
			}
			continue
		}
		if failing {
			failing = false
			l.update(func(st *Status) { st.AcceptFailing = 0 })
			l.note("accepting again")
			e.hub.post(AcceptResumed{Listener: l})
		}
		select {
		case accepted <- c:
		case <-l.ctx.Done():
			_ = c.Close()
			return
		}
	}
}

// adopt makes each accepted connection a socket of the engine, announces
// it and starts it; once the engine is closed it closes what is left.
func (e *Engine) adopt(l *Sock, accepted <-chan *netcore.Socket) {
	for c := range accepted {
		trace := NewTrace()
		if l.router != nil {
			trace = l.router.traceFor(c.Fd())
		}
		k := e.add(c, RoleAccepted, l, trace)
		if k == nil {
			continue // closed by add: the engine is closing
		}
		if p := l.Packets(); p != nil {
			k.packets = p.use()
		}
		l.update(func(st *Status) { st.Accepted++ })
		k.relay = l.relay
		l.mu.Lock()
		onAccept := l.onAccept
		l.mu.Unlock()
		if onAccept != nil {
			onAccept(k)
		}
		e.hub.post(Accepted{Listener: l, Sock: k})
		if k.relay != nil {
			e.goTracked(func() { e.relaySession(l, k) })
			continue
		}
		e.start(k)
	}
}

// acceptRetryPause is how long a listener waits after a transient accept
// failure, so that a process out of file descriptors does not spin.
const acceptRetryPause = 100 * time.Millisecond

// pause waits d; it reports false when ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
