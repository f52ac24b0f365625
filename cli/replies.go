package cli

import (
	"context"
	"flag"
	"os"
	"sync"
	"time"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/rules"
)

// replyFlags are listen's --reply and --replies, in the order given: the
// rules are numbered in that order.
type replyFlags struct {
	given []replyArg
}

type replyArg struct {
	file  bool // --replies FILE, else --reply RULE
	value string
}

func (f *replyFlags) register(fs *flag.FlagSet) {
	fs.Func("reply", "answer by itself: `RULE` is MATCH=>ACTIONS, such as 'QUIT=>221 bye\\r\\n;close' (repeatable; see above)",
		func(s string) error {
			f.given = append(f.given, replyArg{value: s})
			return nil
		})
	fs.Func("replies", "read rules from `FILE`, one a line (# comments)", func(s string) error {
		f.given = append(f.given, replyArg{file: true, value: s})
		return nil
	})
}

// list reads the rules; a bad one is bad input, named.
func (f *replyFlags) list() (rules.List, error) {
	var l rules.List
	for _, arg := range f.given {
		if !arg.file {
			if err := l.Add(arg.value); err != nil {
				return nil, inputf("bad --reply %s: %v", netcore.QuoteInput(arg.value), err)
			}
			continue
		}
		if err := f.addFile(&l, arg.value); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// addFile reads a --replies file.
func (f *replyFlags) addFile(l *rules.List, path string) error {
	switch {
	case path == "":
		return usagef("--replies needs a FILE")
	case !isPlainName(path):
		return inputf("--replies: %s holds control characters or invalid UTF-8; not a name to read a file by",
			netcore.QuoteInput(path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return inputf("cannot read --replies: %s", fileErrorText(err))
	}
	if err := l.AddFile(data); err != nil {
		return inputf("bad --replies %s: %v", netcore.QuoteInput(path), err)
	}
	return nil
}

// autoTarget is where an exchange's rules act: automatic replies are sent
// through the exchange's link (inside TLS, when there is TLS), recorded
// and reported as automatic; a close or reset ends the exchange, whose
// caller closes the socket.
type autoTarget struct {
	x *exchanger

	mu     sync.Mutex
	ending string // "auto-close" or "auto-reset", once a rule ended the exchange
	end    context.CancelFunc
}

func (a *autoTarget) Send(ctx context.Context, p []byte, r *rules.Rule) error {
	x := a.x
	_, err := x.link.send(ctx, x.plan.sendTimeout, p, func(t time.Time, piece []byte) {
		x.plan.pcap.record(capture.Sent, t, x.peer, piece)
		x.tx += int64(len(piece))
		x.rep.autoSent(len(piece), x.tx, r.Number)
	}, x.recordUnsent)
	return err
}

func (a *autoTarget) Close(r *rules.Rule) error { return a.finish(reasonAutoClose, r) }

// Reset sets SO_LINGER 0, so that the close that ends the exchange sends
// RST (and drops what the peer has not yet taken). Inside TLS the socket
// is reset the same way, with no close_notify before it.
func (a *autoTarget) Reset(r *rules.Rule) error {
	if sock := a.x.link.duplex().Socket(); sock.Family() != netcore.FamilyUnix {
		if err := sock.SetOptionString("SO_LINGER", "on,0"); err != nil {
			return err
		}
	}
	return a.finish(reasonAutoReset, r)
}

// finish ends the exchange as a rule asked.
func (a *autoTarget) finish(reason string, r *rules.Rule) error {
	a.mu.Lock()
	a.ending = reason
	a.mu.Unlock()
	a.x.duplex.Received(func() { a.x.rep.autoAction(reason, r.Number) })
	a.end()
	return nil
}

// endedBy is how a rule ended the exchange; "" when none did.
func (a *autoTarget) endedBy() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ending
}

// startRules starts the plan's rules on an exchange, if it has any; end
// cancels the exchange's receiving.
func (x *exchanger) startRules(end context.CancelFunc) {
	if len(x.plan.rules) == 0 {
		return
	}
	x.auto = &autoTarget{x: x, end: end}
	x.responder = rules.NewResponder(x.e.ctx, x.plan.rules, x.auto, x.plan.expander)
}

// stopRules ends the rules once the receiving has ended: after an end of
// stream, what is queued still goes (the peer may only have shut down its
// side); after anything else, it is cancelled.
func (x *exchanger) stopRules(recvErr error) {
	if x.responder == nil {
		return
	}
	if recvErr == nil {
		x.responder.Finish(x.e.ctx)
	} else {
		x.responder.Stop()
	}
}

// rulesBusy reports whether automatic replies are queued or going: the
// read timeout does not end the exchange meanwhile.
func (x *exchanger) rulesBusy() bool { return x.responder != nil && !x.responder.Idle() }

// replyToDatagram runs the rules a datagram fires, in order, answering
// its sender. (Rules that close, reset or greet are refused for datagram
// sockets before listen starts.)
func (l *listener) replyToDatagram(duplex *engine.Duplex, peer netcore.Addr, data []byte, rep reporter) error {
	if len(l.plan.rules) == 0 || !hasReturnAddress(peer) {
		return nil
	}
	t := &datagramTarget{l: l, duplex: duplex, peer: peer, rep: rep}
	for _, r := range l.plan.rules.Datagram(data) {
		if err := r.Run(l.e.ctx, t, l.plan.expander); err != nil {
			return err
		}
	}
	return nil
}

// hasReturnAddress reports whether a datagram's sender can be answered
// (an unbound UNIX socket cannot).
func hasReturnAddress(peer netcore.Addr) bool {
	return peer.IsValid() && !(peer.Family() == netcore.FamilyUnix && peer.Path() == "")
}

// datagramTarget answers one datagram's sender.
type datagramTarget struct {
	l      *listener
	duplex *engine.Duplex
	peer   netcore.Addr
	rep    reporter
}

func (d *datagramTarget) Send(ctx context.Context, p []byte, r *rules.Rule) error {
	ctx = netcore.WithCallTimeout(ctx, d.l.plan.sendTimeout)
	_, err := d.duplex.Send(ctx, p, d.peer, 0, func(t time.Time, piece []byte) {
		d.l.plan.pcap.record(capture.Sent, t, d.peer, piece)
		d.rep.autoSent(len(piece), int64(len(piece)), r.Number)
	})
	return err
}

func (d *datagramTarget) Close(*rules.Rule) error { return errNoConnection }
func (d *datagramTarget) Reset(*rules.Rule) error { return errNoConnection }

var errNoConnection = inputf("a datagram socket has no connection to close or reset")
