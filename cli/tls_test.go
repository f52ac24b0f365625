package cli

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockbench/lab"
	"sockbench/tlsinfo"
)

// testPKI is an authority made for one test, its PEM in a file for --ca,
// and a server certificate it signed, in files for --cert and --key.
type testPKI struct {
	ca                *tlsinfo.Authority
	caFile            string
	cert              tls.Certificate
	certFile, keyFile string
}

// newPKI makes a test authority and a certificate for names (by default
// localhost and 127.0.0.1), valid from notBefore to notAfter (zero: now,
// for 90 days).
func newPKI(t *testing.T, spec tlsinfo.CertSpec) *testPKI {
	t.Helper()
	ca, err := tlsinfo.NewAuthority("sockbench cli test CA")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Names == nil {
		spec.Names = []string{"localhost", "127.0.0.1"}
	}
	cert, err := ca.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &testPKI{ca: ca, cert: cert, caFile: filepath.Join(dir, "ca.pem"),
		certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	certPEM, keyPEM, err := tlsinfo.EncodePEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range map[string][]byte{p.caFile: ca.PEM(), p.certFile: certPEM, p.keyFile: keyPEM} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// tlsPeer is a Go TLS server on 127.0.0.1; serve gets each connection
// after its handshake.
func tlsPeer(t *testing.T, cfg *tls.Config, serve func(*tls.Conn)) string {
	t.Helper()
	return startPeer(t, "tcp4", func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			serve(tc)
		}
	}).Addr()
}

// tlsEcho sends back everything until the client's close, then closes.
func tlsEcho(c *tls.Conn) {
	_, _ = io.Copy(c, c)
	_ = c.CloseWrite()
}

// port is the port of a host:port.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func TestConnectTLSVerified(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	addr := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{pki.cert}, NextProtos: []string{"h2"}}, tlsEcho)
	r := runCLI(t, "connect", "--tls", "--ca", pki.caFile, "--alpn", "h2,http/1.1", "--send", `hello\n`,
		"--shutdown-after-send", "localhost:"+port(addr))
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("status %d; stdout:\n%s\nstderr %q", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"ClientHello sent: SNI localhost; ALPN h2, http/1.1; versions TLS 1.3, TLS 1.2;",
		"ServerHello received: TLS 1.3, TLS_AES_128_GCM_SHA256\n",
		"verification: the chain leads to the roots given (a CA file) and covers localhost\n",
		"tls established after ", ": TLS 1.3, TLS_AES_128_GCM_SHA256, ALPN h2, verified\n",
		"  alpn     h2 (offered: h2, http/1.1)\n", "    subject CN=localhost\n", "    names   localhost, 127.0.0.1\n",
		"sent 6 bytes\n", "|hello↓|\n", "closed: eof (received 6 bytes, sent 6 bytes)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if strings.Index(r.stdout, "tls established") > strings.Index(r.stdout, "sent 6 bytes") {
		t.Error("data before the handshake's end")
	}
}

// TestConnectTLSJSON: the steps and the result as JSON events, and the
// exchange after them in order: the echo never ahead of what was sent.
func TestConnectTLSJSON(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	addr := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{pki.cert}}, tlsEcho)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(data, []byte(strings.Repeat("0123456789abcdef", 1<<16)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "connect", "--json", "--tls", "--ca", pki.caFile, "--send-file", data, "--shutdown-after-send", addr)
	if r.code != exitOK {
		t.Fatalf("status %d; stderr %q", r.code, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	steps := eventsNamed(events, "tls_step")
	if len(steps) < 8 {
		t.Fatalf("%d steps", len(steps))
	}
	wantFields(t, steps[0], map[string]any{"step": "ClientHello", "dir": "sent"})
	result := eventsNamed(events, "tls")
	if len(result) != 1 {
		t.Fatalf("tls events %v", result)
	}
	wantFields(t, result[0], map[string]any{"version": "TLS 1.3", "verified": true, "alpn": "", "resumed": false})
	chain := result[0]["chain"].([]any)
	leaf := chain[0].(map[string]any)
	if len(chain) != 2 || leaf["subject"] != "CN=localhost" || leaf["key"] != "ECDSA P-256" || leaf["days_left"] != 89.0 ||
		len(leaf["sha256"].(string)) != 95 {
		t.Errorf("chain %v", chain)
	}
	var sent, received float64
	for _, ev := range events {
		switch ev["event"] {
		case "sent":
			sent = ev["total"].(float64)
		case "received":
			received = ev["total"].(float64)
			if received > sent {
				t.Fatalf("received %v bytes with %v reported sent: a reply before its cause", received, sent)
			}
		}
	}
	last := events[len(events)-1]
	wantFields(t, last, map[string]any{"event": "closed", "reason": "eof", "rx": float64(1 << 20), "tx": float64(1 << 20)})
}

// TestConnectTLSFailures: each failure is exit 1, its own words in the
// report and on one line of stderr, and a tls_failed event of its kind.
func TestConnectTLSFailures(t *testing.T) {
	wrong := newPKI(t, tlsinfo.CertSpec{CommonName: "elsewhere", Names: []string{"elsewhere.test"}})
	self, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "lonely", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, kind, words string
		cert              tls.Certificate
		args              []string
	}{
		{"name", "name-mismatch", "name mismatch: the certificate is for elsewhere.test, not for 127.0.0.1", wrong.cert, []string{"--ca", wrong.caFile}},
		{"self-signed", "self-signed", "unknown authority: the certificate is self-signed (CN=lonely signs itself) and is not trusted here", self, nil},
	}
	for _, c := range cases {
		for _, asJSON := range []bool{false, true} {
			addr := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{c.cert}}, tlsEcho)
			args := append(append([]string{"connect", "--tls", "--send", "never"}, c.args...), addr)
			if asJSON {
				args = append([]string{args[0], "--json"}, args[1:]...)
			}
			r := runCLI(t, args...)
			if r.code != exitNetwork || r.stderr != "sockbench: TLS handshake failed: "+c.words+"\n" {
				t.Errorf("%s: status %d, stderr %q", c.name, r.code, r.stderr)
			}
			if asJSON {
				failed := eventsNamed(jsonLines(t, r.stdout), "tls_failed")
				if len(failed) != 1 {
					t.Fatalf("%s: %s", c.name, r.stdout)
				}
				wantFields(t, failed[0], map[string]any{"kind": c.kind, "message": c.words})
			} else if !strings.Contains(r.stdout, ": "+c.words+"\n") || strings.Contains(r.stdout, "sent 5 bytes") {
				t.Errorf("%s: stdout\n%s", c.name, r.stdout)
			}
		}
	}
}

// TestConnectTLSInsecure connects to a self-signed server and says it did
// not verify.
func TestConnectTLSInsecure(t *testing.T) {
	self, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "lonely", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	addr := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{self}}, tlsEcho)
	r := runCLI(t, "connect", "--tls", "--insecure", "--send", "x", "--shutdown-after-send", addr)
	if r.code != exitOK || !strings.Contains(r.stdout, ", NOT VERIFIED (verification off; it would have failed: unknown authority: "+
		"the certificate is self-signed (CN=lonely signs itself) and is not trusted here)\n") {
		t.Fatalf("status %d; stdout\n%s", r.code, r.stdout)
	}
}

// TestConnectTLSTimeouts: a server that never answers ends the exchange
// by the read timeout (a normal end); one that never reads stalls it.
func TestConnectTLSTimeouts(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	cfg := &tls.Config{Certificates: []tls.Certificate{pki.cert}}
	silent := tlsPeer(t, cfg, func(c *tls.Conn) { _, _ = io.Copy(io.Discard, c) })
	r := runCLI(t, "connect", "--json", "--tls", "--ca", pki.caFile, "--send", "ping", "--read-timeout", "100ms", silent)
	if r.code != exitOK {
		t.Fatalf("status %d; stderr %q", r.code, r.stderr)
	}
	events := jsonLines(t, r.stdout)
	wantFields(t, events[len(events)-1], map[string]any{"event": "closed", "reason": "timeout", "tx": 4.0})

	release := make(chan struct{})
	defer close(release)
	deaf := tlsPeer(t, cfg, func(c *tls.Conn) {
		select {
		case <-release:
		case <-time.After(testDeadline):
		}
	})
	r = runCLI(t, "connect", "--json", "--tls", "--ca", pki.caFile, "--send-file", sparseFile(t, 64<<20), "--send-timeout", "200ms", deaf)
	events = jsonLines(t, r.stdout)
	last := events[len(events)-1]
	if r.code != exitNetwork || last["reason"] != "stalled" || !strings.HasPrefix(last["message"].(string), "the peer stopped reading: ") {
		t.Fatalf("status %d; last event %v", r.code, last)
	}
}

// TestConnectTLSncMode: stdin a file, the echo to stdout, raw.
func TestConnectTLSncMode(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	addr := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{pki.cert}}, tlsEcho)
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, []byte("line one\n\x00\xff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdin, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stdout, stderr strings.Builder
	code := run(t.Context(), []string{"connect", "--tls", "--ca", pki.caFile, addr}, stdin, &stdout, &stderr)
	if code != exitOK || stdout.String() != "line one\n\x00\xff\n" || !strings.Contains(stderr.String(), "tls established") {
		t.Fatalf("status %d, stdout %q, stderr\n%s", code, stdout.String(), stderr.String())
	}
}

// TestListenTLS serves with named files to a verifying client, then with
// a generated certificate whose printed fingerprint the client sees.
func TestListenTLS(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	b := runBackground(t, "listen", "--tls", "--cert", pki.certFile, "--key", pki.keyFile, "--send", `welcome\n`, "127.0.0.1:0")
	addr := listeningAddr(t, b)
	r := runCLI(t, "connect", "--tls", "--ca", pki.caFile, "--send", "ping", "--shutdown-after-send", addr)
	if r.code != exitOK || !strings.Contains(r.stdout, "|welcome↓|") || !strings.Contains(r.stdout, ", verified\n") {
		t.Fatalf("client: status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if code := b.wait(t); code != exitOK {
		t.Errorf("listen: status %d; %s", code, b.stderr)
	}
	for _, want := range []string{"tls certificate (from --cert):\n", "ClientHello received: no SNI;", "tls established after ",
		"|ping|\n", "closed: eof (received 4 bytes, sent 8 bytes)\n"} {
		if !strings.Contains(b.stdout.String(), want) {
			t.Errorf("listen: no %q in\n%s", want, b.stdout)
		}
	}

	b = runBackground(t, "listen", "--tls", "--json", "--once", "[::1]:0")
	ev := jsonLines(t, b.stdout.waitLine(t, `{"event":"listening"`)+"\n")[0]
	certLine := b.stdout.waitLine(t, `{"event":"tls_certificate"`)
	cert := jsonLines(t, certLine+"\n")[0]
	if cert["generated"] != true || !strings.Contains(certLine, `"names":["localhost","127.0.0.1","::1"]`) {
		t.Errorf("certificate event %s", certLine)
	}
	r = runCLI(t, "connect", "--json", "--tls", "--insecure", "--send", "x", "--shutdown-after-send", ev["address"].(string))
	result := eventsNamed(jsonLines(t, r.stdout), "tls")
	if r.code != exitOK || len(result) != 1 || result[0]["chain"].([]any)[0].(map[string]any)["sha256"] != cert["sha256"] {
		t.Fatalf("status %d: %s", r.code, r.stdout)
	}
	b.wait(t)
}

// TestStartTLSWithTheLab upgrades the lab's SMTP-like service, trusting
// the lab's CA exported to a file.
func TestStartTLSWithTheLab(t *testing.T) {
	l, err := lab.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	caFile := filepath.Join(t.TempDir(), "lab-ca.pem")
	if err := os.WriteFile(caFile, l.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	var smtp lab.Service
	for _, s := range l.Services() {
		if s.Kind == lab.SMTPStartTLS && s.Addr.IP().Is4() {
			smtp = s
		}
	}
	r := runCLI(t, "connect", "--starttls", "smtp", "--ca", caFile, "--send", `hello over tls\r\nQUIT\r\n`, smtp.Addr.String())
	if r.code != exitOK {
		t.Fatalf("status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"starttls < 220 sockbench lab ESMTP: say EHLO, then STARTTLS\n", "starttls > EHLO [127.0.0.1]\n",
		"starttls < 250 STARTTLS\n", "starttls > STARTTLS\n", "starttls < 220 2.0.0 ready to start TLS\n",
		", verified\n", "    subject CN=sockbench lab\n", "|hello over tls←↓|\n", "221 2.0.0 bye", "closed: eof",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
}

// TestTLSFlagsRefused: TLS flags that cannot work are bad usage, found
// before any connection.
func TestTLSFlagsRefused(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	notCert := filepath.Join(t.TempDir(), "not-a-cert.pem")
	if err := os.WriteFile(notCert, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startPeer(t, "tcp4", func(net.Conn) {})
	addr := p.Addr()
	cases := [][]string{
		{"connect", "--sni", "example.test", addr},
		{"connect", "--insecure", addr},
		{"connect", "--tls", "--alpn", "h2,,x", addr},
		{"connect", "--tls", "--tls-min", "1.3", "--tls-max", "1.2", addr},
		{"connect", "--tls", "--tls-min", "1.4", addr},
		{"connect", "--tls", "--type", "dgram", addr},
		{"connect", "--tls", "unix:/tmp/sockbench-no-such.sock"},
		{"connect", "--tls", ":" + port(addr)},
		{"connect", "--tls", "--ca", filepath.Join(t.TempDir(), "missing.pem"), addr},
		{"connect", "--tls", "--ca", notCert, addr},
		{"connect", "--tls", "--ca", "", addr},
		{"connect", "--starttls", "ftp", addr},
		{"connect", "--tls", "--sni", "-bad-.test", addr},
		{"listen", "--cert", pki.certFile, "--key", pki.keyFile, "127.0.0.1:0"},
		{"listen", "--tls", "--cert", pki.certFile, "127.0.0.1:0"},
		{"listen", "--tls", "--cert", pki.certFile, "--key", notCert, "127.0.0.1:0"},
		{"listen", "--tls", "--type", "dgram", "127.0.0.1:0"},
	}
	for _, args := range cases {
		r := runCLI(t, args...)
		if r.code != exitUsage || r.stdout != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
		oneLine(t, r.stderr)
	}
	p.assertNoConnection(t)
}

// TestConnectTLSSaysGoodbye: after an exchange that ends normally, the
// last record the server gets is an alert (close_notify; TLS 1.2 shows
// the record's type), not a bare close.
func TestConnectTLSSaysGoodbye(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	last := make(chan tlsinfo.Record, 1)
	addr := startPeer(t, "tcp4", func(c net.Conn) {
		w := tlsinfo.Watch(c, nil, nil)
		tc := tls.Server(w, &tls.Config{Certificates: []tls.Certificate{pki.cert}})
		_, _ = io.Copy(io.Discard, tc)
		var final tlsinfo.Record
		for _, r := range w.Records() {
			if r.Dir == tlsinfo.Received {
				final = r
			}
		}
		last <- final
	}).Addr()
	r := runCLI(t, "connect", "--tls", "--tls-max", "1.2", "--ca", pki.caFile, "--send", "bye", "--read-timeout", "50ms", addr)
	if r.code != exitOK {
		t.Fatalf("status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	select {
	case final := <-last:
		if final.Type != tlsinfo.TypeAlert {
			t.Errorf("the last record the server got: %+v", final)
		}
	case <-time.After(testDeadline):
		t.Fatal("the server did not end")
	}
}

// TestConnectTLSToPlaintext: an HTTP server answers the ClientHello with
// a 400; the failure shows its first bytes, made safe.
func TestConnectTLSToPlaintext(t *testing.T) {
	addr := startPeer(t, "tcp4", func(c net.Conn) {
		_, _ = c.Read(make([]byte, 4096))
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nServer: \x1b]0;x\x07\r\n\r\n")
	}).Addr()
	r := runCLI(t, "connect", "--json", "--tls", "--insecure", addr)
	failed := eventsNamed(jsonLines(t, r.stdout), "tls_failed")
	want := "the peer answered in plaintext, not TLS: HTTP/1.1 400 Bad Request␍␊Server: ␛]0;x␇␍␊␍␊ " +
		"(an HTTP server that took the ClientHello for a bad request: plain HTTP on this port)"
	if r.code != exitNetwork || len(failed) != 1 || r.stderr != "sockbench: TLS handshake failed: "+want+"\n" {
		t.Fatalf("status %d, stdout %s, stderr %q", r.code, r.stdout, r.stderr)
	}
	wantFields(t, failed[0], map[string]any{"kind": "plaintext", "message": want})
}
