package model

import (
	"context"
	"fmt"
	"sync"

	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/rules"
)

// autoReplies are the canned replies of the workbench's listeners: each
// listener's rules, and a responder for each connection it accepted
// since. Each reply, close or reset is noted in the connection's
// transcript as automatic, with its rule. Responders start on the
// engine's goroutine, as a connection is accepted and before its reader
// starts, so that they miss none of its bytes: hence the lock.
type autoReplies struct {
	mu         sync.Mutex
	rules      map[*engine.Sock]*listenerRules
	responders map[*engine.Sock]*rules.Responder
}

// listenerRules are the rules of one listener, with the expander its
// connections share ({n} counts across them, as on the command line).
type listenerRules struct {
	list rules.List
	x    payload.Expander
}

func newAutoReplies() *autoReplies {
	return &autoReplies{rules: map[*engine.Sock]*listenerRules{}, responders: map[*engine.Sock]*rules.Responder{}}
}

// count is how many rules a listener has.
func (a *autoReplies) count(l *engine.Sock) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.rules[l]; r != nil {
		return len(r.list)
	}
	return 0
}

// add parses a rule and adds it to listener l's; it reports how many l
// has now.
func (a *autoReplies) add(l *engine.Sock, line string) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rules[l]
	if r == nil {
		r = &listenerRules{}
	}
	if err := r.list.Add(line); err != nil {
		return 0, err
	}
	a.rules[l] = r
	return len(r.list), nil
}

// askRule asks for a rule to add to listener l.
func (p *socketsPanel) askRule(l *engine.Sock) tea.Cmd {
	switch {
	case l == nil:
		return p.c.info("no socket selected")
	case !l.IsListener():
		return p.c.info(fmt.Sprintf("#%d is not a listener: canned replies answer the connections a listener accepts (l opens one)", l.ID()))
	}
	label := fmt.Sprintf("auto-reply rule %d for #%d, MATCH=>ACTIONS (GET=>HTTP/1.0 200 OK\\r\\n\\r\\nhi;close · =>220 hello\\r\\n greets · re:^QUIT=>221 bye\\r\\n;close):",
		p.replies.count(l)+1, l.ID())
	return askLine(p.c, label, "", "MATCH=>REPLY;delay=100ms;close", 4096, func(line string) (tea.Cmd, error) {
		n, err := p.replies.add(l, line)
		if err != nil {
			return nil, err
		}
		eng, c, replies := p.c.engine, p.c, p.replies
		eng.OnAccept(l, func(k *engine.Sock) { replies.answer(c.tasks.ctx, eng, l, k) })
		return p.c.okay(fmt.Sprintf("#%d: %s; they answer each connection accepted from now on", l.ID(), plural(n, "auto-reply rule"))), nil
	})
}

// answer starts listener l's rules on a connection it accepted, before
// the connection's reader starts.
func (a *autoReplies) answer(ctx context.Context, eng *engine.Engine, l, k *engine.Sock) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rules[l]
	if r == nil || len(r.list) == 0 || ctx.Err() != nil {
		return
	}
	resp := rules.NewResponder(ctx, append(rules.List(nil), r.list...), ruleTarget{eng: eng, k: k}, &r.x)
	k.Tap(func(data []byte, end error) {
		if end == nil {
			resp.Received(data)
		}
	})
	a.responders[k] = resp
	// A rule may still answer after the peer's end of stream ("QUIT"
	// then FIN); the responder goes with the socket.
	context.AfterFunc(k.Context(), func() { a.stop(k) })
}

// stop ends the responder of connection k, if any, or forgets the rules
// of listener k.
func (a *autoReplies) stop(k *engine.Sock) {
	a.mu.Lock()
	r := a.responders[k]
	delete(a.responders, k)
	delete(a.rules, k)
	a.mu.Unlock()
	if r != nil {
		r.Stop()
	}
}

// stopAll ends every responder (the workbench is closing).
func (a *autoReplies) stopAll() {
	a.mu.Lock()
	all := a.responders
	a.responders = map[*engine.Sock]*rules.Responder{}
	a.mu.Unlock()
	for _, r := range all {
		r.Stop()
	}
}

// ruleTarget is the connection rules act on, through the engine.
type ruleTarget struct {
	eng *engine.Engine
	k   *engine.Sock
}

func (t ruleTarget) Send(ctx context.Context, p []byte, r *rules.Rule) error {
	t.eng.Note(t.k, fmt.Sprintf("auto reply (rule %d): %d bytes", r.Number, len(p)))
	return t.eng.SendAndWait(ctx, t.k, p, netcore.Addr{})
}

func (t ruleTarget) Close(r *rules.Rule) error {
	t.eng.Note(t.k, fmt.Sprintf("auto close (rule %d)", r.Number))
	return t.eng.CloseSock(t.k)
}

func (t ruleTarget) Reset(r *rules.Rule) error {
	t.eng.Note(t.k, fmt.Sprintf("auto reset (rule %d)", r.Number))
	return t.eng.Reset(t.k)
}
