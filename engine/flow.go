package engine

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

// Why reading is paused.
const (
	PausedByUser = "you paused reading"
	// PausedFull is followed by the limit: the capture is full, and reading
	// on would drop its oldest bytes.
	PausedFull = "the capture is full"
)

// pauser holds a socket's reader while reading is paused: the kernel's
// receive queue fills, the peer's window closes and the peer is throttled,
// and the workbench spends nothing on the socket.
type pauser struct {
	reason string        // "" while reading
	resume chan struct{} // closed to resume
	letRun bool          // the user resumed a full capture: drop the oldest from now on
	// reading is the context of the reads while the socket runs; pausing
	// cancels it, so that a read waiting for data stops at once (having
	// read nothing) rather than after the next data.
	reading context.Context
	stop    context.CancelFunc
}

// SetPaused pauses or resumes reading on a socket. Resuming a socket
// paused because its capture is full lets it run on, dropping the oldest
// bytes as it must.
func (e *Engine) SetPaused(k *Sock, paused bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case paused && k.flow.reason == "":
		k.pauseLocked(PausedByUser)
	case !paused && k.flow.reason != "":
		if k.flow.reason != PausedByUser {
			k.flow.letRun = true
		}
		k.flow.reason = ""
		k.status.Paused = ""
		k.flow.reading, k.flow.stop = nil, nil
		close(k.flow.resume)
	default:
		return
	}
	k.noteLocked(map[bool]string{true: "reading paused: " + PausedByUser, false: "reading resumed"}[paused])
}

func (k *Sock) pauseLocked(reason string) {
	k.flow.reason = reason
	k.flow.resume = make(chan struct{})
	k.status.Paused = reason
	if k.flow.stop != nil {
		k.flow.stop()
	}
}

// readsRaw reports whether the reader may read the socket itself: reading
// is not paused, and no TLS handshake or session owns the socket.
func (k *Sock) readsRaw() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.flow.reason == "" && (k.tls == nil || k.tls.done && k.tls.session == nil)
}

// tlsSession returns the socket's TLS state when a session owns it.
func (k *Sock) tlsSession() *tlsState {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tlsSessionLocked()
}

// readContext waits while reading is paused and returns the context to
// read with, or nil once the socket is closed. Before that it pauses by
// itself when the next read could drop captured bytes (unless the user let
// the socket run on). The pause is checked and the context made under one
// lock, so that a pause cannot slip in between and be missed.
func (e *Engine) readContext(k *Sock) context.Context {
	for {
		k.mu.Lock()
		if hold := k.tlsHoldLocked(); hold != nil { // a handshake reads now
			k.mu.Unlock()
			select {
			case <-hold:
			case <-k.ctx.Done():
				return nil
			}
			continue
		}
		if k.flow.reason == "" && !k.flow.letRun && k.store.Kept()+readSize > k.store.Limit() {
			reason := fmt.Sprintf("%s (%d bytes kept)", PausedFull, k.store.Kept())
			k.pauseLocked(reason)
			k.noteLocked("reading paused: " + reason + "; resuming drops the oldest bytes")
			e.hub.post(Paused{Sock: k, Reason: reason})
		}
		if k.flow.reason == "" {
			if k.flow.reading == nil {
				ctx, stop := context.WithCancel(k.ctx)
				k.flow.reading, k.flow.stop = netcore.WithCallTimeout(ctx, 0), stop
			}
			ctx := k.flow.reading
			k.mu.Unlock()
			return ctx
		}
		resume := k.flow.resume
		k.mu.Unlock()
		select {
		case <-resume:
		case <-k.ctx.Done():
			return nil
		}
	}
}

// note records something that happened to the socket in its capture,
// with the kernel's TCP state after it.
func (k *Sock) note(text string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.noteLocked(text)
}

func (k *Sock) noteLocked(text string) {
	if k.IsTCP() && !k.status.Closed {
		k.trace.polling.Store(true)
		state, err := k.s.TCPState()
		k.trace.polling.Store(false)
		if err == nil {
			text += " · " + state
			k.status.State = state
		}
	}
	k.store.AppendNote(time.Now(), text)
}

// receiveNote says in words why reading failed.
func receiveNote(err error, dgram bool) string {
	switch netcore.ErrnoOf(err) {
	case unix.ECONNRESET:
		return "reset: the peer aborted the connection (RST); what arrived before it is all here"
	case unix.ECONNREFUSED:
		if dgram {
			return "ICMP port unreachable for an earlier datagram: nobody listens there (" + err.Error() + ")"
		}
	case unix.EHOSTUNREACH, unix.ENETUNREACH:
		if dgram {
			return "ICMP unreachable for an earlier datagram (" + err.Error() + ")"
		}
	}
	return "receive failed: " + err.Error()
}

// sendNote says in words why a send failed, and how much of it went.
func sendNote(err error, n, total int) string {
	what := fmt.Sprintf("send failed after %d of %d bytes: %s", n, total, err.Error())
	switch netcore.ErrnoOf(err) {
	case unix.EPIPE:
		what += " (the peer is gone, or our write side is shut)"
	case unix.ECONNRESET:
		what += " (the peer reset the connection)"
	}
	return what
}
