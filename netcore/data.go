package netcore

import (
	"context"
	"fmt"
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

// callTimeout picks the per-call override from ctx, else the socket's own.
func callTimeout(ctx context.Context, own time.Duration) time.Duration {
	if d, ok := ctx.Value(callTimeoutKey{}).(time.Duration); ok {
		return d
	}
	return own
}

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
	n, _, err := s.receive(ctx, "receive", p, flags, false, callTimeout(ctx, s.Timeouts().Receive))
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
	return s.receive(ctx, "receive-from", p, flags, true, callTimeout(ctx, s.Timeouts().Receive))
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

func (s *Socket) receive(ctx context.Context, op string, p []byte, flags MsgFlags, from bool, timeout time.Duration) (int, Addr, error) {
	var n int
	var sender rawSockaddr
	var recvErr error
	err := s.await(ctx, op, Addr{}, false, timeout, func(fd int) bool {
		n, recvErr = s.sys(syscallName(op, "recvfrom", from || flags != 0), fd, func() (int, error) {
			if from || flags != 0 {
				return sysRecvfrom(fd, p, int(flags), &sender)
			}
			return unix.Read(fd, p)
		}, func(c *Syscall) { c.Args = fmt.Sprintf("%d, %d bytes, %s", fd, len(p), flags) })
		return recvErr != unix.EAGAIN && recvErr != unix.EINTR
	})
	if err == nil {
		err = recvErr
	}
	if err != nil {
		return 0, Addr{}, sysError(op, Addr{}, err)
	}
	if !from {
		return n, Addr{}, nil
	}
	return n, s.senderOf(&sender), nil
}

// senderOf converts the sender of a received message. A UNIX datagram from
// an unbound socket comes without an address: it is from the unnamed one.
func (s *Socket) senderOf(raw *rawSockaddr) Addr {
	if raw.len == 0 && s.family == FamilyUnix && s.typ != SockStream {
		return Addr{unix: true}
	}
	return raw.addr()
}

func syscallName(op, full string, useFull bool) string {
	if useFull {
		return full
	}
	if op == "receive" {
		return "read"
	}
	return "write"
}

// Send sends from p and returns how many bytes went, which may be fewer
// than len(p) (the egg's socket-send). It waits up to the send timeout each
// time the socket cannot take more. SIGPIPE is never raised: a closed peer
// gives EPIPE.
func (s *Socket) Send(ctx context.Context, p []byte, flags MsgFlags) (int, error) {
	return s.send(ctx, "send", p, Addr{}, flags, callTimeout(ctx, s.Timeouts().Send))
}

// SendTo sends p as one datagram (or stream write) to an address
// (socket-send-to).
func (s *Socket) SendTo(ctx context.Context, p []byte, to Addr, flags MsgFlags) (int, error) {
	if !to.IsValid() {
		return 0, invalidf("send-to", "no destination address")
	}
	return s.send(ctx, "send-to", p, to, flags, callTimeout(ctx, s.Timeouts().Send))
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

func (s *Socket) send(ctx context.Context, op string, p []byte, to Addr, flags MsgFlags, timeout time.Duration) (int, error) {
	var sa *rawSockaddr
	if to.IsValid() {
		sa = new(rawSockaddr)
		if err := sa.set(to); err != nil {
			return 0, &Error{Op: op, Addr: to, Class: ClassInvalid, Err: err}
		}
	}
	var n int
	var sendErr error
	err := s.await(ctx, op, to, true, timeout, func(fd int) bool {
		n, sendErr = s.sys("sendmsg", fd, func() (int, error) { return sysSendmsg(fd, p, sa, int(flags)|msgNoSignal) },
			func(c *Syscall) { c.Args = fmt.Sprintf("%d, %d bytes, %s, %s", fd, len(p), destText(to), flags) })
		return sendErr != unix.EAGAIN && sendErr != unix.EINTR
	})
	if err == nil {
		err = sendErr
	}
	if err != nil {
		return 0, sysError(op, to, err)
	}
	return n, nil
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
	return s.await(ctx, "wait-writable", Addr{}, true, callTimeout(ctx, s.Timeouts().Send), func(fd int) bool {
		n, err := pollNow(fd, unix.POLLOUT)
		return err != nil || n > 0
	})
}

// ReceiveDatagram receives the next datagram whole, in a buffer of its own
// size, with its sender. A fixed buffer cuts off the end of a datagram
// larger than itself and the kernel discards the rest; UNIX datagrams can
// be far larger than any UDP one. So it first peeks at the datagram's size
// (MSG_PEEK|MSG_TRUNC), then receives it. It waits up to the receive
// timeout; it is for datagram, seqpacket and raw sockets, with one reader.
func (s *Socket) ReceiveDatagram(ctx context.Context) ([]byte, Addr, error) {
	const op = "receive-datagram"
	if s.typ == SockStream {
		return nil, Addr{}, invalidf(op, "a stream socket has no datagrams")
	}
	timeout := callTimeout(ctx, s.Timeouts().Receive)
	var probe [1]byte
	size, _, err := s.receive(ctx, op, probe[:], MsgPeek|MsgTrunc, true, timeout)
	if err != nil {
		return nil, Addr{}, err
	}
	buf := make([]byte, size)
	n, from, err := s.receive(ctx, op, buf, 0, true, timeout)
	if err != nil {
		return nil, Addr{}, err
	}
	return buf[:min(n, size)], from, nil
}
