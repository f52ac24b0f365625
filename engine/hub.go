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
	traffic map[*Sock]bool // sockets with a Traffic event pending
	notify  chan struct{}  // one token when events are pending
	done    <-chan struct{}
}

func newHub(done <-chan struct{}) *hub {
	return &hub{traffic: map[*Sock]bool{}, notify: make(chan struct{}, 1), done: done}
}

// post queues an event; it never waits.
func (h *hub) post(ev Event) {
	h.mu.Lock()
	if t, ok := ev.(Traffic); ok {
		if h.traffic[t.Sock] {
			h.mu.Unlock()
			return
		}
		h.traffic[t.Sock] = true
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
	clear(h.traffic)
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
