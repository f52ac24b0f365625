package cli

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a terminal both outputs share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOutputsKeepTheirOrder: lines on stdout are gathered, but a line on
// stderr comes after them on a shared terminal; what waits is written
// within the delay, and all of it at Close.
func TestOutputsKeepTheirOrder(t *testing.T) {
	term := &lockedBuffer{}
	o, out, errOut := newOutputs(term, term)
	_, _ = out.Write([]byte("received 1\n"))
	_, _ = out.Write([]byte("received 2\n"))
	_, _ = errOut.Write([]byte("error\n"))
	_, _ = out.Write([]byte("closed\n"))
	if got := term.String(); !strings.HasPrefix(got, "received 1\nreceived 2\nerror\n") {
		t.Errorf("stderr's line is not after stdout's: %q", got)
	}
	deadline := time.Now().Add(30 * time.Second) // a cap for a hang
	for term.String() != "received 1\nreceived 2\nerror\nclosed\n" {
		if time.Now().After(deadline) {
			t.Fatalf("the last line never came: %q", term.String())
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
	_, _ = out.Write([]byte("last"))
	if err := o.Close(); err != nil || !strings.HasSuffix(term.String(), "closed\nlast") {
		t.Errorf("after Close: %q, %v", term.String(), err)
	}
}

// TestOutputsWriteALargeOutputAtOnce: a large write does not wait.
func TestOutputsWriteALargeOutputAtOnce(t *testing.T) {
	term := &lockedBuffer{}
	o, out, _ := newOutputs(term, term)
	defer o.Close()
	big := bytes.Repeat([]byte("x"), outputFlushSize)
	if n, err := out.Write(big); n != len(big) || err != nil || term.String() != string(big) {
		t.Errorf("wrote %d, %v; the terminal has %d bytes", n, err, len(term.String()))
	}
}

// TestOutputsWrittenByTheWriterWhileLinesKeepComing: a line that finds the
// oldest waiting line half the delay old (it looks every ageCheckEvery
// lines) writes them all itself, at once, rather than leave them to the
// timer.
func TestOutputsWrittenByTheWriterWhileLinesKeepComing(t *testing.T) {
	term := &lockedBuffer{}
	o, out, _ := newOutputs(term, term)
	defer o.Close()
	// An hour's delay: the timer does not fire while the test runs,
	// however slow the machine.
	now := time.Now()
	o.delay, o.clock = time.Hour, func() time.Time { return now }
	var want strings.Builder
	write := func(n int) {
		for range n {
			line := fmt.Sprintf("line %d\n", want.Len())
			want.WriteString(line)
			_, _ = out.Write([]byte(line))
		}
	}
	write(ageCheckEvery - 1)
	now = now.Add(o.delay/2 - time.Microsecond)
	write(1) // a look at the clock: not old enough yet
	if got := term.String(); got != "" {
		t.Fatalf("written before half the delay: %q", got)
	}
	now = now.Add(time.Microsecond)
	write(ageCheckEvery - 1)
	if got := term.String(); got != "" {
		t.Fatalf("written between two looks at the clock: %q", got)
	}
	write(1)
	if got := term.String(); got != want.String() {
		t.Fatalf("after half the delay the writer wrote %q, want %q", got, want.String())
	}
}
