package snippets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"sockbench/payload"
)

// Conn is the connection a snippet runs on. The workbench gives one over
// an engine socket, the command line one over a netcore socket; both
// record the traffic themselves.
type Conn interface {
	// Send sends p whole, or hands it to the socket's writer in order.
	Send(ctx context.Context, p []byte) error
	// Receive returns the bytes received since its last call, waiting
	// for some until ctx ends; io.EOF once the peer has closed and
	// everything before it was returned.
	Receive(ctx context.Context) ([]byte, error)
}

// Progress is what a run reports as it goes.
type Progress struct {
	Step int  // the index of the step in the snippet
	Done bool // false when the step starts, true when it has ended well
	// Data is, once done, what a send sent or what a wait matched.
	Data []byte
}

// MaxWaitBuffer is the most received bytes a run keeps for its waits: the
// newest ones.
const MaxWaitBuffer = 1 << 20

// StepError is the failure of a step: a wait that timed out or met the
// peer's close, a send that failed, or the run cancelled.
type StepError struct {
	Step int // its index in the snippet
	Line int // its line in the file; 0 when not from a file
	Kind StepKind
	// Pattern is what a failed wait waited for.
	Pattern *payload.Pattern
	// Unmatched counts the bytes received since the last match, in which
	// the pattern is not.
	Unmatched int
	Err       error // context.DeadlineExceeded for a wait that timed out, io.EOF for a close
}

// Error names the step, its line, and what went wrong.
func (e *StepError) Error() string {
	where := fmt.Sprintf("step %d", e.Step+1)
	if e.Line > 0 {
		where += fmt.Sprintf(" (line %d)", e.Line)
	}
	if e.Kind != Wait {
		return fmt.Sprintf("%s, %s: %v", where, e.Kind, e.Err)
	}
	what := fmt.Sprintf("%s %q", e.Pattern.Kind(), e.Pattern.Source())
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("%s: no %s came in time (%d bytes received that do not hold it)", where, what, e.Unmatched)
	case errors.Is(e.Err, io.EOF):
		return fmt.Sprintf("%s: the peer closed before %s came (%d bytes received that do not hold it)", where, what, e.Unmatched)
	}
	return fmt.Sprintf("%s: waiting for %s: %v", where, what, e.Err)
}

// Unwrap returns the cause, so that errors.Is(err, io.EOF) and
// errors.Is(err, context.DeadlineExceeded) work.
func (e *StepError) Unwrap() error { return e.Err }

// Run runs the steps of s on c, in order, expanding each payload with x,
// and reports each step as it starts and ends to progress (which may be
// nil). It stops at the first step that fails, or when ctx ends, with a
// *StepError.
func Run(ctx context.Context, s Snippet, c Conn, x *payload.Expander, progress func(Progress)) error {
	r := &run{c: c, x: x, progress: progress}
	for i, st := range s.Steps {
		r.report(Progress{Step: i})
		data, err := r.step(ctx, st)
		if err != nil {
			e := &StepError{Step: i, Line: st.Line, Kind: st.Kind, Pattern: st.Pattern, Err: err}
			if st.Kind == Wait {
				e.Unmatched = len(r.received)
			}
			return e
		}
		r.report(Progress{Step: i, Done: true, Data: data})
	}
	return nil
}

// run is the state of one run: the bytes received that no wait has
// matched yet.
type run struct {
	c        Conn
	x        *payload.Expander
	progress func(Progress)
	received []byte
	eof      error // the end of the stream, once met
}

func (r *run) report(p Progress) {
	if r.progress != nil {
		r.progress(p)
	}
}

func (r *run) step(ctx context.Context, st Step) ([]byte, error) {
	switch st.Kind {
	case Send:
		data, err := r.x.Expand(st.Payload)
		if err == nil {
			err = r.c.Send(ctx, data)
		}
		return data, err
	case Wait:
		return r.wait(ctx, st.Pattern, st.Duration)
	}
	t := time.NewTimer(st.Duration)
	defer t.Stop()
	select {
	case <-t.C:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// wait receives until the bytes not yet matched hold the pattern, and
// consumes them up to the end of the match.
func (r *run) wait(ctx context.Context, p *payload.Pattern, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if start, end, ok := p.Find(r.received); ok {
			match := append([]byte(nil), r.received[start:end]...)
			r.received = r.received[end:]
			return match, nil
		}
		if r.eof != nil {
			return nil, r.eof
		}
		data, err := r.c.Receive(ctx)
		r.keep(data)
		if errors.Is(err, io.EOF) {
			r.eof = err
		} else if err != nil {
			return nil, err
		}
	}
}

// keep adds received bytes to those not yet matched, keeping the newest
// MaxWaitBuffer.
func (r *run) keep(data []byte) {
	r.received = append(r.received, data...)
	if over := len(r.received) - MaxWaitBuffer; over > 0 {
		r.received = append(r.received[:0], r.received[over:]...)
	}
}

// Feed turns received bytes pushed by a reader (an engine socket's, an
// exchange's) into the Receive of a Conn. It keeps at most MaxWaitBuffer
// bytes not yet taken: the newest. It is safe for concurrent use.
type Feed struct {
	mu    sync.Mutex
	buf   []byte
	end   error
	ready chan struct{} // has a token when buf or end changed
}

// NewFeed returns an empty feed.
func NewFeed() *Feed { return &Feed{ready: make(chan struct{}, 1)} }

// Push adds bytes received (it copies them).
func (f *Feed) Push(p []byte) {
	f.mu.Lock()
	f.buf = append(f.buf, p...)
	if over := len(f.buf) - MaxWaitBuffer; over > 0 {
		f.buf = append(f.buf[:0], f.buf[over:]...)
	}
	f.mu.Unlock()
	f.signal()
}

// End says that nothing more will come: io.EOF for the peer's close, or
// the failure that ended the receiving.
func (f *Feed) End(err error) {
	f.mu.Lock()
	if f.end == nil {
		f.end = err
	}
	f.mu.Unlock()
	f.signal()
}

func (f *Feed) signal() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Receive returns what was pushed since its last call, waiting for
// something until ctx ends; then the error given to End.
func (f *Feed) Receive(ctx context.Context) ([]byte, error) {
	for {
		f.mu.Lock()
		data, end := f.buf, f.end
		f.buf = nil
		f.mu.Unlock()
		if len(data) > 0 {
			return data, nil
		}
		if end != nil {
			return nil, end
		}
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
