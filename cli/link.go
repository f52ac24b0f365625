package cli

import (
	"context"
	"io"
	"time"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// link is what an exchange sends on and receives from: a connected socket,
// or a TLS session on one. Both keep the ordering rule through the
// socket's engine.Duplex.
type link interface {
	// receive reads what has come (on a datagram socket, the next datagram
	// whole: a fixed buffer would cut off a large UNIX datagram), waiting
	// at most timeout (0: no limit) and until ctx ends. On a stream, no
	// bytes and no error is the end of the stream.
	receive(ctx context.Context, timeout time.Duration, buf []byte) ([]byte, error)
	// send sends all of p (on a datagram socket, as one datagram), calling
	// sent with each piece under the duplex's lock, and unsent with what
	// of a piece already reported did not go. Each wait for room is
	// limited by timeout (0: none) and by ctx. The payload's sender and
	// the automatic replies may send at once; the record keeps the order
	// the bytes went in.
	send(ctx context.Context, timeout time.Duration, p []byte, sent func(time.Time, []byte), unsent func([]byte)) (int, error)
	closeWrite() error
	// end ends the link after the exchange; normal says the exchange ended
	// normally, so the peer is told politely. The caller closes the socket.
	end(normal bool)
	stream() bool
	duplex() *engine.Duplex
}

// socketLink is a connected socket, used directly.
type socketLink struct{ d *engine.Duplex }

func plainLink(s *netcore.Socket) link { return socketLink{engine.NewDuplex(s)} }

func (l socketLink) receive(ctx context.Context, timeout time.Duration, buf []byte) ([]byte, error) {
	ctx = netcore.WithCallTimeout(ctx, timeout)
	s := l.d.Socket()
	if s.Type() == netcore.SockStream {
		n, err := s.Receive(ctx, buf, 0)
		return buf[:n], err
	}
	data, _, err := s.ReceiveMessage(ctx, buf) // into buf, unless a datagram is larger
	return data, err
}

func (l socketLink) send(ctx context.Context, timeout time.Duration, p []byte, sent func(time.Time, []byte), _ func([]byte)) (int, error) {
	return l.d.Send(netcore.WithCallTimeout(ctx, timeout), p, netcore.Addr{}, 0, sent)
}

func (l socketLink) closeWrite() error      { return l.d.Socket().Shutdown(netcore.ShutWR) }
func (l socketLink) end(bool)               {}
func (l socketLink) stream() bool           { return l.d.Socket().Type() == netcore.SockStream }
func (l socketLink) duplex() *engine.Duplex { return l.d }

// tlsLink is a TLS session on a connected stream socket.
type tlsLink struct {
	d    *engine.Duplex
	sess *tlsinfo.Session
	// writing holds a token while a send runs. SendThrough records a
	// piece before it writes it, so two senders at once (the payload and
	// the automatic replies) could be recorded in one order and written
	// in the other; one at a time, the record keeps the wire's order. A
	// channel, so that a sender waiting for its turn still follows ctx.
	writing chan struct{}
}

func sessionLink(s *netcore.Socket, sess *tlsinfo.Session) link {
	return tlsLink{d: engine.NewDuplex(s), sess: sess, writing: make(chan struct{}, 1)}
}

func (l tlsLink) receive(ctx context.Context, timeout time.Duration, buf []byte) ([]byte, error) {
	c := l.sess.Conn
	n, err := engine.WithDeadline(ctx, c.SetReadDeadline, timeout, func() (int, error) { return c.Read(buf) })
	if n > 0 || err == io.EOF {
		return buf[:n], nil // the error, if any, comes again with the next read
	}
	return nil, err
}

func (l tlsLink) send(ctx context.Context, timeout time.Duration, p []byte, sent func(time.Time, []byte), unsent func([]byte)) (int, error) {
	select {
	case l.writing <- struct{}{}:
		defer func() { <-l.writing }()
	case <-ctx.Done():
		return 0, cancelledError("send", ctx.Err())
	}
	w := engine.DeadlineWriter{Ctx: ctx, Timeout: timeout, Conn: l.sess.Conn}
	return l.d.SendThrough(w, p, engine.TLSPiece, sent, unsent)
}

func (l tlsLink) closeWrite() error { return l.sess.Conn.CloseWrite() }

// end sends close_notify (once: CloseWrite may have sent it) after a
// normal end, so the peer knows the data is complete. After a failure it
// does not: the peer may not be reading, and the alert would wait.
func (l tlsLink) end(normal bool) {
	if normal {
		_ = l.sess.Conn.Close()
	}
}

func (l tlsLink) stream() bool           { return true }
func (l tlsLink) duplex() *engine.Duplex { return l.d }
