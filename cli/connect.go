package cli

import (
	"context"
	"flag"
	"time"

	"sockbench/netcore"
	"sockbench/tlsinfo"
)

const connectUsage = `usage: sockbench connect [--family F] [--type T] [--timeout DUR] [--race[=DELAY]] [--json [--json-data ENC]]
                         [--send TEXT | --send-hex HEX | --send-file PATH] [--recv-file PATH|-]
                         [--read-timeout DUR] [--send-timeout DUR] [--shutdown-after-send]
                         [--tls [--sni NAME] [--alpn LIST] [--tls-min V] [--tls-max V] [--insecure] [--ca FILE]
                          [--starttls smtp|imap|pop3] [--tls-timeout DUR]]
                         [--snippet NAME [--snippets FILE]] [--expand] [--repeat N] [--every DUR]
                         [--pcap FILE [--capture-limit SIZE]] TARGET...

TARGET is HOST:SERVICE, [V6ADDR]:SERVICE, unix:PATH or unix:@NAME. The
targets are resolved in order into one list, which is tried one address
after another (or raced, RFC 8305, with --race; the default delay is
250ms). Each attempt is printed as it ends.

Once connected, the payload is sent (a file or stdin as it is read), the
sending side is shut down if asked, and everything received is shown as a
hex dump (or written raw to --recv-file) until the peer closes or nothing
arrives for --read-timeout after the sending ended (default 2s; 0 waits
for the peer to close). A peer that takes nothing for --send-timeout
(default 1m) while we send fails the exchange. The last line says why it
ended: eof or timeout (normal ends), reset (ECONNRESET, EPIPE), stalled,
error, or cancelled (Ctrl+C, SIGTERM).

--snippet NAME runs a saved snippet instead of sending a payload: its
sends, and its waits for what the peer answers, in order (the snippets
are kept in $XDG_CONFIG_HOME/sockbench/snippets, or --snippets FILE; a
[name] line, then steps such as "send EHLO x\r\n" and "wait 250"). A wait
that times out, or meets the peer's close, fails the exchange with the
step and its line. --expand expands placeholders in --send and
--send-hex at each send: {n} (the send's number), {time}, {unix},
{rand:N}, {len8}, {len16be}, {len16le}, {len32be}, {len32le} (the length
of the rest); without it the text is sent as it is. --repeat N sends the
payload (or runs the snippet) N times; --every DUR starts one every DUR,
until Ctrl+C when --repeat is not given.

--pcap FILE writes the connection's packets as pcapng, for Wireshark:
captured on the wire, from before the first SYN to the last ACK, when the
process may capture (CAP_NET_RAW: run as root, or sudo setcap
cap_net_raw+ep $(which sockbench)); else made up from the bytes sent and
received, around a made-up handshake, and the file says so. A report line
says which. FILE must not exist.

With --tls the exchange runs inside TLS: the handshake comes first, each
step reported with its time, then the result (version, cipher suite,
ALPN, the certificate chain, and whether it was verified). The name
verified (and sent as SNI) is the TARGET's host name unless --sni gives
one; --insecure skips verification and says what it would have found.
--starttls speaks the protocol's plaintext dialogue first (smtp: the
greeting, EHLO, STARTTLS), then upgrades. The payload, --snippet,
--repeat and --expand work inside TLS as they do without it. A failed
handshake ends with the reason in words on stderr and status 1.

With no --send* and no --recv-file, and stdin a terminal, a pipe or a
file, connect works like nc: stdin goes to the socket as it comes, the
received bytes go to stdout (raw, or made safe when stdout is a
terminal), and the reports go to stderr (JSON lines with --json). At the
end of stdin the sending side is shut down and connect waits for the
peer to close (or for --read-timeout, if given); the peer closing ends it
at once.

Exit status: 0 connected and the exchange ended normally, 1 the network
said no (unknown name, refused, timed out, reset, stalled, a failed TLS
handshake, a snippet's wait that failed) or the --pcap file could not be
written, 2 bad usage or input (nothing is sent), 130 interrupted.
`

// connectOptions are the flags of connect.
type connectOptions struct {
	hints    netcore.Hints
	timeout  time.Duration
	race     raceFlag
	output   outputFlags
	exchange exchangeFlags
	tls      tlsFlags
}

func (o *connectOptions) register(fs *flag.FlagSet) {
	familyFlag(fs, &o.hints.Family)
	sockTypeFlag(fs, &o.hints.SockType, netcore.SockStream, netcore.SockStream, netcore.SockDgram, netcore.SockSeqpacket)
	durationFlag(fs, &o.timeout, "timeout", 0, "limit each connection attempt to `DUR`, such as 3s (default: the kernel's limit)")
	fs.Var(&o.race, "race", "race the attempts (RFC 8305); --race=DELAY sets the delay between starts (default 250ms)")
	o.output.register(fs)
	o.exchange.register(fs)
	o.tls.register(fs, tlsinfo.SideClient)
}

// dialer is the netcore.Dialer the flags describe.
func (o *connectOptions) dialer() netcore.Dialer {
	return netcore.Dialer{Timeout: o.timeout, Race: o.race.on, RaceDelay: o.race.delay}
}

// runConnect is the connect subcommand. Everything the command line says
// is checked, and the payload file opened, before the first connection
// attempt.
func runConnect(e *env, args []string) int {
	fs := newFlagSet("connect")
	var o connectOptions
	o.register(fs)
	positional, code, ok := e.parseCommandLine(fs, args)
	if !ok {
		return code
	}
	targets, err := parseTargets(positional)
	if err == nil {
		err = o.check(fs, targets)
	}
	if err == nil && o.exchange.pcap.set {
		err = checkPcapTargets(targets)
	}
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	tlsConfig, err := o.tls.config()
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	plan, err := o.plan(e, fs)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	defer plan.closeSink()
	rep := o.output.reporter(plan, e)
	return plan.finishPcap(rep, o.connect(e, fs.Name(), targets, plan, rep, tlsConfig))
}

// connect resolves the targets, connects (the --pcap capture, if any,
// running from before the first SYN) and runs the exchange. It closes the
// socket before it returns, so that the capture sees the close.
func (o *connectOptions) connect(e *env, name string, targets []netcore.Target, plan *exchangePlan, rep reporter, tlsConfig tlsinfo.Config) int {
	ais, hosts, err := resolveTargets(e.ctx, targets, o.hints)
	if err != nil {
		return e.failAfterStart(name, rep, err)
	}
	reportPcap(rep, plan.pcap.startConnect(ais))
	sock, winner, err := dial(e, o.dialer(), ais, rep)
	if err != nil {
		return exitCodeOf(err)
	}
	defer sock.Close()
	plan.pcap.connected(sock)
	if !o.tls.on {
		return exchange(e, plainLink(sock), plan, rep).exitCode()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = hosts[winner]
	}
	plan.pcap.note(pcapTLSNote)
	sess, err := clientHandshake(e.ctx, &o.tls, tlsConfig, sock, rep)
	if err != nil {
		return e.tlsFailed(plan, err)
	}
	return exchange(e, sessionLink(sock, sess), plan, rep).exitCode()
}

// check refuses flags that contradict each other or the targets.
func (o *connectOptions) check(fs *flag.FlagSet, targets []netcore.Target) error {
	if err := o.output.check(); err != nil {
		return err
	}
	if err := o.tls.check(fs, o.hints.SockType); err != nil {
		return err
	}
	return o.tls.needsName(targets)
}

// resolveTargets resolves the targets in order into one list, as
// netcore.ResolveTargets does, and gives the host each row came from.
func resolveTargets(ctx context.Context, targets []netcore.Target, hints netcore.Hints) ([]netcore.AddrInfo, []string, error) {
	var ais []netcore.AddrInfo
	var hosts []string
	for _, t := range targets {
		rows, err := netcore.ResolveTargets(ctx, []netcore.Target{t}, hints)
		if err != nil {
			return nil, nil, err
		}
		ais = append(ais, rows...)
		for range rows {
			hosts = append(hosts, t.Host)
		}
	}
	return ais, hosts, nil
}

// plan is the exchange the flags describe. With nothing to send and
// nothing named to receive into, and stdin a terminal, a pipe or a file,
// connect works as nc does: stdin goes to the socket, the received bytes
// to stdout, the reports to stderr, and it waits for the peer to close
// unless --read-timeout is given.
func (o *connectOptions) plan(e *env, fs *flag.FlagSet) (*exchangePlan, error) {
	plan, err := o.exchange.prepare(e, o.hints.SockType)
	if err != nil || plan.source.given || plan.sink != nil || !isInteractiveInput(e.stdin) {
		return plan, err
	}
	plan.interactive = true
	plan.source = payloadSource{given: true, path: "-", size: -1, stdin: e.stdin}
	plan.sink, plan.sinkIsStdout = terminalSafe(e.stdout), true
	if !flagGiven(fs, "read-timeout") && o.hints.SockType == netcore.SockStream {
		plan.readTimeout = 0 // wait for the peer's close, which a datagram socket never sees
	}
	return plan, nil
}

// dial connects over the list, reporting each finished attempt, then the
// connection or the failure. It returns the index of the row that
// connected.
func dial(e *env, d netcore.Dialer, ais []netcore.AddrInfo, rep reporter) (*netcore.Socket, int, error) {
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
		return nil, 0, err
	}
	rep.connected(winner, time.Since(start))
	return sock, winner.Index, nil
}
