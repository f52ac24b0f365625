package tlsinfo

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"syscall"
	"time"

	"sockbench/safe"
)

// Kind is what kind of failure a handshake met.
type Kind uint8

// Kinds of failure.
const (
	KindOther               Kind = iota
	KindSelfSigned               // the certificate signs itself and is not trusted
	KindMissingIntermediate      // its issuer was not sent and is not a trusted root
	KindUnknownAuthority         // the chain ends at a root that is not trusted
	KindNameMismatch             // the certificate does not cover the name
	KindExpired                  // a certificate of the chain has expired
	KindNotYetValid              // a certificate of the chain is not valid yet
	KindAlert                    // the peer sent an alert
	KindPlaintext                // the peer answered with something that is not TLS
	KindTimeout                  // the handshake did not finish in time
	KindClosed                   // the peer closed (or reset) the connection
	KindCancelled                // the caller cancelled the handshake
)

var kindNames = [...]string{"other", "self-signed", "missing-intermediate", "unknown-authority",
	"name-mismatch", "expired", "not-yet-valid", "alert", "plaintext", "timeout", "closed", "cancelled"}

// String names the kind in one word, such as "name-mismatch", for JSON.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "other"
}

// Failure is a failed handshake, with what is needed to explain it.
// Error says it in plain words, safe for a terminal.
type Failure struct {
	Kind Kind
	Err  error     // what crypto/tls or crypto/x509 said
	Host string    // the name the certificate had to cover
	Cert *CertInfo // the certificate the failure is about, if any
	// Issuer is the issuer that was not sent (a missing intermediate), as
	// the certificate names it.
	Issuer  string
	Now     time.Time     // the clock the validity was checked against
	Alert   uint8         // the alert the peer sent
	First   []byte        // the first bytes of an answer that was not TLS
	Timeout time.Duration // the limit that passed
}

// Error says what went wrong in plain words, on one line, safe for a
// terminal.
func (f *Failure) Error() string { return safe.Text(f.words()) }

// Unwrap returns what crypto/tls or crypto/x509 said.
func (f *Failure) Unwrap() error { return f.Err }

func (f *Failure) words() string {
	switch f.Kind {
	case KindSelfSigned, KindMissingIntermediate, KindUnknownAuthority:
		return f.authorityWords()
	case KindNameMismatch:
		return f.nameWords()
	case KindExpired, KindNotYetValid:
		return f.validityWords()
	case KindAlert:
		words := fmt.Sprintf("the peer sent the alert %s (%d)", AlertName(f.Alert), f.Alert)
		if cause := AlertCause(f.Alert); cause != "" {
			words += ": usually " + cause
		}
		return words
	case KindPlaintext:
		return plaintextWords(f.First)
	case KindTimeout:
		return fmt.Sprintf("no answer in time: the handshake did not finish within %s", f.Timeout)
	case KindClosed:
		return "the peer closed the connection during the handshake: it may not speak TLS here, " +
			"or it refused what was offered without saying why"
	case KindCancelled:
		return "the handshake was cancelled"
	}
	if f.Err == nil {
		return "the handshake failed"
	}
	return f.Err.Error()
}

func (f *Failure) authorityWords() string {
	subject := "the certificate"
	if f.Cert != nil {
		subject = f.Cert.Subject
	}
	switch f.Kind {
	case KindSelfSigned:
		return fmt.Sprintf("unknown authority: the certificate is self-signed (%s signs itself) and is not trusted here", subject)
	case KindUnknownAuthority:
		return fmt.Sprintf("unknown authority: the chain ends at %s, a root that is not trusted here", subject)
	}
	return fmt.Sprintf("unknown authority: %s is issued by %s, which the server did not send and which is not a trusted root here: "+
		"an intermediate certificate is missing from the server's chain, or that issuer is an authority this machine does not trust",
		subject, f.Issuer)
}

func (f *Failure) nameWords() string {
	names := "no host name at all (it has no subject alternative names)"
	if f.Cert != nil && len(f.Cert.Names()) > 0 {
		names = listText(f.Cert.Names(), 10)
	}
	return fmt.Sprintf("name mismatch: the certificate is for %s, not for %s", names, f.Host)
}

func (f *Failure) validityWords() string {
	c := f.Cert
	if c == nil {
		return "a certificate is outside its validity"
	}
	if f.Kind == KindNotYetValid {
		return fmt.Sprintf("not valid yet: the certificate of %s is valid from %s to %s; it is now %s, before its start (is the clock right?)",
			c.Subject, dateText(c.NotBefore), dateText(c.NotAfter), dateText(f.Now))
	}
	return fmt.Sprintf("expired: the certificate of %s was valid from %s to %s; it is now %s, %s after its end",
		c.Subject, dateText(c.NotBefore), dateText(c.NotAfter), dateText(f.Now), spanText(f.Now.Sub(c.NotAfter)))
}

// plaintextWords shows the first bytes of an answer that is not TLS, and
// what it looks like.
func plaintextWords(first []byte) string {
	shown := first[:min(len(first), 64)]
	words := fmt.Sprintf("the peer answered in plaintext, not TLS: %s", safe.Bytes(shown))
	if len(first) > len(shown) {
		words += "…"
	}
	for _, p := range plainProtocols {
		if bytes.HasPrefix(first, []byte(p.prefix)) {
			return words + " (" + p.means + ")"
		}
	}
	return words + " (a plaintext service, or one that needs STARTTLS first?)"
}

var plainProtocols = []struct{ prefix, means string }{
	{"HTTP/", "an HTTP server that took the ClientHello for a bad request: plain HTTP on this port"},
	{"220", "an SMTP or FTP greeting: speak the plaintext protocol first, then STARTTLS"},
	{"* OK", "an IMAP greeting: STARTTLS first"},
	{"+OK", "a POP3 greeting: STLS first"},
	{"SSH-", "an SSH server"},
}

// verifyFailure explains why a chain did not verify for host at now.
func verifyFailure(err error, chain []*x509.Certificate, host string, now time.Time) *Failure {
	f := &Failure{Kind: KindOther, Err: err, Host: host, Now: now}
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &hostErr):
		f.Kind, f.Cert = KindNameMismatch, describePtr(hostErr.Certificate)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		f.Kind, f.Cert = KindExpired, describePtr(invalid.Cert)
		if now.Before(invalid.Cert.NotBefore) {
			f.Kind = KindNotYetValid
		}
	case errors.As(err, &unknown) && len(chain) > 0:
		top := chainTop(chain)
		f.Cert = describePtr(top)
		switch {
		case top == chain[0] && isSelfSigned(top):
			f.Kind = KindSelfSigned
		case isSelfSigned(top):
			f.Kind = KindUnknownAuthority
		default:
			f.Kind, f.Issuer = KindMissingIntermediate, top.Issuer.String()
		}
	}
	return f
}

func describePtr(c *x509.Certificate) *CertInfo {
	if c == nil {
		return nil
	}
	info := Describe(c)
	return &info
}

// chainTop follows the chain the server sent from its first certificate
// to each one's issuer, as far as the issuers were sent.
func chainTop(chain []*x509.Certificate) *x509.Certificate {
	top := chain[0]
	for range chain {
		parent := issuerIn(top, chain)
		if parent == nil {
			break
		}
		top = parent
	}
	return top
}

// issuerIn finds the certificate of chain that signed c, other than c.
func issuerIn(c *x509.Certificate, chain []*x509.Certificate) *x509.Certificate {
	for _, p := range chain {
		if p != c && bytes.Equal(p.RawSubject, c.RawIssuer) &&
			p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
			return p
		}
	}
	return nil
}

// explain turns what a handshake returned into a Failure.
func explain(err error, w *Wire, timeout time.Duration) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	f = &Failure{Kind: KindOther, Err: err, Timeout: timeout}
	var opErr *net.OpError
	var header tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		f.Kind, f.Alert = KindAlert, alertCode(opErr.Err, w)
	case errors.As(err, &header) || w.answeredPlain():
		f.Kind, f.First = KindPlaintext, w.First(Received)
	case errors.Is(err, context.Canceled):
		f.Kind = KindCancelled
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		f.Kind = KindTimeout
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		f.Kind = KindClosed
	}
	return f
}

// alertCode reads the alert in a remote error of crypto/tls (an unnamed
// byte type), or else takes the last alert seen in clear.
func alertCode(err error, w *Wire) uint8 {
	if v := reflect.ValueOf(err); v.IsValid() && v.Kind() == reflect.Uint8 {
		return uint8(v.Uint())
	}
	records := w.Records()
	for i := len(records) - 1; i >= 0; i-- {
		if r := records[i]; r.Dir == Received && r.Alert != nil {
			return r.Alert.Code
		}
	}
	return 0
}

// answeredPlain reports whether the first bytes from the peer cannot be
// the start of a TLS record.
func (w *Wire) answeredPlain() bool {
	first := w.First(Received)
	if len(first) == 0 {
		return false
	}
	typ := ContentType(first[0])
	return typ < TypeChangeCipherSpec || typ > TypeHeartbeat || len(first) > 1 && first[1] != 3
}
