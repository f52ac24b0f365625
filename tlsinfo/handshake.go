package tlsinfo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"time"

	"sockbench/netcore"
)

// Side says which end of the handshake we are.
type Side uint8

// Sides.
const (
	SideClient Side = iota
	SideServer
)

// String returns "client" or "server".
func (s Side) String() string {
	if s == SideServer {
		return "server"
	}
	return "client"
}

// Config says how to shake hands.
type Config struct {
	// ServerName is, for a client, the name sent as SNI and the name the
	// server's certificate must cover: the host name the user typed, not
	// the address it resolved to. An IP address is checked against the
	// certificate's addresses and is not sent (SNI carries names only).
	ServerName string
	// ALPN lists the application protocols offered (client) or accepted
	// (server), in order of preference.
	ALPN []string
	// MinVersion and MaxVersion bound the versions (tls.VersionTLS12...);
	// 0 leaves crypto/tls's defaults (TLS 1.2 to TLS 1.3).
	MinVersion, MaxVersion uint16
	// Insecure turns verification off (client): the handshake goes on
	// whatever the certificate, and the report says it was not verified
	// and what verifying would have found.
	Insecure bool
	// Roots, when not nil, are trusted instead of the system's roots (a
	// CA file).
	Roots []*x509.Certificate
	// ExtraRoots are trusted besides the others: the lab's CA, given for
	// the lab's services only.
	ExtraRoots []*x509.Certificate
	// Certificates are a server's certificates, with their keys.
	Certificates []tls.Certificate
	// Timeout limits the whole handshake; 0 means no limit.
	Timeout time.Duration
	// SessionCache, if set, keeps a client's sessions to resume them.
	SessionCache tls.ClientSessionCache
	// Observe, if set, is called with each record once it has been seen.
	Observe func(Record)
}

// ErrNoServerName is the error of a client that is to verify the server
// with no name to verify it against.
var ErrNoServerName = errors.New("no server name to verify the certificate against: name one, or turn verification off")

// ErrNoCertificate is the error of a server given no certificate.
var ErrNoCertificate = errors.New("a TLS server needs a certificate")

// Session is a TLS connection after its handshake, with the wire it runs
// on and the report of the handshake.
type Session struct {
	Conn   *tls.Conn
	Wire   *Wire
	Report *Report
}

// Close closes the session (a close_notify alert, then the connection).
func (s *Session) Close() error { return s.Conn.Close() }

// Client runs a client handshake on c. On failure it returns the session
// all the same, with its report (the steps so far, the chain if one came,
// the Failure), and the *Failure as the error; the connection is then of
// no more use. A Config that cannot work is an error with no session.
// Cancelling ctx during the handshake closes c, as crypto/tls does.
func Client(ctx context.Context, c net.Conn, cfg Config) (*Session, error) {
	return run(ctx, Watch(c, nil, cfg.Observe), SideClient, cfg)
}

// Server runs a server handshake on c, as Client does a client's.
func Server(ctx context.Context, c net.Conn, cfg Config) (*Session, error) {
	return run(ctx, Watch(c, nil, cfg.Observe), SideServer, cfg)
}

// Upgrade starts TLS on a connected stream socket, on either side: after
// a plaintext dialogue such as SMTP's STARTTLS, or at once after the
// connect. pending are bytes already read from the socket that belong to
// the TLS stream (a ClientHello read before the server side upgrades):
// they are read first. The socket keeps its trace and options; closing
// the session closes it.
func Upgrade(ctx context.Context, s *netcore.Socket, pending []byte, side Side, cfg Config) (*Session, error) {
	c, err := netcore.NewConn(s)
	if err != nil {
		return nil, err
	}
	return run(ctx, Watch(c, pending, cfg.Observe), side, cfg)
}

// handshake is one handshake under way.
type handshake struct {
	cfg        Config
	side       Side
	wire       *Wire
	report     *Report
	verifiedAt time.Time
}

func run(ctx context.Context, w *Wire, side Side, cfg Config) (*Session, error) {
	h := &handshake{cfg: cfg, side: side, wire: w,
		report: &Report{Side: side, Start: time.Now(), Insecure: cfg.Insecure && side == SideClient}}
	tcfg, err := h.tlsConfig()
	if err != nil {
		return nil, err
	}
	tc := tls.Client(w, tcfg)
	if side == SideServer {
		tc = tls.Server(w, tcfg)
	}
	if cfg.Timeout > 0 {
		_ = w.SetDeadline(h.report.Start.Add(cfg.Timeout))
	}
	err = tc.HandshakeContext(ctx)
	if cfg.Timeout > 0 {
		_ = w.SetDeadline(time.Time{})
	}
	end := time.Now()
	h.finish(tc.ConnectionState(), end, err)
	s := &Session{Conn: tc, Wire: w, Report: h.report}
	if err != nil {
		return s, h.report.Failure
	}
	return s, nil
}

func (h *handshake) tlsConfig() (*tls.Config, error) {
	c := &tls.Config{NextProtos: h.cfg.ALPN, MinVersion: h.cfg.MinVersion, MaxVersion: h.cfg.MaxVersion,
		ClientSessionCache: h.cfg.SessionCache}
	if h.side == SideServer {
		if len(h.cfg.Certificates) == 0 {
			return nil, ErrNoCertificate
		}
		c.Certificates = h.cfg.Certificates
		return c, nil
	}
	if h.cfg.ServerName == "" && !h.cfg.Insecure {
		return nil, ErrNoServerName
	}
	c.ServerName = h.cfg.ServerName
	// Verification is done here rather than by crypto/tls, so that the
	// chain is kept and a failure can be explained, or reported without
	// stopping the handshake when verification is off.
	c.InsecureSkipVerify = true
	c.VerifyConnection = h.verify
	return c, nil
}

// verify checks the server's chain as crypto/tls would, and keeps it.
func (h *handshake) verify(cs tls.ConnectionState) error {
	now := time.Now()
	chain := cs.PeerCertificates
	h.report.Chain = DescribeChain(chain)
	var f *Failure
	if len(chain) == 0 {
		f = &Failure{Err: errors.New("the server sent no certificate")}
	} else if err := h.check(chain, now); err != nil {
		f = verifyFailure(err, chain, h.cfg.ServerName, now)
	}
	h.verifiedAt = time.Now() // loading the system's roots, the first time, takes a while
	if h.cfg.Insecure {
		h.report.VerifyError = f
		return nil
	}
	h.report.Verified = f == nil
	if f != nil {
		return f
	}
	return nil
}

func (h *handshake) check(chain []*x509.Certificate, now time.Time) error {
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: h.cfg.rootPool(), Intermediates: intermediates,
		DNSName: h.cfg.ServerName, CurrentTime: now})
	return err
}

// rootPool is the pool of trusted roots: nil for the system's alone.
func (c Config) rootPool() *x509.CertPool {
	if c.Roots == nil && len(c.ExtraRoots) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	if c.Roots == nil {
		if system, err := x509.SystemCertPool(); err == nil {
			pool = system
		}
	}
	for _, cert := range append(append([]*x509.Certificate(nil), c.Roots...), c.ExtraRoots...) {
		pool.AddCert(cert)
	}
	return pool
}

// finish fills the report once the handshake has ended.
func (h *handshake) finish(st tls.ConnectionState, end time.Time, err error) {
	r := h.report
	r.Duration = end.Sub(r.Start)
	r.Version, r.CipherSuite, r.ALPN, r.Resumed = st.Version, st.CipherSuite, st.NegotiatedProtocol, st.DidResume
	for _, m := range h.wire.Messages() {
		switch {
		case m.ClientHello != nil:
			r.ServerName, r.OfferedALPN = m.ClientHello.ServerName, m.ClientHello.ALPN
		case m.ServerHello != nil && !m.ServerHello.RetryRequest && r.Version == 0:
			r.Version, r.CipherSuite = m.ServerHello.Version, m.ServerHello.CipherSuite
		}
	}
	if r.Chain == nil && len(st.PeerCertificates) > 0 {
		r.Chain = DescribeChain(st.PeerCertificates)
	}
	if err != nil {
		r.Failure = explain(err, h.wire, h.cfg.Timeout)
	}
	r.Steps = h.steps(st, end, err == nil)
}
