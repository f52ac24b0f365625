package netcore

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultSendSize is the egg's socket-send-size: SendAll sends at most this
// many bytes per call.
const DefaultSendSize = 16384

type callTimeoutKey struct{}

// WithCallTimeout returns a context under which every wait of a netcore
// call is limited by d instead of the socket's own timeout for that kind of
// call (0 = no limit, negative = already passed: see Timeouts), like
// parameterizing the egg's timeout parameters around one call.
func WithCallTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, callTimeoutKey{}, d)
}

// callTimeout picks the per-call override from ctx, else the socket's own
// timeout that own picks (the socket's timeouts are read only then).
func (s *Socket) callTimeout(ctx context.Context, own func(*Timeouts) time.Duration) time.Duration {
	if d, ok := ctx.Value(callTimeoutKey{}).(time.Duration); ok {
		return d
	}
	return own(s.timeouts.Load())
}

func receiveTimeout(t *Timeouts) time.Duration { return t.Receive }
func sendTimeout(t *Timeouts) time.Duration    { return t.Send }

// SetSendSize sets the chunk size of SendAll and of the stream writer;
// 0 means unlimited. The default is DefaultSendSize.
func (s *Socket) SetSendSize(n int) {
	if n < 0 {
		n = 0
	}
	s.sendSize.Store(int64(n))
}

// SendSize returns the chunk size of SendAll (0 = unlimited).
func (s *Socket) SendSize() int { return int(s.sendSize.Load()) }

// Receive reads into p, like the egg's socket-receive! (use a subslice for
// its start and end offsets). It waits up to the receive timeout each time
// nothing is there. 0 bytes from a stream socket means the peer shut down
// its side; on a datagram socket it is an empty datagram. A timeout leaves
// the socket open.
func (s *Socket) Receive(ctx context.Context, p []byte, flags MsgFlags) (int, error) {
	n, _, err := s.receive(ctx, "receive", p, flags, false, s.callTimeout(ctx, receiveTimeout))
	return n, err
}

// ReceiveN reads up to n bytes into a new buffer (the egg's socket-receive).
func (s *Socket) ReceiveN(ctx context.Context, n int, flags MsgFlags) ([]byte, error) {
	if n < 0 {
		return nil, invalidf("receive", "negative length %d", n)
	}
	buf := make([]byte, n)
	m, err := s.Receive(ctx, buf, flags)
	return buf[:m], err
}

// ReceiveFrom reads into p and returns the sender's address; the zero Addr
// for a connected stream socket (socket-receive-from!).
func (s *Socket) ReceiveFrom(ctx context.Context, p []byte, flags MsgFlags) (int, Addr, error) {
	return s.receive(ctx, "receive-from", p, flags, true, s.callTimeout(ctx, receiveTimeout))
}

// ReceiveWithin is chibi's receive!/non-blocking: it waits at most timeout
// (0 = not at all) and reports ok=false, with no error, when nothing came.
func (s *Socket) ReceiveWithin(ctx context.Context, p []byte, timeout time.Duration, flags MsgFlags) (n int, ok bool, err error) {
	n, _, err = s.receive(ctx, "receive", p, flags, false, nonBlockingTimeout(timeout))
	return nothingOnTimeout(n, err)
}

// nonBlockingTimeout turns chibi's "0 = do not wait" into a wait short
// enough to return at once.
func nonBlockingTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Nanosecond
	}
	return d
}

func nothingOnTimeout(n int, err error) (int, bool, error) {
	if err != nil && ClassOf(err) == ClassTimeout {
		return 0, false, nil
	}
	return n, err == nil, err
}

// Send sends from p and returns how many bytes went, which may be fewer
// than len(p) (the egg's socket-send). It waits up to the send timeout each
// time the socket cannot take more. SIGPIPE is never raised: a closed peer
// gives EPIPE.
func (s *Socket) Send(ctx context.Context, p []byte, flags MsgFlags) (int, error) {
	return s.send(ctx, "send", p, Addr{}, flags, s.callTimeout(ctx, sendTimeout))
}

// SendTo sends p as one datagram (or stream write) to an address
// (socket-send-to).
func (s *Socket) SendTo(ctx context.Context, p []byte, to Addr, flags MsgFlags) (int, error) {
	if !to.IsValid() {
		return 0, invalidf("send-to", "no destination address")
	}
	return s.send(ctx, "send-to", p, to, flags, s.callTimeout(ctx, sendTimeout))
}

// SendWithin is chibi's send/non-blocking: it waits at most timeout (0 = not
// at all) and reports ok=false, with no error, when nothing could be sent.
func (s *Socket) SendWithin(ctx context.Context, p []byte, timeout time.Duration, flags MsgFlags) (n int, ok bool, err error) {
	n, err = s.send(ctx, "send", p, Addr{}, flags, nonBlockingTimeout(timeout))
	return nothingOnTimeout(n, err)
}

// SendAll sends all of p in chunks of SendSize (socket-send-all), each chunk
// with its own send timeout. On a connected datagram socket every chunk is a
// datagram. On failure it returns how much was sent.
func (s *Socket) SendAll(ctx context.Context, p []byte, flags MsgFlags) (int, error) {
	chunk := s.SendSize()
	sent := 0
	for {
		end := len(p)
		if chunk > 0 && end-sent > chunk {
			end = sent + chunk
		}
		n, err := s.Send(ctx, p[sent:end], flags)
		sent += n
		if err != nil || sent >= len(p) {
			return sent, err
		}
	}
}

func destText(to Addr) string {
	if to.IsValid() {
		return "to " + to.String()
	}
	return "connected peer"
}

// WaitWritable waits until a send would not block, up to the socket's send
// timeout (or the per-call one) and the context. With SendWithin and a zero
// timeout it lets a caller send only when sending cannot wait, for example
// while holding a lock that a receiving goroutine also needs.
func (s *Socket) WaitWritable(ctx context.Context) error {
	return s.await(ctx, "wait-writable", Addr{}, true, s.callTimeout(ctx, sendTimeout), func(fd int) bool {
		n, err := pollNow(fd, unix.POLLOUT)
		return err != nil || n > 0
	})
}

// WaitReadable waits until a receive would not block (data, the end of
// the stream, or a pending error), up to the socket's receive timeout (or
// the per-call one) and the context. It reads nothing, so a reader can wait
// without a buffer and decide, once something is there, whether to take it.
func (s *Socket) WaitReadable(ctx context.Context) error {
	return s.await(ctx, "wait-readable", Addr{}, false, s.callTimeout(ctx, receiveTimeout), func(fd int) bool {
		n, err := pollNow(fd, unix.POLLIN)
		return err != nil || n > 0
	})
}

// ReceiveMessage receives the next datagram whole, with its sender, and
// never cuts it off: data is buf's start when the datagram fits in buf, and
// a new buffer of the datagram's size only when it does not. With a buf of
// 64 KiB or more, every UDP (and raw IP) datagram fits, and each takes one
// system call; others (UNIX datagrams can be far larger than any buffer)
// are first peeked at with their real size, then taken. Receiving into the
// same buf, it allocates nothing in the steady state. It waits up to the
// receive timeout; it is for datagram, seqpacket and raw sockets, with one
// reader.
func (s *Socket) ReceiveMessage(ctx context.Context, buf []byte) (data []byte, from Addr, err error) {
	return s.receiveMessage(ctx, "receive-message", buf)
}

// ReceiveDatagram receives the next datagram whole, in a buffer of its own
// size, with its sender: ReceiveMessage into no buffer of the caller's.
func (s *Socket) ReceiveDatagram(ctx context.Context) ([]byte, Addr, error) {
	data, from, err := s.receiveMessage(ctx, "receive-datagram", nil)
	if err == nil && data == nil {
		data = []byte{} // an empty datagram, not none
	}
	return data, from, err
}
