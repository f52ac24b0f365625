package cli

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/rules"
	"sockbench/tlsinfo"
)

const listenUsage = `usage: sockbench listen [--once | -k [--concurrent]] [--type stream|dgram|seqpacket] [--json [--json-data ENC]]
                        [--send TEXT | --send-hex HEX | --send-file PATH] [--recv-file PATH|-]
                        [--read-timeout DUR] [--send-timeout DUR] [--shutdown-after-send]
                        [--tls [--cert FILE --key FILE] [--alpn LIST] [--tls-min V] [--tls-max V] [--tls-timeout DUR]]
                        [--snippet NAME [--snippets FILE]] [--expand] [--repeat N] [--every DUR]
                        [--reply RULE]... [--replies FILE] [--pcap FILE [--capture-limit SIZE]] ADDR

ADDR is HOST:PORT, [V6ADDR]:PORT, unix:PATH, unix:@NAME, or a bare PORT
for 127.0.0.1:PORT; port 0 picks a free port, and the address bound is
printed first. One connection is accepted and gets the same exchange as
connect: the payload is sent (or the snippet run, as often as --repeat
and --every say), then everything received is shown until the peer
closes or nothing arrives for --read-timeout. With -k (--keep) the
clients are served one after another until Ctrl+C; with --concurrent, all
at once, each report line tagged with the connection's number ([N], or
"conn" in JSON). Connections are accepted as soon as they arrive, whatever
is being served; when the process is out of file descriptors, accepting
pauses and resumes once some are free.

With --type dgram, each datagram is shown with its sender and answered
with the payload, if one is given, until Ctrl+C (--once stops after the
first).

With --tls each connection shakes hands as a TLS server first, with the
certificate in --cert and --key, or one generated at start for
localhost, 127.0.0.1, ::1 and ADDR's host, printed with its SHA-256
fingerprint. The handshake is reported step by step, then the exchange
runs inside TLS: the payload, the snippet and the --reply rules (a
greeting is the first thing sent in TLS; a rule's close sends
close_notify first, its reset does not).

--reply MATCH=>ACTIONS answers by itself, as a fake server does:

  --reply '=>220 fake ready\r\n'          a greeting, when a client connects
  --reply 'EHLO=>250 hello\r\n'           a reply when EHLO arrives
  --reply 'QUIT=>221 bye\r\n;close'       a reply, then close
  --reply 'hex:16 03 01=>;reset'          reset (RST) on a TLS hello
  --reply 're:^GET /slow=>;delay=2s;HTTP/1.0 200 OK\r\n\r\n;close'

MATCH is text with the send escapes, hex:HEX, re:REGEXP, or empty for
the greeting. ACTIONS, separated by ";", are replies (text, or hex:HEX;
placeholders such as {n} and {len16be} are expanded), delay=DUR, and
close or reset last; write ";" in a reply as \x3b. The rules look at
what arrived since the last one fired, and the match that starts first
fires. Each automatic reply is reported as "sent N bytes auto (rule R)"
("auto":true in JSON); a rule's close or reset ends the exchange with
auto-close or auto-reset. --replies FILE reads rules one a line (#
comments). On --type dgram each datagram is matched alone and answered.

--pcap FILE writes the packets of every connection (or datagram) as
pcapng, once listen ends: captured on the wire when the process may
(CAP_NET_RAW), else made up from the bytes exchanged. FILE must not exist.

Exit status: 0 the exchange ended normally, or Ctrl+C (SIGINT, SIGTERM)
ended listen, 1 the network said no or the --pcap file could not be
written, 2 bad usage or input.
`

// listenBacklog is the accept queue asked for: a burst of clients waits
// there for the accept loop. The kernel caps it (net.core.somaxconn).
const listenBacklog = 4096

// acceptPause is how long accepting pauses after a failure that may pass,
// such as running out of file descriptors, so that it never spins.
const acceptPause = 100 * time.Millisecond

// listenOptions are the flags of listen.
type listenOptions struct {
	sockType   netcore.SockType
	once       bool
	keep       bool
	concurrent bool
	output     outputFlags
	exchange   exchangeFlags
	tls        tlsFlags
	replies    replyFlags
}

func (o *listenOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.once, "once", false, "stop after one connection (the default for streams) or one datagram")
	fs.BoolVar(&o.keep, "keep", false, "serve one client after another until Ctrl+C")
	fs.BoolVar(&o.keep, "k", false, "short for --keep")
	fs.BoolVar(&o.concurrent, "concurrent", false, "serve the clients at once (implies --keep)")
	sockTypeFlag(fs, &o.sockType, netcore.SockStream, netcore.SockStream, netcore.SockDgram, netcore.SockSeqpacket)
	o.output.register(fs)
	o.exchange.register(fs)
	o.tls.register(fs, tlsinfo.SideServer)
	o.replies.register(fs)
}

// check refuses flags that contradict each other.
func (o *listenOptions) check(fs *flag.FlagSet) error {
	if err := o.tls.check(fs, o.sockType); err != nil {
		return err
	}
	o.keep = o.keep || o.concurrent
	switch {
	case o.once && o.keep:
		return usagef("--once and --keep contradict each other")
	case o.keep && o.exchange.sendFile.set && o.exchange.sendFile.value == "-":
		return usagef("stdin can be sent only once: --send-file - does not go with --keep")
	case o.concurrent && o.exchange.recvFile.set:
		return usagef("--recv-file does not go with --concurrent: the clients' bytes would be mixed")
	case o.sockType == netcore.SockDgram && (o.exchange.snippet.set || o.exchange.repeat != repeatFlags{}):
		return usagef("--snippet, --repeat and --every need a connection; --type dgram answers each datagram once")
	}
	return o.output.check()
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
	target, err := listenTarget(positional[0])
	if err == nil {
		err = o.check(fs)
	}
	if err == nil && o.exchange.pcap.set {
		err = checkPcapTargets([]netcore.Target{target})
	}
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	server, err := o.tlsServer(target.Host)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	replies, err := o.rules()
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	plan, err := o.exchange.prepare(e, o.sockType)
	if err != nil {
		return e.fail(fs.Name(), err)
	}
	defer plan.closeSink()
	plan.rules = replies
	l := &listener{e: e, plan: plan, opts: &o, out: &lockedWriter{w: plan.reportWriter(e)}, tls: server}
	rep := l.reporter(0)
	return plan.finishPcap(rep, l.listenAndServe(fs.Name(), target, rep))
}

// rules reads --reply and --replies, and refuses on datagrams the rules
// that need a connection.
func (o *listenOptions) rules() (rules.List, error) {
	l, err := o.replies.list()
	if err != nil {
		return nil, err
	}
	if r, ok := l.ForConnections(); ok && o.sockType == netcore.SockDgram {
		return nil, usagef("rule %d (%s) needs a connection: a datagram socket cannot greet, close or reset",
			r.Number, netcore.QuoteInput(r.Source))
	}
	return l, nil
}

// listenAndServe binds the target and serves it until done (the --pcap
// capture, if any, running from before the first connection), and closes
// the listener before it returns.
func (l *listener) listenAndServe(name string, target netcore.Target, rep reporter) int {
	sock, err := listenOn(l.e, target, l.opts.sockType)
	if err != nil {
		return l.e.fail(name, err)
	}
	defer closeListener(sock)
	l.sock = sock
	local, err := sock.LocalAddr()
	if err != nil {
		return l.e.fail(name, err)
	}
	started := l.plan.pcap.startListen(local)
	rep.listening(local)
	reportPcap(rep, started)
	if l.tls != nil {
		rep.certificate(tlsinfo.Describe(l.tls.cert.Leaf), l.tls.generated)
	}
	if l.opts.sockType == netcore.SockDgram {
		return l.serveDatagrams(rep)
	}
	if !l.opts.keep {
		return l.serveOne(rep)
	}
	return l.serveMany(rep)
}

// listenTarget reads ADDR; a bare port number stands for 127.0.0.1:PORT.
func listenTarget(s string) (netcore.Target, error) {
	if s != "" && len(s) <= 5 && isDecimalText(s) {
		s = "127.0.0.1:" + s
	}
	return parseTarget(s)
}

func isDecimalText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// listenOn resolves the target as a passive address and binds the first
// result (listening, unless it is a datagram socket).
func listenOn(e *env, target netcore.Target, typ netcore.SockType) (*netcore.Socket, error) {
	hints := netcore.Hints{SockType: typ, Flags: netcore.AIPassive}
	ais, err := netcore.ResolveTargets(e.ctx, []netcore.Target{target}, hints)
	if err != nil {
		return nil, err
	}
	return netcore.ListenConfig{SockType: typ, Backlog: listenBacklog}.Listen(ais[0].Addr)
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

// listener is a listening socket and how to serve it.
type listener struct {
	e    *env
	sock *netcore.Socket
	plan *exchangePlan
	opts *listenOptions
	out  *lockedWriter // every report goes through it, from any goroutine
	tls  *tlsServer    // nil without --tls
}

// tlsServer is how listen --tls shakes hands.
type tlsServer struct {
	cfg       tlsinfo.Config
	cert      tls.Certificate
	generated bool
}

// tlsServer loads or makes the certificate, before anything listens.
func (o *listenOptions) tlsServer(host string) (*tlsServer, error) {
	if !o.tls.on {
		return nil, nil
	}
	cfg, err := o.tls.config()
	if err != nil {
		return nil, err
	}
	cert, generated, err := o.tls.serverCertificate(host)
	if err != nil {
		return nil, err
	}
	cfg.Certificates = []tls.Certificate{cert}
	return &tlsServer{cfg: cfg, cert: cert, generated: generated}, nil
}

// link is what the exchange with an accepted connection runs on: the
// socket, or with --tls the session after a handshake, which is reported.
func (l *listener) link(conn *netcore.Socket, rep reporter) (link, error) {
	if l.tls == nil {
		return plainLink(conn), nil
	}
	l.plan.pcap.note(pcapTLSNote)
	sess, err := reportedUpgrade(l.e.ctx, conn, nil, tlsinfo.SideServer, l.tls.cfg, rep)
	if err != nil {
		return nil, err
	}
	return sessionLink(conn, sess), nil
}

// reporter returns the reporter for connection number conn (0: the
// listener itself, or the only connection served at a time).
func (l *listener) reporter(conn int) reporter {
	var w io.Writer = l.out
	if conn > 0 {
		w = &prefixWriter{w: l.out, prefix: fmt.Sprintf("[%d] ", conn)}
	}
	rep := l.opts.output.reporter(l.plan, l.e)
	switch r := rep.(type) {
	case *jsonReporter:
		r.w, r.conn = l.out, conn
	case *plainReporter:
		r.w = w
	}
	return rep
}

// serveOne accepts one connection and runs the exchange with it.
func (l *listener) serveOne(rep reporter) int {
	conn, peer, err := l.accept(rep)
	if err != nil {
		return l.end(rep, err)
	}
	defer conn.Close()
	rep.accepted(peer)
	lk, err := l.link(conn, rep)
	if l.e.ctx.Err() != nil {
		return exitOK // Ctrl+C ends listen cleanly
	}
	if err != nil {
		return l.e.tlsFailed(l.plan, err)
	}
	sum := exchange(l.e, lk, l.plan, rep)
	if l.e.ctx.Err() != nil {
		return exitOK
	}
	return sum.exitCode()
}

// accept waits for a connection. A failure that may pass (out of file
// descriptors or memory) is reported once and accepting goes on after a
// pause; the connection waits in the kernel's queue meanwhile.
func (l *listener) accept(rep reporter) (*netcore.Socket, netcore.Addr, error) {
	reported := false
	for {
		conn, peer, err := l.sock.Accept(l.e.ctx)
		if err == nil || !mayPass(err) || l.e.ctx.Err() != nil {
			return conn, peer, err
		}
		if !reported {
			rep.failed(fmt.Errorf("%w; accepting again when it passes", err))
			reported = true
		}
		select {
		case <-time.After(acceptPause):
		case <-l.e.ctx.Done():
			return nil, netcore.Addr{}, err
		}
	}
}

// mayPass reports whether an accept failure is a shortage that ends when
// connections close.
func mayPass(err error) bool {
	switch netcore.ErrnoOf(err) {
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		return true
	}
	return false
}

// serveMany accepts connections until Ctrl+C, as fast as they come, and
// serves them in turn or, with --concurrent, at once.
func (l *listener) serveMany(rep reporter) int {
	ctx, stop := context.WithCancel(l.e.ctx)
	defer stop()
	queue := newConnQueue()
	var handlers sync.WaitGroup
	acceptErr := make(chan error, 1)
	go func() {
		defer queue.close()
		for n := 1; ; n++ {
			conn, peer, err := l.accept(rep)
			if err != nil {
				acceptErr <- err
				return
			}
			c := queued{conn, peer, n}
			if l.opts.concurrent {
				handlers.Go(func() { l.serve(c, l.reporter(c.n)) })
			} else {
				queue.push(c)
			}
		}
	}()
	for c, ok := queue.pop(ctx); ok; c, ok = queue.pop(ctx) {
		l.serve(c, rep)
	}
	err := <-acceptErr
	stop()
	queue.closeAll()
	handlers.Wait()
	return l.end(rep, err)
}

// serve runs the exchange with one accepted connection.
func (l *listener) serve(c queued, rep reporter) {
	defer c.conn.Close()
	rep.accepted(c.peer)
	if lk, err := l.link(c.conn, rep); err == nil {
		exchange(l.e, lk, l.plan, rep)
	}
}

// serveDatagrams receives datagrams and answers each sender with the
// payload, if any. It ends after the first with once, and cleanly when
// the context is cancelled.
func (l *listener) serveDatagrams(rep reporter) int {
	waitForever := netcore.WithCallTimeout(l.e.ctx, 0)
	duplex := engine.NewDuplex(l.sock)
	buf := receiveBuffers.Get().(*[receiveBufferSize]byte)
	defer receiveBuffers.Put(buf)
	for {
		data, peer, err := l.sock.ReceiveMessage(waitForever, buf[:])
		if err == nil {
			err = l.plan.keep(data)
		}
		if err != nil {
			return l.end(rep, err)
		}
		duplex.Received(func() {
			l.plan.pcap.recordReceived(peer, data)
			rep.datagram(peer, data)
		})
		if err := l.reply(duplex, peer, rep); err != nil {
			rep.failed(err)
		}
		if err := l.replyToDatagram(duplex, peer, data, rep); err != nil {
			rep.failed(err)
		}
		if l.opts.once {
			return exitOK
		}
	}
}

// reply sends the payload back to the sender of a datagram, when there is
// a payload and the sender has an address to answer. An empty payload is
// an empty datagram.
func (l *listener) reply(duplex *engine.Duplex, peer netcore.Addr, rep reporter) error {
	if !l.plan.source.given || !hasReturnAddress(peer) {
		return nil
	}
	data, err := l.plan.source.bytes(l.plan.expander)
	if err != nil {
		return err
	}
	ctx := netcore.WithCallTimeout(l.e.ctx, l.plan.sendTimeout)
	_, err = duplex.Send(ctx, data, peer, 0, func(t time.Time, p []byte) {
		l.plan.pcap.record(capture.Sent, t, peer, p)
		rep.sent(len(p), int64(len(p)))
	})
	return err
}

// end ends listen after a failure to accept or receive: cleanly when it
// was Ctrl+C, else with the failure reported.
func (l *listener) end(rep reporter, err error) int {
	if l.e.ctx.Err() != nil {
		return exitOK
	}
	rep.failed(err)
	return exitCodeOf(err)
}

// queued is an accepted connection waiting to be served.
type queued struct {
	conn *netcore.Socket
	peer netcore.Addr
	n    int // its number, from 1
}

// connQueue holds accepted connections until they are served, without
// limit: the accept loop never waits for the one being served.
type connQueue struct {
	mu     sync.Mutex
	items  []queued
	closed bool
	ready  chan struct{} // has a token when items or closed changed
}

func newConnQueue() *connQueue { return &connQueue{ready: make(chan struct{}, 1)} }

func (q *connQueue) push(c queued) {
	q.mu.Lock()
	q.items = append(q.items, c)
	q.mu.Unlock()
	q.signal()
}

func (q *connQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *connQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop returns the oldest connection, waiting for one; ok is false once the
// queue is closed and empty, or ctx is done.
func (q *connQueue) pop(ctx context.Context) (queued, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			c := q.items[0]
			q.items = q.items[1:]
			q.mu.Unlock()
			return c, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return queued{}, false
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return queued{}, false
		}
	}
}

// closeAll closes the connections never served.
func (q *connQueue) closeAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, c := range q.items {
		_ = c.conn.Close()
	}
	q.items = nil
}

// lockedWriter serialises the writes of several goroutines: each report
// line is one write.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter starts every line of each write (whole lines) with prefix,
// in one write.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	out := make([]byte, 0, len(b)+len(p.prefix)*2)
	for start := true; len(b) > 0; {
		if start {
			out = append(out, p.prefix...)
		}
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i < len(b) {
			i++ // the newline
		}
		out = append(out, b[:i]...)
		start, b = out[len(out)-1] == '\n', b[i:]
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}
