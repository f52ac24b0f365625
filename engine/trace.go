package engine

import (
	"strings"
	"sync"
	"sync/atomic"

	"sockbench/netcore"
)

// traceCap is how many system calls a socket's trace keeps.
const traceCap = 2000

// Trace is the bounded syscall log of one socket (or one connect
// attempt): the last traceCap calls, with a count of the older ones
// dropped. netcore's trace hook writes it from any goroutine; a viewer
// reads windows of it.
type Trace struct {
	mu      sync.Mutex
	calls   []netcore.Syscall // a ring once full
	start   int
	dropped int64
	hidden  int64

	// polling is set while the engine reads TCP_INFO for a socket's state:
	// those reads are its own housekeeping and are counted, not logged.
	polling atomic.Bool
}

// NewTrace returns an empty trace.
func NewTrace() *Trace { return &Trace{} }

// Add records one call; it is a netcore.TraceFunc.
func (l *Trace) Add(c netcore.Syscall) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.polling.Load() && c.Name == "getsockopt" && strings.Contains(c.Args, "TCP_INFO") {
		l.hidden++
		return
	}
	if len(l.calls) < traceCap {
		l.calls = append(l.calls, c)
		return
	}
	l.calls[l.start] = c
	l.start = (l.start + 1) % traceCap
	l.dropped++
}

// TraceWindow is a part of a trace.
type TraceWindow struct {
	Calls   []netcore.Syscall // up to the n calls asked for
	Kept    int               // calls kept in all
	Dropped int64             // older calls no longer kept
	Hidden  int64             // the engine's own TCP_INFO reads, not kept
}

// Window returns up to n calls from position from (0 is the oldest kept).
func (l *Trace) Window(from, n int) TraceWindow {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := TraceWindow{Kept: len(l.calls), Dropped: l.dropped, Hidden: l.hidden}
	from = max(0, min(from, w.Kept))
	end := min(w.Kept, from+max(n, 0))
	for i := from; i < end; i++ {
		w.Calls = append(w.Calls, l.calls[(l.start+i)%len(l.calls)])
	}
	return w
}

// Len returns the number of calls kept.
func (l *Trace) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// traceRouter sends each traced call of a listener or a socketpair to the
// trace of the descriptor it was made on. Sockets made by accept and
// socketpair inherit their parent's hook, so the router gives each new
// descriptor a trace of its own as the call that made it is traced.
type traceRouter struct {
	mu   sync.Mutex
	def  *Trace
	byFD map[int]*Trace
}

func newTraceRouter(def *Trace) *traceRouter {
	return &traceRouter{def: def, byFD: map[int]*Trace{}}
}

func (r *traceRouter) trace(c netcore.Syscall) {
	r.mu.Lock()
	var logs []*Trace
	switch c.Name {
	case "accept": // the listener's call, and the new socket's first
		logs = append(logs, r.def)
		fallthrough
	case "socketpair":
		for _, fd := range c.NewFDs {
			nl := NewTrace()
			r.byFD[fd] = nl
			logs = append(logs, nl)
		}
	}
	if len(logs) == 0 {
		if l, ok := r.byFD[c.FD]; ok {
			logs = append(logs, l)
		} else {
			logs = append(logs, r.def)
		}
	}
	r.mu.Unlock()
	for _, l := range logs {
		l.Add(c)
	}
}

// traceFor returns the trace of descriptor fd (the default one if it has
// none).
func (r *traceRouter) traceFor(fd int) *Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byFD[fd]; ok {
		return l
	}
	return r.def
}
