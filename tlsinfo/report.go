package tlsinfo

import (
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"sockbench/safe"
)

// Report is what a handshake did and found. Strings from the peer (the
// server name a client asked for, the protocols it offered, the chain)
// are kept as they came.
type Report struct {
	Side Side
	// ServerName is the SNI of the ClientHello: the one sent by a client,
	// the one asked for by the client of a server.
	ServerName  string
	OfferedALPN []string // the protocols the ClientHello offered
	Version     uint16
	CipherSuite uint16
	ALPN        string // the protocol agreed; "" when none
	Resumed     bool
	// Chain is the peer's certificates as it sent them, the first its own.
	Chain []CertInfo
	// Verified is set when the chain was checked and passed.
	Verified bool
	// Insecure is set when verification was off. VerifyError then says
	// what checking found; nil when it would have passed.
	Insecure    bool
	VerifyError *Failure
	Steps       []Step
	Start       time.Time
	Duration    time.Duration
	Failure     *Failure // why the handshake failed; nil when it worked
}

// Summary says the outcome on one line, safe for a terminal: "TLS 1.3,
// TLS_AES_128_GCM_SHA256, ALPN h2, verified".
func (r *Report) Summary() string {
	parts := []string{VersionName(r.Version), CipherSuiteName(r.CipherSuite)}
	if r.ALPN != "" {
		parts = append(parts, "ALPN "+r.ALPN)
	}
	if r.Resumed {
		parts = append(parts, "resumed")
	}
	if r.Side == SideClient {
		parts = append(parts, r.verification())
	}
	return safe.Text(strings.Join(parts, ", "))
}

// verification says whether the chain was verified, in a few words.
func (r *Report) verification() string {
	switch {
	case r.Verified:
		return "verified"
	case !r.Insecure:
		return "not verified"
	case r.VerifyError == nil:
		return "NOT VERIFIED (verification off; it would have passed)"
	}
	return "NOT VERIFIED (verification off; it would have failed: " + r.VerifyError.words() + ")"
}

// Lines describes the result in words, one fact a line, safe for a
// terminal: version, cipher suite, ALPN, resumption, verification, then
// each certificate of the chain.
func (r *Report) Lines(now time.Time) []string {
	alpn := r.ALPN
	if alpn == "" {
		alpn = "none agreed"
	}
	if len(r.OfferedALPN) > 0 {
		alpn += " (offered: " + strings.Join(r.OfferedALPN, ", ") + ")"
	}
	lines := []string{
		"version  " + VersionName(r.Version),
		"cipher   " + CipherSuiteName(r.CipherSuite),
		"alpn     " + alpn,
		"resumed  " + yesNo(r.Resumed),
	}
	if r.ServerName != "" {
		lines = append(lines, "sni      "+r.ServerName)
	}
	if r.Side == SideClient {
		lines = append(lines, "verify   "+r.verification())
	}
	for i := range lines {
		lines[i] = safe.Text(lines[i])
	}
	for i, c := range r.Chain {
		lines = append(lines, fmt.Sprintf("certificate %d of %d%s", i+1, len(r.Chain), chainRole(i)))
		for _, l := range c.Lines(now) {
			lines = append(lines, "  "+l)
		}
	}
	return lines
}

func chainRole(i int) string {
	if i == 0 {
		return " (the peer's own)"
	}
	return ""
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Step is one step of a handshake, with its time.
type Step struct {
	Time time.Time
	Dir  Direction // who sent the message; for a Local step, nobody
	Name string    // "ClientHello", "ServerHello", "encrypted handshake", "verification", ...
	// Detail says what it held or found; it may hold text from the peer.
	Detail string
	// Inferred is set when the step was not seen on the wire (TLS 1.3
	// encrypts it) but read from the connection state afterwards.
	Inferred bool
	// Local is set for what we did rather than sent: verification.
	Local bool
}

// Words says the step in one line, safe for a terminal: "ServerHello
// received: TLS 1.3, TLS_AES_128_GCM_SHA256".
func (s Step) Words() string {
	head := s.Name
	if !s.Local {
		head += " " + s.Dir.String()
	}
	if s.Inferred {
		head += " (inferred)"
	}
	if s.Detail != "" {
		head += ": " + s.Detail
	}
	return safe.Text(head)
}

// steps are the handshake's steps in time order: the messages seen in
// clear, the change of keys, alerts, the encrypted part (whose contents
// TLS 1.3 hides and the connection state tells), and verification.
func (h *handshake) steps(st tls.ConnectionState, end time.Time, ok bool) []Step {
	var steps []Step
	for _, m := range h.wire.Messages() {
		steps = append(steps, messageStep(m))
	}
	if !h.verifiedAt.IsZero() {
		steps = append(steps, Step{Time: h.verifiedAt, Name: "verification", Local: true, Detail: h.verifyDetail()})
	}
	version13 := st.Version == tls.VersionTLS13 || h.report.Version == tls.VersionTLS13
	steps = append(steps, h.recordSteps(st, end, version13, ok)...)
	sortSteps(steps)
	return steps
}

// sortSteps orders steps by time, keeping the order of equal times.
func sortSteps(steps []Step) {
	for i := 1; i < len(steps); i++ {
		for j := i; j > 0 && steps[j].Time.Before(steps[j-1].Time); j-- {
			steps[j], steps[j-1] = steps[j-1], steps[j]
		}
	}
}

func (h *handshake) verifyDetail() string {
	r := h.report
	trust := "the system's roots"
	if h.cfg.Roots != nil {
		trust = "the roots given (a CA file)"
	}
	if n := len(h.cfg.ExtraRoots); n > 0 {
		trust += fmt.Sprintf(" and %d more trusted for this service", n)
	}
	name := h.cfg.ServerName
	if name == "" {
		name = "no name (none given)"
	}
	switch {
	case r.Insecure && r.VerifyError == nil:
		return "off, not checked; checking would have passed (the chain leads to " + trust + " and covers " + name + ")"
	case r.Insecure:
		return "off, not checked; checking would have failed: " + r.VerifyError.words()
	case r.Verified:
		return "the chain leads to " + trust + " and covers " + name
	case r.Failure != nil:
		return "failed: " + r.Failure.words()
	}
	return "failed"
}

// messageStep is a handshake message seen in clear.
func messageStep(m Message) Step {
	s := Step{Time: m.Time, Dir: m.Dir, Name: m.Type.String()}
	switch {
	case m.ClientHello != nil:
		s.Detail = clientHelloDetail(m.ClientHello)
	case m.ServerHello != nil && m.ServerHello.RetryRequest:
		s.Name, s.Detail = "HelloRetryRequest", "the server asks for a new ClientHello (with a key share it supports)"
	case m.ServerHello != nil:
		s.Detail = VersionName(m.ServerHello.Version) + ", " + CipherSuiteName(m.ServerHello.CipherSuite)
		if m.ServerHello.ALPN != "" {
			s.Detail += ", ALPN " + m.ServerHello.ALPN
		}
	case m.Type == MsgCertificate:
		s.Detail = fmt.Sprintf("%s, %d bytes, in clear (TLS 1.2)", plural(m.Certificates, "certificate"), m.Length)
	default:
		s.Detail = messageMeaning[m.Type]
	}
	return s
}

var messageMeaning = map[HandshakeType]string{
	MsgServerKeyExchange:  "the server's key exchange share, signed with its certificate's key",
	MsgServerHelloDone:    "the server's part of the hello is done",
	MsgClientKeyExchange:  "the client's key exchange share",
	MsgCertificateRequest: "the server asks for a client certificate",
	MsgNewSessionTicket:   "a ticket to resume the session later",
	MsgCertificateStatus:  "the certificate's revocation status (OCSP)",
}

func clientHelloDetail(h *ClientHello) string {
	var parts []string
	if h.ServerName != "" {
		parts = append(parts, "SNI "+h.ServerName)
	} else {
		parts = append(parts, "no SNI")
	}
	if len(h.ALPN) > 0 {
		parts = append(parts, "ALPN "+strings.Join(h.ALPN, ", "))
	}
	versions := h.Versions
	if len(versions) == 0 {
		versions = []uint16{h.LegacyVersion}
	}
	var names []string
	for _, v := range versions {
		if v&0x0f0f != 0x0a0a { // GREASE values are there to be ignored
			names = append(names, VersionName(v))
		}
	}
	parts = append(parts, "versions "+strings.Join(names, ", "))
	return strings.Join(parts, "; ") + fmt.Sprintf("; %d cipher suites", len(h.CipherSuites))
}

// recordSteps are the steps only the records show: a change of keys, an
// alert in clear, and the encrypted part of the handshake, one step per
// flight of records going one way, followed in TLS 1.3 by what the
// connection state says it held.
func (h *handshake) recordSteps(st tls.ConnectionState, end time.Time, version13, ok bool) []Step {
	var steps []Step
	var flight *Step
	var last time.Time
	bytes, count := 0, 0
	closeFlight := func() {
		if flight == nil {
			return
		}
		steps = append(steps, h.flightSteps(*flight, last, count, bytes, st, version13, ok)...)
		flight, bytes, count = nil, 0, 0
	}
	for _, r := range h.wire.Records() {
		if r.Time.After(end) {
			break
		}
		if !r.Protected || r.Type == TypeAlert {
			closeFlight()
			if s, ok := clearRecordStep(r, version13); ok {
				steps = append(steps, s)
			}
			continue
		}
		if flight != nil && flight.Dir != r.Dir {
			closeFlight()
		}
		if flight == nil {
			flight = &Step{Dir: r.Dir, Time: r.Time}
		}
		last, bytes, count = r.Time, bytes+r.Length, count+1
	}
	closeFlight()
	return steps
}

// clearRecordStep is the step of a record in clear that is not a
// handshake message: a change of keys, or an alert.
func clearRecordStep(r Record, version13 bool) (Step, bool) {
	s := Step{Time: r.Time, Dir: r.Dir}
	switch {
	case r.Type == TypeChangeCipherSpec && version13:
		s.Name, s.Detail = "ChangeCipherSpec", "no effect in TLS 1.3 (sent for middleboxes that expect it)"
	case r.Type == TypeChangeCipherSpec:
		s.Name, s.Detail = "ChangeCipherSpec", "from here on this side encrypts"
	case r.Alert != nil:
		s.Name, s.Detail = "alert", r.Alert.String()
		if cause := AlertCause(r.Alert.Code); cause != "" {
			s.Detail += ": usually " + cause
		}
	case r.Type == TypeAlert:
		s.Name, s.Detail = "alert", "encrypted"
	default:
		return s, false
	}
	return s, true
}

// flightSteps says what a flight of encrypted handshake records was: it
// began at f.Time and its last record came at last.
func (h *handshake) flightSteps(f Step, last time.Time, count, size int, st tls.ConnectionState, version13, ok bool) []Step {
	if !version13 {
		f.Name, f.Detail = "Finished", fmt.Sprintf("encrypted (%d bytes): proves this side saw the same handshake", size)
		return []Step{f}
	}
	f.Name = "encrypted handshake"
	f.Detail = fmt.Sprintf("%s, %d bytes: TLS 1.3 encrypts everything after ServerHello", plural(count, "record"), size)
	steps := []Step{f}
	if !ok {
		return steps
	}
	at := f.Time
	infer := func(name, detail string) {
		steps = append(steps, Step{Time: at, Dir: f.Dir, Name: name, Detail: detail, Inferred: true})
	}
	serverFlight := (f.Dir == Received) == (h.side == SideClient)
	if serverFlight {
		alpn := "no ALPN"
		if st.NegotiatedProtocol != "" {
			alpn = "ALPN " + st.NegotiatedProtocol
		}
		infer("EncryptedExtensions", alpn)
		if h.side == SideClient {
			infer("Certificate", certificatesDetail(h.report.Chain))
			infer("CertificateVerify", "the server proved it holds the certificate's key")
		} else if !st.DidResume {
			infer("Certificate", "our certificate chain")
			infer("CertificateVerify", "proof that we hold its key")
		}
	}
	// The peer's Finished is taken after its certificate is verified,
	// even when its bytes came before.
	at = last
	if h.verifiedAt.After(at) && f.Dir == Received {
		at = h.verifiedAt
	}
	infer("Finished", "proves this side saw the same handshake")
	return steps
}

func certificatesDetail(chain []CertInfo) string {
	if len(chain) == 0 {
		return "none (a resumed session)"
	}
	return fmt.Sprintf("%s, the first for %s", plural(len(chain), "certificate"), chain[0].Subject)
}

// plural writes a count with its noun: "1 record", "2 records".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
