package tlsinfo

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"
)

// failWith shakes hands with a Go TLS server serving cert and returns the
// failure, which must be a *Failure of kind want.
func failWith(t *testing.T, cert tls.Certificate, cfg Config, want Kind) *Failure {
	t.Helper()
	s, peer := tcpPair(t)
	serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}})
	sess, err := upgrade(t, s, cfg)
	return checkFailure(t, sess, err, want)
}

func checkFailure(t *testing.T, sess *Session, err error, want Kind) *Failure {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("handshake: %v (%T), want a *Failure", err, err)
	}
	if f.Kind != want {
		t.Fatalf("kind %s, want %s: %v", f.Kind, want, f)
	}
	if sess == nil || sess.Report.Failure != f {
		t.Fatalf("no report with the failure: %+v", sess)
	}
	if msg := f.Error(); strings.ContainsAny(msg, "\n\r") || msg == "" {
		t.Errorf("not one line: %q", msg)
	}
	return f
}

func TestFailureSelfSigned(t *testing.T) {
	other, _ := testCA(t)
	cert, err := SelfSigned(CertSpec{CommonName: "lonely", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	f := failWith(t, cert, Config{ServerName: "127.0.0.1", Roots: roots(other)}, KindSelfSigned)
	if want := "unknown authority: the certificate is self-signed (CN=lonely signs itself) and is not trusted here"; f.Error() != want {
		t.Errorf("%q\nwant %q", f.Error(), want)
	}
}

func TestFailureRootNotTrusted(t *testing.T) {
	_, cert := testCA(t)
	other, _ := testCA(t) // a different authority of the same name
	f := failWith(t, cert, Config{ServerName: "localhost", Roots: roots(other)}, KindUnknownAuthority)
	if want := "unknown authority: the chain ends at CN=sockbench test CA, a root that is not trusted here"; f.Error() != want {
		t.Errorf("%q\nwant %q", f.Error(), want)
	}
}

// TestFailureMissingIntermediate: the server sends its own certificate
// without the intermediate that signed it; the root is trusted. With the
// intermediate sent, the same chain verifies.
func TestFailureMissingIntermediate(t *testing.T) {
	ca, _ := testCA(t)
	mid, err := ca.Intermediate("test intermediate")
	if err != nil {
		t.Fatal(err)
	}
	full := issue(t, mid, CertSpec{CommonName: "leaf", Names: []string{"127.0.0.1"}})
	if len(full.Certificate) != 3 {
		t.Fatalf("chain of %d", len(full.Certificate))
	}
	bare := full
	bare.Certificate = full.Certificate[:1]
	f := failWith(t, bare, Config{ServerName: "127.0.0.1", Roots: roots(ca)}, KindMissingIntermediate)
	if f.Issuer != "CN=test intermediate" || !strings.HasPrefix(f.Error(),
		"unknown authority: CN=leaf is issued by CN=test intermediate, which the server did not send and which is not a trusted root here") {
		t.Errorf("%q", f.Error())
	}

	s, peer := tcpPair(t)
	serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{full}})
	sess, err := upgrade(t, s, Config{ServerName: "127.0.0.1", Roots: roots(ca)})
	if err != nil || !sess.Report.Verified || len(sess.Report.Chain) != 3 {
		t.Fatalf("with the intermediate: %v", err)
	}
}

func TestFailureNameMismatch(t *testing.T) {
	ca, _ := testCA(t)
	cert := issue(t, ca, CertSpec{CommonName: "elsewhere", Names: []string{"wrong.sockbench.test", "*.other.test", "10.9.8.7"}})
	f := failWith(t, cert, Config{ServerName: "127.0.0.1", Roots: roots(ca)}, KindNameMismatch)
	if want := "name mismatch: the certificate is for wrong.sockbench.test, *.other.test, 10.9.8.7, not for 127.0.0.1"; f.Error() != want {
		t.Errorf("%q\nwant %q", f.Error(), want)
	}
}

func TestFailureExpired(t *testing.T) {
	ca, _ := testCA(t)
	end := time.Now().Add(-30*24*time.Hour - time.Hour)
	cert := issue(t, ca, CertSpec{CommonName: "old", Names: []string{"127.0.0.1"}, NotBefore: end.Add(-60 * 24 * time.Hour), NotAfter: end})
	f := failWith(t, cert, Config{ServerName: "127.0.0.1", Roots: roots(ca)}, KindExpired)
	want := "expired: the certificate of CN=old was valid from " + dateText(end.Add(-60*24*time.Hour)) + " to " + dateText(end) +
		"; it is now " + dateText(f.Now) + ", 30 days after its end"
	if f.Error() != want {
		t.Errorf("%q\nwant %q", f.Error(), want)
	}
}

func TestFailureNotYetValid(t *testing.T) {
	ca, _ := testCA(t)
	start := time.Now().Add(10 * 24 * time.Hour)
	cert := issue(t, ca, CertSpec{CommonName: "early", Names: []string{"127.0.0.1"}, NotBefore: start})
	f := failWith(t, cert, Config{ServerName: "127.0.0.1", Roots: roots(ca)}, KindNotYetValid)
	if !strings.HasPrefix(f.Error(), "not valid yet: the certificate of CN=early is valid from "+dateText(start)) ||
		!strings.HasSuffix(f.Error(), "before its start (is the clock right?)") {
		t.Errorf("%q", f.Error())
	}
}

// TestFailureAlert: a server that accepts only TLS 1.3 answers a client
// capped at TLS 1.2 with the alert protocol_version, in clear.
func TestFailureAlert(t *testing.T) {
	ca, cert := testCA(t)
	s, peer := tcpPair(t)
	serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	sess, err := upgrade(t, s, Config{ServerName: "localhost", Roots: roots(ca), MaxVersion: tls.VersionTLS12})
	f := checkFailure(t, sess, err, KindAlert)
	if f.Alert != 70 || f.Error() != "the peer sent the alert protocol_version (70): usually no TLS version in common: "+
		"the peer accepts none of those offered (see the minimum and maximum versions)" {
		t.Errorf("%d: %q", f.Alert, f.Error())
	}
	if got := stepNames(sess.Report.Steps); got != "ClientHello sent, alert received" {
		t.Errorf("steps %s", got)
	}
}

// TestFailurePlaintext: an HTTP server answers the ClientHello with a 400.
func TestFailurePlaintext(t *testing.T) {
	s, peer := tcpPair(t)
	go func() {
		_, _ = peer.Read(make([]byte, 4096))
		_, _ = peer.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n\x1b[2J400 Bad Request"))
		_ = peer.Close()
	}()
	sess, err := upgrade(t, s, Config{ServerName: "localhost"})
	f := checkFailure(t, sess, err, KindPlaintext)
	want := "the peer answered in plaintext, not TLS: HTTP/1.1 400 Bad Request␍␊Content-Type: text/plain␍␊Connection: … " +
		"(an HTTP server that took the ClientHello for a bad request: plain HTTP on this port)"
	if f.Error() != want {
		t.Errorf("%q\nwant %q", f.Error(), want)
	}
	if !sess.Wire.NotTLS(Received) || len(sess.Wire.Records()) != 1 {
		t.Errorf("the wire read %d records; not TLS: %v", len(sess.Wire.Records()), sess.Wire.NotTLS(Received))
	}
}

func TestFailureTimeout(t *testing.T) {
	s, peer := tcpPair(t)
	go func() { _, _ = io.Copy(io.Discard, peer) }()
	sess, err := Upgrade(t.Context(), s, nil, SideClient, Config{ServerName: "localhost", Timeout: 50 * time.Millisecond})
	f := checkFailure(t, sess, err, KindTimeout)
	if f.Error() != "no answer in time: the handshake did not finish within 50ms" {
		t.Errorf("%q", f.Error())
	}
}

func TestFailureClosed(t *testing.T) {
	s, peer := tcpPair(t)
	go func() {
		_, _ = peer.Read(make([]byte, 4096))
		_ = peer.(*net.TCPConn).CloseWrite()
	}()
	sess, err := upgrade(t, s, Config{ServerName: "localhost"})
	checkFailure(t, sess, err, KindClosed)
}

// TestInsecureSaysWhatItSkipped: with verification off a self-signed
// certificate passes, and the report says what checking would have said.
func TestInsecureSaysWhatItSkipped(t *testing.T) {
	cert, err := SelfSigned(CertSpec{CommonName: "lonely", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	s, peer := tcpPair(t)
	serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}})
	sess, err := upgrade(t, s, Config{ServerName: "127.0.0.1", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	r := sess.Report
	if r.Verified || !r.Insecure || r.VerifyError == nil || r.VerifyError.Kind != KindSelfSigned {
		t.Fatalf("report: verified %v, insecure %v, would have %v", r.Verified, r.Insecure, r.VerifyError)
	}
	if !strings.HasSuffix(r.Summary(), ", NOT VERIFIED (verification off; it would have failed: unknown authority: "+
		"the certificate is self-signed (CN=lonely signs itself) and is not trusted here)") {
		t.Errorf("summary %q", r.Summary())
	}
	_ = sess.Close()
}

// TestHostileCertificate serves a certificate whose subject and names
// hold escape sequences, bidirectional overrides and C1 controls: every
// word made for people must come out with none of them, as glyphs.
func TestHostileCertificate(t *testing.T) {
	hostile := "\x1b]0;pwned\x07evil\x1b[2J\u202e\u009b"
	cert, err := SelfSigned(CertSpec{CommonName: hostile, Names: []string{"ok.test", "\x1b[31mred.test\x1b]2;x\x07"}})
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, cfg := range []Config{{ServerName: "127.0.0.1", Insecure: true}, {ServerName: "127.0.0.1"}} {
		s, peer := tcpPair(t)
		serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}})
		sess, err := upgrade(t, s, cfg)
		if err != nil {
			words = append(words, err.Error())
		}
		words = append(words, sess.Report.Summary())
		words = append(words, sess.Report.Lines(time.Now())...)
		for _, st := range sess.Report.Steps {
			words = append(words, st.Words())
		}
	}
	all := strings.Join(words, "\n")
	for _, r := range all {
		if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || unicode.Is(unicode.Cf, r)) {
			t.Fatalf("%U in the words:\n%s", r, all)
		}
	}
	for _, want := range []string{"CN=␛]0\\;pwned␇evil␛[2J��", "␛[31mred.test␛]2;x␇", "name mismatch: the certificate is for ok.test, ␛[31mred.test"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in\n%s", want, all)
		}
	}
}
