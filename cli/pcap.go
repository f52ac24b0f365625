package cli

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"sync"
	"time"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/wire"
)

// How long the end of a conversation is waited for before the capture
// stops: its last packets may reach the capture after close returns.
const (
	settleQuiet = 250 * time.Millisecond // no packet for this long: it is over
	settleMost  = 2 * time.Second
)

// pcapRecorder makes the --pcap file: the packets captured on the wire
// when the process may capture, else packets synthesised from the bytes
// the exchange sent and received, which it then keeps in a store bounded
// by --capture-limit.
type pcapRecorder struct {
	path  string
	file  *os.File // created at once, 0600, never over an existing file
	limit int64
	proto wire.Proto

	mu      sync.Mutex
	capture *wire.Capture  // nil when none runs
	reason  error          // why none runs
	store   *capture.Store // the exchange's bytes, when none runs
	conv    wire.Conversation
}

// createPcap checks --pcap and creates its file, before anything goes on
// the network. typ is the socket type the command will use.
func createPcap(path string, limit int64, typ netcore.SockType) (*pcapRecorder, error) {
	proto := wire.TCP
	switch {
	case path == "":
		return nil, usagef("--pcap needs a FILE")
	case path == "-":
		return nil, usagef("--pcap needs a FILE: the reports go to stdout")
	case typ == netcore.SockDgram:
		proto = wire.UDP
	case typ != netcore.SockStream:
		return nil, usagef("--pcap needs a TCP or UDP socket (--type stream or dgram), not %s", typ)
	case !isPlainName(path):
		return nil, inputf("--pcap: %s holds control characters or invalid UTF-8; not a name to create a file with",
			netcore.QuoteInput(path))
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, inputf("--pcap: %s exists; it is not overwritten (remove it or name another file)", netcore.QuoteInput(path))
	} else if err != nil {
		return nil, inputf("cannot create --pcap file: %s", fileErrorText(err))
	}
	return &pcapRecorder{path: path, file: file, limit: limit, proto: proto, conv: wire.Conversation{Proto: proto}}, nil
}

// discard removes the file created, when the command is refused after
// all.
func (p *pcapRecorder) discard() {
	if p != nil {
		_ = p.file.Close()
		_ = os.Remove(p.path)
	}
}

// checkPcapTargets refuses --pcap with UNIX socket targets, which put no
// packets on a wire.
func checkPcapTargets(targets []netcore.Target) error {
	for _, t := range targets {
		if t.IsUnix {
			return usagef("--pcap needs an IP target: %s is a UNIX socket, which has no packets", netcore.QuoteInput(t.String()))
		}
	}
	return nil
}

// startConnect starts the capture for a connect to any of ais, before
// its first SYN; nil when there is no --pcap.
func (p *pcapRecorder) startConnect(ais []netcore.AddrInfo) *pcapStart {
	if p == nil {
		return nil
	}
	return p.start(wire.Filter{Proto: p.proto, Remotes: remotes(ais)})
}

// startListen starts the capture for a listener bound to local, before it
// accepts anything; nil when there is no --pcap.
func (p *pcapRecorder) startListen(local netcore.Addr) *pcapStart {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.conv.Local, p.conv.Accepted = local.AddrPort(), true
	p.mu.Unlock()
	return p.start(wire.Filter{Proto: p.proto, Local: local.AddrPort()})
}

// start starts the capture for filter or, when it cannot run, a store to
// synthesise from, and says which.
func (p *pcapRecorder) start(filter wire.Filter) *pcapStart {
	c, err := wire.Start(wire.Config{Filter: filter, MaxBytes: p.limit})
	p.mu.Lock()
	defer p.mu.Unlock()
	p.capture, p.reason = c, err
	if err != nil {
		p.store = capture.NewStore(p.limit)
	}
	return &pcapStart{path: p.path, filter: filter.String(), reason: err}
}

// reportPcap reports how --pcap started, if it did.
func reportPcap(rep reporter, ps *pcapStart) {
	if ps != nil {
		rep.pcapStarted(*ps)
	}
}

// remotes are the TCP or UDP endpoints of a list of addresses.
func remotes(ais []netcore.AddrInfo) []netip.AddrPort {
	var out []netip.AddrPort
	for _, ai := range ais {
		if ai.Addr.Family() == netcore.FamilyInet || ai.Addr.Family() == netcore.FamilyInet6 {
			out = append(out, ai.Addr.AddrPort())
		}
	}
	return out
}

// connected narrows the capture to the connection made, and names its
// ends for a synthesised file.
func (p *pcapRecorder) connected(sock *netcore.Socket) {
	if p == nil {
		return
	}
	local, lerr := sock.LocalAddr()
	remote, rerr := sock.PeerAddr()
	if lerr != nil || rerr != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conv.Local, p.conv.Remote = local.AddrPort(), remote.AddrPort()
	if p.capture != nil {
		_ = p.capture.SetFilter(wire.Filter{Proto: p.proto, Local: local.AddrPort(), Remotes: []netip.AddrPort{remote.AddrPort()}})
	}
}

// record keeps bytes sent or received with peer for a synthesised file;
// it does nothing while a capture runs.
func (p *pcapRecorder) record(dir capture.Dir, t time.Time, peer netcore.Addr, data []byte) {
	if p.keeping() {
		p.store.Append(dir, t, peer.String(), data)
	}
}

// recordReceived is record for bytes received now. It reads the clock
// only when there is a file to keep them for: on a flood of datagrams
// that read was 2% of listen's time.
func (p *pcapRecorder) recordReceived(peer netcore.Addr, data []byte) {
	if p.keeping() {
		p.record(capture.Received, time.Now(), peer, data)
	}
}

// keeping reports whether bytes are kept for a synthesised file.
func (p *pcapRecorder) keeping() bool { return p != nil && p.store != nil }

// pcapTLSNote is the note a synthesised file gets when the exchange runs
// inside TLS: it holds the plaintext, not the records that carried it.
const pcapTLSNote = "TLS: the bytes that follow are the plaintext inside TLS; the handshake and the encrypted records are not synthesised (capture with CAP_NET_RAW to have them)"

// note records, for a synthesised file, a note such as how an exchange
// ended.
func (p *pcapRecorder) note(text string) {
	if p.keeping() {
		p.store.AppendNote(time.Now(), text)
	}
}

// finishPcap writes the --pcap file, if any, once the command is done;
// a failure to write it makes a command that went well fail.
func (p *exchangePlan) finishPcap(rep reporter, code int) int {
	if err := p.pcap.finish(rep); err != nil && code == exitOK {
		return exitNetwork
	}
	return code
}

// finish stops the capture once the conversation is over, writes the file
// and reports it. Call it after the sockets are closed.
func (p *pcapRecorder) finish(rep reporter) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w := pcapWritten{path: p.path, captured: p.capture != nil}
	switch {
	case p.capture != nil:
		ctx, cancel := context.WithTimeout(context.Background(), settleMost)
		p.capture.Settle(ctx, settleQuiet)
		cancel()
		stopErr := p.capture.Stop() // a read that failed: the packets before it are still written
		st := p.capture.Stats()
		w.lost, w.cut = st.Dropped+st.KernelDrops, st.Truncated
		if w.packets, w.err = p.capture.WritePcapng(p.file); w.err == nil {
			w.err = stopErr
		}
	case p.store == nil: // the command ended before anything went on the wire
		p.conv.Reason = "nothing was sent"
		w.packets, w.err = wire.WriteSynthesized(p.file, capture.NewStore(1), p.conv)
	default:
		p.conv.Reason = messageOf(p.reason)
		w.packets, w.err = wire.WriteSynthesized(p.file, p.store, p.conv)
	}
	if err := p.file.Close(); w.err == nil {
		w.err = err
	}
	rep.pcapWritten(w)
	return w.err
}

// pcapStart is how --pcap starts: capturing, or not and why.
type pcapStart struct {
	path   string
	filter string
	reason error // nil: capturing
}

// pcapWritten is the --pcap file written, or the failure to write it.
type pcapWritten struct {
	path     string
	captured bool
	packets  int
	lost     int64 // packets the capture could not keep
	cut      int64 // packets kept with their headers only
	err      error
}
