package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
)

// Config is what an engine is made with.
type Config struct {
	// CaptureLimit is how many bytes of traffic each socket keeps;
	// 0 is capture.DefaultLimit. It bounds each packet capture too.
	CaptureLimit int64
	// CapturePackets captures the packets of every listener and UDP socket
	// (connect runs say so for themselves, in Dial.Capture).
	CapturePackets bool
}

// Engine owns a set of open sockets and the goroutines that serve them.
// Its methods are safe for concurrent use. What happens is reported as
// events, in order, through Next.
type Engine struct {
	ctx            context.Context
	cancel         context.CancelFunc
	limit          int64
	capturePackets bool
	hub            *hub
	wg             sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	closed  bool
	nextID  int
	open    []*Sock
	watched []*Sock
}

// New starts an engine with no sockets.
func New(cfg Config) *Engine {
	ctx, cancel := context.WithCancel(context.Background())
	limit := cfg.CaptureLimit
	if limit <= 0 {
		limit = capture.DefaultLimit
	}
	e := &Engine{ctx: ctx, cancel: cancel, limit: limit, capturePackets: cfg.CapturePackets, hub: newHub(ctx.Done())}
	e.goTracked(e.watchStates)
	return e
}

// Next waits for events and returns every one pending, oldest first; nil
// once ctx ends or the engine is closed.
func (e *Engine) Next(ctx context.Context) []Event { return e.hub.next(ctx) }

// Close closes every socket and waits for every goroutine of the engine.
// It is safe to call more than once.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	open := e.open
	e.open, e.watched = nil, nil
	e.mu.Unlock()
	e.cancel()
	for _, k := range open {
		p, _ := k.closeNow()
		e.releasePackets(p) // at once: the engine's context has ended
	}
	e.wg.Wait()
}

// goTracked runs f in a goroutine that Close waits for; it reports false
// (and runs nothing) once the engine is closed. A panic in f does not take
// the process down behind the user's back: it is reported as a Crashed
// event, for the program to end the way it ends on its own panics (the
// workbench restores the terminal first).
func (e *Engine) goTracked(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				e.hub.post(Crashed{Value: r, Stack: debug.Stack()})
			}
		}()
		f()
	}()
	return true
}

// add makes s a socket of the engine, not yet running. Once the engine is
// closed it closes s instead and returns nil.
func (e *Engine) add(s *netcore.Socket, role Role, parent *Sock, trace *Trace) *Sock {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		_ = s.Close()
		return nil
	}
	if trace == nil {
		trace = NewTrace()
	}
	e.nextID++
	k := &Sock{id: e.nextID, role: role, parent: parent, s: s, trace: trace,
		store: capture.NewStore(e.limit), duplex: NewDuplex(s)}
	k.local, _ = s.LocalAddr()
	if role != RoleListener {
		k.peer, _ = s.PeerAddr()
	}
	k.ctx, k.cancel = context.WithCancel(e.ctx)
	k.status.State = k.initialState()
	if role != RoleListener {
		// Made before the socket is announced: Send may come at once.
		k.room = make(chan struct{}, 1)
	}
	e.open = append(e.open, k)
	return k
}

// start runs a socket's goroutines: an acceptor for a listener, a reader
// and a writer for anything else. Call it after the event that announces
// the socket, so that its own events come after that one.
func (e *Engine) start(k *Sock) {
	if k.role == RoleListener {
		e.goTracked(func() { e.acceptLoop(k) })
		return
	}
	e.goTracked(func() { e.readLoop(k) })
}

// forget removes a closed socket from the engine's set.
func (e *Engine) forget(k *Sock) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i := slices.Index(e.open, k); i >= 0 {
		e.open = slices.Delete(e.open, i, i+1)
	}
}

// Shutdown shuts down reading, writing or both (SHUT_RD, SHUT_WR,
// SHUT_RDWR) of a connected socket.
func (e *Engine) Shutdown(k *Sock, how netcore.ShutHow) error {
	if how != netcore.ShutWR {
		k.shutRead.Store(true)
	}
	if how != netcore.ShutRD {
		k.closeTLS() // close_notify first: the end of the data inside TLS
	}
	// The call and its note under the socket's lock, so that the note
	// comes before the reader's note of the end of reading it causes.
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.s.Shutdown(how); err != nil {
		return err
	}
	k.status.ReadShut = k.status.ReadShut || how != netcore.ShutWR
	k.status.WriteShut = k.status.WriteShut || how != netcore.ShutRD
	switch how {
	case netcore.ShutRD:
		k.noteLocked("we shut down reading (SHUT_RD)")
	case netcore.ShutWR:
		k.noteLocked("we shut down writing (SHUT_WR): the peer sees end of stream (FIN)")
	default:
		k.noteLocked("we shut down reading and writing (SHUT_RDWR)")
	}
	return nil
}

// SendWait is Send for a sender that may wait: while the socket's queue
// is full it waits for room (or for ctx, or the socket's close) instead of
// failing. A repetition or a snippet sends this way.
func (e *Engine) SendWait(ctx context.Context, k *Sock, data []byte, to netcore.Addr) error {
	return e.sendWaiting(ctx, k, sendReq{data: data, to: to})
}

// SendAndWait sends data and waits until it went (or failed), in order
// with the socket's other sends: for an automatic reply that a close
// follows.
func (e *Engine) SendAndWait(ctx context.Context, k *Sock, data []byte, to netcore.Addr) error {
	done := make(chan error, 1)
	if err := e.sendWaiting(ctx, k, sendReq{data: data, to: to, done: done}); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-k.ctx.Done():
		return fmt.Errorf("#%d was closed before the bytes went", k.id)
	}
}

func (e *Engine) sendWaiting(ctx context.Context, k *Sock, req sendReq) error {
	for {
		err := e.queue(k, req)
		if !errors.Is(err, ErrSendQueueFull) {
			return err
		}
		select {
		case <-k.room:
		case <-ctx.Done():
			return ctx.Err()
		case <-k.ctx.Done():
			return fmt.Errorf("#%d is closed", k.id)
		}
	}
}

// Note records something that happened to the socket in its capture,
// with the kernel's TCP state after it: an automatic reply, a snippet's
// step.
func (e *Engine) Note(k *Sock, text string) { k.note(text) }

// Reset aborts a connection: SO_LINGER 0, then close, so that the peer
// gets a RST instead of a FIN and what was not sent is thrown away.
func (e *Engine) Reset(k *Sock) error {
	if !k.IsTCP() {
		k.note("a reset was asked, but only TCP has one: closed instead (the peer sees end of stream)")
		return e.CloseSock(k)
	}
	if err := k.s.SetOptionString("SO_LINGER", "on,0"); err != nil {
		return err
	}
	k.note("we reset the connection (SO_LINGER 0, then close): the peer gets RST")
	// No close_notify first, inside TLS: it would tell the peer of an
	// orderly end before the RST.
	return e.closeSock(k, k.closeSocket)
}

// CloseSock stops a socket's goroutines and closes it. A UNIX listener's
// socket file goes with it, so that the path can be listened on again.
func (e *Engine) CloseSock(k *Sock) error { return e.closeSock(k, k.closeNow) }

// closeSock forgets k, closes it with closeFunc and releases its capture.
func (e *Engine) closeSock(k *Sock, closeFunc func() (*Packets, error)) error {
	e.forget(k)
	p, err := closeFunc()
	e.releasePackets(p)
	return err
}

// closeNow closes the socket; packets is its capture, for the caller to
// release, the first time only.
func (k *Sock) closeNow() (packets *Packets, err error) {
	k.closeTLS()
	return k.closeSocket()
}

// closeSocket is closeNow without TLS's close_notify.
func (k *Sock) closeSocket() (packets *Packets, err error) {
	k.cancel()
	k.mu.Lock()
	if !k.status.Closed {
		k.noteLocked("closed")
		packets = k.packets
	}
	k.status.Closed, k.status.State = true, "closed"
	k.mu.Unlock()
	err = k.s.Close()
	if k.role == RoleListener && k.Family() == netcore.FamilyUnix && !k.local.IsAbstract() && k.local.Path() != "" {
		_ = os.Remove(k.local.Path())
	}
	if errors.Is(err, netcore.ErrClosed) {
		err = nil
	}
	return packets, err
}

// refreshEvery is how often the watched sockets' TCP states are read.
const refreshEvery = time.Second

// Watch sets the sockets whose kernel TCP state the engine reads again
// every second: those a user can see. Reading ten thousand every second
// would cost a busy core's worth of nothing; a StatesChanged event says
// when one of the watched changed.
func (e *Engine) Watch(socks []*Sock) {
	e.mu.Lock()
	e.watched = append(e.watched[:0], socks...)
	e.mu.Unlock()
}

// watchStates reads the watched sockets' states every second until the
// engine closes.
func (e *Engine) watchStates() {
	t := time.NewTicker(refreshEvery)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
			e.mu.Lock()
			watched := slices.Clone(e.watched)
			e.mu.Unlock()
			if refreshStates(watched) {
				e.hub.post(StatesChanged{})
			}
			for _, k := range watched {
				e.checkStall(k)
			}
		}
	}
}

// refreshStates reads the TCP state of each open TCP socket of socks and
// reports whether one changed.
func refreshStates(socks []*Sock) bool {
	changed := false
	for _, k := range socks {
		if !k.IsTCP() || k.Status().Closed {
			continue
		}
		k.trace.polling.Store(true)
		state, err := k.s.TCPState()
		k.trace.polling.Store(false)
		if err != nil {
			continue
		}
		k.update(func(st *Status) {
			if !st.Closed && st.State != state {
				st.State, changed = state, true
			}
		})
	}
	return changed
}

// ErrSendQueueFull is returned by Send when a socket already has
// sendQueueLen sends waiting (the peer is not reading).
var ErrSendQueueFull = fmt.Errorf("%d sends are already waiting (the peer is not reading)", sendQueueLen)

// Send queues data to be sent on a socket, to a destination for an
// unconnected datagram socket; a Sent event reports how it went. It
// never waits.
func (e *Engine) Send(k *Sock, data []byte, to netcore.Addr) error {
	return e.queue(k, sendReq{data: data, to: to})
}

// queue queues a send request and makes sure a writer runs.
func (e *Engine) queue(k *Sock, req sendReq) error {
	if k.role == RoleListener {
		return errors.New("a listener sends nothing")
	}
	if k.relay != nil {
		return fmt.Errorf("#%d is relayed: the relay sends its bytes (intercept to change them)", k.id)
	}
	// Queued and the writer started under the lock its end is decided
	// under, so that no request is left without a writer.
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tls != nil && !k.tls.done {
		return fmt.Errorf("#%d is shaking hands (TLS): send once the handshake is over", k.id)
	}
	if k.sendCh == nil {
		// Made at the first send, not with the socket: a queue of
		// sendQueueLen requests is about 5 KiB, which ten thousand
		// sockets that never send need not hold.
		k.sendCh = make(chan sendReq, sendQueueLen)
	}
	select {
	case k.sendCh <- req:
	default:
		return ErrSendQueueFull
	}
	if !k.writing && e.goTracked(func() { e.writeLoop(k) }) {
		k.writing = true
	}
	return nil
}
