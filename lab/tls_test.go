package lab

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// dialGo connects to a service with Go's net package.
func dialGo(t *testing.T, s Service) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr.String(), wait)
	if err != nil {
		t.Fatalf("connect to %s: %v", s.Name, err)
	}
	_ = c.SetDeadline(time.Now().Add(wait))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// labRoots is a pool holding the lab's CA alone.
func labRoots(l *Lab) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(l.CA())
	return p
}

// handshakeWith shakes hands with a service as a Go TLS client.
func handshakeWith(t *testing.T, s Service, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	c := tls.Client(dialGo(t, s), cfg)
	return c, c.Handshake()
}

func TestTLSEcho(t *testing.T) {
	l := start(t)
	for _, fam := range families {
		s := service(t, l, "tls-echo", fam)
		if !s.TLS || s.StartTLS != "" || s.Network != "tcp" {
			t.Errorf("%+v", s)
		}
		c, err := handshakeWith(t, s, &tls.Config{RootCAs: labRoots(l), ServerName: s.Addr.IP().String()})
		if err != nil {
			t.Fatalf("%s: %v", fam, err)
		}
		if st := c.ConnectionState(); len(st.PeerCertificates) != 2 || !st.PeerCertificates[1].Equal(l.CA()) {
			t.Errorf("%s: the chain does not end at the lab's CA", fam)
		}
		if _, err := c.Write(allBytes()); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 256)
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, allBytes()) {
			t.Fatalf("%s: echo %x, %v", fam, got, err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Read(got); n != 0 || err != io.EOF {
			t.Errorf("%s: after our close: %d, %v", fam, n, err)
		}
	}
}

// TestTLSLessons: each service fails verification for its own reason
// with a Go client that trusts the lab's CA, and works once that reason
// is taken away.
func TestTLSLessons(t *testing.T) {
	l := start(t)
	cases := []struct {
		name  string
		check func(error) bool
		fix   func(*tls.Config)
	}{
		{"tls-expired", func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}, func(c *tls.Config) { c.InsecureSkipVerify = true }},
		{"tls-wrongname", func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e) && e.Certificate.DNSNames[0] == WrongName
		}, func(c *tls.Config) { c.ServerName = WrongName }},
		{"tls-selfsigned", func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}, func(c *tls.Config) { c.InsecureSkipVerify = true }},
		{"tls-nochain", func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e) && e.Cert.Issuer.CommonName == "sockbench lab intermediate"
		}, func(c *tls.Config) { c.InsecureSkipVerify = true }},
	}
	for _, fam := range families {
		for _, c := range cases {
			s := service(t, l, c.name, fam)
			cfg := &tls.Config{RootCAs: labRoots(l), ServerName: "localhost"}
			if _, err := handshakeWith(t, s, cfg); !c.check(err) {
				t.Errorf("%s %s: %v (%T)", c.name, fam, err, err)
			}
			c.fix(cfg)
			conn, err := handshakeWith(t, s, cfg)
			if err != nil {
				t.Fatalf("%s %s fixed: %v", c.name, fam, err)
			}
			if _, err := conn.Write([]byte("lesson")); err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(io.LimitReader(conn, 6)); err != nil || string(got) != "lesson" {
				t.Errorf("%s %s: echo %q, %v", c.name, fam, got, err)
			}
		}
	}
}

// TestSMTPStartTLS speaks to the SMTP-like service by hand, with Go's TLS
// client for the upgrade.
func TestSMTPStartTLS(t *testing.T) {
	l := start(t)
	s := service(t, l, "smtp-starttls", netcore.FamilyInet)
	if !s.TLS || s.StartTLS != "smtp" {
		t.Errorf("%+v", s)
	}
	conn := dialGo(t, s)
	r := bufio.NewReader(conn)
	expect := func(r *bufio.Reader, want string) {
		t.Helper()
		got := ""
		for len(got) < len(want) {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: %v", got, err)
			}
			got += line
		}
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	say := func(w io.Writer, line string) {
		t.Helper()
		if _, err := io.WriteString(w, line+"\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	expect(r, smtpGreeting)
	say(conn, "MAIL FROM:<me@example.test>")
	expect(r, smtpNeedTLS)
	say(conn, "EHLO client.test")
	expect(r, smtpEHLO)
	say(conn, "STARTTLS")
	expect(r, smtpGoAhead)
	if r.Buffered() != 0 {
		t.Fatal("bytes after the go-ahead")
	}
	tc := tls.Client(conn, &tls.Config{RootCAs: labRoots(l), ServerName: "127.0.0.1"})
	tr := bufio.NewReader(tc)
	say(tc, "EHLO client.test")
	expect(tr, smtpEHLOInTLS)
	say(tc, "hello \x00 inside")
	expect(tr, "hello \x00 inside\r\n")
	say(tc, "STARTTLS")
	expect(tr, smtpAlready)
	say(tc, "QUIT")
	expect(tr, smtpBye)
	if _, err := tr.ReadByte(); err != io.EOF {
		t.Errorf("after QUIT: %v", err)
	}
}

// TestSMTPStartTLSWithTlsinfo runs the command line's path: StartTLS,
// then Upgrade with the lab's CA as the extra root for this service.
func TestSMTPStartTLSWithTlsinfo(t *testing.T) {
	l := start(t)
	for _, fam := range families {
		s := service(t, l, "smtp-starttls", fam)
		c := dial(t, s)
		pending, err := tlsinfo.StartTLS(t.Context(), c, "smtp", nil)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := tlsinfo.Upgrade(t.Context(), c, pending, tlsinfo.SideClient,
			tlsinfo.Config{ServerName: s.Addr.IP().String(), Roots: []*x509.Certificate{}, ExtraRoots: l.RootsFor(s.Addr), Timeout: wait})
		if err != nil {
			t.Fatalf("%s: %v", fam, err)
		}
		if !sess.Report.Verified || sess.Report.Chain[0].Subject != "CN=sockbench lab" {
			t.Errorf("%s: %+v", fam, sess.Report)
		}
		_ = sess.Close()
	}
}

func TestRootsForLabServicesOnly(t *testing.T) {
	l := start(t)
	for _, s := range l.Services() {
		if s.Network != "tcp" {
			continue // TLS runs over TCP: a UDP service may have a TLS service's port number
		}
		roots := l.RootsFor(s.Addr)
		if s.TLS != (len(roots) == 1) || s.TLS && !roots[0].Equal(l.CA()) {
			t.Errorf("%s at %s: roots %v", s.Name, s.Addr, roots)
		}
	}
	other, _ := netcore.ParseAddr("127.0.0.1:443")
	if l.RootsFor(other) != nil {
		t.Error("the lab's CA trusted for another address")
	}
	certs, err := tlsinfo.ParseCertificatesPEM(l.CAPEM())
	if err != nil || len(certs) != 1 || !certs[0].Equal(l.CA()) || !strings.Contains(l.CA().Subject.CommonName, "lab") {
		t.Errorf("CAPEM: %v", err)
	}
	if b := start(t); b.CA().Equal(l.CA()) {
		t.Error("two labs share a CA")
	}
}

// TestCloseStopsTLSClients closes a lab while one client is inside a TLS
// session and another has not begun its handshake.
func TestCloseStopsTLSClients(t *testing.T) {
	l, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s := service(t, l, "tls-echo", netcore.FamilyInet)
	inside, err := handshakeWith(t, s, &tls.Config{RootCAs: labRoots(l), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	dialGo(t, s) // never says hello
	dialGo(t, service(t, l, "smtp-starttls", netcore.FamilyInet6))
	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("Close did not return")
	}
	if _, err := inside.Read(make([]byte, 1)); err == nil {
		t.Error("the session goes on after Close")
	}
}
