package engine

import "slices"

// tap is one listener to a socket's received bytes.
type tap struct{ f func(data []byte) }

// Tap calls f with each piece of bytes the socket receives (the plaintext
// inside TLS), once it is recorded in the capture, in order, on the
// reader's goroutine: f must be quick, and must copy data to keep it. A
// snippet waiting for an answer, or canned replies, read the traffic this
// way. The returned untap stops the calls.
func (k *Sock) Tap(f func(data []byte)) (untap func()) {
	t := &tap{f: f}
	k.mu.Lock()
	k.taps = append(k.taps, t)
	k.mu.Unlock()
	return func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.taps = slices.DeleteFunc(k.taps, func(x *tap) bool { return x == t })
	}
}

// tell gives data to the socket's taps.
func (k *Sock) tell(data []byte) {
	k.mu.Lock()
	taps := slices.Clone(k.taps)
	k.mu.Unlock()
	for _, t := range taps {
		t.f(data)
	}
}
