package model

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"sockbench/netcore"
)

// traceCap is how many system calls a socket's log keeps.
const traceCap = 2000

// traceLog is the bounded syscall log of one socket: the last traceCap
// calls, with a count of the older ones dropped. The trace hook writes it
// from any goroutine; the view reads it.
type traceLog struct {
	mu      sync.Mutex
	calls   []netcore.Syscall // ring buffer
	start   int
	dropped int64
	total   int64
	hidden  int64

	// polling is set while the workbench reads TCP_INFO for the sockets
	// panel's state column: those reads are its own housekeeping and are
	// counted, not logged.
	polling atomic.Bool
}

func newTraceLog() *traceLog { return &traceLog{} }

func (l *traceLog) add(c netcore.Syscall) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.polling.Load() && c.Name == "getsockopt" && strings.Contains(c.Args, "TCP_INFO") {
		l.hidden++
		return
	}
	l.total++
	if len(l.calls) < traceCap {
		l.calls = append(l.calls, c)
		return
	}
	l.calls[l.start] = c
	l.start = (l.start + 1) % traceCap
	l.dropped++
}

// window returns up to n calls from position from (0 is the oldest kept),
// how many are kept and how many were dropped.
func (l *traceLog) window(from, n int) (calls []netcore.Syscall, kept int, dropped, hidden int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hidden = l.hidden
	kept = len(l.calls)
	from = max(0, min(from, kept))
	end := min(kept, from+max(n, 0))
	for i := from; i < end; i++ {
		calls = append(calls, l.calls[(l.start+i)%len(l.calls)])
	}
	return calls, kept, l.dropped, hidden
}

// len returns the number of calls kept.
func (l *traceLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// traceRouter sends each traced call of a listener or a socketpair to the
// log of the descriptor it was made on. Sockets made by accept and
// socketpair inherit their parent's hook, so the router gives each new
// descriptor a log of its own as the call that made it is traced.
type traceRouter struct {
	mu   sync.Mutex
	def  *traceLog
	byFD map[int]*traceLog
}

func newTraceRouter(def *traceLog) *traceRouter {
	return &traceRouter{def: def, byFD: map[int]*traceLog{}}
}

func (r *traceRouter) trace(c netcore.Syscall) {
	r.mu.Lock()
	var logs []*traceLog
	switch {
	case c.Name == "accept" && c.Result >= 0:
		nl := newTraceLog()
		r.byFD[c.Result] = nl
		logs = append(logs, r.def, nl)
	case c.Name == "socketpair":
		for _, fd := range pairFDs(c.Args) {
			nl := newTraceLog()
			r.byFD[fd] = nl
			logs = append(logs, nl)
		}
	}
	if len(logs) == 0 {
		if l, ok := r.byFD[fdOf(c.Args)]; ok {
			logs = append(logs, l)
		} else {
			logs = append(logs, r.def)
		}
	}
	r.mu.Unlock()
	for _, l := range logs {
		l.add(c)
	}
}

// logFor returns the log of descriptor fd (the default log if it has none).
func (r *traceRouter) logFor(fd int) *traceLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byFD[fd]; ok {
		return l
	}
	return r.def
}

// fdOf reads the descriptor that starts a call's arguments ("5, ..." or
// "fd 5, POLLIN"); -1 when there is none.
func fdOf(args string) int {
	args = strings.TrimPrefix(args, "fd ")
	end := 0
	for end < len(args) && args[end] >= '0' && args[end] <= '9' {
		end++
	}
	if end == 0 {
		return -1
	}
	n, err := strconv.Atoi(args[:end])
	if err != nil {
		return -1
	}
	return n
}

// pairFDs reads "... -> [3, 4]".
func pairFDs(args string) []int {
	i := strings.LastIndexByte(args, '[')
	j := strings.LastIndexByte(args, ']')
	if i < 0 || j < i {
		return nil
	}
	var out []int
	for _, f := range strings.Split(args[i+1:j], ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n >= 0 {
			out = append(out, n)
		}
	}
	return out
}
