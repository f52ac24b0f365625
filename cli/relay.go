package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"sockbench/netcore"
	"sockbench/relay"
)

const relayUsage = `usage: sockbench relay [-k] [--family F] [--timeout DUR] [--race[=DELAY]] [--json [--json-data ENC]]
                       [--dump-client FILE|-] [--dump-server FILE|-] LISTEN UPSTREAM

Sits between a client and a server and shows both legs of their
conversation. LISTEN is where clients connect: HOST:PORT, [V6ADDR]:PORT,
unix:PATH, unix:@NAME, or a bare PORT for 127.0.0.1:PORT (port 0 picks a
free one; the first line says which). UPSTREAM is the server's TARGET,
resolved once at the start. For each client the upstream's address list
is tried as connect tries it, each attempt printed; then the bytes go
both ways and each chunk is printed as it goes on, with its direction
(client->server, server->client) and a hex dump, in the order the relay
read them. One side's end of stream (FIN) is passed on as a shutdown of
writing, and the other direction keeps going; a reset (RST) is passed on
as a reset. When no upstream address accepts, the client is reset.

With --json each event is a JSON object: listening, accepted, attempt,
connected, failed, relayed (dir client_to_server or server_to_client,
bytes, total; the bytes themselves with --json-data hex|base64), eof,
reset, and closed (client_to_server and server_to_client, each with its
bytes and how it ended: eof, reset, failed, or stopped by the relay).

With -k (--keep) clients are relayed one after another until Ctrl+C;
otherwise relay ends after the first. --dump-client FILE writes the raw
bytes the client sent (as forwarded to the server), --dump-server FILE
those the server sent; - is stdout (the reports then go to stderr). With
a dump, the chunks are not hex-dumped.

Exit status: 0 both directions ended normally, or Ctrl+C ended relay, 1
the upstream could not be reached, a side reset or failed, or a dump
could not be written, 2 bad usage or input.
`

// relayOptions are the flags of relay.
type relayOptions struct {
	keep       bool
	family     netcore.Family
	timeout    time.Duration
	race       raceFlag
	output     outputFlags
	dumpClient stringFlag
	dumpServer stringFlag
}

func (o *relayOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.keep, "keep", false, "relay one client after another until Ctrl+C")
	fs.BoolVar(&o.keep, "k", false, "short for --keep")
	familyFlag(fs, &o.family)
	durationFlag(fs, &o.timeout, "timeout", 0, "limit each attempt to reach the upstream to `DUR` (default: the kernel's limit)")
	fs.Var(&o.race, "race", "race the upstream's addresses (RFC 8305); --race=DELAY sets the delay between starts")
	o.output.register(fs)
	fs.Var(&o.dumpClient, "dump-client", "write the raw bytes the client sent to `FILE` (- for stdout)")
	fs.Var(&o.dumpServer, "dump-server", "write the raw bytes the server sent to `FILE` (- for stdout)")
}

// runRelay is the relay subcommand.
func runRelay(e *env, args []string) int {
	fs := newFlagSet("relay")
	var o relayOptions
	o.register(fs)
	positional, code, ok := e.parseCommandLine(fs, args)
	if !ok {
		return code
	}
	listen, upstream, err := relayTargets(positional)
	if err == nil {
		err = o.check()
	}
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	dumps, err := o.openDumps(e)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	defer dumps.close()
	rep := o.reporter(e, dumps)
	ais, err := netcore.ResolveTargets(e.ctx, []netcore.Target{upstream}, netcore.Hints{Family: o.family, SockType: netcore.SockStream})
	if err != nil {
		return e.failAfterStart(fs.Name(), rep, err)
	}
	r := relay.New(relay.Config{Upstream: ais, Dialer: netcore.Dialer{Timeout: o.timeout, Race: o.race.on, RaceDelay: o.race.delay}})
	return o.serve(e, fs.Name(), listen, r, rep, dumps)
}

// relayTargets reads LISTEN and UPSTREAM.
func relayTargets(args []string) (listen, upstream netcore.Target, err error) {
	if len(args) != 2 {
		return listen, upstream, usagef("want LISTEN and UPSTREAM, got %d arguments", len(args))
	}
	if listen, err = listenTarget(args[0]); err != nil {
		return listen, upstream, err
	}
	upstream, err = parseTarget(args[1])
	return listen, upstream, err
}

// check refuses flags that contradict each other.
func (o *relayOptions) check() error {
	if o.dumpClient.set && o.dumpServer.set && o.dumpClient.value == "-" && o.dumpServer.value == "-" {
		return usagef("only one of --dump-client and --dump-server can go to stdout")
	}
	return o.output.check()
}

// serve listens and relays clients until done, and closes the listener.
func (o *relayOptions) serve(e *env, name string, target netcore.Target, r *relay.Relay, rep relayReporter, dumps *relayDumps) int {
	sock, err := listenOn(e, target, netcore.SockStream)
	if err != nil {
		return e.fail(name, err)
	}
	defer closeListener(sock)
	local, err := sock.LocalAddr()
	if err != nil {
		return e.fail(name, err)
	}
	rep.listening(local)
	l := &listener{e: e, sock: sock}
	code := exitOK
	for {
		conn, peer, err := l.accept(rep)
		if err != nil {
			return l.end(rep, err)
		}
		rep.accepted(peer)
		sum := r.Relay(e.ctx, conn, o.hooks(rep, dumps))
		if sum.ConnectErr == nil {
			rep.relayClosed(sum)
		}
		code = max(code, sessionCode(sum))
		switch {
		case e.ctx.Err() != nil:
			return exitOK // Ctrl+C ends relay cleanly
		case dumps.err != nil:
			return exitNetwork
		case !o.keep:
			return code
		}
	}
}

// sessionCode is the exit status a session calls for.
func sessionCode(sum relay.Summary) int {
	if sum.ConnectErr != nil {
		return exitCodeOf(sum.ConnectErr)
	}
	for _, leg := range sum.Legs {
		if leg.End == relay.EndReset || leg.End == relay.EndFailed {
			return exitNetwork
		}
	}
	return exitOK
}

// hooks reports a session: its upstream's attempts, its chunks (and
// dumps them), and how each direction ended.
func (o *relayOptions) hooks(rep relayReporter, dumps *relayDumps) relay.Hooks {
	var winner netcore.Attempt
	start := time.Now()
	var totals [2]int64
	return relay.Hooks{
		Attempt: func(a netcore.Attempt) {
			if a.Done() {
				rep.attempt(a)
			}
			if a.Result == netcore.ResultConnected {
				winner = a
			}
		},
		Event: func(ev relay.Event) {
			switch ev.Kind {
			case relay.Connected:
				rep.connected(winner, time.Since(start))
			case relay.ConnectFailed:
				rep.failed(ev.Err)
			case relay.Forwarded:
				totals[ev.Dir] += int64(len(ev.Data))
				rep.relayed(ev.Dir, ev.Data, totals[ev.Dir])
				dumps.write(ev.Dir, ev.Data, rep)
			case relay.EOF, relay.Reset, relay.Failed:
				rep.legEnded(ev)
			}
		},
	}
}

// relayDumps are the files --dump-client and --dump-server write.
type relayDumps struct {
	files  [2]io.Writer // by direction; nil when not asked for
	closes []func() error
	toStd  bool // one of them is stdout
	err    error
}

// openDumps creates the dump files before anything goes on the network.
func (o *relayOptions) openDumps(e *env) (*relayDumps, error) {
	d := &relayDumps{}
	for _, dump := range []struct {
		dir  relay.Dir
		name string
		flag *stringFlag
	}{{relay.ClientToServer, "--dump-client", &o.dumpClient}, {relay.ServerToClient, "--dump-server", &o.dumpServer}} {
		if !dump.flag.set {
			continue
		}
		w, closeFile, err := createDump(e, dump.name, dump.flag.value)
		if err != nil {
			d.close()
			return nil, err
		}
		d.files[dump.dir] = w
		d.toStd = d.toStd || closeFile == nil
		if closeFile != nil {
			d.closes = append(d.closes, closeFile)
		}
	}
	return d, nil
}

// createDump opens where a dump goes: stdout for "-" (closeFile is nil),
// else a file created (or emptied) now.
func createDump(e *env, flagName, path string) (w io.Writer, closeFile func() error, err error) {
	switch {
	case path == "":
		return nil, nil, usagef("%s needs a FILE (- for stdout)", flagName)
	case path == "-":
		return e.stdout, nil, nil
	case !isPlainName(path):
		return nil, nil, inputf("%s: %s holds control characters or invalid UTF-8; not a name to create a file with",
			flagName, netcore.QuoteInput(path))
	}
	file, err := os.Create(path)
	if err != nil {
		return nil, nil, inputf("cannot create %s: %s", flagName, fileErrorText(err))
	}
	return file, file.Close, nil
}

// write dumps a chunk; the first failure is reported and remembered.
func (d *relayDumps) write(dir relay.Dir, data []byte, rep relayReporter) {
	if d.files[dir] == nil || d.err != nil {
		return
	}
	if _, err := d.files[dir].Write(data); err != nil {
		d.err = fmt.Errorf("cannot write the dump of %s: %w", dir, err)
		rep.failed(d.err)
	}
}

func (d *relayDumps) close() {
	for _, c := range d.closes {
		_ = c()
	}
}

// any reports whether a dump was asked for.
func (d *relayDumps) any() bool { return d.files[0] != nil || d.files[1] != nil }

// reporter returns the reporter the flags ask for: on stderr when a dump
// goes to stdout; hex dumps of the chunks only when nothing is dumped.
func (o *relayOptions) reporter(e *env, dumps *relayDumps) relayReporter {
	w := e.stdout
	if dumps.toStd {
		w = e.stderr
	}
	if o.output.asJSON {
		return &jsonReporter{w: w, data: o.output.jsonData}
	}
	return &plainReporter{w: w, dump: !dumps.any(), traffic: true}
}
