package cli

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// outputDelay is the longest a line waits in the output buffer. A report
// line for each read, each written on its own, cost a fifth of listen's
// time on a flood of small datagrams; gathered for this long they cost a
// write now and then.
const outputDelay = 20 * time.Millisecond

// ageCheckEvery is how many writes pass between two looks at the clock
// for the age of what waits: a clock read for every line was 2% of
// listen's time on a flood of datagrams. Lines that come slower than
// that are written by the timer.
const ageCheckEvery = 32

// outputFlushSize is how much waits at most before it is written at once.
const outputFlushSize = 64 << 10

// outputs are a command's stdout and stderr. What goes to stdout is
// gathered and written within outputDelay; what goes to stderr is written
// at once, after what stdout has gathered, so that the two keep their
// order on a terminal they share.
type outputs struct {
	mu      sync.Mutex
	out     io.Writer
	pending bytes.Buffer
	since   time.Time     // when the oldest byte of pending came
	writes  int           // the writes since pending was empty
	timer   *time.Timer   // set while something waits
	delay   time.Duration // outputDelay; tests set their own, with the clock
	clock   func() time.Time
	err     error // the first failed write to out, reported to later writers
}

// newOutputs wraps stdout and stderr; Close writes what waits.
func newOutputs(stdout, stderr io.Writer) (o *outputs, out, errOut io.Writer) {
	o = &outputs{out: stdout, delay: outputDelay, clock: time.Now}
	return o, outWriter{o}, errWriter{o, stderr}
}

type outWriter struct{ o *outputs }

func (w outWriter) Write(p []byte) (int, error) {
	o := w.o
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	if o.pending.Len() == 0 {
		o.since, o.writes = o.clock(), 0
	}
	o.pending.Write(p)
	o.writes++
	// While lines keep coming, the writer that finds the oldest waiting
	// half the delay writes them itself, and the timer, left as a
	// backstop for the last lines of a burst, is stopped before it fires.
	// Firing every 20 ms, each time on a goroutine of its own, it made a
	// 2 GiB receive over UNIX about 5% slower.
	if o.pending.Len() >= outputFlushSize || o.writes%ageCheckEvery == 0 && o.clock().Sub(o.since) >= o.delay/2 {
		return len(p), o.flushLocked()
	}
	if o.timer == nil {
		o.timer = time.AfterFunc(o.delay, o.flush)
	}
	return len(p), nil
}

// Unwrap is the writer under the gathering, for telling a terminal.
func (w outWriter) Unwrap() io.Writer { return w.o.out }

type errWriter struct {
	o   *outputs
	err io.Writer
}

func (w errWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	_ = w.o.flushLocked() // stdout's lines first; its failure is stdout's to report
	return w.err.Write(p)
}

// Unwrap is stderr itself.
func (w errWriter) Unwrap() io.Writer { return w.err }

func (o *outputs) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.flushLocked()
}

func (o *outputs) flushLocked() error {
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	if o.pending.Len() == 0 || o.err != nil {
		return o.err
	}
	_, err := o.out.Write(o.pending.Bytes())
	o.pending.Reset()
	if err != nil {
		o.err = err
	}
	return err
}

// Close writes what waits. The command has ended: nothing writes after.
func (o *outputs) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flushLocked()
}
