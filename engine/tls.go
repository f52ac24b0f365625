package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// TLSPiece is the most a TLS send writes at a time: one full record, so
// that a piece recorded before its write is never far ahead of the wire.
const TLSPiece = 16 << 10

// tlsState is a socket's TLS: the handshake under way, then the session.
type tlsState struct {
	side    tlsinfo.Side
	hold    chan struct{}    // closed when the handshake ends: the reader waits for it
	done    bool             // the handshake ended
	session *tlsinfo.Session // the session, once a handshake worked
	wire    *tlsinfo.Wire    // the records seen, kept after a failure too
	report  *tlsinfo.Report  // the handshake's report
	buf     []byte           // the reader's buffer for plaintext
}

// StartTLS starts TLS on a connected TCP socket, as a client or (on an
// accepted connection) a server: STARTTLS, with whatever plaintext came
// before kept in the capture. The handshake runs in the background and
// ends with a TLSDone event; meanwhile the reader leaves the socket to it
// and sends are refused. Afterwards the capture records the plaintext
// inside TLS, and sends go through the session.
func (e *Engine) StartTLS(k *Sock, side tlsinfo.Side, cfg tlsinfo.Config) error {
	if err := k.holdForTLS(side); err != nil {
		return err
	}
	cfg.Observe = func(tlsinfo.Record) { e.hub.post(Traffic{Sock: k}) }
	if !e.goTracked(func() { e.handshake(k, side, cfg) }) {
		return errors.New("the workbench is closing")
	}
	return nil
}

// holdForTLS checks that TLS can start on k and takes reading over from
// the reader: once it returns, no read of the reader's is under way and
// none starts until the handshake ends.
func (k *Sock) holdForTLS(side tlsinfo.Side) error {
	if !k.IsTCP() || k.role == RoleListener {
		return fmt.Errorf("#%d is not a TCP connection: TLS runs on one", k.id)
	}
	// With readMu held, no read of the reader's is under way; once the
	// handshake owns the socket, none starts (see takeReady).
	k.readMu.Lock()
	defer k.readMu.Unlock()
	k.mu.Lock()
	switch {
	case k.status.Closed:
		k.mu.Unlock()
		return fmt.Errorf("#%d is closed", k.id)
	case k.tls != nil && !k.tls.done:
		k.mu.Unlock()
		return fmt.Errorf("#%d is shaking hands already", k.id)
	case k.tls != nil && k.tls.session != nil:
		k.mu.Unlock()
		return fmt.Errorf("#%d speaks TLS already", k.id)
	case k.status.ReadShut || k.status.WriteShut:
		k.mu.Unlock()
		return fmt.Errorf("#%d is shut down: TLS needs both directions", k.id)
	case k.writing:
		k.mu.Unlock()
		return fmt.Errorf("#%d is still sending: start TLS once the bytes have gone", k.id)
	}
	k.tls = &tlsState{side: side, hold: make(chan struct{})}
	if k.flow.stop != nil {
		k.flow.stop() // wakes a reader waiting for data, having read nothing
		k.flow.reading, k.flow.stop = nil, nil
	}
	k.noteLocked(fmt.Sprintf("TLS handshake started, as the %s", side))
	k.mu.Unlock()
	return nil
}

// handshake runs the handshake, records how it went and hands reading
// back: to the session when it worked, to the socket when it did not (so
// that what the peer sends instead, an HTTP error say, is seen).
func (e *Engine) handshake(k *Sock, side tlsinfo.Side, cfg tlsinfo.Config) {
	sess, err := tlsinfo.Upgrade(k.ctx, k.s, nil, side, cfg)
	k.mu.Lock()
	st := k.tls
	if sess != nil {
		st.wire, st.report = sess.Wire, sess.Report
	}
	if err == nil {
		st.session, st.buf = sess, make([]byte, TLSPiece)
		k.noteLocked("TLS established; the bytes from here are inside TLS: " + sess.Report.Summary())
	} else {
		k.noteLocked("TLS handshake failed: " + err.Error())
		k.keepPlaintextAnswer(st.wire)
	}
	st.done = true
	close(st.hold)
	k.mu.Unlock()
	report := st.report
	e.hub.post(TLSDone{Sock: k, Report: report, Err: err})
	e.hub.post(Traffic{Sock: k})
}

// closeTLS ends a socket's TLS session politely before its close: a
// close_notify alert, so that the peer knows the data is complete. Only
// when the socket has room for it now: a peer that does not read must not
// hold the close up (crypto/tls would wait 5s).
func (k *Sock) closeTLS() {
	k.mu.Lock()
	st := k.tlsSessionLocked()
	k.mu.Unlock()
	if st != nil && k.s.WaitWritable(netcore.WithCallTimeout(context.Background(), time.Nanosecond)) == nil {
		_ = st.session.Conn.CloseWrite()
	}
}

// keepPlaintextAnswer records what a failed handshake read that was not
// TLS (an HTTP error, an SMTP greeting): crypto/tls took those bytes off
// the socket, and nothing received may be lost. The wire keeps the first
// FirstBytes of them; a note says when there were more. Call with k.mu
// held.
func (k *Sock) keepPlaintextAnswer(w *tlsinfo.Wire) {
	if w == nil || !w.NotTLS(tlsinfo.Received) {
		return
	}
	first := w.First(tlsinfo.Received)
	k.store.Append(capture.Received, time.Now(), "", first)
	if total := w.Total(tlsinfo.Received); total > int64(len(first)) {
		k.noteLocked(fmt.Sprintf("the handshake read %d bytes that are not TLS: the first %d are above", total, len(first)))
	}
}

// TLS returns the socket's TLS session, nil when it has none (yet).
func (k *Sock) TLS() *tlsinfo.Session {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tls == nil {
		return nil
	}
	return k.tls.session
}

// TLSReport returns the report of the socket's last TLS handshake, nil
// when none ran or one is under way.
func (k *Sock) TLSReport() *tlsinfo.Report {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tls == nil {
		return nil
	}
	return k.tls.report
}

// TLSRecords returns the TLS records seen on the socket, in order, and
// whether a handshake ever ran.
func (k *Sock) TLSRecords() ([]tlsinfo.Record, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.tls == nil:
		return nil, false
	case k.tls.wire == nil:
		return nil, true
	}
	return k.tls.wire.Records(), true
}

// tlsHoldLocked returns the channel a reader waits on while a handshake
// owns the socket, nil when none does. Call with k.mu held.
func (k *Sock) tlsHoldLocked() chan struct{} {
	if k.tls == nil || k.tls.done {
		return nil
	}
	return k.tls.hold
}

// tlsSessionLocked returns the socket's TLS state when it has a session.
// Call with k.mu held.
func (k *Sock) tlsSessionLocked() *tlsState {
	if k.tls == nil || k.tls.session == nil {
		return nil
	}
	return k.tls
}

// readTLS reads what the session has and records it; ended says reading
// is over: the peer's close_notify or end of stream, or a failure.
func (e *Engine) readTLS(k *Sock, ctx context.Context, st *tlsState) (ended bool) {
	c := st.session.Conn
	n, err := WithDeadline(ctx, c.SetReadDeadline, 0, func() (int, error) { return c.Read(st.buf) })
	at := time.Now()
	if n > 0 {
		data := st.buf[:n]
		k.duplex.Received(func() { k.store.Append(capture.Received, at, "", data) })
		k.tell(data, nil)
		e.hub.post(Traffic{Sock: k})
	}
	switch {
	case err == nil:
		return false
	case errors.Is(err, io.EOF):
		if k.ctx.Err() == nil {
			e.endOfStream(k)
		}
		return true
	}
	return e.readFailed(k, ctx, err)
}

// aLongTimeAgo is a deadline in the past, to wake a call at once.
var aLongTimeAgo = time.Unix(1, 0)

// WithDeadline runs one read or write of a net.Conn (a TLS session) with
// a deadline timeout from now (0: none), and ends it when ctx ends, as a
// netcore socket's own calls do: its failure is then a ClassCancelled
// error.
func WithDeadline(ctx context.Context, set func(time.Time) error, timeout time.Duration, call func() (int, error)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, cancelled(err)
	}
	var at time.Time
	if timeout > 0 {
		at = time.Now().Add(timeout)
	}
	_ = set(at)
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = set(aLongTimeAgo)
		close(woken)
	})
	n, err := call()
	if !stop() {
		<-woken // the deadline was moved; the next call sets its own
		if err != nil {
			err = cancelled(ctx.Err())
		}
	}
	return n, err
}

func cancelled(err error) error {
	return &netcore.Error{Op: "tls", Class: netcore.ClassCancelled, Err: err}
}

// DeadlineWriter writes to a net.Conn (a TLS session), each write limited
// by Timeout (0: none) and ended when Ctx ends.
type DeadlineWriter struct {
	Ctx     context.Context
	Timeout time.Duration
	Conn    net.Conn
}

func (w DeadlineWriter) Write(p []byte) (int, error) {
	return WithDeadline(w.Ctx, w.Conn.SetWriteDeadline, w.Timeout, func() (int, error) { return w.Conn.Write(p) })
}
