package relay

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sockbench/capture"
	"sockbench/internal/testpeer"
	"sockbench/netcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testDeadline bounds every wait of these tests.
const testDeadline = 30 * time.Second

// harness is a relay listening on loopback (or a UNIX path) that relays
// each client it accepts, one after another, to the upstream, recording
// the last session into fresh stores.
type harness struct {
	t       testing.TB
	r       *Relay
	ln      *netcore.Socket
	network string // for net.Dial: "tcp" or "unix"
	addr    string

	mu           sync.Mutex
	conv, cl, up *capture.Store
	events       []Event
	attempts     []netcore.Attempt // the last session's finished attempts
	unrecorded   bool              // the sessions record nothing (for the benchmark)

	summaries chan Summary
	cancel    context.CancelFunc
	done      chan struct{}
}

// startRelay listens on listen ("127.0.0.1:0", "unix:/path") and relays
// to upstream (a TARGET).
func startRelay(t testing.TB, listen, upstream string) *harness {
	t.Helper()
	lt, err := netcore.ParseTarget(listen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	lais, err := netcore.ResolveTargets(ctx, []netcore.Target{lt}, netcore.Hints{SockType: netcore.SockStream, Flags: netcore.AIPassive})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := netcore.ListenConfig{}.Listen(lais[0].Addr)
	if err != nil {
		t.Fatal(err)
	}
	ut, err := netcore.ParseTarget(upstream)
	if err != nil {
		t.Fatal(err)
	}
	uais, err := netcore.ResolveTargets(ctx, []netcore.Target{ut}, netcore.Hints{SockType: netcore.SockStream})
	if err != nil {
		t.Fatal(err)
	}
	local, _ := ln.LocalAddr()
	h := &harness{t: t, r: New(Config{Upstream: uais}), ln: ln, network: "tcp", addr: local.String(),
		summaries: make(chan Summary, 16), cancel: cancel, done: make(chan struct{})}
	if lt.IsUnix {
		h.network, h.addr = "unix", local.Path()
	}
	go h.serve(ctx)
	t.Cleanup(func() { cancel(); _ = ln.Close(); <-h.done })
	return h
}

func (h *harness) serve(ctx context.Context) {
	defer close(h.done)
	for {
		c, _, err := h.ln.Accept(netcore.WithCallTimeout(ctx, 0))
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conv, h.cl, h.up, h.events, h.attempts = capture.NewStore(0), capture.NewStore(0), capture.NewStore(0), nil, nil
		hooks := Hooks{Conversation: h.conv, Client: h.cl, Upstream: h.up, Event: h.event, Attempt: h.attempt}
		if h.unrecorded {
			hooks = Hooks{}
		}
		h.mu.Unlock()
		h.summaries <- h.r.Relay(ctx, c, hooks)
	}
}

func (h *harness) event(ev Event) {
	ev.Data = nil // the stores keep the bytes
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *harness) attempt(a netcore.Attempt) {
	if a.Done() {
		h.mu.Lock()
		h.attempts = append(h.attempts, a)
		h.mu.Unlock()
	}
}

// dial connects a client to the relay.
func (h *harness) dial() net.Conn {
	h.t.Helper()
	c, err := net.DialTimeout(h.network, h.addr, testDeadline)
	if err != nil {
		h.t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(testDeadline))
	h.t.Cleanup(func() { c.Close() })
	return c
}

// summary waits for the end of the next session.
func (h *harness) summary() Summary {
	h.t.Helper()
	select {
	case s := <-h.summaries:
		return s
	case <-time.After(testDeadline):
		h.t.Fatal("the session did not end")
		return Summary{}
	}
}

// stores returns the last session's records.
func (h *harness) stores() (conv, client, upstream *capture.Store) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conv, h.cl, h.up
}

// transcript writes a store's chunks in order, one a line: "> bytes",
// "< bytes" or "* note" (a newline that ends the bytes is left out).
func transcript(s *capture.Store) string {
	var b strings.Builder
	for i := range s.NumChunks() {
		c := s.Chunk(i)
		switch c.Dir {
		case capture.Sent:
			b.WriteString("> " + strings.TrimSuffix(string(s.Data(i)), "\n") + "\n")
		case capture.Received:
			b.WriteString("< " + strings.TrimSuffix(string(s.Data(i)), "\n") + "\n")
		default:
			b.WriteString("* " + c.Peer + "\n")
		}
	}
	return b.String()
}

// bytesOf joins the bytes of a store's chunks of one direction.
func bytesOf(s *capture.Store, d capture.Dir) []byte {
	var out []byte
	for i := range s.NumChunks() {
		if s.Chunk(i).Dir == d {
			out = append(out, s.Data(i)...)
		}
	}
	return out
}

// upstreamPeer is a Go net listener serving each connection with serve
// (testpeer.Serve, with a deadline on each connection); it stops with the
// test.
func upstreamPeer(t testing.TB, network, address string, serve func(net.Conn)) string {
	t.Helper()
	at := testpeer.Serve(t, network, address, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(testDeadline))
		serve(c)
	})
	if network == "unix" {
		return "unix:" + address
	}
	return at.String()
}

// readAll reads until EOF or an error, and returns both.
func readAll(c net.Conn) ([]byte, error) {
	return io.ReadAll(c)
}

// reset makes a Go connection close with RST.
func reset(t *testing.T, c net.Conn) {
	t.Helper()
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetLinger(0); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Close()
}
