package engine

import (
	"context"
	"sync"
)

// hub queues the events of every goroutine of the engine, in order, for
// one consumer that takes them in batches: a burst of reads becomes one
// batch (one frame of the workbench), not one message per read. The bytes
// themselves never pass through it: they go straight into the capture
// stores, which are bounded, so a slow consumer holds back nothing.
type hub struct {
	mu      sync.Mutex
	events  []Event
	pending map[Event]bool // Traffic and PacketsCaptured events pending: each once
	notify  chan struct{}  // one token when events are pending
	done    <-chan struct{}
}

func newHub(done <-chan struct{}) *hub {
	return &hub{pending: map[Event]bool{}, notify: make(chan struct{}, 1), done: done}
}

// post queues an event; it never waits.
func (h *hub) post(ev Event) {
	h.mu.Lock()
	switch ev.(type) {
	case Traffic, PacketsCaptured:
		if h.pending[ev] {
			h.mu.Unlock()
			return
		}
		h.pending[ev] = true
	}
	h.events = append(h.events, ev)
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// take removes and returns every pending event.
func (h *hub) take() []Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	evs := h.events
	h.events = nil
	clear(h.pending)
	return evs
}

// next waits for events and takes them all; it returns nil when ctx ends
// or the engine closes.
func (h *hub) next(ctx context.Context) []Event {
	for {
		select {
		case <-h.notify:
			if evs := h.take(); len(evs) > 0 {
				return evs
			}
		case <-ctx.Done():
			return nil
		case <-h.done:
			return nil
		}
	}
}
