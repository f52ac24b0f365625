package engine

import (
	"context"
	"slices"
	"testing"

	"sockbench/netcore"
)

// callNames lists the names of the calls a trace keeps.
func callNames(tr *Trace) []string {
	var names []string
	for _, c := range tr.Window(0, traceCap).Calls {
		names = append(names, c.Name)
	}
	return names
}

// TestTraceRouting: a listener's trace has its own calls and the accept;
// the accepted socket's trace starts with that accept and has none of
// the listener's; each end of a pair has the socketpair call and only its
// own calls after it.
func TestTraceRouting(t *testing.T) {
	e, c := newEngine(t)
	e.Listen(addr(t, "127.0.0.1:0"))
	l := c.await("the listener", is[Opened]).(Opened).Socks[0]
	rows := []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: l.Local()}}
	e.Connect(context.Background(), Dial{Rows: rows, Traces: []*Trace{NewTrace()}})
	server := c.await("the accept", is[Accepted]).(Accepted).Sock

	listener := callNames(l.Trace())
	if !slices.Contains(listener, "socket") || !slices.Contains(listener, "listen") || !slices.Contains(listener, "accept") {
		t.Errorf("listener's trace %v: want its socket, listen and accept", listener)
	}
	accepted := callNames(server.Trace())
	if len(accepted) == 0 || accepted[0] != "accept" || slices.Contains(accepted, "listen") {
		t.Errorf("accepted socket's trace %v: want the accept first, and no listen", accepted)
	}

	e.Pair()
	pair := c.await("the pair", is[Opened]).(Opened).Socks
	if err := e.Send(pair[0], []byte("x"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	c.await("the send", is[Sent])
	first, second := callNames(pair[0].Trace()), callNames(pair[1].Trace())
	if len(first) == 0 || first[0] != "socketpair" || len(second) == 0 || second[0] != "socketpair" {
		t.Errorf("pair traces %v and %v: want each to start with socketpair", first, second)
	}
	if !slices.Contains(first, "sendmsg") || slices.Contains(second, "sendmsg") {
		t.Errorf("pair traces %v and %v: the send belongs to the first end only", first, second)
	}
	if pair[0].Peer().IsValid() || pair[0].PeerNote() == "" {
		t.Errorf("pair end's peer %q, note %q: want no address and a note", pair[0].Peer(), pair[0].PeerNote())
	}
}
