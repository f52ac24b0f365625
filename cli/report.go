package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"sockbench/netcore"
	"sockbench/safe"
	"sockbench/snippets"
	"sockbench/tlsinfo"
)

// reporter prints the events of connect and listen, one line each (a hex
// dump may take several), as they happen.
type reporter interface {
	plan(ais []netcore.AddrInfo)                       // the list about to be tried
	attempt(a netcore.Attempt)                         // a finished connection attempt
	connected(a netcore.Attempt, total time.Duration)  // the winning attempt
	failed(err error)                                  // connect or listen gave up
	listening(local netcore.Addr)                      // listen is bound
	accepted(peer netcore.Addr)                        // listen accepted a connection
	sent(n int, total int64)                           // part of the payload went out
	unsent(n int, total int64)                         // part of what sent reported did not go after all
	autoSent(n int, total int64, rule int)             // part of an automatic reply (--reply) went out
	autoAction(reason string, rule int)                // a rule closed or reset the connection
	stepDone(s *snippets.Snippet, p snippets.Progress) // a step of --snippet ended well
	received(data []byte, total int64)                 // bytes arrived on a connection
	datagram(peer netcore.Addr, data []byte)           // a datagram arrived
	closed(c closeSummary)                             // an exchange ended
	pcapStarted(ps pcapStart)                          // --pcap captures, or cannot
	pcapWritten(w pcapWritten)                         // the --pcap file is written
	starttls(l tlsinfo.Line)                           // a line of a STARTTLS dialogue
	handshake(r *tlsinfo.Report)                       // a TLS handshake ended: its steps, its result
	certificate(c tlsinfo.CertInfo, generated bool)    // the certificate listen --tls serves
}

// outputFlags are the flags of connect and listen that choose the form of
// the reports.
type outputFlags struct {
	asJSON   bool
	jsonData string // how received events carry the bytes: "", "hex" or "base64"
}

func (f *outputFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object per event")
	fs.Func("json-data", "with --json, carry the received bytes in each received event as `ENC`: hex or base64",
		func(s string) error {
			if s != "hex" && s != "base64" {
				return fmt.Errorf("%s is not hex or base64", netcore.QuoteInput(s))
			}
			f.jsonData = s
			return nil
		})
}

// check refuses --json-data without --json.
func (f *outputFlags) check() error {
	if f.jsonData != "" && !f.asJSON {
		return usagef("--json-data needs --json")
	}
	return nil
}

// reporter returns the reporter the flags ask for, writing where the plan
// says reports go. The plain one shows received bytes as a hex dump when
// they are not kept elsewhere, and in nc mode prints no line per piece
// sent or received.
func (f *outputFlags) reporter(plan *exchangePlan, e *env) reporter {
	w := plan.reportWriter(e)
	if f.asJSON {
		return &jsonReporter{w: w, data: f.jsonData}
	}
	return &plainReporter{w: w, dump: plan.sink == nil, traffic: !plan.interactive}
}

// plainReporter writes for people. Everything from outside goes through
// package safe.
type plainReporter struct {
	w          io.Writer
	dump       bool // received bytes as a hex dump
	traffic    bool // a line for each piece sent or received
	indexWidth int
	addrWidth  int

	mu           sync.Mutex // one line at a time: lineBuf and the sender below
	lineBuf      []byte     // the last line written, its room kept for the next
	lastPeer     netcore.Addr
	lastPeerText string // addrText(lastPeer): a flood comes from one sender
}

func (p *plainReporter) line(format string, args ...any) {
	p.emit(func(b []byte) []byte { return fmt.Appendf(b, format, args...) })
}

// emit writes the line build appends to b, with one Write. The lines of
// each read and each datagram are built without fmt: on a flood of small
// datagrams fmt and the sender's address as text took a tenth of the
// time.
func (p *plainReporter) emit(build func(b []byte) []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lineBuf = append(build(p.lineBuf[:0]), '\n')
	_, _ = p.w.Write(p.lineBuf)
}

// peerText is addrText(peer), remembered for the next datagram; p.mu is
// held.
func (p *plainReporter) peerText(peer netcore.Addr) string {
	if peer != p.lastPeer || p.lastPeerText == "" {
		p.lastPeer, p.lastPeerText = peer, addrText(peer)
	}
	return p.lastPeerText
}

func (p *plainReporter) plan(ais []netcore.AddrInfo) {
	p.indexWidth = len(strconv.Itoa(max(len(ais)-1, 0)))
	for _, ai := range ais {
		p.addrWidth = max(p.addrWidth, textWidth(addrText(ai.Addr)))
	}
}

func (p *plainReporter) attempt(a netcore.Attempt) {
	errno := netcore.ErrnoName(a.Errno)
	if errno == "" {
		errno = "-"
	}
	row := fmt.Sprintf("#%s %s  %-11s  %-12s  %-9s  %s", padRight(strconv.Itoa(a.Index), p.indexWidth),
		padRight(addrText(a.Addr), p.addrWidth), a.Result, errno, a.Class, millisText(a.Elapsed))
	if a.Local.IsValid() {
		row += "  local " + addrText(a.Local)
	}
	p.line("%s", row)
}

func (p *plainReporter) connected(a netcore.Attempt, total time.Duration) {
	p.line("connected to %s from %s (#%d after %s)", addrText(a.Addr), addrText(a.Local), a.Index, millisText(total))
}

func (p *plainReporter) failed(err error) { p.line("failed: %s", errorText(err)) }

func (p *plainReporter) listening(local netcore.Addr) { p.line("listening on %s", addrText(local)) }

func (p *plainReporter) accepted(peer netcore.Addr) { p.line("accepted from %s", addrText(peer)) }

func (p *plainReporter) sent(n int, total int64) {
	if p.traffic {
		p.line("sent %d bytes", n)
	}
}

func (p *plainReporter) unsent(n int, total int64) {
	if p.traffic {
		p.line("not sent after all: %d bytes (the write failed)", n)
	}
}

func (p *plainReporter) autoSent(n int, total int64, rule int) {
	if p.traffic {
		p.line("sent %d bytes auto (rule %d)", n, rule)
	}
}

func (p *plainReporter) autoAction(reason string, rule int) {
	p.line("auto: %s (rule %d)", autoActionName(reason), rule)
}

// autoActionName is what a rule did, from the reason it ended the
// exchange with: "close" or "reset".
func autoActionName(reason string) string { return strings.TrimPrefix(reason, "auto-") }

func (p *plainReporter) stepDone(s *snippets.Snippet, pr snippets.Progress) {
	st := s.Steps[pr.Step]
	what := fmt.Sprintf("%d bytes", len(pr.Data))
	switch st.Kind {
	case snippets.Wait:
		what = fmt.Sprintf("matched %d bytes: %s", len(pr.Data), safe.Bytes(pr.Data[:min(len(pr.Data), 60)]))
		if len(pr.Data) > 60 {
			what += "..."
		}
	case snippets.Sleep:
		what = st.Duration.String()
	}
	p.line("step %d/%d %s: %s", pr.Step+1, len(s.Steps), st.Kind, what)
}

func (p *plainReporter) received(data []byte, total int64) {
	switch {
	case !p.traffic:
		return
	case p.dump:
		writeHexDump(p.w, data, total-int64(len(data)))
		return
	}
	p.emit(func(b []byte) []byte {
		b = strconv.AppendInt(append(b, "received "...), int64(len(data)), 10)
		b = strconv.AppendInt(append(b, " bytes (total "...), total, 10)
		return append(b, ')')
	})
}

func (p *plainReporter) datagram(peer netcore.Addr, data []byte) {
	p.emit(func(b []byte) []byte {
		b = append(append(b, "datagram from "...), p.peerText(peer)...)
		return append(strconv.AppendInt(append(b, ": "...), int64(len(data)), 10), " bytes"...)
	})
	if p.dump {
		writeHexDump(p.w, data, 0)
	}
}

func (p *plainReporter) closed(c closeSummary) {
	text := fmt.Sprintf("closed: %s (received %d bytes, sent %d bytes)", c.reason, c.rx, c.tx)
	if c.failed() {
		text += ": " + errorText(c.err)
	}
	p.line("%s", text)
}

func (p *plainReporter) pcapStarted(ps pcapStart) {
	if ps.reason != nil {
		p.line("pcap: no capture: %s; %s gets packets synthesised from the exchange", errorText(ps.reason), safe.Text(ps.path))
		return
	}
	p.line("pcap: capturing %s for %s", safe.Text(ps.filter), safe.Text(ps.path))
}

func (p *plainReporter) pcapWritten(w pcapWritten) {
	if w.err != nil {
		p.line("pcap: cannot write %s: %s", safe.Text(w.path), errorText(w.err))
		return
	}
	text := fmt.Sprintf("pcap: wrote %d packets synthesised from the exchange to %s", w.packets, safe.Text(w.path))
	if w.captured {
		text = fmt.Sprintf("pcap: wrote %d packets captured on the wire to %s", w.packets, safe.Text(w.path))
	}
	if w.cut > 0 {
		text += fmt.Sprintf("; %d cut to their headers (--capture-limit)", w.cut)
	}
	if w.lost > 0 {
		text += fmt.Sprintf("; %d lost", w.lost)
	}
	p.line("%s", text)
}

// addrText is an address safe to print.
func addrText(a netcore.Addr) string { return safe.Text(a.String()) }

// textWidth is the number of terminal columns s takes: safe text is one
// column per rune.
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// padRight pads s with spaces to width columns.
func padRight(s string, width int) string {
	if n := textWidth(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}

// millisText writes a duration in milliseconds, as "0.05ms" or "250.3ms".
func millisText(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	decimals := 1
	if ms < 1 {
		decimals = 2
	}
	return strconv.FormatFloat(ms, 'f', decimals, 64) + "ms"
}

// jsonReporter writes one JSON object per line.
type jsonReporter struct {
	w    io.Writer
	data string // "hex" or "base64": received events carry the bytes so
	conn int    // when not 0, every event carries it as "conn"
}

func (j *jsonReporter) emit(v any) {
	line, err := json.Marshal(v)
	if err != nil { // only plain values are marshalled; cannot happen
		panic(err)
	}
	if j.conn > 0 {
		line = append(fmt.Appendf(nil, `{"conn":%d,`, j.conn), line[1:]...)
	}
	_, _ = j.w.Write(append(escapeInvisible(line), '\n'))
}

// escapeInvisible writes as \u escapes the runes of a JSON text that a
// terminal may act on or that hide or reorder text: DEL and the C1
// controls (U+009B is CSI), the bidirectional controls (U+061C, U+200E,
// U+200F, U+202A-U+202E, U+2066-U+2069) and the zero-width ones (U+200B-
// U+200D, U+2060, U+FEFF). encoding/json escapes only the C0 controls
// (and U+2028, U+2029). The escapes decode to the same characters, so no
// data changes; they can stand only inside strings, where every non-ASCII
// rune is.
func escapeInvisible(line []byte) []byte {
	if !bytes.ContainsFunc(line, isInvisible) {
		return line
	}
	out := make([]byte, 0, len(line)+16)
	for _, r := range string(line) {
		if isInvisible(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

func isInvisible(r rune) bool {
	switch {
	case r >= 0x7f && r <= 0x9f, r == 0x061c, r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e,
		r >= 0x2060 && r <= 0x2069 && r != 0x2065, r == 0xfeff:
		return true
	}
	return false
}

type attemptEvent struct {
	Event     string  `json:"event"`
	Index     int     `json:"index"`
	Family    string  `json:"family"`
	Address   string  `json:"address"`
	Result    string  `json:"result"`
	Class     string  `json:"class"`
	Errno     string  `json:"errno,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Local     string  `json:"local,omitempty"`
}

type connectedEvent struct {
	Event     string  `json:"event"`
	Index     int     `json:"index"`
	Address   string  `json:"address"`
	Local     string  `json:"local,omitempty"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

type failedEvent struct {
	Event   string `json:"event"`
	Address string `json:"address,omitempty"`
	Class   string `json:"class"`
	Errno   string `json:"errno,omitempty"`
	Message string `json:"message"`
}

type addressEvent struct {
	Event   string `json:"event"`
	Address string `json:"address"`
}

type peerEvent struct {
	Event string `json:"event"`
	Peer  string `json:"peer"`
	Bytes *int   `json:"bytes,omitempty"`
	Data  string `json:"data,omitempty"`
}

type bytesEvent struct {
	Event string `json:"event"`
	Bytes int    `json:"bytes"`
	Total *int64 `json:"total,omitempty"`
	Data  string `json:"data,omitempty"`
	Auto  bool   `json:"auto,omitempty"` // an automatic reply (--reply)
	Rule  int    `json:"rule,omitempty"` // the rule that sent it
}

type stepEvent struct {
	Event string `json:"event"`
	Step  int    `json:"step"`
	Of    int    `json:"of"`
	Kind  string `json:"kind"`
	Bytes int    `json:"bytes"`
	Line  int    `json:"line,omitempty"`
}

type autoEvent struct {
	Event  string `json:"event"`
	Action string `json:"action"`
	Rule   int    `json:"rule"`
}

type pcapEvent struct {
	Event   string `json:"event"`
	File    string `json:"file"`
	Source  string `json:"source"`           // "capture" or "synthesised"
	Filter  string `json:"filter,omitempty"` // what is captured
	Reason  string `json:"reason,omitempty"` // why nothing is captured
	Packets *int   `json:"packets,omitempty"`
	Cut     int64  `json:"cut,omitempty"`
	Lost    int64  `json:"lost,omitempty"`
	Message string `json:"message,omitempty"` // the failure to write the file
}

type unsentEvent struct {
	Event string `json:"event"`
	Bytes int    `json:"bytes"`
	Total int64  `json:"total"`
}

type closedEvent struct {
	Event   string `json:"event"`
	Reason  string `json:"reason"`
	RX      int64  `json:"rx"`
	TX      int64  `json:"tx"`
	Errno   string `json:"errno,omitempty"`
	Message string `json:"message,omitempty"`
}

func (j *jsonReporter) plan([]netcore.AddrInfo) {}

func (j *jsonReporter) attempt(a netcore.Attempt) {
	j.emit(attemptEvent{Event: "attempt", Index: a.Index, Family: a.Family.String(), Address: a.Addr.String(),
		Result: a.Result.String(), Class: a.Class.String(), Errno: netcore.ErrnoName(a.Errno),
		ElapsedMS: jsonMillis(a.Elapsed), Local: optionalAddr(a.Local)})
}

func (j *jsonReporter) connected(a netcore.Attempt, total time.Duration) {
	j.emit(connectedEvent{Event: "connected", Index: a.Index, Address: a.Addr.String(),
		Local: optionalAddr(a.Local), ElapsedMS: jsonMillis(total)})
}

func (j *jsonReporter) failed(err error) {
	j.emit(failedEvent{Event: "failed", Address: optionalAddr(errorAddr(err)), Class: netcore.ClassOf(err).String(),
		Errno: netcore.ErrnoName(netcore.ErrnoOf(err)), Message: messageOf(err)})
}

func (j *jsonReporter) listening(local netcore.Addr) {
	j.emit(addressEvent{Event: "listening", Address: local.String()})
}

func (j *jsonReporter) accepted(peer netcore.Addr) {
	j.emit(peerEvent{Event: "accepted", Peer: peer.String()})
}

func (j *jsonReporter) sent(n int, total int64) {
	j.emit(bytesEvent{Event: "sent", Bytes: n, Total: &total})
}

func (j *jsonReporter) unsent(n int, total int64) {
	j.emit(unsentEvent{Event: "unsent", Bytes: n, Total: total})
}

func (j *jsonReporter) autoSent(n int, total int64, rule int) {
	j.emit(bytesEvent{Event: "sent", Bytes: n, Total: &total, Auto: true, Rule: rule})
}

func (j *jsonReporter) autoAction(reason string, rule int) {
	j.emit(autoEvent{Event: "auto", Action: autoActionName(reason), Rule: rule})
}

func (j *jsonReporter) stepDone(s *snippets.Snippet, p snippets.Progress) {
	st := s.Steps[p.Step]
	j.emit(stepEvent{Event: "step", Step: p.Step + 1, Of: len(s.Steps), Kind: st.Kind.String(), Bytes: len(p.Data), Line: st.Line})
}

func (j *jsonReporter) received(data []byte, total int64) {
	j.emit(bytesEvent{Event: "received", Bytes: len(data), Total: &total, Data: j.encode(data)})
}

func (j *jsonReporter) datagram(peer netcore.Addr, data []byte) {
	n := len(data)
	j.emit(peerEvent{Event: "datagram", Peer: peer.String(), Bytes: &n, Data: j.encode(data)})
}

// encode writes received bytes as --json-data asks; "" leaves them out.
func (j *jsonReporter) encode(data []byte) string {
	switch j.data {
	case "hex":
		return hex.EncodeToString(data)
	case "base64":
		return base64.StdEncoding.EncodeToString(data)
	}
	return ""
}

func (j *jsonReporter) closed(c closeSummary) {
	ev := closedEvent{Event: "closed", Reason: c.reason, RX: c.rx, TX: c.tx, Errno: netcore.ErrnoName(c.errno())}
	if c.failed() {
		ev.Message = messageOf(c.err)
	}
	j.emit(ev)
}

func (j *jsonReporter) pcapStarted(ps pcapStart) {
	ev := pcapEvent{Event: "pcap", File: ps.path, Source: "capture", Filter: ps.filter}
	if ps.reason != nil {
		ev.Source, ev.Filter, ev.Reason = "synthesised", "", messageOf(ps.reason)
	}
	j.emit(ev)
}

func (j *jsonReporter) pcapWritten(w pcapWritten) {
	ev := pcapEvent{Event: "pcap-written", File: w.path, Source: "synthesised", Cut: w.cut, Lost: w.lost}
	if w.captured {
		ev.Source = "capture"
	}
	if w.err != nil {
		ev.Message = messageOf(w.err)
	} else {
		ev.Packets = &w.packets
	}
	j.emit(ev)
}

// jsonMillis is a duration in milliseconds, rounded to 10µs.
func jsonMillis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

// optionalAddr is the address as text, "" for the zero Addr.
func optionalAddr(a netcore.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// errorAddr is the address a netcore error names, if any.
func errorAddr(err error) netcore.Addr {
	var ne *netcore.Error
	if errors.As(err, &ne) {
		return ne.Addr
	}
	return netcore.Addr{}
}
