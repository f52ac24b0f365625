package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/repeat"
	"sockbench/rules"
	"sockbench/snippets"
)

// DefaultReadTimeout is how long an exchange waits with nothing received
// before it ends (normally) with reason "timeout".
const DefaultReadTimeout = 2 * time.Second

// DefaultSendTimeout is how long a send waits for the peer to make room
// before the exchange ends as stalled: the socket egg's send timeout.
const DefaultSendTimeout = time.Minute

// receiveBufferSize is the most one receive from a stream reads.
const receiveBufferSize = 64 * 1024

// receiveBuffers lends receive buffers to exchanges, so that a listener
// serving many short connections does not allocate one for each.
var receiveBuffers = sync.Pool{New: func() any { return new([receiveBufferSize]byte) }}

// exchangeFlags are the flags of the send/receive exchange that connect
// and listen share.
type exchangeFlags struct {
	sendText          stringFlag
	sendHex           stringFlag
	sendFile          stringFlag
	recvFile          stringFlag
	readTimeout       time.Duration
	sendTimeout       time.Duration
	shutdownAfterSend bool
	pcap              stringFlag
	captureLimit      int64 // 0: not given
	snippet           stringFlag
	snippetsFile      stringFlag
	expand            bool
	repeat            repeatFlags
}

func (f *exchangeFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.sendText, "send", "send `TEXT`, with escapes \\r \\n \\t \\0 \\\\ \\xNN")
	fs.Var(&f.sendHex, "send-hex", "send the bytes written in `HEX` (\"48 65 6c\", \"0x48,0x65\")")
	fs.Var(&f.sendFile, "send-file", "send the contents of `PATH` as it is read (- for stdin)")
	fs.Var(&f.recvFile, "recv-file", "write every received byte, raw, to `PATH` (- for stdout; reports then go to stderr)")
	durationFlag(fs, &f.readTimeout, "read-timeout", DefaultReadTimeout,
		"end the exchange when nothing arrives for `DUR` after the sending ended (default 2s); 0 waits for the peer to close")
	durationFlag(fs, &f.sendTimeout, "send-timeout", DefaultSendTimeout,
		"fail when the peer takes nothing for `DUR` while we send (default 1m); 0 waits for ever")
	fs.BoolVar(&f.shutdownAfterSend, "shutdown-after-send", false, "shut down the sending side (SHUT_WR) after sending")
	fs.Var(&f.pcap, "pcap", "write the packets to `FILE` as pcapng (created 0600, never over an existing file): "+
		"captured on the wire when permitted (CAP_NET_RAW), else synthesised from the bytes exchanged")
	fs.Func("capture-limit", "with --pcap, keep at most `SIZE` bytes of packets, such as 64MiB (default 256MiB)",
		func(s string) error {
			n, err := ParseSize(s)
			f.captureLimit = n
			return err
		})
	fs.Var(&f.snippet, "snippet", "run the snippet `NAME` (its sends and waits) instead of sending a payload")
	fs.Var(&f.snippetsFile, "snippets", "read the snippets from `FILE` (default $XDG_CONFIG_HOME/sockbench/snippets)")
	fs.BoolVar(&f.expand, "expand", false, "expand placeholders ({n}, {time}, {rand:N}, {len16be}, ...) in --send or --send-hex at each send")
	f.repeat.register(fs)
}

// exchangePlan is what an exchange does, checked before any connection
// is made.
type exchangePlan struct {
	source            payloadSource
	shutdownAfterSend bool
	readTimeout       time.Duration
	sendTimeout       time.Duration
	sink              io.Writer // where received bytes go raw; nil: not kept
	sinkIsStdout      bool
	closeSink         func() error
	interactive       bool              // stdin is the payload and the peer's close ends all
	pcap              *pcapRecorder     // --pcap, if given
	rules             rules.List        // listen's --reply and --replies
	expander          *payload.Expander // expands placeholders (payloads, snippets, replies), for every connection
	repeat            *repeat.Plan      // --repeat and --every, if given
}

// prepare checks the payload and opens --recv-file, so that bad input is
// found before anything goes on the network. typ is the socket type the
// exchange will run on.
func (f *exchangeFlags) prepare(e *env, typ netcore.SockType) (*exchangePlan, error) {
	src, err := f.sendSource(e, typ)
	if err != nil {
		return nil, err
	}
	plan := &exchangePlan{source: src, shutdownAfterSend: f.shutdownAfterSend, readTimeout: f.readTimeout,
		sendTimeout: f.sendTimeout, closeSink: func() error { return nil }, expander: &payload.Expander{}}
	if plan.repeat, err = f.repeat.plan(src); err != nil {
		return nil, err
	}
	if err := f.preparePcap(plan, typ); err != nil {
		return nil, err
	}
	if err := f.prepareSink(e, plan); err != nil {
		plan.pcap.discard()
		return nil, err
	}
	return plan, nil
}

// prepareSink opens --recv-file.
func (f *exchangeFlags) prepareSink(e *env, plan *exchangePlan) error {
	switch {
	case !f.recvFile.set:
	case f.recvFile.value == "":
		return usagef("--recv-file needs a PATH (- for stdout)")
	case f.recvFile.value == "-":
		plan.sink, plan.sinkIsStdout = e.stdout, true
	case !isPlainName(f.recvFile.value):
		return inputf("--recv-file: %s holds control characters or invalid UTF-8; not a name to create a file with",
			netcore.QuoteInput(f.recvFile.value))
	default:
		file, err := os.Create(f.recvFile.value)
		if err != nil {
			return inputf("cannot create --recv-file: %s", fileErrorText(err))
		}
		plan.sink, plan.closeSink = file, file.Close
	}
	return nil
}

// preparePcap creates the --pcap file. It comes before --recv-file, which
// may replace a file: a --pcap refused must leave that one alone.
func (f *exchangeFlags) preparePcap(plan *exchangePlan, typ netcore.SockType) error {
	if !f.pcap.set {
		if f.captureLimit != 0 {
			return usagef("--capture-limit needs --pcap")
		}
		return nil
	}
	var err error
	plan.pcap, err = createPcap(f.pcap.value, f.captureLimit, typ)
	return err
}

// isPlainName reports whether a file name is valid UTF-8 without control,
// C1 or format characters, which could not be shown safely later.
func isPlainName(name string) bool {
	return utf8.ValidString(name) && strings.IndexFunc(name, func(r rune) bool {
		return r < 0x20 || r >= 0x7f && r < 0xa0 || unicode.Is(unicode.Cf, r)
	}) < 0
}

// reportWriter is where reports go: stdout, unless the received bytes go
// there.
func (p *exchangePlan) reportWriter(e *env) io.Writer {
	if p.sinkIsStdout {
		return e.stderr
	}
	return e.stdout
}

// flush writes out what the sink holds back, if it holds anything.
func (p *exchangePlan) flush() error {
	if f, ok := p.sink.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// keep writes received bytes to the sink, if there is one.
func (p *exchangePlan) keep(data []byte) error {
	if p.sink == nil {
		return nil
	}
	if _, err := p.sink.Write(data); err != nil {
		return fmt.Errorf("cannot write the received bytes: %w", err)
	}
	return nil
}

// Reasons an exchange ends.
const (
	reasonEOF       = "eof"        // the peer closed its side
	reasonTimeout   = "timeout"    // nothing arrived for the read timeout
	reasonReset     = "reset"      // the peer reset the connection, or was gone when we sent
	reasonStalled   = "stalled"    // the peer took nothing for the send timeout
	reasonError     = "error"      // any other failure
	reasonCancelled = "cancelled"  // interrupted by Ctrl+C
	reasonAutoClose = "auto-close" // a --reply rule closed the connection
	reasonAutoReset = "auto-reset" // a --reply rule reset the connection
)

// closeSummary says how an exchange ended.
type closeSummary struct {
	reason string
	rx, tx int64
	err    error // the failure; nil for eof, and for timeout a timeout error
}

// exitCode is the exit status for an exchange that ended so.
func (c closeSummary) exitCode() int {
	switch c.reason {
	case reasonEOF, reasonTimeout, reasonAutoClose, reasonAutoReset:
		return exitOK
	case reasonCancelled:
		return exitInterrupted
	}
	return exitNetwork
}

// failed reports whether the end calls for a message with its error.
func (c closeSummary) failed() bool {
	return c.reason == reasonReset || c.reason == reasonError || c.reason == reasonStalled
}

// errno is the errno of the failure, if any.
func (c closeSummary) errno() unix.Errno { return netcore.ErrnoOf(c.err) }

// stallError ends an exchange whose peer took nothing for the send
// timeout: the send is incomplete.
type stallError struct {
	sent, total int64 // total is -1 when not known
	after       time.Duration
}

func (e *stallError) Error() string {
	of := ""
	if e.total >= 0 {
		of = " of " + groupDigits(e.total)
	}
	return fmt.Sprintf("the peer stopped reading: %s%s bytes sent, no room for %s", groupDigits(e.sent), of, e.after)
}

// groupDigits writes n with commas between groups of three digits.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// exchanger runs one exchange on a connected socket, or a TLS session on
// it: a sending goroutine and a receiving one, ordered by an
// engine.Duplex.
type exchanger struct {
	e      *env
	link   link
	duplex *engine.Duplex
	plan   *exchangePlan
	rep    reporter
	peer   netcore.Addr // the peer, for --pcap's record of the bytes
	rx, tx int64        // changed under the duplex's lock

	sendDone chan struct{}   // closed once the sending has ended
	sending  context.Context // the receive's context while sending; done when it ends
	sendErr  error           // how the sending ended; read once sendDone is closed

	auto      *autoTarget      // where the rules act, if there are any
	responder *rules.Responder // runs the rules
	feed      *snippets.Feed   // what the snippet's waits look at, if one runs
}

// exchange sends the plan's payload on a connected socket (then shuts down
// the sending side if asked) while it receives, until the peer closes,
// nothing arrives for the read timeout once the sending is done, or an
// error. Sending and receiving run at once, so that a payload larger than
// the socket buffers does not stall against a peer that answers as it
// reads. Every received byte is kept and reported before the next receive,
// so nothing is lost to a failure.
func exchange(e *env, lk link, plan *exchangePlan, rep reporter) closeSummary {
	x := &exchanger{e: e, link: lk, duplex: lk.duplex(), plan: plan, rep: rep, sendDone: make(chan struct{})}
	x.peer, _ = lk.duplex().Socket().PeerAddr()
	receiving, endReceiving := context.WithCancel(e.ctx) // a rule's close or reset ends it too
	defer endReceiving()
	sending, wakeReceiver := context.WithCancel(receiving)
	defer wakeReceiver()
	x.sending = sending
	x.startRules(endReceiving)
	if plan.source.snippet != nil {
		x.feed = snippets.NewFeed()
	}
	sendCtx, stopSending := context.WithCancel(e.ctx)
	defer stopSending()
	go func() {
		x.sendErr = x.send(sendCtx)
		close(x.sendDone)
		wakeReceiver()
	}()
	recvErr := x.receive(receiving)
	x.stopRules(recvErr)
	x.endFeed(recvErr)
	if err := plan.flush(); recvErr == nil {
		recvErr = err
	}
	if recvErr != nil || plan.interactive {
		stopSending() // the connection is over: stop a send still waiting
	}
	<-x.sendDone
	err := x.sendErr
	if netcore.ClassOf(err) == netcore.ClassCancelled && e.ctx.Err() == nil {
		err = nil // stopped here, because the receiving ended
	}
	if err == nil {
		err = recvErr
	}
	sum := x.summary(err)
	lk.end(sum.exitCode() == exitOK && sum.reason != reasonAutoReset) // a reset says nothing first
	rep.closed(sum)
	plan.pcap.note("the exchange ended: " + sum.reason)
	return sum
}

// summary says how the exchange ended: as a rule ended it, if one did;
// else by err, or by a failed automatic reply.
func (x *exchanger) summary(err error) closeSummary {
	sum := closeSummary{rx: x.rx, tx: x.tx, err: err, reason: reasonOf(err)}
	if x.auto == nil {
		return sum
	}
	if by := x.auto.endedBy(); by != "" {
		sum.reason, sum.err = by, nil
	} else if replyErr := x.responder.Err(); err == nil && replyErr != nil {
		sum.reason, sum.err = reasonOf(replyErr), replyErr
	}
	return sum
}

// send sends the payload, if any, or runs the snippet (as often as
// --repeat and --every say), and shuts down the sending side when the
// plan says so. A stream's payload is read and sent a chunk at a time; a
// datagram socket's is one datagram, even an empty one.
func (x *exchanger) send(ctx context.Context) error {
	if !x.plan.source.given {
		return nil
	}
	var err error
	if x.plan.repeat != nil {
		err = repeat.Start(ctx, *x.plan.repeat, func(ctx context.Context, _ int) error { return x.sendOnce(ctx) }).Wait()
		err = cancelledAs(err, "send")
	} else {
		err = x.sendOnce(ctx)
	}
	if err != nil {
		return err
	}
	if x.plan.shutdownAfterSend || (x.plan.interactive && x.link.stream()) {
		return x.link.closeWrite()
	}
	return nil
}

// sendOnce sends the payload once, or runs the snippet.
func (x *exchanger) sendOnce(ctx context.Context) error {
	src := x.plan.source
	switch {
	case src.snippet != nil:
		return x.runSnippet(ctx)
	case !x.link.stream() && !x.plan.interactive:
		data, err := src.bytes(x.plan.expander)
		if err != nil {
			return err
		}
		_, err = x.link.send(ctx, x.plan.sendTimeout, data, x.recordSent, x.recordUnsent)
		return x.sendError(err, src)
	}
	r, closeReader, err := src.open(x.plan.expander)
	if err != nil {
		return err
	}
	defer closeReader()
	return x.pump(ctx, r, src)
}

// pump sends what r gives until its end; on a datagram socket each read
// is a datagram.
func (x *exchanger) pump(ctx context.Context, r io.Reader, src payloadSource) error {
	chunks := readChunks(r, src.mayBlock())
	defer chunks.stop()
	for {
		data, readErr, err := chunks.next(ctx)
		if err != nil {
			return err
		}
		if len(data) > 0 {
			if _, err := x.link.send(ctx, x.plan.sendTimeout, data, x.recordSent, x.recordUnsent); err != nil {
				return x.sendError(err, src)
			}
		}
		chunks.recycle(data)
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return fmt.Errorf("cannot read --send-file: %s", fileErrorText(readErr))
		}
	}
}

// sendError turns a send timeout into the stall it means.
func (x *exchanger) sendError(err error, src payloadSource) error {
	if netcore.ClassOf(err) != netcore.ClassTimeout {
		return err
	}
	total := src.size
	if x.plan.interactive {
		total = -1
	}
	return &stallError{sent: x.tx, total: total, after: x.plan.sendTimeout}
}

// recordSent reports a piece that went; the duplex calls it under its
// lock.
func (x *exchanger) recordSent(t time.Time, p []byte) {
	x.plan.pcap.record(capture.Sent, t, x.peer, p)
	x.tx += int64(len(p))
	x.rep.sent(len(p), x.tx)
}

// recordUnsent takes back the part of a piece reported before its write
// (over TLS) that did not go; the duplex calls it under its lock.
func (x *exchanger) recordUnsent(p []byte) {
	if len(p) == 0 {
		return
	}
	x.tx -= int64(len(p))
	x.rep.unsent(len(p), x.tx)
}

// receive receives until the peer closes, an error, or the read timeout
// counted from the end of the sending (or from the last bytes received
// after it). While the sending goes on, quiet is not the end. When the
// sending failed, it takes what has already arrived and stops.
func (x *exchanger) receive(ctx context.Context) error {
	buf := receiveBuffers.Get().(*[receiveBufferSize]byte)
	defer receiveBuffers.Put(buf)
	for {
		wait, timeout := x.waitFor(ctx)
		data, err := x.link.receive(wait, timeout, buf[:])
		switch {
		case err == nil:
		case netcore.ClassOf(err) == netcore.ClassCancelled && ctx.Err() == nil:
			continue // woken because the sending ended: wait again, now with the read timeout
		case netcore.ClassOf(err) == netcore.ClassTimeout && x.rulesBusy():
			continue // automatic replies are under way: the quiet is theirs
		case netcore.ClassOf(err) == netcore.ClassTimeout && x.sendFailed():
			return nil // took what had arrived
		default:
			return err
		}
		if len(data) == 0 && x.link.stream() {
			return nil
		}
		if err := x.plan.keep(data); err != nil {
			return err
		}
		x.duplex.Received(func() {
			x.plan.pcap.recordReceived(x.peer, data)
			x.rx += int64(len(data))
			x.rep.received(data, x.rx)
		})
		if x.responder != nil {
			x.responder.Received(data) // after the record: a reply never comes before its cause
		}
		if x.feed != nil {
			x.feed.Push(data) // after the record, too: the snippet's next send comes after it
		}
	}
}

// waitFor is the context and the time limit of the next receive: no
// limit while the sending goes on (the context ends the wait when the
// sending ends), the read timeout after it, and no wait at all after a
// failed send.
func (x *exchanger) waitFor(ctx context.Context) (context.Context, time.Duration) {
	switch {
	case !x.sendEnded():
		return x.sending, 0
	case x.sendFailed():
		return ctx, time.Nanosecond
	}
	return ctx, x.plan.readTimeout
}

// sendEnded reports whether the sending has ended.
func (x *exchanger) sendEnded() bool {
	select {
	case <-x.sendDone:
		return true
	default:
		return false
	}
}

// sendFailed reports whether the sending has ended with a failure.
func (x *exchanger) sendFailed() bool { return x.sendEnded() && x.sendErr != nil }

// reasonOf names the way an exchange ended from the error that ended it.
func reasonOf(err error) string {
	var stall *stallError
	if err == nil {
		return reasonEOF
	} else if errors.As(err, &stall) {
		return reasonStalled
	}
	switch netcore.ClassOf(err) {
	case netcore.ClassTimeout:
		return reasonTimeout
	case netcore.ClassCancelled:
		return reasonCancelled
	}
	switch netcore.ErrnoOf(err) {
	case unix.ECONNRESET, unix.EPIPE:
		return reasonReset
	}
	return reasonError
}
