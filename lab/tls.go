package lab

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// Kinds of TLS service: each teaches one outcome of a handshake.
const (
	TLSEcho       Kind = "tls-echo"       // echo over TLS, a certificate the lab's CA signed
	TLSExpired    Kind = "tls-expired"    // a certificate that has expired
	TLSWrongName  Kind = "tls-wrongname"  // a certificate for another name
	TLSSelfSigned Kind = "tls-selfsigned" // a certificate that signs itself
	TLSNoChain    Kind = "tls-nochain"    // a certificate sent without its intermediate
	SMTPStartTLS  Kind = "smtp-starttls"  // SMTP-like lines, STARTTLS, then lines over TLS
)

// WrongName is the only name the certificate of tls-wrongname covers.
const WrongName = "wrong-name.sockbench.test"

// handshakeLimit bounds a client's handshake with a lab service.
const handshakeLimit = 30 * time.Second

// labCerts are the lab's certificates, made in memory at start.
type labCerts struct {
	ca         *tlsinfo.Authority
	intermed   *tlsinfo.Authority
	good       tls.Certificate // for localhost, 127.0.0.1 and ::1, signed by ca
	expired    tls.Certificate
	wrongName  tls.Certificate
	selfSigned tls.Certificate
	noChain    tls.Certificate // signed by intermed, sent without it
}

// loopbackNames are the names the lab's good certificates cover.
var loopbackNames = []string{"localhost", "127.0.0.1", "::1"}

func makeCerts(now time.Time) (*labCerts, error) {
	c := &labCerts{}
	var err error
	if c.ca, err = tlsinfo.NewAuthority("sockbench lab CA"); err != nil {
		return nil, err
	}
	if c.intermed, err = c.ca.Intermediate("sockbench lab intermediate"); err != nil {
		return nil, err
	}
	specs := []struct {
		out    *tls.Certificate
		issuer *tlsinfo.Authority
		spec   tlsinfo.CertSpec
	}{
		{&c.good, c.ca, tlsinfo.CertSpec{CommonName: "sockbench lab", Names: loopbackNames}},
		{&c.expired, c.ca, tlsinfo.CertSpec{CommonName: "sockbench lab (expired)", Names: loopbackNames,
			NotBefore: now.Add(-120 * 24 * time.Hour), NotAfter: now.Add(-30 * 24 * time.Hour)}},
		{&c.wrongName, c.ca, tlsinfo.CertSpec{CommonName: WrongName, Names: []string{WrongName}}},
		{&c.noChain, c.intermed, tlsinfo.CertSpec{CommonName: "sockbench lab (no chain)", Names: loopbackNames}},
		{&c.selfSigned, nil, tlsinfo.CertSpec{CommonName: "sockbench lab (self-signed)", Names: loopbackNames}},
	}
	for _, s := range specs {
		if s.issuer == nil {
			*s.out, err = tlsinfo.SelfSigned(s.spec)
		} else {
			*s.out, err = s.issuer.Issue(s.spec)
		}
		if err != nil {
			return nil, err
		}
	}
	c.noChain.Certificate = c.noChain.Certificate[:1]
	return c, nil
}

// tlsService is one kind of TLS service.
type tlsService struct {
	kind     Kind
	help     string
	cert     func(*labCerts) tls.Certificate
	startTLS string // the plaintext protocol before the upgrade, if any
}

// tlsServices lists the TLS kinds in the order Services shows them.
var tlsServices = []tlsService{
	{TLSEcho, "TLS echo; its certificate is signed by the lab's CA, which is trusted for lab services only",
		func(c *labCerts) tls.Certificate { return c.good }, ""},
	{TLSExpired, "TLS with a certificate that expired 30 days ago: verifying fails, with its dates",
		func(c *labCerts) tls.Certificate { return c.expired }, ""},
	{TLSWrongName, "TLS with a certificate for " + WrongName + " only: a name mismatch",
		func(c *labCerts) tls.Certificate { return c.wrongName }, ""},
	{TLSSelfSigned, "TLS with a self-signed certificate: an unknown authority",
		func(c *labCerts) tls.Certificate { return c.selfSigned }, ""},
	{TLSNoChain, "TLS whose server leaves out the intermediate certificate: a missing intermediate",
		func(c *labCerts) tls.Certificate { return c.noChain }, ""},
	{SMTPStartTLS, "SMTP-like lines: 220, EHLO offers STARTTLS, STARTTLS upgrades, then lines come back over TLS",
		func(c *labCerts) tls.Certificate { return c.good }, "smtp"},
}

// startTLSServices makes the certificates and starts every TLS service
// on every host.
func (l *Lab) startTLSServices(ctx context.Context, hosts []string) error {
	certs, err := makeCerts(time.Now())
	if err != nil {
		return fmt.Errorf("lab: certificates: %w", err)
	}
	l.certs = certs
	for _, svc := range tlsServices {
		for _, host := range hosts {
			if err := l.startTLS(ctx, svc, host); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *Lab) startTLS(ctx context.Context, svc tlsService, host string) error {
	ln, addr, err := l.bound(host, netcore.SockStream)
	if err == nil {
		err = ln.Listen(netcore.DefaultBacklog)
	}
	if err != nil {
		return fmt.Errorf("lab: %s on %s: %w", svc.kind, host, err)
	}
	cert := svc.cert(l.certs)
	h := handler{kind: svc.kind, stream: func(ctx context.Context, c *netcore.Socket, _ replyFunc) error {
		if svc.startTLS != "" {
			return serveSMTP(ctx, c, cert)
		}
		return serveTLSEcho(ctx, c, nil, cert)
	}}
	l.wg.Go(func() { l.acceptLoop(ctx, ln, h) })
	l.services = append(l.services, Service{Name: string(svc.kind), Kind: svc.kind, Network: "tcp", Addr: addr,
		Help: svc.help, TLS: true, StartTLS: svc.startTLS})
	return nil
}

// CA returns the lab's certificate authority, which signs the
// certificates of tls-echo, tls-expired, tls-wrongname and smtp-starttls
// (and, through an intermediate, tls-nochain). Trust it for the lab's
// services only: RootsFor gives it for their addresses and no other.
func (l *Lab) CA() *x509.Certificate { return l.certs.ca.Cert }

// CAPEM returns the lab's CA certificate in PEM, to export it (for
// sockbench connect --ca, or openssl s_client -CAfile).
func (l *Lab) CAPEM() []byte { return l.certs.ca.PEM() }

// RootsFor returns the roots to trust, besides the usual ones, for a TCP
// connection to addr: the lab's CA when addr is one of the lab's TLS
// services, nothing otherwise.
func (l *Lab) RootsFor(addr netcore.Addr) []*x509.Certificate {
	for _, s := range l.services {
		if s.TLS && s.Addr == addr {
			return []*x509.Certificate{l.certs.ca.Cert}
		}
	}
	return nil
}

// serveTLSEcho shakes hands as a server on c (pending: bytes of the
// stream already read) and echoes until the client closes.
func serveTLSEcho(ctx context.Context, c *netcore.Socket, pending []byte, cert tls.Certificate) error {
	sess, err := tlsinfo.Upgrade(ctx, c, pending, tlsinfo.SideServer,
		tlsinfo.Config{Certificates: []tls.Certificate{cert}, Timeout: handshakeLimit})
	if err != nil {
		return err
	}
	stop := untilDone(ctx, sess.Conn)
	defer stop()
	buf := make([]byte, readSize)
	for {
		n, err := sess.Conn.Read(buf)
		if n > 0 {
			if _, werr := sess.Conn.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return sess.Conn.CloseWrite()
		}
		if err != nil {
			return err
		}
	}
}

// untilDone ends the reads and writes of a TLS session when ctx ends; the
// function it returns stops watching.
func untilDone(ctx context.Context, c *tls.Conn) func() bool {
	return context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
}

// Lines of the SMTP-like service.
const (
	smtpGreeting  = "220 sockbench lab ESMTP: say EHLO, then STARTTLS\r\n"
	smtpEHLO      = "250-sockbench lab greets you\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
	smtpEHLOInTLS = "250-sockbench lab greets you, in TLS\r\n250 8BITMIME\r\n"
	smtpGoAhead   = "220 2.0.0 ready to start TLS\r\n"
	smtpBye       = "221 2.0.0 bye\r\n"
	smtpNeedTLS   = "530 5.7.0 must issue a STARTTLS command first\r\n"
	smtpAlready   = "503 5.5.1 TLS is already on\r\n"
	maxLine       = 4096
)

// serveSMTP speaks enough SMTP for STARTTLS: the greeting, EHLO (which
// offers STARTTLS), STARTTLS (then the upgrade), QUIT; other commands are
// refused until TLS is on, and after it every other line comes back.
func serveSMTP(ctx context.Context, c *netcore.Socket, cert tls.Certificate) error {
	if _, err := c.SendAll(ctx, []byte(smtpGreeting), 0); err != nil {
		return err
	}
	var buf []byte
	chunk := make([]byte, 1024)
	for {
		i := strings.IndexByte(string(buf), '\n')
		if i < 0 {
			if len(buf) > maxLine {
				return fmt.Errorf("a line longer than %d bytes", maxLine)
			}
			n, err := c.Receive(ctx, chunk, 0)
			if err != nil || n == 0 {
				return err
			}
			buf = append(buf, chunk[:n]...)
			continue
		}
		verb := smtpVerb(string(buf[:i]))
		buf = buf[i+1:]
		answer := smtpNeedTLS
		switch verb {
		case "EHLO", "HELO":
			answer = smtpEHLO
		case "QUIT":
			_, err := c.SendAll(ctx, []byte(smtpBye), 0)
			return err
		case "STARTTLS":
			if _, err := c.SendAll(ctx, []byte(smtpGoAhead), 0); err != nil {
				return err
			}
			return serveSMTPInTLS(ctx, c, buf, cert)
		}
		if _, err := c.SendAll(ctx, []byte(answer), 0); err != nil {
			return err
		}
	}
}

// smtpVerb is a command line's verb, in capitals.
func smtpVerb(line string) string {
	verb, _, _ := strings.Cut(strings.TrimRight(line, "\r"), " ")
	return strings.ToUpper(verb)
}

// serveSMTPInTLS upgrades, then answers EHLO and QUIT and sends every
// other line back.
func serveSMTPInTLS(ctx context.Context, c *netcore.Socket, pending []byte, cert tls.Certificate) error {
	sess, err := tlsinfo.Upgrade(ctx, c, pending, tlsinfo.SideServer,
		tlsinfo.Config{Certificates: []tls.Certificate{cert}, Timeout: handshakeLimit})
	if err != nil {
		return err
	}
	stop := untilDone(ctx, sess.Conn)
	defer stop()
	r := bufio.NewReaderSize(sess.Conn, maxLine)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		answer := line
		switch smtpVerb(strings.TrimSuffix(string(line), "\n")) {
		case "EHLO", "HELO":
			answer = []byte(smtpEHLOInTLS)
		case "STARTTLS":
			answer = []byte(smtpAlready)
		case "QUIT":
			_, err := sess.Conn.Write([]byte(smtpBye))
			return err
		}
		if _, err := sess.Conn.Write(answer); err != nil {
			return err
		}
	}
}
