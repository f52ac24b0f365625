package cli

import (
	"flag"
	"time"

	"sockbench/netcore"
)

const connectUsage = `usage: sockbench connect [--family F] [--type T] [--timeout DUR] [--race[=DELAY]] [--json]
                         [--send TEXT | --send-hex HEX | --send-file PATH] [--recv-file PATH|-]
                         [--read-timeout DUR] [--shutdown-after-send] TARGET...

TARGET is HOST:SERVICE, [V6ADDR]:SERVICE, unix:PATH or unix:@NAME. The
targets are resolved in order into one list, which is tried one address
after another (or raced, RFC 8305, with --race; the default delay is
250ms). Each attempt is printed as it ends.

Once connected, the payload is sent, the sending side is shut down if
asked, and everything received is shown as a hex dump (or written raw to
--recv-file) until the peer closes or nothing arrives for --read-timeout
(default 2s; 0 waits for the peer to close). The last line says why it
ended: eof or timeout (normal ends), reset (ECONNRESET, EPIPE), error, or
cancelled (Ctrl+C).

Exit status: 0 connected and the exchange ended normally, 1 the network
said no (unknown name, refused, timed out, reset), 2 bad usage or input
(nothing is sent), 130 interrupted.
`

// connectOptions are the flags of connect.
type connectOptions struct {
	hints    netcore.Hints
	timeout  time.Duration
	race     raceFlag
	asJSON   bool
	exchange exchangeFlags
}

func (o *connectOptions) register(fs *flag.FlagSet) {
	familyFlag(fs, &o.hints.Family)
	sockTypeFlag(fs, &o.hints.SockType, netcore.SockStream, netcore.SockStream, netcore.SockDgram, netcore.SockSeqpacket)
	durationFlag(fs, &o.timeout, "timeout", 0, "limit each connection attempt to `DUR`, such as 3s (default: the kernel's limit)")
	fs.Var(&o.race, "race", "race the attempts (RFC 8305); --race=DELAY sets the delay between starts (default 250ms)")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per event")
	o.exchange.register(fs)
}

// dialer is the netcore.Dialer the flags describe.
func (o *connectOptions) dialer() netcore.Dialer {
	return netcore.Dialer{Timeout: o.timeout, Race: o.race.on, RaceDelay: o.race.delay}
}

// runConnect is the connect subcommand. Everything the command line says
// is checked, and the payload read, before the first connection attempt.
func runConnect(e *env, args []string) int {
	fs := newFlagSet("connect")
	var o connectOptions
	o.register(fs)
	positional, code, ok := e.parseCommandLine(fs, args)
	if !ok {
		return code
	}
	targets, err := parseTargets(positional)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	plan, err := o.exchange.prepare(e)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	defer plan.closeSink()
	ais, err := netcore.ResolveTargets(e.ctx, targets, o.hints)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	rep := newReporter(o.asJSON, plan.reportWriter(e), plan.sink == nil)
	sock, err := dial(e, o.dialer(), ais, rep)
	if err != nil {
		return exitCodeOf(err)
	}
	defer sock.Close()
	return exchange(e, sock, plan, rep).exitCode()
}

// dial connects over the list, reporting each finished attempt, then the
// connection or the failure.
func dial(e *env, d netcore.Dialer, ais []netcore.AddrInfo, rep reporter) (*netcore.Socket, error) {
	var winner netcore.Attempt
	d.Observe = func(a netcore.Attempt) {
		if !a.Done() {
			return
		}
		rep.attempt(a)
		if a.Result == netcore.ResultConnected {
			winner = a
		}
	}
	rep.plan(ais)
	start := time.Now()
	sock, err := d.ConnectList(e.ctx, ais)
	if err != nil {
		rep.failed(err)
		return nil, err
	}
	rep.connected(winner, time.Since(start))
	return sock, nil
}
