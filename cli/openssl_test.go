package cli

import (
	"crypto/tls"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockbench/tlsinfo"
)

// These tests run Debian's openssl s_server, a TLS peer no one here
// wrote, with certificates each test makes. They skip only when openssl
// is missing.

// startSServer starts openssl s_server on a free port of 127.0.0.1,
// serving cert (its first certificate; the others, if any, as its chain)
// to one connection, and returns its address. With -rev it sends each
// line back reversed, and closes on a line "CLOSE". The test stops it.
func startSServer(t *testing.T, cert tls.Certificate, args ...string) string {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is missing (apt-get install openssl)")
	}
	dir := t.TempDir()
	leaf := tls.Certificate{Certificate: cert.Certificate[:1], PrivateKey: cert.PrivateKey}
	certPEM, keyPEM, err := tlsinfo.EncodePEM(leaf)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM}
	argv := []string{"s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
		"-cert", filepath.Join(dir, "cert.pem"), "-key", filepath.Join(dir, "key.pem")}
	if len(cert.Certificate) > 1 {
		chainPEM, _, err := tlsinfo.EncodePEM(tls.Certificate{Certificate: cert.Certificate[1:], PrivateKey: cert.PrivateKey})
		if err != nil {
			t.Fatal(err)
		}
		files["chain.pem"] = chainPEM
		argv = append(argv, "-cert_chain", filepath.Join(dir, "chain.pem"))
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// s_server ends at the end of its stdin: give it one that stays open
	// until the test ends.
	stdin, keepOpen, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keepOpen.Close(); _ = stdin.Close() })
	cmd := exec.Command(openssl, append(argv, args...)...)
	cmd.Stdin = stdin
	c := start(t, cmd)
	return strings.TrimPrefix(c.stdout.waitLine(t, "ACCEPT 127.0.0.1:"), "ACCEPT ")
}

// TestOpenSSLHandshakes: TLS 1.3 and TLS 1.2 with s_server, ALPN agreed,
// verified against the test's CA, and lines through -rev.
func TestOpenSSLHandshakes(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "openssl peer"})
	cases := []struct {
		version, flag, alpn, cipher string
	}{
		{"TLS 1.3", "-tls1_3", "h2", "TLS_"},
		{"TLS 1.2", "-tls1_2", "http/1.1", "TLS_ECDHE_ECDSA_WITH_"},
	}
	for _, c := range cases {
		t.Run(c.version, func(t *testing.T) {
			addr := startSServer(t, pki.cert, c.flag, "-rev", "-alpn", "h2,http/1.1")
			r := runCLI(t, "connect", "--json", "--tls", "--ca", pki.caFile, "--alpn", c.alpn,
				"--send", `hello openssl\nsecond line\nCLOSE\n`, "--json-data", "hex", addr)
			if r.code != exitOK {
				t.Fatalf("status %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			events := jsonLines(t, r.stdout)
			result := eventsNamed(events, "tls")
			if len(result) != 1 {
				t.Fatalf("no tls event:\n%s", r.stdout)
			}
			wantFields(t, result[0], map[string]any{"version": c.version, "alpn": c.alpn, "verified": true, "sni": nil})
			if cipher := result[0]["cipher"].(string); !strings.HasPrefix(cipher, c.cipher) { // the pick depends on the CPU's AES
				t.Errorf("cipher %s", cipher)
			}
			var got []byte
			for _, ev := range eventsNamed(events, "received") {
				got = append(got, hexBytes(t, ev["data"].(string))...)
			}
			if string(got) != "lssnepo olleh\nenil dnoces\n" {
				t.Errorf("received %q", got)
			}
			wantFields(t, events[len(events)-1], map[string]any{"event": "closed", "reason": "eof"})
			steps := eventsNamed(events, "tls_step")
			wantFields(t, steps[0], map[string]any{"step": "ClientHello", "dir": "sent"})
			wantFields(t, steps[1], map[string]any{"step": "ServerHello", "dir": "received"})
		})
	}
}

// TestOpenSSLFailures: each certificate problem fails with its own words,
// on one line of stderr, and exit 1.
func TestOpenSSLFailures(t *testing.T) {
	end := time.Now().Add(-30*24*time.Hour - time.Hour)
	expired := newPKI(t, tlsinfo.CertSpec{CommonName: "expired peer", NotBefore: end.Add(-60 * 24 * time.Hour), NotAfter: end})
	wrong := newPKI(t, tlsinfo.CertSpec{CommonName: "elsewhere", Names: []string{"elsewhere.test", "*.other.test"}})
	self, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "openssl self-signed", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	trusted := newPKI(t, tlsinfo.CertSpec{CommonName: "unused"})
	mid, err := trusted.ca.Intermediate("openssl intermediate")
	if err != nil {
		t.Fatal(err)
	}
	viaMid, err := mid.Issue(tlsinfo.CertSpec{CommonName: "behind an intermediate", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	leafOnly := tls.Certificate{Certificate: viaMid.Certificate[:1], PrivateKey: viaMid.PrivateKey}
	cases := []struct {
		name   string
		cert   tls.Certificate
		args   []string
		words  string
		server []string
	}{
		{"expired", expired.cert, []string{"--ca", expired.caFile}, "expired: the certificate of CN=expired peer was valid from " +
			end.Add(-60*24*time.Hour).UTC().Format("2006-01-02 15:04 UTC") + " to " + end.UTC().Format("2006-01-02 15:04 UTC") + "; it is now ", nil},
		{"name mismatch", wrong.cert, []string{"--ca", wrong.caFile},
			"name mismatch: the certificate is for elsewhere.test, *.other.test, not for 127.0.0.1", nil},
		{"self-signed", self, nil,
			"unknown authority: the certificate is self-signed (CN=openssl self-signed signs itself) and is not trusted here", nil},
		{"missing intermediate", leafOnly, []string{"--ca", trusted.caFile},
			"unknown authority: CN=behind an intermediate is issued by CN=openssl intermediate, which the server did not send", nil},
		{"root not trusted", viaMid, []string{"--ca", wrong.caFile},
			"unknown authority: the chain ends at CN=sockbench cli test CA, a root that is not trusted here", nil},
		{"alert", wrong.cert, []string{"--ca", wrong.caFile, "--tls-max", "1.2"},
			"the peer sent the alert protocol_version (70): usually no TLS version in common", []string{"-tls1_3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := startSServer(t, c.cert, append([]string{"-rev"}, c.server...)...)
			r := runCLI(t, append(append([]string{"connect", "--tls", "--send", "never sent"}, c.args...), addr)...)
			if r.code != exitNetwork || !strings.HasPrefix(r.stderr, "sockbench: TLS handshake failed: "+c.words) {
				t.Errorf("status %d, stderr %q\nwant the words %q", r.code, r.stderr, c.words)
			}
			oneLine(t, r.stderr)
			if strings.Contains(r.stdout, "sent 10 bytes") || !strings.Contains(r.stdout, "tls failed after ") {
				t.Errorf("stdout\n%s", r.stdout)
			}
		})
	}
}

// TestOpenSSLInsecure connects to a self-signed s_server with --insecure
// and says it did not verify; the real binary exits 0.
func TestOpenSSLInsecure(t *testing.T) {
	self, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "openssl self-signed", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	addr := startSServer(t, self, "-rev")
	c := startChild(t, nil, "connect", "--tls", "--insecure", "--send", `abc\nCLOSE\n`, addr)
	if code := c.wait(t); code != exitOK {
		t.Fatalf("status %d\n%s%s", code, c.stdout, c.stderr)
	}
	out := c.stdout.String()
	for _, want := range []string{"verification: off, not checked; checking would have failed: unknown authority: the certificate is self-signed",
		", NOT VERIFIED (verification off; it would have failed: ", "|cba↓|"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
