package cli

import (
	"time"

	"sockbench/tlsinfo"
)

// The TLS reports: a STARTTLS dialogue line by line, a handshake step by
// step and its result, and the certificate listen serves. Every string
// from the peer reaches plain output through package safe (tlsinfo's
// words are safe already) and JSON as it came, escaped.

func (p *plainReporter) starttls(l tlsinfo.Line) { p.line("starttls %s", l.Words()) }

func (p *plainReporter) handshake(r *tlsinfo.Report) {
	for _, s := range r.Steps {
		p.line("tls %9s  %s", millisText(s.Time.Sub(r.Start)), s.Words())
	}
	now := time.Now()
	if r.Failure != nil {
		p.line("tls failed after %s: %s", millisText(r.Duration), r.Failure.Error())
		for i, c := range r.Chain {
			p.line("  certificate %d of %d", i+1, len(r.Chain))
			for _, l := range c.Lines(now) {
				p.line("    %s", l)
			}
		}
		return
	}
	p.line("tls established after %s: %s", millisText(r.Duration), r.Summary())
	for _, l := range r.Lines(now) {
		p.line("  %s", l)
	}
}

func (p *plainReporter) certificate(c tlsinfo.CertInfo, generated bool) {
	how := "from --cert"
	if generated {
		how = "generated, self-signed"
	}
	p.line("tls certificate (%s):", how)
	for _, l := range c.Lines(time.Now()) {
		p.line("  %s", l)
	}
}

type starttlsEvent struct {
	Event string `json:"event"`
	Dir   string `json:"dir"`
	Line  string `json:"line"`
}

type tlsStepEvent struct {
	Event     string  `json:"event"`
	ElapsedMS float64 `json:"elapsed_ms"`
	Dir       string  `json:"dir,omitempty"`
	Step      string  `json:"step"`
	Detail    string  `json:"detail,omitempty"`
	Inferred  bool    `json:"inferred,omitempty"`
}

type certJSON struct {
	Subject    string   `json:"subject"`
	Issuer     string   `json:"issuer"`
	Names      []string `json:"names"`
	NotBefore  string   `json:"not_before"`
	NotAfter   string   `json:"not_after"`
	DaysLeft   int      `json:"days_left"`
	Key        string   `json:"key"`
	SHA256     string   `json:"sha256"`
	SelfSigned bool     `json:"self_signed"`
	CA         bool     `json:"ca"`
}

type tlsEvent struct {
	Event     string     `json:"event"`
	ElapsedMS float64    `json:"elapsed_ms"`
	Version   string     `json:"version"`
	Cipher    string     `json:"cipher"`
	ALPN      string     `json:"alpn"`
	Resumed   bool       `json:"resumed"`
	SNI       string     `json:"sni,omitempty"`
	Verified  bool       `json:"verified"`
	Insecure  bool       `json:"insecure,omitempty"`
	WouldFail string     `json:"would_fail,omitempty"` // with --insecure: what verifying found
	Chain     []certJSON `json:"chain"`
}

type tlsFailedEvent struct {
	Event     string     `json:"event"`
	ElapsedMS float64    `json:"elapsed_ms"`
	Kind      string     `json:"kind"`
	Message   string     `json:"message"`
	Chain     []certJSON `json:"chain,omitempty"`
}

type certificateEvent struct {
	Event     string `json:"event"`
	Generated bool   `json:"generated"`
	certJSON
}

func (j *jsonReporter) starttls(l tlsinfo.Line) {
	j.emit(starttlsEvent{Event: "starttls", Dir: l.Dir.String(), Line: l.Text})
}

func (j *jsonReporter) handshake(r *tlsinfo.Report) {
	for _, s := range r.Steps {
		ev := tlsStepEvent{Event: "tls_step", ElapsedMS: jsonMillis(s.Time.Sub(r.Start)), Step: s.Name, Detail: s.Detail, Inferred: s.Inferred}
		if !s.Local {
			ev.Dir = s.Dir.String()
		}
		j.emit(ev)
	}
	chain := chainJSON(r.Chain)
	if r.Failure != nil {
		j.emit(tlsFailedEvent{Event: "tls_failed", ElapsedMS: jsonMillis(r.Duration), Kind: r.Failure.Kind.String(),
			Message: r.Failure.Error(), Chain: chain})
		return
	}
	ev := tlsEvent{Event: "tls", ElapsedMS: jsonMillis(r.Duration), Version: tlsinfo.VersionName(r.Version),
		Cipher: tlsinfo.CipherSuiteName(r.CipherSuite), ALPN: r.ALPN, Resumed: r.Resumed, SNI: r.ServerName,
		Verified: r.Verified, Insecure: r.Insecure, Chain: chain}
	if r.VerifyError != nil {
		ev.WouldFail = r.VerifyError.Error()
	}
	j.emit(ev)
}

func (j *jsonReporter) certificate(c tlsinfo.CertInfo, generated bool) {
	j.emit(certificateEvent{Event: "tls_certificate", Generated: generated, certJSON: certToJSON(c, time.Now())})
}

func chainJSON(chain []tlsinfo.CertInfo) []certJSON {
	now := time.Now()
	out := make([]certJSON, len(chain))
	for i, c := range chain {
		out[i] = certToJSON(c, now)
	}
	return out
}

func certToJSON(c tlsinfo.CertInfo, now time.Time) certJSON {
	names := c.Names()
	if names == nil {
		names = []string{}
	}
	return certJSON{Subject: c.Subject, Issuer: c.Issuer, Names: names,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		DaysLeft: c.DaysLeft(now), Key: c.KeyText(), SHA256: c.Fingerprint(), SelfSigned: c.SelfSigned, CA: c.IsCA}
}
