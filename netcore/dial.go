package netcore

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Result is the outcome of one connection attempt, in the words the
// workbench shows.
type Result uint8

// Attempt results.
const (
	ResultConnecting Result = iota
	ResultConnected
	ResultRefused
	ResultTimeout
	ResultUnreachable
	ResultError
	ResultCancelled
)

var resultNames = [...]string{"connecting", "connected", "refused", "timeout", "unreachable", "error", "cancelled"}

// String returns the result as the workbench and the command line show it.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// resultOf names the outcome of a connect error.
func resultOf(err error) Result {
	if err == nil {
		return ResultConnected
	}
	switch ClassOf(err) {
	case ClassCancelled:
		return ResultCancelled
	case ClassTimeout:
		return ResultTimeout
	}
	switch ErrnoOf(err) {
	case unix.ECONNREFUSED:
		return ResultRefused
	case unix.ETIMEDOUT:
		return ResultTimeout
	case unix.ENETUNREACH, unix.EHOSTUNREACH, unix.ENETDOWN:
		return ResultUnreachable
	}
	return ResultError
}

// Attempt is an event of one connection attempt. Each attempt is reported
// twice: once as it starts (ResultConnecting) and once when it ends.
type Attempt struct {
	Index   int           // the entry's position in the list given to the Dialer
	Addr    Addr          // the address tried
	Family  Family        // the entry's family
	Start   time.Time     // when the attempt began
	Elapsed time.Duration // how long it took (0 while connecting)
	Result  Result
	Class   Class      // ClassOK on success or while connecting
	Errno   unix.Errno // the errno of a failure, if any
	Local   Addr       // the local address used, when the kernel chose one
	Err     error      // the failure, nil on success
}

// Done reports whether the attempt has ended.
func (a Attempt) Done() bool { return a.Result != ResultConnecting }

// DefaultRaceDelay is RFC 8305's recommended connection attempt delay.
const DefaultRaceDelay = 250 * time.Millisecond

// Dialer connects over a list of addresses. The zero Dialer does what the
// egg's socket-connect/ai does.
type Dialer struct {
	// Timeout limits each attempt; 0 means none (the kernel's own limit),
	// and a negative one has already passed: each attempt gets only what
	// connect(2) itself finishes.
	Timeout time.Duration
	// Race starts attempts in parallel as RFC 8305 (Happy Eyeballs v2) does
	// instead of one after another.
	Race bool
	// RaceDelay is the connection attempt delay of race mode; 0 means
	// DefaultRaceDelay.
	RaceDelay time.Duration
	// Observe, if set, receives every attempt event. It is called from the
	// goroutine that called ConnectList, one event at a time.
	Observe func(Attempt)
	// Trace, if set, receives every system call of every attempt's socket,
	// with the attempt's index. It is also the winning socket's trace hook.
	// In race mode it is called from several goroutines at once.
	Trace func(index int, call Syscall)
	// SocketTimeouts are given to every socket created; nil means
	// DefaultTimeouts. The Timeout field above governs the connect itself.
	SocketTimeouts *Timeouts
}

// ConnectAI is the egg's socket-connect/ai with no timeout: see Dialer.
func ConnectAI(ctx context.Context, ais []AddrInfo) (*Socket, error) {
	var d Dialer
	return d.ConnectList(ctx, ais)
}

// ConnectList connects to the first address of ais that accepts.
//
// In sequence (the default) it follows the egg's socket-connect/ai: a fresh
// socket per entry (protocol 0), a transient or timeout failure moves on to
// the next entry, a fatal one stops at once, and when every entry fails the
// error is the last attempt's. An empty list is an error.
//
// In race mode it follows RFC 8305: the list is reordered to alternate
// families (starting with the first entry's), the next attempt starts after
// RaceDelay or as soon as the one before fails, the first to connect wins,
// and the others are cancelled and closed. Every failure moves on, fatal or
// not; when all fail the error is the one that came last.
func (d *Dialer) ConnectList(ctx context.Context, ais []AddrInfo) (*Socket, error) {
	if len(ais) == 0 {
		return nil, &Error{Op: "socket-connect/ai", Class: ClassFatal, Err: errors.New("no addresses to connect to")}
	}
	if d.Race {
		return d.race(ctx, ais)
	}
	var lastErr error
	for i, ai := range ais {
		s, ev, err := d.attempt(ctx, i, ai, d.observe)
		d.observe(ev)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if c := ClassOf(err); c != ClassTransient && c != ClassTimeout {
			break
		}
	}
	return nil, lastErr
}

func (d *Dialer) observe(a Attempt) {
	if d.Observe != nil {
		d.Observe(a)
	}
}

// attempt makes one connection attempt. It reports the start through
// started and returns the finished event; on failure the socket is closed.
func (d *Dialer) attempt(ctx context.Context, index int, ai AddrInfo, started func(Attempt)) (*Socket, Attempt, error) {
	ev := Attempt{Index: index, Addr: ai.Addr, Family: ai.Family, Start: time.Now()}
	started(ev)
	opts := []Option{}
	if d.Trace != nil {
		opts = append(opts, WithTrace(func(c Syscall) { d.Trace(index, c) }))
	}
	if d.SocketTimeouts != nil {
		opts = append(opts, WithTimeouts(*d.SocketTimeouts))
	}
	s, err := NewSocket(ai.Family, ai.SockType, ProtoDefault, opts...)
	if err == nil {
		err = s.connect(ctx, ai.Addr, d.Timeout)
		ev.Local, _ = s.LocalAddr()
		if err != nil {
			_ = s.Close()
			s = nil
		}
	}
	ev.Elapsed = time.Since(ev.Start)
	ev.Result = resultOf(err)
	ev.Class = ClassOf(err)
	ev.Errno = ErrnoOf(err)
	ev.Err = err
	return s, ev, err
}

// raceResult carries a finished attempt back to the race loop.
type raceResult struct {
	sock *Socket
	ev   Attempt
	err  error
}

func (d *Dialer) race(ctx context.Context, ais []AddrInfo) (*Socket, error) {
	order := interleaveFamilies(len(ais), func(i int) Family { return ais[i].Family })
	delay := d.RaceDelay
	if delay <= 0 {
		delay = DefaultRaceDelay
	}
	raceCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make(chan raceResult, len(order))
	starts := make(chan Attempt, len(order))
	next, running := 0, 0
	startNext := func() {
		i := order[next]
		next++
		running++
		go func() {
			s, ev, err := d.attempt(raceCtx, i, ais[i], func(a Attempt) { starts <- a })
			results <- raceResult{s, ev, err}
		}()
		d.observe(<-starts) // report the start before anything else happens
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()

	var winner *Socket
	var lastErr error
	startNext()
	for running > 0 {
		select {
		case r := <-results:
			running--
			switch {
			case r.err == nil && winner == nil:
				winner = r.sock
				cancel() // the others lose
			case r.err == nil:
				_ = r.sock.Close() // connected too late
				r.ev.Result, r.ev.Class, r.ev.Err = ResultCancelled, ClassCancelled, context.Canceled
			default:
				lastErr = r.err
			}
			d.observe(r.ev)
			if winner == nil && r.err != nil && next < len(order) && ctx.Err() == nil {
				startNext()
				timer.Reset(delay)
			}
		case <-timer.C:
			if winner == nil && next < len(order) && ctx.Err() == nil {
				startNext()
				timer.Reset(delay)
			}
		}
	}
	if winner != nil {
		return winner, nil
	}
	return nil, lastErr
}

// interleaveFamilies returns the indexes 0..n-1 reordered so that families
// alternate, starting with the first entry's family and keeping the order
// within each family (RFC 8305 section 4, with a first family count of 1).
func interleaveFamilies(n int, family func(int) Family) []int {
	var groups [][]int
	seen := map[Family]int{}
	for i := range n {
		f := family(i)
		g, ok := seen[f]
		if !ok {
			g = len(groups)
			seen[f] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	order := make([]int, 0, n)
	for len(order) < n {
		for g := range groups {
			if len(groups[g]) > 0 {
				order = append(order, groups[g][0])
				groups[g] = groups[g][1:]
			}
		}
	}
	return order
}
