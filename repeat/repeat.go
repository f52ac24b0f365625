// Package repeat sends something again and again: N times, or every D
// until stopped, with a counter that a screen can show and a stop that a
// key can press. What is sent (a send line, a snippet) is the caller's.
package repeat

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Plan says how often to send.
type Plan struct {
	// Times is how many sends to make; 0 sends until stopped, which needs
	// Every.
	Times int
	// Every is the time from the start of one send to the start of the
	// next; 0 sends each as soon as the one before is done. A send that
	// takes longer than Every is followed at once by the next, not by a
	// burst of the ones missed.
	Every time.Duration
}

// Check refuses a plan that would never end on its own and has no pace,
// and negative numbers.
func (p Plan) Check() error {
	switch {
	case p.Times < 0:
		return errors.New("a negative number of sends")
	case p.Every < 0:
		return errors.New("a negative interval")
	case p.Times == 0 && p.Every == 0:
		return errors.New("sending until stopped needs an interval")
	}
	return nil
}

// Repeat is a repetition under way. Its methods are safe for concurrent
// use.
type Repeat struct {
	count   atomic.Int64
	cancel  context.CancelFunc
	stopped atomic.Bool
	done    chan struct{}
	err     error // set before done is closed
	once    sync.Once
}

// Start calls send for each repetition, n counting from 1, in a goroutine
// of its own, until the plan is done, Stop, ctx ends, or a send fails. A
// plan that Check refuses ends at once with its error.
func Start(ctx context.Context, p Plan, send func(ctx context.Context, n int) error) *Repeat {
	ctx, cancel := context.WithCancel(ctx)
	r := &Repeat{cancel: cancel, done: make(chan struct{})}
	if err := p.Check(); err != nil {
		r.finish(err)
		return r
	}
	go func() { r.finish(r.loop(ctx, p, send)) }()
	return r
}

func (r *Repeat) finish(err error) {
	r.err = err
	r.cancel()
	close(r.done)
}

func (r *Repeat) loop(ctx context.Context, p Plan, send func(context.Context, int) error) error {
	var tick <-chan time.Time
	if p.Every > 0 {
		t := time.NewTicker(p.Every)
		defer t.Stop()
		tick = t.C
	}
	for n := 1; p.Times == 0 || n <= p.Times; n++ {
		if n > 1 && tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return r.endErr(ctx)
			}
		}
		if ctx.Err() != nil {
			return r.endErr(ctx)
		}
		if err := send(ctx, n); err != nil {
			if ctx.Err() != nil {
				return r.endErr(ctx)
			}
			return err
		}
		r.count.Add(1)
	}
	return nil
}

// endErr is the error of a repetition whose context ended: none when it
// was Stop.
func (r *Repeat) endErr(ctx context.Context) error {
	if r.stopped.Load() {
		return nil
	}
	return ctx.Err()
}

// Count is how many sends have been made.
func (r *Repeat) Count() int { return int(r.count.Load()) }

// Stop ends the repetition: a send under way is cancelled, no other
// starts. It does not wait; Done says when it has ended.
func (r *Repeat) Stop() {
	r.once.Do(func() {
		r.stopped.Store(true)
		r.cancel()
	})
}

// Done is closed once the repetition has ended.
func (r *Repeat) Done() <-chan struct{} { return r.done }

// Wait waits for the end and returns Err.
func (r *Repeat) Wait() error {
	<-r.done
	return r.err
}

// Err is, once Done is closed, how the repetition ended: nil when every
// send was made or Stop ended it, the failure of a send, or the context's
// error when it ended first.
func (r *Repeat) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// Stopped reports whether Stop was called.
func (r *Repeat) Stopped() bool { return r.stopped.Load() }
