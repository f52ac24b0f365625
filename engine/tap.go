package engine

import (
	"io"
	"slices"
)

// tap is one listener to a socket's received bytes.
type tap struct{ f func(data []byte, end error) }

// Tap calls f with each piece of bytes the socket receives (the plaintext
// inside TLS), once it is recorded in the capture, in order, on the
// reader's goroutine: f must be quick, and must copy data to keep it. When
// reading ends, f is called once more with no data and why: io.EOF for
// the peer's end of stream, or the failure. A snippet waiting for an
// answer, or canned replies, read the traffic this way. A tap made once
// reading is over is told so at once (and may be told twice, as the end
// comes). The returned untap stops the calls.
func (k *Sock) Tap(f func(data []byte, end error)) (untap func()) {
	t := &tap{f: f}
	k.mu.Lock()
	k.taps = append(k.taps, t)
	st := k.status
	k.mu.Unlock()
	if st.ReadShut { // reading is over already: say so at once
		end := st.LastErr
		if st.EOF || end == nil {
			end = io.EOF
		}
		f(nil, end)
	}
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.taps = slices.DeleteFunc(k.taps, func(x *tap) bool { return x == t })
	}
}

// OnAccept has f called with each connection the listener l accepts from
// now on, before its reader starts: a Tap made then misses none of its
// bytes (canned replies answer this way). f runs on the engine's
// goroutine and must be quick; nil stops the calls.
func (e *Engine) OnAccept(l *Sock, f func(k *Sock)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onAccept = f
}

// tell gives data, or the end of reading, to the socket's taps.
func (k *Sock) tell(data []byte, end error) {
	k.mu.Lock()
	taps := slices.Clone(k.taps)
	k.mu.Unlock()
	for _, t := range taps {
		t.f(data, end)
	}
}
