// Package relay sits between a client and a server: it takes a client
// someone accepted, connects to the upstream over a list of addresses
// (with netcore.Dialer, so that its attempts can be shown), forwards the
// bytes both ways, and records the two legs as one conversation. It has
// no user interface: the command line reports what it records, and the
// workbench records it into its capture stores.
//
// # Faithful
//
// One side's end of stream (FIN) becomes a shutdown of writing on the
// other, and the other direction keeps flowing. A reset (ECONNRESET on a
// receive) becomes a reset of the other side: SO_LINGER 0, then close. A
// send that fails because the receiving side is gone (EPIPE,
// ECONNRESET) resets the sending side, as a direct connection would have
// told it. A UNIX stream has no reset: it is closed, which its peer sees
// as end of stream (or as ECONNRESET when it left bytes unread). When the
// upstream cannot be reached, the client is reset: the nearest thing to a
// refusal once it has been accepted.
//
// # In order
//
// Every chunk is recorded before it is forwarded, and every record of a
// session is made under one lock. So a reply is never recorded before the
// bytes that caused it: the server can only answer a chunk once it was
// sent, which is after its record; and the answer is recorded after it was
// received. Chunks that cross (each side sending without waiting for the
// other) are recorded in the order the relay read them.
//
// # Intercept
//
// Each direction has a switch. While it is on, every chunk read in that
// direction is held: it is announced on Held (and recorded as a note), and
// it goes on only when the caller forwards it, as it was or edited, or is
// dropped. A held chunk holds up its direction (nothing after it is read),
// so the order of the stream stays. Turning the switch off forwards the
// held chunks of that direction as they were.
package relay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
)

// Dir is a direction of the conversation.
type Dir uint8

// Directions.
const (
	ClientToServer Dir = 0
	ServerToClient Dir = 1
)

// String gives "client->server" or "server->client".
func (d Dir) String() string {
	if d == ServerToClient {
		return "server->client"
	}
	return "client->server"
}

// Sink records traffic and notes. *capture.Store is one.
type Sink interface {
	Append(dir capture.Dir, t time.Time, peer string, p []byte)
	AppendNote(t time.Time, text string)
}

// Hooks are where a session's records and events go. Every field may be
// nil. All are called under the session's record lock, in the order of
// the conversation, so they must be quick and must not call back into the
// relay.
type Hooks struct {
	// Conversation records both legs as one, as the client sees them:
	// capture.Sent is client->server, capture.Received server->client.
	// Each chunk is recorded as it is forwarded (with the bytes that went
	// on, edited or not).
	Conversation Sink
	// Client and Upstream record each socket's own traffic, from the
	// relay's side of it: capture.Received is what that peer sent, as it
	// arrived; capture.Sent what the relay forwarded to it.
	Client, Upstream Sink
	// Event is told what happens.
	Event func(Event)
	// Attempt is told each event of the upstream's connection attempts
	// (as netcore.Dialer's Observe is, besides the Config's own), from
	// the session's goroutine, before any other event but the notes.
	Attempt func(netcore.Attempt)
}

// EventKind is what happened.
type EventKind uint8

// Events.
const (
	Connected     EventKind = iota // the upstream is connected: Socket
	ConnectFailed                  // no upstream address accepted: Err
	Forwarded                      // Data went on in Dir (Edited, ID when it was held)
	Held                           // a chunk of Dir is held: ID, Data
	Dropped                        // the held chunk ID was dropped
	EOF                            // Dir's sender shut down its side; relayed as a shutdown of writing
	Reset                          // Dir's sender reset the connection; relayed as a reset
	Failed                         // a receive or send of Dir failed otherwise: Err
)

// Event is one thing that happened in a session.
type Event struct {
	Kind   EventKind
	Dir    Dir
	Time   time.Time
	Data   []byte // Forwarded and Held: the bytes (the relay's; do not keep them)
	ID     uint64 // Held, Dropped, and Forwarded after a hold
	Edited bool   // Forwarded: the bytes are not those that arrived
	Err    error
	// Socket is the upstream's socket, for Connected: the caller may read
	// its options and addresses, but not read or write it.
	Socket *netcore.Socket
}

// End says how one direction ended.
type End uint8

// Ends.
const (
	EndOpen    End = iota // still open (the session was cut short)
	EndEOF                // its sender shut down its side
	EndReset              // its sender reset, or its receiver was gone
	EndFailed             // another failure
	EndStopped            // the relay stopped it: the other direction's reset, or the context
)

// String gives "open", "eof", "reset", "failed" or "stopped".
func (e End) String() string {
	return [...]string{"open", "eof", "reset", "failed", "stopped"}[e]
}

// Leg is what one direction carried and how it ended.
type Leg struct {
	Bytes int64 // bytes forwarded
	End   End
	Err   error // the failure, for EndReset and EndFailed
}

// Summary is how a session went: Legs[ClientToServer] and
// Legs[ServerToClient], or the failure to reach the upstream.
type Summary struct {
	Legs       [2]Leg
	ConnectErr error
}

// Config is what a Relay is made with.
type Config struct {
	// Upstream is the list of addresses to connect to, resolved (see
	// netcore.ResolveTargets).
	Upstream []netcore.AddrInfo
	// Dialer connects to the upstream; its Observe and Trace show the
	// attempts.
	Dialer netcore.Dialer
}

// Relay relays clients to an upstream, one session per client, and keeps
// the intercept switches and the chunks held. Its methods are safe for
// concurrent use.
type Relay struct {
	cfg  Config
	held chan Chunk

	mu        sync.Mutex // guards the fields below
	intercept [2]bool
	pending   map[uint64]*hold
	lastID    uint64
}

// New returns a relay to cfg.Upstream.
func New(cfg Config) *Relay {
	return &Relay{cfg: cfg, held: make(chan Chunk, heldQueue), pending: map[uint64]*hold{}}
}

// Upstream is the list of addresses the relay connects its clients to.
func (r *Relay) Upstream() []netcore.AddrInfo { return slices.Clone(r.cfg.Upstream) }

// heldQueue is how many announcements of held chunks wait for the caller
// before a direction waits to announce one.
const heldQueue = 64

// chunkSize is the most one receive reads.
const chunkSize = 64 << 10

// Relay connects to the upstream for a client that was accepted, and
// relays until both directions have ended, one side reset, or ctx ends;
// then it closes both sockets. Accepting is the caller's (the command
// line's listener, the workbench's engine), so that it can show the
// client's socket and number the sessions.
func (r *Relay) Relay(ctx context.Context, client *netcore.Socket, h Hooks) Summary {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &session{r: r, h: h, ctx: ctx, cancel: cancel, client: client}
	defer client.Close()
	up, err := s.connect()
	if err != nil {
		resetSocket(client)
		return Summary{ConnectErr: err}
	}
	defer up.Close()
	s.upstream = up
	var wg sync.WaitGroup
	wg.Go(func() { s.pump(ClientToServer) })
	wg.Go(func() { s.pump(ServerToClient) })
	wg.Wait()
	s.note("the relay closed both sides")
	return Summary{Legs: s.legs}
}

// dial connects to the upstream, telling the attempts to the Config's
// observer and to the session's.
func (r *Relay) dial(ctx context.Context, attempt func(netcore.Attempt)) (*netcore.Socket, error) {
	if len(r.cfg.Upstream) == 0 {
		return nil, errors.New("no upstream address")
	}
	d := r.cfg.Dialer
	if observe := d.Observe; attempt != nil {
		d.Observe = func(a netcore.Attempt) {
			if observe != nil {
				observe(a)
			}
			attempt(a)
		}
	}
	return d.ConnectList(ctx, r.cfg.Upstream)
}

// SetIntercept turns holding on or off for one direction. Turning it off
// forwards the chunks of that direction held now, as they were.
func (r *Relay) SetIntercept(d Dir, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.intercept[d] = on
	if on {
		return
	}
	for id, h := range r.pending {
		if h.Dir == d {
			delete(r.pending, id)
			h.decided <- decision{data: h.Data}
		}
	}
}

// Intercepting reports whether chunks of d are held.
func (r *Relay) Intercepting(d Dir) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.intercept[d]
}

// Chunk is a chunk held by the intercept.
type Chunk struct {
	ID   uint64 // unique within the relay
	Dir  Dir
	Time time.Time // when it arrived
	Data []byte    // the bytes as they arrived (the caller's copy)
}

// Held announces each chunk as it is held, once. A chunk stays held until
// Forward or Drop, or its session ends.
func (r *Relay) Held() <-chan Chunk { return r.held }

// Pending lists the chunks held now, oldest first.
func (r *Relay) Pending() []Chunk {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Chunk, 0, len(r.pending))
	for _, h := range r.pending {
		out = append(out, h.copy())
	}
	slices.SortFunc(out, func(a, b Chunk) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ErrNotHeld is returned for a chunk that is not held (any more).
var ErrNotHeld = errors.New("no such chunk is held")

// Forward lets the held chunk id go on, as data: the bytes as they
// arrived, or edited (any length; empty forwards nothing but still
// releases the direction).
func (r *Relay) Forward(id uint64, data []byte) error {
	return r.decide(id, decision{data: append([]byte(nil), data...)})
}

// Drop throws the held chunk id away: the other side never gets it.
func (r *Relay) Drop(id uint64) error { return r.decide(id, decision{drop: true}) }

func (r *Relay) decide(id uint64, d decision) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.pending[id]
	if !ok {
		return fmt.Errorf("chunk %d: %w", id, ErrNotHeld)
	}
	delete(r.pending, id)
	h.decided <- d
	return nil
}

// hold is a chunk waiting for its decision.
type hold struct {
	Chunk
	decided chan decision // buffered: a decision never waits
}

func (h *hold) copy() Chunk {
	c := h.Chunk
	c.Data = append([]byte(nil), h.Data...)
	return c
}

type decision struct {
	data []byte
	drop bool
}

// holdIfIntercepting registers a chunk as held when d is intercepted;
// nil when it is not.
func (r *Relay) holdIfIntercepting(d Dir, at time.Time, data []byte) *hold {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.intercept[d] {
		return nil
	}
	r.lastID++
	h := &hold{Chunk: Chunk{ID: r.lastID, Dir: d, Time: at, Data: append([]byte(nil), data...)},
		decided: make(chan decision, 1)}
	r.pending[h.ID] = h
	return h
}

// release forgets a held chunk whose session ended before a decision.
func (r *Relay) release(h *hold) {
	r.mu.Lock()
	delete(r.pending, h.ID)
	r.mu.Unlock()
}
