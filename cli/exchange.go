package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/netcore"
	"sockbench/payload"
)

// DefaultReadTimeout is how long an exchange waits with nothing received
// before it ends (normally) with reason "timeout".
const DefaultReadTimeout = 2 * time.Second

// receiveBufferSize is the most one receive from a stream reads.
const receiveBufferSize = 64 * 1024

// exchangeFlags are the flags of the send/receive exchange that connect
// and listen share.
type exchangeFlags struct {
	sendText          stringFlag
	sendHex           stringFlag
	sendFile          stringFlag
	recvFile          string
	readTimeout       time.Duration
	shutdownAfterSend bool
}

func (f *exchangeFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.sendText, "send", "send `TEXT`, with escapes \\r \\n \\t \\0 \\\\ \\xNN")
	fs.Var(&f.sendHex, "send-hex", "send the bytes written in `HEX` (\"48 65 6c\", \"0x48,0x65\")")
	fs.Var(&f.sendFile, "send-file", "send the contents of `PATH` (- for stdin)")
	fs.StringVar(&f.recvFile, "recv-file", "", "write every received byte, raw, to `PATH` (- for stdout; reports then go to stderr)")
	durationFlag(fs, &f.readTimeout, "read-timeout", DefaultReadTimeout,
		"end the exchange when nothing arrives for `DUR` (default 2s); 0 waits for the peer to close")
	fs.BoolVar(&f.shutdownAfterSend, "shutdown-after-send", false, "shut down the sending side (SHUT_WR) after sending")
}

// exchangePlan is what an exchange does, checked before any connection
// is made.
type exchangePlan struct {
	payload           []byte // nil when there is nothing to send
	shutdownAfterSend bool
	readTimeout       time.Duration
	sink              io.Writer // where received bytes go raw; nil: not kept
	sinkIsStdout      bool
	closeSink         func() error
}

// prepare reads the payload and opens --recv-file, so that bad input is
// found before anything goes on the network.
func (f *exchangeFlags) prepare(e *env) (*exchangePlan, error) {
	data, err := f.loadPayload(e.stdin)
	if err != nil {
		return nil, err
	}
	plan := &exchangePlan{payload: data, shutdownAfterSend: f.shutdownAfterSend,
		readTimeout: f.readTimeout, closeSink: func() error { return nil }}
	switch f.recvFile {
	case "":
	case "-":
		plan.sink, plan.sinkIsStdout = e.stdout, true
	default:
		file, err := os.Create(f.recvFile)
		if err != nil {
			return nil, inputf("cannot create --recv-file: %v", err)
		}
		plan.sink, plan.closeSink = file, file.Close
	}
	return plan, nil
}

// loadPayload parses --send or --send-hex, or reads --send-file; at most
// one of them may be given. It returns nil when none is.
func (f *exchangeFlags) loadPayload(stdin io.Reader) ([]byte, error) {
	given := 0
	for _, s := range []*stringFlag{&f.sendText, &f.sendHex, &f.sendFile} {
		if s.set {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, usagef("give only one of --send, --send-hex and --send-file")
	case f.sendText.set:
		return parsePayload("--send", payload.Text, f.sendText.value)
	case f.sendHex.set:
		return parsePayload("--send-hex", payload.Hex, f.sendHex.value)
	case f.sendFile.set:
		return readPayloadFile(f.sendFile.value, stdin)
	}
	return nil, nil
}

func parsePayload(flagName string, mode payload.Mode, s string) ([]byte, error) {
	data, err := payload.Parse(mode, s)
	if err != nil {
		return nil, inputf("bad %s: %v", flagName, err)
	}
	return nonNil(data), nil
}

func readPayloadFile(path string, stdin io.Reader) ([]byte, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, inputf("cannot read --send-file: %v", err)
	}
	return nonNil(data), nil
}

// nonNil keeps an empty payload apart from no payload.
func nonNil(p []byte) []byte {
	if p == nil {
		return []byte{}
	}
	return p
}

// reportWriter is where reports go: stdout, unless the received bytes go
// there.
func (p *exchangePlan) reportWriter(e *env) io.Writer {
	if p.sinkIsStdout {
		return e.stderr
	}
	return e.stdout
}

// keep writes received bytes to the sink, if there is one.
func (p *exchangePlan) keep(data []byte) error {
	if p.sink == nil {
		return nil
	}
	if _, err := p.sink.Write(data); err != nil {
		return fmt.Errorf("cannot write --recv-file: %w", err)
	}
	return nil
}

// Reasons an exchange ends.
const (
	reasonEOF       = "eof"       // the peer closed its side
	reasonTimeout   = "timeout"   // nothing arrived for the read timeout
	reasonReset     = "reset"     // the peer reset the connection, or was gone when we sent
	reasonError     = "error"     // any other failure
	reasonCancelled = "cancelled" // interrupted by Ctrl+C
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
	case reasonEOF, reasonTimeout:
		return exitOK
	case reasonCancelled:
		return exitInterrupted
	}
	return exitNetwork
}

// errno is the errno of the failure, if any.
func (c closeSummary) errno() unix.Errno { return netcore.ErrnoOf(c.err) }

// exchange sends the plan's payload on a connected socket (then shuts down
// the sending side if asked) while it receives, until the peer closes,
// nothing arrives for the read timeout once the sending is done, or an
// error. Sending and receiving run at once, so that a payload larger than
// the socket buffers does not stall against a peer that answers as it
// reads. Every received byte is kept and reported before the next receive,
// so nothing is lost to a failure.
func exchange(e *env, s *netcore.Socket, plan *exchangePlan, rep reporter) closeSummary {
	events := &exchangeEvents{r: rep}
	sendCtx, cancelSend := context.WithCancel(e.ctx)
	defer cancelSend()
	var sentAt atomic.Int64 // when the sending ended, in Unix nanoseconds; 0 until then
	sending := make(chan sendOutcome, 1)
	go func() {
		out := sendPayload(sendCtx, s, plan, events)
		sentAt.Store(time.Now().UnixNano())
		sending <- out
	}()

	sum := closeSummary{}
	recvErr := receiveAll(e.ctx, s, plan, events, &sum, &sentAt)
	if recvErr != nil {
		cancelSend() // the connection is over: stop a send still waiting
	}
	out := <-sending
	sum.tx = out.n
	err := out.err
	if err == nil || (recvErr != nil && netcore.ClassOf(err) == netcore.ClassCancelled) {
		err = recvErr
	}
	return finish(events, sum, err)
}

// receiveAll receives until the peer closes, an error, or a read timeout
// that ends at least the read timeout after the sending ended.
func receiveAll(ctx context.Context, s *netcore.Socket, plan *exchangePlan, events *exchangeEvents, sum *closeSummary, sentAt *atomic.Int64) error {
	ctx = netcore.WithCallTimeout(ctx, plan.readTimeout)
	buf := make([]byte, receiveBufferSize)
	for {
		data, err := receiveSome(ctx, s, buf)
		if err != nil {
			if netcore.ClassOf(err) == netcore.ClassTimeout && !idleSinceSent(sentAt, plan.readTimeout) {
				continue // quiet while still sending is not the end
			}
			return err
		}
		if len(data) == 0 && s.Type() != netcore.SockDgram {
			return nil
		}
		sum.rx += int64(len(data))
		if err := plan.keep(data); err != nil {
			return err
		}
		events.received(data, sum.rx)
	}
}

// receiveSome reads what a stream has into buf, or the next datagram whole
// (a fixed buffer would cut off a large UNIX datagram without a word).
func receiveSome(ctx context.Context, s *netcore.Socket, buf []byte) ([]byte, error) {
	if s.Type() == netcore.SockStream {
		n, err := s.Receive(ctx, buf, 0)
		return buf[:n], err
	}
	data, _, err := s.ReceiveDatagram(ctx)
	return data, err
}

// idleSinceSent reports whether the sending ended at least d ago.
func idleSinceSent(sentAt *atomic.Int64, d time.Duration) bool {
	at := sentAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) >= d
}

// sendOutcome is how the sending of an exchange went.
type sendOutcome struct {
	n   int64
	err error
}

// sendPayload sends the payload, if any, and shuts down the sending side
// if the plan says so. Each piece is sent without waiting, under the events
// lock, and reported there, so that a reply can never be reported before
// the bytes that caused it; waiting for room happens outside the lock, so
// that the receiving side keeps reading meanwhile.
func sendPayload(ctx context.Context, s *netcore.Socket, plan *exchangePlan, events *exchangeEvents) sendOutcome {
	var out sendOutcome
	for rest := plan.payload; len(rest) > 0; {
		n, err := events.sendNow(ctx, s, rest, out.n)
		out.n += int64(n)
		rest = rest[n:]
		if err == nil && n == 0 {
			err = s.WaitWritable(ctx)
		}
		if err != nil {
			out.err = err
			return out
		}
	}
	if plan.payload != nil && len(plan.payload) == 0 {
		events.sent(0, 0) // an empty payload is still a send
	}
	if plan.shutdownAfterSend {
		out.err = s.Shutdown(netcore.ShutWR)
	}
	return out
}

// exchangeEvents serialises the reports of an exchange, whose sending and
// receiving run on two goroutines.
type exchangeEvents struct {
	mu sync.Mutex
	r  reporter
}

func (x *exchangeEvents) sent(n int, total int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.r.sent(n, total)
}

// sendNow sends what the socket takes without waiting and reports it,
// both under the lock. sentBefore is the total before this piece.
func (x *exchangeEvents) sendNow(ctx context.Context, s *netcore.Socket, p []byte, sentBefore int64) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	n, _, err := s.SendWithin(ctx, p, 0, 0)
	if n > 0 {
		x.r.sent(n, sentBefore+int64(n))
	}
	return n, err
}

func (x *exchangeEvents) received(data []byte, total int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.r.received(data, total)
}

func (x *exchangeEvents) closed(c closeSummary) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.r.closed(c)
}

// finish records why the exchange ended and reports it.
func finish(rep *exchangeEvents, sum closeSummary, err error) closeSummary {
	sum.err = err
	sum.reason = reasonOf(err)
	rep.closed(sum)
	return sum
}

// reasonOf names the way an exchange ended from the error that ended it.
func reasonOf(err error) string {
	if err == nil {
		return reasonEOF
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
