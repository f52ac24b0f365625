package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"sockbench/tlsinfo"
)

// dialTLS connects to addr as a TLS client that trusts only pki's
// authority, and returns the session after its handshake.
func dialTLS(t *testing.T, pki *testPKI, addr string) *tls.Conn {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pki.ca.PEM()) {
		t.Fatal("the test authority's PEM")
	}
	c, err := net.DialTimeout("tcp", addr, testDeadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(testDeadline))
	tc := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	return tc
}

// TestListenTLSReplies: the canned replies go inside TLS, after the
// handshake, the greeting first; the close rule ends it with close_notify.
func TestListenTLSReplies(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	args := append([]string{"listen", "--once", "--tls", "--cert", pki.certFile, "--key", pki.keyFile}, smtpRules...)
	b := runBackground(t, append(args, "127.0.0.1:0")...)
	c := dialTLS(t, pki, listeningAddr(t, b))
	var got strings.Builder
	buf := make([]byte, 64)
	for _, send := range []string{"", "EHLO x\r\n", "QUIT\r\n"} {
		if _, err := io.WriteString(c, send); err != nil {
			t.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", send, err)
		}
		got.Write(buf[:n])
	}
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after the close rule: %d bytes, %v; want close_notify (io.EOF)", n, err)
	}
	if want := "220 fake ready\r\n250 hello 2\r\n221 bye\r\n"; got.String() != want {
		t.Errorf("the client got %q, want %q", got.String(), want)
	}
	if code := b.wait(t); code != exitOK {
		t.Errorf("status %d; stderr %q", code, b.stderr)
	}
	wantInOrder(t, b.stdout.String(), "tls established after ", "sent 16 bytes auto (rule 1)\n", "|EHLO x←↓|",
		"sent 13 bytes auto (rule 2)\n", "|QUIT←↓|", "sent 9 bytes auto (rule 3)\n", "auto: close (rule 3)\n",
		"closed: auto-close (received 14 bytes, sent 38 bytes)\n")
}

// TestListenTLSReplyReset: a reset rule inside TLS sends its reply in
// TLS, then RST with no close_notify before it.
func TestListenTLSReplyReset(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	b := runBackground(t, "listen", "--once", "--tls", "--cert", pki.certFile, "--key", pki.keyFile,
		"--reply", `boom=>bye\r\n;reset`, "127.0.0.1:0")
	c := dialTLS(t, pki, listeningAddr(t, b))
	if _, err := io.WriteString(c, "boom"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "bye\r\n" {
		t.Errorf("got %q, %v", buf[:n], err)
	}
	if _, err := c.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("after the reply: %v, want ECONNRESET", err)
	}
	if code := b.wait(t); code != exitOK || !strings.Contains(b.stdout.String(), "auto: reset (rule 1)\n") {
		t.Errorf("status %d, stdout:\n%s", code, b.stdout)
	}
}

// TestConnectTLSSnippet: a snippet's sends go inside TLS and its waits
// see the plaintext; QUIT goes only after 250 came.
func TestConnectTLSSnippet(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	server := startFakeSMTPOver(t, &tls.Config{Certificates: []tls.Certificate{pki.cert}},
		map[string]string{"EHLO x\r\n": "250 hello\r\n", "QUIT\r\n": "221 bye\r\n"})
	res := runCLI(t, "connect", "--tls", "--ca", pki.caFile, "--snippets", writeSnippets(t, smtpSnippets),
		"--snippet", "smtp", "--read-timeout", "50ms", "localhost:"+port(server.Addr()))
	if res.code != exitOK {
		t.Fatalf("status %d, stderr %q, stdout:\n%s", res.code, res.stderr, res.stdout)
	}
	if got := server.got(); got != "EHLO x\r\nQUIT\r\n" {
		t.Errorf("the server received %q", got)
	}
	wantInOrder(t, res.stdout, ", verified\n", "sent 8 bytes\n", "step 1/4 send: 8 bytes\n",
		"step 2/4 wait: matched 3 bytes: 250\n", "sent 6 bytes\n", "step 3/4 send: 6 bytes\n",
		"step 4/4 wait: matched 3 bytes: 221\n", "closed: timeout")
}

// TestConnectTLSRepeatExpand: --repeat and --expand inside TLS: each send
// expanded anew, all of them echoed.
func TestConnectTLSRepeatExpand(t *testing.T) {
	pki := newPKI(t, tlsinfo.CertSpec{CommonName: "localhost"})
	addr := tlsPeer(t, &tls.Config{Certificates: []tls.Certificate{pki.cert}}, tlsEcho)
	res := runCLI(t, "connect", "--tls", "--ca", pki.caFile, "--repeat", "3", "--expand", "--send", `ping {n}\n`,
		"--shutdown-after-send", "--recv-file", "-", "localhost:"+port(addr))
	if res.code != exitOK {
		t.Fatalf("status %d, stderr %q, stdout:\n%s", res.code, res.stderr, res.stdout)
	}
	if res.stdout != "ping 1\nping 2\nping 3\n" {
		t.Errorf("stdout:\n%s", res.stdout)
	}
}
