package netcore

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"
)

// Buffer sizes of the stream ports, after the egg's parameters.
const (
	DefaultReceiveBufferSize = 4096 // socket-receive-buffer-size
)

// PortConfig sets the buffering of the ports IOPorts makes; the zero value
// is the egg's defaults.
type PortConfig struct {
	ReceiveBufferSize int // input buffer; DefaultReceiveBufferSize when 0
	SendBufferSize    int // output buffer; 0 = unbuffered (every Write is a send-all)
}

// Reader is the input port of a socket: a buffered io.Reader whose Close
// shuts down the socket's read side.
type Reader struct {
	ports *ports
	buf   *bufio.Reader
	once  sync.Once
	keep  bool // abandoned: no shutdown on Close
}

// Writer is the output port of a socket: an io.Writer that sends everything
// it is given (in chunks of the socket's send size). Close flushes and shuts
// down the socket's write side.
type Writer struct {
	ports *ports
	out   socketWriter
	buf   *bufio.Writer // over out; nil when unbuffered
	once  sync.Once
	keep  bool
}

// ports is what the two ports share: the socket, closed when both are.
type ports struct {
	sock *Socket
	mu   sync.Mutex
	open int
}

// IOPorts returns the input and output ports of a connected stream (or
// connected datagram) socket, like the egg's socket-i/o-ports and chibi's
// open-net-io ports. The socket's timeouts at this moment apply to the
// ports' receives and sends. The socket is closed once both ports are.
func IOPorts(s *Socket, cfg PortConfig) (*Reader, *Writer) {
	p := &ports{sock: s, open: 2}
	timeouts := s.Timeouts()
	rsize := cfg.ReceiveBufferSize
	if rsize <= 0 {
		rsize = DefaultReceiveBufferSize
	}
	r := &Reader{ports: p, buf: bufio.NewReaderSize(socketReader{s, WithCallTimeout(context.Background(), timeouts.Receive)}, rsize)}
	w := &Writer{ports: p, out: socketWriter{s, WithCallTimeout(context.Background(), timeouts.Send)}}
	if cfg.SendBufferSize > 0 {
		w.buf = bufio.NewWriterSize(w.out, cfg.SendBufferSize)
	}
	return r, w
}

// socketReader adapts Receive to io.Reader, with the receive timeout
// captured when the ports were made (in ctx, made once).
type socketReader struct {
	s   *Socket
	ctx context.Context
}

func (r socketReader) Read(p []byte) (int, error) {
	n, err := r.s.Receive(r.ctx, p, 0)
	if err == nil && n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, err
}

// socketWriter adapts SendAll to io.Writer, as socketReader does Receive.
type socketWriter struct {
	s   *Socket
	ctx context.Context
}

func (w socketWriter) Write(p []byte) (int, error) { return w.s.SendAll(w.ctx, p, 0) }

// Read reads buffered input; io.EOF once the peer has shut down.
func (r *Reader) Read(p []byte) (int, error) { return r.buf.Read(p) }

// Buffered returns how many bytes can be read without a receive.
func (r *Reader) Buffered() int { return r.buf.Buffered() }

// Socket returns the socket behind the port (socket-i/o-port->socket).
func (r *Reader) Socket() *Socket { return r.ports.sock }

// Abandon makes Close skip the shutdown (socket-abandon-port). The socket
// is still closed once both ports are.
func (r *Reader) Abandon() { r.keep = true }

// Close shuts down the read side, unless abandoned, and closes the socket
// if the output port is closed too. Closing twice does nothing.
func (r *Reader) Close() error {
	var err error
	r.once.Do(func() {
		if !r.keep {
			err = r.ports.sock.Shutdown(ShutRD)
		}
		err = errors.Join(err, r.ports.release())
	})
	return err
}

// Write sends p, or buffers it when the port is buffered.
func (w *Writer) Write(p []byte) (int, error) {
	if w.buf != nil {
		return w.buf.Write(p)
	}
	return w.out.Write(p)
}

// Flush sends what is buffered.
func (w *Writer) Flush() error {
	if w.buf == nil {
		return nil
	}
	return w.buf.Flush()
}

// Socket returns the socket behind the port.
func (w *Writer) Socket() *Socket { return w.ports.sock }

// Abandon makes Close skip the shutdown; it still flushes.
func (w *Writer) Abandon() { w.keep = true }

// Close flushes, shuts down the write side unless abandoned, and closes the
// socket if the input port is closed too. Closing twice does nothing.
func (w *Writer) Close() error {
	var err error
	w.once.Do(func() {
		err = w.Flush()
		if !w.keep {
			err = errors.Join(err, w.ports.sock.Shutdown(ShutWR))
		}
		err = errors.Join(err, w.ports.release())
	})
	return err
}

func (p *ports) release() error {
	p.mu.Lock()
	p.open--
	last := p.open == 0
	p.mu.Unlock()
	if last {
		return p.sock.Close()
	}
	return nil
}

// OpenNetIO connects to host and service and returns the socket with its
// ports, like chibi's open-net-io: a stream lookup of any family, and every
// address tried in turn whatever its failure.
func OpenNetIO(ctx context.Context, host, service string) (*Socket, *Reader, *Writer, error) {
	ais, err := Resolve(ctx, host, service, Hints{SockType: SockStream})
	if err != nil {
		return nil, nil, nil, err
	}
	var lastErr error
	for _, ai := range ais {
		s, err := NewSocket(ai.Family, ai.SockType, ai.Protocol)
		if err == nil {
			err = s.Connect(ctx, ai.Addr)
		}
		if err == nil {
			r, w := IOPorts(s, PortConfig{})
			return s, r, w, nil
		}
		lastErr = err
		if ClassOf(err) == ClassCancelled {
			break
		}
	}
	if lastErr == nil {
		lastErr = &Error{Op: "open-net-io", Class: ClassFatal, Err: errors.New("couldn't find address")}
	}
	return nil, nil, nil, lastErr
}

// WithNetIO is chibi's with-net-io: it opens the connection, calls fn with
// the ports, and closes both ports (and so the socket) afterwards, even
// when fn fails. It returns fn's error joined with any closing error.
func WithNetIO(ctx context.Context, host, service string, fn func(r *Reader, w *Writer) error) error {
	_, r, w, err := OpenNetIO(ctx, host, service)
	if err != nil {
		return err
	}
	err = fn(r, w)
	return errors.Join(err, w.Close(), r.Close())
}
