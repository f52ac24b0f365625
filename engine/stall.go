package engine

import "fmt"

// SendStalled reports that a send has made no progress for a while: the
// peer is not reading, and the kernel's send queue (Queued bytes) is full.
// The send goes on waiting; SendResumed says when it moves again.
type SendStalled struct {
	Sock   *Sock
	Queued int
}

// SendResumed reports that a stalled send moves again, while it is still
// under way (one that ended says so with its Sent event).
type SendResumed struct{ Sock *Sock }

func (SendStalled) event() {}
func (SendResumed) event() {}

// stallTicks is how many state refreshes (a second each) a send may make
// no progress before it is called stalled.
const stallTicks = 2

// stall is what the state refresh knows of a socket's sending.
type stall struct {
	lastTx  int64 // bytes sent at the last refresh
	still   int   // refreshes since they last grew, while sending
	stalled bool
}

// checkStall tells when a socket's send stops making progress, and when
// it moves again: otherwise a stalled send looks the same as a slow one.
// It runs on the state refresh's goroutine, which alone uses k.stall.
func (e *Engine) checkStall(k *Sock) {
	k.mu.Lock()
	writing := k.writing
	k.mu.Unlock()
	tx := k.store.Stats().TxBytes
	st := &k.stall
	moved := tx != st.lastTx
	st.lastTx = tx
	switch {
	case !writing:
		// The send ended: its Sent event says how; "moves again" would
		// come after it and say less.
		st.still, st.stalled = 0, false
	case moved:
		st.still = 0
		if st.stalled {
			st.stalled = false
			k.note("the send moves again")
			e.hub.post(SendResumed{Sock: k})
		}
	case !st.stalled:
		if st.still++; st.still >= stallTicks {
			st.stalled = true
			_, queued, _ := k.s.Queued()
			k.note(fmt.Sprintf("the send makes no progress: the peer is not reading; %d bytes wait in our send queue, the rest of the send here", queued))
			e.hub.post(SendStalled{Sock: k, Queued: queued})
		}
	}
}
