package relay

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/capture"
	"sockbench/explain"
	"sockbench/netcore"
)

// session is one client relayed to the upstream: two pumps, one per
// direction, and the lock every record is made under.
type session struct {
	r        *Relay
	h        Hooks
	ctx      context.Context
	cancel   context.CancelFunc // ends the session: a reset, a failure
	client   *netcore.Socket
	upstream *netcore.Socket

	mu   sync.Mutex // the record lock; guards legs
	legs [2]Leg
}

// side names the sender of each direction.
var side = [2]string{ClientToServer: "the client", ServerToClient: "the server"}

// connect dials the upstream and records how it went.
func (s *session) connect() (*netcore.Socket, error) {
	up, err := s.r.dial(s.ctx, s.h.Attempt)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.noteLocked("the upstream could not be reached (" + explain.Error(err) + "); the relay resets the client")
		s.emit(Event{Kind: ConnectFailed, Err: err})
		return nil, err
	}
	local, _ := up.LocalAddr()
	peer, _ := up.PeerAddr()
	s.noteLocked(fmt.Sprintf("connected to the upstream %s from %s", peer, local))
	s.emit(Event{Kind: Connected, Socket: up})
	return up, nil
}

// ends returns the socket a direction reads and the one it writes, with
// their sinks.
func (s *session) ends(d Dir) (src, dst *netcore.Socket, srcSink, dstSink Sink) {
	if d == ClientToServer {
		return s.client, s.upstream, s.h.Client, s.h.Upstream
	}
	return s.upstream, s.client, s.h.Upstream, s.h.Client
}

// pump forwards one direction until it ends.
func (s *session) pump(d Dir) {
	src, dst, srcSink, _ := s.ends(d)
	buf := make([]byte, chunkSize)
	wait := netcore.WithCallTimeout(s.ctx, 0) // an idle connection is no failure
	for {
		n, err := src.Receive(wait, buf, 0)
		at := time.Now()
		if err != nil {
			s.receiveFailed(d, err)
			return
		}
		if n == 0 {
			s.endOfStream(d)
			return
		}
		s.mu.Lock()
		if srcSink != nil {
			srcSink.Append(capture.Received, at, "", buf[:n])
		}
		s.mu.Unlock()
		out, v := s.intercept(d, at, buf[:n])
		switch v {
		case stop:
			s.stopped(d)
			return
		case drop:
			continue
		}
		if err := s.forward(d, dst, out); err != nil {
			s.sendFailed(d, err)
			return
		}
	}
}

// verdict is what becomes of a chunk read.
type verdict uint8

const (
	pass verdict = iota // forward it
	drop                // the user dropped it
	stop                // the session ended while it was held
)

// outgoing is a chunk to forward.
type outgoing struct {
	data []byte
	id   uint64 // the ID it was held under; 0 when it was not held
	orig []byte // the bytes it arrived with, when it was held
}

// intercept holds a chunk when its direction is intercepted, until the
// caller decides, and returns what to forward.
func (s *session) intercept(d Dir, at time.Time, data []byte) (outgoing, verdict) {
	h := s.r.holdIfIntercepting(d, at, data)
	if h == nil {
		return outgoing{data: data}, pass
	}
	s.mu.Lock()
	s.noteLocked(fmt.Sprintf("held #%d: %d bytes %s, until forwarded or dropped", h.ID, len(data), d))
	s.emit(Event{Kind: Held, Dir: d, Time: at, ID: h.ID, Data: data})
	s.mu.Unlock()
	var dec decision
	select {
	case s.r.held <- h.copy():
		select {
		case dec = <-h.decided:
		case <-s.ctx.Done():
			s.r.release(h)
			return outgoing{}, stop
		}
	case dec = <-h.decided: // decided before it could be announced
	case <-s.ctx.Done():
		s.r.release(h)
		return outgoing{}, stop
	}
	if dec.drop {
		s.mu.Lock()
		s.noteLocked(fmt.Sprintf("dropped #%d (%d bytes %s)", h.ID, len(data), d))
		s.emit(Event{Kind: Dropped, Dir: d, ID: h.ID})
		s.mu.Unlock()
		return outgoing{}, drop
	}
	return outgoing{data: dec.data, id: h.ID, orig: h.Data}, pass
}

// forward records a chunk, then sends it whole to dst. The record comes
// first: once the chunk is sent, the answer may come at once.
func (s *session) forward(d Dir, dst *netcore.Socket, out outgoing) error {
	_, _, _, dstSink := s.ends(d)
	data := out.data
	edited := out.id != 0 && !bytes.Equal(out.orig, data)
	s.mu.Lock()
	if out.id != 0 {
		s.noteLocked(forwardNote(out, edited))
	}
	now := time.Now()
	if len(data) > 0 {
		if s.h.Conversation != nil {
			s.h.Conversation.Append(conversationDir(d), now, "", data)
		}
		if dstSink != nil {
			dstSink.Append(capture.Sent, now, "", data)
		}
		s.legs[d].Bytes += int64(len(data))
		s.emit(Event{Kind: Forwarded, Dir: d, Time: now, Data: data, ID: out.id, Edited: edited})
	}
	s.mu.Unlock()
	wait := netcore.WithCallTimeout(s.ctx, 0) // a slow reader is no failure
	for len(data) > 0 {
		n, err := dst.Send(wait, data, 0)
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// forwardNote says how a held chunk went on.
func forwardNote(out outgoing, edited bool) string {
	switch {
	case !edited:
		return fmt.Sprintf("forwarded #%d as it was", out.id)
	case len(out.data) == 0:
		return fmt.Sprintf("forwarded #%d edited to nothing (it had %d bytes)", out.id, len(out.orig))
	}
	return fmt.Sprintf("forwarded #%d edited: %d bytes (it had %d)", out.id, len(out.data), len(out.orig))
}

// conversationDir is a direction as the client sees it.
func conversationDir(d Dir) capture.Dir {
	if d == ClientToServer {
		return capture.Sent
	}
	return capture.Received
}

// endOfStream relays a direction's FIN: a shutdown of writing on the
// other side, while the other direction goes on.
func (s *session) endOfStream(d Dir) {
	_, dst, _, _ := s.ends(d)
	s.mu.Lock()
	s.legs[d].End = EndEOF
	s.noteLocked(fmt.Sprintf("end of stream: %s shut down its sending side (FIN); the relay shuts down writing to %s",
		side[d], side[1-d]))
	s.emit(Event{Kind: EOF, Dir: d})
	s.mu.Unlock()
	if err := dst.Shutdown(netcore.ShutWR); err != nil {
		s.note("the shutdown failed: " + explain.Error(err))
	}
}

// receiveFailed ends a direction whose receive failed: a reset is passed
// on as a reset; any other failure resets the other side too, since the
// connection is lost.
func (s *session) receiveFailed(d Dir, err error) {
	src, dst, _, _ := s.ends(d)
	if s.ctx.Err() != nil || src.IsClosed() {
		s.stopped(d)
		return
	}
	s.mu.Lock()
	if netcore.ErrnoOf(err) == unix.ECONNRESET {
		s.legs[d] = Leg{Bytes: s.legs[d].Bytes, End: EndReset, Err: err}
		s.noteLocked(fmt.Sprintf("%s reset the connection (ECONNRESET); the relay resets %s", side[d], side[1-d]))
		s.emit(Event{Kind: Reset, Dir: d, Err: err})
	} else {
		s.legs[d] = Leg{Bytes: s.legs[d].Bytes, End: EndFailed, Err: err}
		s.noteLocked(fmt.Sprintf("receiving from %s failed (%s); the relay resets %s", side[d], explain.Error(err), side[1-d]))
		s.emit(Event{Kind: Failed, Dir: d, Err: err})
	}
	s.mu.Unlock()
	s.cancel() // first: the other pump then knows that the close is ours
	resetSocket(dst)
}

// sendFailed ends a direction whose receiver is gone: its sender is
// reset, as a direct connection would have told it.
func (s *session) sendFailed(d Dir, err error) {
	src, dst, _, _ := s.ends(d)
	if s.ctx.Err() != nil || dst.IsClosed() {
		s.stopped(d)
		return
	}
	end := EndFailed
	if errno := netcore.ErrnoOf(err); errno == unix.ECONNRESET || errno == unix.EPIPE {
		end = EndReset
	}
	s.mu.Lock()
	s.legs[d] = Leg{Bytes: s.legs[d].Bytes, End: end, Err: err}
	s.noteLocked(fmt.Sprintf("sending to %s failed (%s); the relay resets %s", side[1-d], explain.Error(err), side[d]))
	s.emit(Event{Kind: Failed, Dir: d, Err: err})
	s.mu.Unlock()
	s.cancel()
	resetSocket(src)
}

// stopped marks a direction the relay ended.
func (s *session) stopped(d Dir) {
	s.mu.Lock()
	if s.legs[d].End == EndOpen {
		s.legs[d].End = EndStopped
	}
	s.mu.Unlock()
}

// note records a note in every sink.
func (s *session) note(text string) {
	s.mu.Lock()
	s.noteLocked(text)
	s.mu.Unlock()
}

func (s *session) noteLocked(text string) {
	now := time.Now()
	for _, sink := range []Sink{s.h.Conversation, s.h.Client, s.h.Upstream} {
		if sink != nil {
			sink.AppendNote(now, text)
		}
	}
}

// emit tells the caller an event, under the record lock.
func (s *session) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if s.h.Event != nil {
		s.h.Event(ev)
	}
}

// resetSocket resets a connection: SO_LINGER 0, then close, so that the
// peer gets RST (a UNIX stream has no reset; it is only closed).
func resetSocket(sock *netcore.Socket) {
	if sock.Family() != netcore.FamilyUnix {
		_ = sock.SetOptionString("SO_LINGER", "on,0")
	}
	_ = sock.Close()
}
