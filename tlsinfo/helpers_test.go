package tlsinfo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sockbench/netcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patience caps every wait of these tests: a guard against a hang, not a
// speed limit.
const patience = 30 * time.Second

// tcpPair returns a connected TCP pair on 127.0.0.1: our end as a netcore
// socket, the peer's on Go's net. Both are closed when the test ends.
func tcpPair(t *testing.T) (*netcore.Socket, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	s, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := s.Connect(ctx, netcore.AddrFromAddrPort(netip.MustParseAddrPort(ln.Addr().String()))); err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("nothing accepted")
	}
	t.Cleanup(func() { _ = peer.Close() })
	_ = peer.SetDeadline(time.Now().Add(patience))
	return s, peer
}

// serveTLS runs a Go TLS server on the peer's end: it shakes hands, then
// echoes in upper case until the end of the stream. The test waits for it
// to end.
func serveTLS(t *testing.T, peer net.Conn, cfg *tls.Config) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		conn := tls.Server(peer, cfg)
		err := conn.Handshake()
		buf := make([]byte, 4096)
		for err == nil {
			var n int
			if n, err = conn.Read(buf); n > 0 {
				_, err = conn.Write([]byte(strings.ToUpper(string(buf[:n]))))
			}
		}
		done <- err
	})
	t.Cleanup(func() { _ = peer.Close(); wg.Wait() })
	return done
}

// testCA is an authority made for one test, with a server certificate
// for 127.0.0.1 and localhost.
func testCA(t *testing.T) (*Authority, tls.Certificate) {
	t.Helper()
	ca, err := NewAuthority("sockbench test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca, issue(t, ca, CertSpec{CommonName: "localhost", Names: []string{"localhost", "127.0.0.1"}})
}

func issue(t *testing.T, ca *Authority, spec CertSpec) tls.Certificate {
	t.Helper()
	cert, err := ca.Issue(spec)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// upgrade runs our client handshake on s.
func upgrade(t *testing.T, s *netcore.Socket, cfg Config) (*Session, error) {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = patience
	}
	return Upgrade(context.Background(), s, nil, SideClient, cfg)
}

func roots(ca *Authority) []*x509.Certificate { return []*x509.Certificate{ca.Cert} }

// stepNames lists the steps as "Name dir" (or "Name" for local ones),
// with "~" after inferred ones.
func stepNames(steps []Step) string {
	var names []string
	for _, s := range steps {
		n := s.Name
		if !s.Local {
			n += " " + s.Dir.String()
		}
		if s.Inferred {
			n += "~"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

func poolOf(ca *Authority) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func newConnForTest(s *netcore.Socket) (net.Conn, error) { return netcore.NewConn(s) }
