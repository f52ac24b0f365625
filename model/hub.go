package model

import (
	"context"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// maxPendingBytes is how much received or sent data may wait for Update
// before the goroutines that produce it wait in turn. Nothing is ever
// dropped: a full hub is backpressure.
const maxPendingBytes = 8 << 20

// hub is the one channel through which every goroutine (socket readers,
// writers, acceptors, the dialer) reports to the model. Events queue in
// order; a single re-armed command takes everything pending at once, so a
// burst of reads becomes one message per frame rather than one per read.
type hub struct {
	mu      sync.Mutex
	events  []any
	bytes   int
	notify  chan struct{} // one token when events are pending
	drained chan struct{} // closed and replaced whenever events are taken
	done    <-chan struct{}
}

// ioMsg carries the events taken from the hub, in the order they came.
type ioMsg struct{ events []any }

func newHub(done <-chan struct{}) *hub {
	return &hub{notify: make(chan struct{}, 1), drained: make(chan struct{}), done: done}
}

// post queues a control event; it never waits.
func (h *hub) post(ev any) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
	h.wake()
}

// postData queues an event that carries n bytes. While more than
// maxPendingBytes wait, it waits for Update to take them (backpressure),
// for ctx, or for the hub to shut down; it reports whether it queued.
func (h *hub) postData(ctx context.Context, ev any, n int) bool {
	for {
		h.mu.Lock()
		if h.bytes < maxPendingBytes || len(h.events) == 0 {
			h.events = append(h.events, ev)
			h.bytes += n
			h.mu.Unlock()
			h.wake()
			return true
		}
		drained := h.drained
		h.mu.Unlock()
		select {
		case <-drained:
		case <-ctx.Done():
			return false
		case <-h.done:
			return false
		}
	}
}

func (h *hub) wake() {
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// take removes and returns every pending event.
func (h *hub) take() []any {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := h.events
	h.events = nil
	h.bytes = 0
	close(h.drained)
	h.drained = make(chan struct{})
	return evs
}

// wait returns the command that delivers the next batch of events. It is
// issued once at start and again after each batch.
func (h *hub) wait(track func() (func(), bool)) tea.Cmd {
	return func() tea.Msg {
		done, ok := track()
		if !ok {
			return nil
		}
		defer done()
		for {
			select {
			case <-h.notify:
				if evs := h.take(); len(evs) > 0 {
					return ioMsg{events: evs}
				}
			case <-h.done:
				return nil
			}
		}
	}
}
