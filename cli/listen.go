package cli

import (
	"flag"
	"os"

	"sockbench/netcore"
)

const listenUsage = `usage: sockbench listen [--once] [--type stream|dgram] [--json]
                        [--send TEXT | --send-hex HEX | --send-file PATH] [--recv-file PATH|-]
                        [--read-timeout DUR] [--shutdown-after-send] ADDR

ADDR is HOST:PORT, [V6ADDR]:PORT, unix:PATH or unix:@NAME; port 0 picks a
free port, and the address bound is printed first. Each connection is
accepted in turn (only one with --once) and gets the same exchange as
connect: the payload is sent, then everything received is shown until the
peer closes or nothing arrives for --read-timeout.

With --type dgram, each datagram is shown with its sender and answered
with the payload, if one is given; --once stops after the first.

Ctrl+C ends listen with status 0.
`

// listenOptions are the flags of listen.
type listenOptions struct {
	sockType netcore.SockType
	once     bool
	asJSON   bool
	exchange exchangeFlags
}

func (o *listenOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.once, "once", false, "stop after one connection (or one datagram)")
	sockTypeFlag(fs, &o.sockType, netcore.SockStream, netcore.SockStream, netcore.SockDgram, netcore.SockSeqpacket)
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per event")
	o.exchange.register(fs)
}

// runListen is the listen subcommand.
func runListen(e *env, args []string) int {
	fs := newFlagSet("listen")
	var o listenOptions
	o.register(fs)
	positional, code, ok := e.parseCommandLine(fs, args)
	if !ok {
		return code
	}
	if len(positional) != 1 {
		return e.fail(fs.Name(), usagef("want one ADDR to listen on, got %d arguments", len(positional)))
	}
	target, err := parseTarget(positional[0])
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	plan, err := o.exchange.prepare(e)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	defer plan.closeSink()
	sock, err := listenOn(e, target, o.sockType)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	defer closeListener(sock)
	rep := newReporter(o.asJSON, plan.reportWriter(e), plan.sink == nil)
	local, err := sock.LocalAddr()
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	rep.listening(local)
	if o.sockType == netcore.SockDgram {
		return serveDatagrams(e, sock, plan, rep, o.once)
	}
	return serveConnections(e, sock, plan, rep, o.once)
}

// listenOn resolves the target as a passive address and binds the first
// result (listening, unless it is a datagram socket).
func listenOn(e *env, target netcore.Target, typ netcore.SockType) (*netcore.Socket, error) {
	hints := netcore.Hints{SockType: typ, Flags: netcore.AIPassive}
	ais, err := netcore.ResolveTargets(e.ctx, []netcore.Target{target}, hints)
	if err != nil {
		return nil, err
	}
	return netcore.ListenConfig{SockType: typ}.Listen(ais[0].Addr)
}

// closeListener closes the socket and removes the file of a UNIX path it
// was bound to.
func closeListener(sock *netcore.Socket) {
	local, err := sock.LocalAddr()
	_ = sock.Close()
	if err == nil && local.Family() == netcore.FamilyUnix && local.Path() != "" && !local.IsAbstract() {
		_ = os.Remove(local.Path())
	}
}

// serveConnections accepts connections one after another and runs the
// exchange with each. It ends after the first with once, and cleanly when
// the context is cancelled.
func serveConnections(e *env, sock *netcore.Socket, plan *exchangePlan, rep reporter, once bool) int {
	for {
		conn, peer, err := sock.Accept(e.ctx)
		if err != nil {
			return endListen(e, rep, err)
		}
		rep.accepted(peer)
		sum := exchange(e, conn, plan, rep)
		_ = conn.Close()
		if e.ctx.Err() != nil {
			return exitOK
		}
		if once {
			return sum.exitCode()
		}
	}
}

// serveDatagrams receives datagrams and answers each sender with the
// payload, if any. It ends after the first with once, and cleanly when
// the context is cancelled.
func serveDatagrams(e *env, sock *netcore.Socket, plan *exchangePlan, rep reporter, once bool) int {
	waitForever := netcore.WithCallTimeout(e.ctx, 0)
	for {
		data, peer, err := sock.ReceiveDatagram(waitForever)
		if err == nil {
			err = plan.keep(data)
		}
		if err != nil {
			return endListen(e, rep, err)
		}
		rep.datagram(peer, data)
		if err := reply(e, sock, peer, plan, rep); err != nil {
			rep.failed(err)
		}
		if once {
			return exitOK
		}
	}
}

// reply sends the payload back to the sender of a datagram, when there is
// a payload and the sender has an address to answer.
func reply(e *env, sock *netcore.Socket, peer netcore.Addr, plan *exchangePlan, rep reporter) error {
	if plan.payload == nil || !peer.IsValid() || (peer.Family() == netcore.FamilyUnix && peer.Path() == "") {
		return nil
	}
	n, err := sock.SendTo(e.ctx, plan.payload, peer, 0)
	if err == nil {
		rep.sent(n, int64(n))
	}
	return err
}

// endListen ends listen after a failure to accept or receive: cleanly when
// it was Ctrl+C, else with the failure reported.
func endListen(e *env, rep reporter, err error) int {
	if e.ctx.Err() != nil {
		return exitOK
	}
	rep.failed(err)
	return exitCodeOf(err)
}
