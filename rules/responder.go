package rules

import (
	"context"
	"sync"
	"time"

	"sockbench/payload"
)

// Target is the connection a Responder acts on. Its user records and
// reports each action as automatic, naming the rule.
type Target interface {
	// Send sends an automatic reply whole.
	Send(ctx context.Context, p []byte, r *Rule) error
	// Close closes the connection.
	Close(r *Rule) error
	// Reset resets the connection: SO_LINGER 0, then close.
	Reset(r *Rule) error
}

// Responder runs the rules of one connection: the connection's reader
// hands it what it received, once recorded (so that a reply is never
// recorded before the bytes that caused it), and a goroutine of the
// Responder runs the actions of the rules that fire, one after another,
// in the order they fired. The reader never waits for a reply to go.
type Responder struct {
	target  Target
	x       *payload.Expander
	matcher *Matcher

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex // guards the fields below
	queue   []*Rule
	running bool          // an action is under way
	ended   bool          // a rule closed or reset, or an action failed
	err     error         // the failure that ended it
	wake    chan struct{} // a token when a rule is queued
	settled chan struct{} // a token when a rule's actions have run
}

// NewResponder starts the rules of a connection that just opened: the
// rules that fire on open are queued at once. x expands the replies'
// placeholders (sharing one between connections shares {n}). Stop or
// Finish must be called to end its goroutine.
func NewResponder(ctx context.Context, rules List, t Target, x *payload.Expander) *Responder {
	ctx, cancel := context.WithCancel(ctx)
	r := &Responder{target: t, x: x, matcher: NewMatcher(rules), ctx: ctx, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1), settled: make(chan struct{}, 1)}
	r.enqueue(r.matcher.Opened())
	go r.loop()
	return r
}

// Received hands the Responder bytes received, after they are recorded.
// Call it from one goroutine (the reader).
func (r *Responder) Received(data []byte) {
	r.enqueue(r.matcher.Received(data))
}

func (r *Responder) enqueue(fired []*Rule) {
	if len(fired) == 0 {
		return
	}
	r.mu.Lock()
	if !r.ended {
		r.queue = append(r.queue, fired...)
	}
	r.mu.Unlock()
	signal(r.wake)
}

// signal leaves a token in ch, unless one is there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Idle reports whether no action is queued or under way.
func (r *Responder) Idle() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended || len(r.queue) == 0 && !r.running
}

// Ended reports whether a rule closed or reset the connection, or an
// action failed (Err says which).
func (r *Responder) Ended() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

// Err is the failure of an action that ended the Responder, if any.
func (r *Responder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Finish lets what is queued run to its end (or until ctx ends), then
// stops the Responder: for a peer that sent its last request and shut
// down its side, whose answer must still go.
func (r *Responder) Finish(ctx context.Context) {
	for !r.Idle() {
		select {
		case <-r.settled:
		case <-r.done:
			return
		case <-ctx.Done():
			r.Stop()
			return
		}
	}
	r.Stop()
}

// Stop cancels what is queued or under way and waits for the goroutine.
func (r *Responder) Stop() {
	r.cancel()
	<-r.done
}

func (r *Responder) loop() {
	defer close(r.done)
	for {
		rule, ok := r.next()
		if !ok {
			return
		}
		err := rule.Run(r.ctx, r.target, r.x)
		if r.ctx.Err() != nil {
			err = nil // stopped: not a failure of the action
		}
		r.mu.Lock()
		r.running = false
		if err != nil || rule.Ends() {
			r.ended, r.err, r.queue = true, err, nil
		}
		r.mu.Unlock()
		signal(r.settled)
	}
}

// next waits for a queued rule; ok is false once stopped or ended.
func (r *Responder) next() (*Rule, bool) {
	for {
		r.mu.Lock()
		if r.ended {
			r.mu.Unlock()
			return nil, false
		}
		if len(r.queue) > 0 {
			rule := r.queue[0]
			r.queue = r.queue[1:]
			r.running = true
			r.mu.Unlock()
			return rule, true
		}
		r.mu.Unlock()
		select {
		case <-r.wake:
		case <-r.ctx.Done():
			return nil, false
		}
	}
}

// Run runs the rule's actions on t, in order, expanding replies with x;
// it stops at the first that fails, or when ctx ends. Responder runs
// rules so; a datagram's rules are run so by its reader.
func (r *Rule) Run(ctx context.Context, t Target, x *payload.Expander) error {
	for _, a := range r.Actions {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		switch a.Kind {
		case Reply:
			var data []byte
			if data, err = x.Expand(a.Payload); err == nil {
				err = t.Send(ctx, data, r)
			}
		case Delay:
			err = sleep(ctx, a.Delay)
		case Close:
			err = t.Close(r)
		case Reset:
			err = t.Reset(r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
