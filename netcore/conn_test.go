package netcore_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

// connPatience caps every wait of these tests: a guard against a hang,
// not a speed limit.
const connPatience = 30 * time.Second

// goPeer is the other end of a connection, on Go's net package.
type goPeer struct {
	ln   net.Listener
	conn chan net.Conn
}

// listenGo listens on 127.0.0.1 with Go's net package and hands over the
// first connection accepted.
func listenGo(t *testing.T) *goPeer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &goPeer{ln: ln, conn: make(chan net.Conn, 1)}
	var wg sync.WaitGroup
	wg.Go(func() {
		if c, err := ln.Accept(); err == nil {
			p.conn <- c
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		select {
		case c := <-p.conn:
			_ = c.Close()
		default:
		}
	})
	return p
}

// accepted returns the accepted connection; the test's cleanup closes it.
func (p *goPeer) accepted(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-p.conn:
		t.Cleanup(func() { _ = c.Close() })
		_ = c.SetDeadline(time.Now().Add(connPatience))
		return c
	case <-time.After(connPatience):
		t.Fatal("nothing accepted")
		return nil
	}
}

// dialConn connects a netcore socket to the Go peer and returns its Conn.
func dialConn(t *testing.T, p *goPeer, opts ...netcore.Option) *netcore.Conn {
	t.Helper()
	c, err := dialNetcore(p.ln.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dialNetcore connects a netcore socket to addr and returns its Conn.
func dialNetcore(addr string, opts ...netcore.Option) (*netcore.Conn, error) {
	to := netcore.AddrFromAddrPort(netip.MustParseAddrPort(addr))
	s, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), connPatience)
	defer cancel()
	if err := s.Connect(ctx, to); err != nil {
		return nil, err // Connect closed s
	}
	c, err := netcore.NewConn(s)
	if err != nil {
		_ = s.Close()
	}
	return c, err
}

// selfSigned makes a certificate for 127.0.0.1 that signs itself, with its
// key, for this test only.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "conn test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestConnTLSHandshake runs crypto/tls as a client over a netcore socket
// against crypto/tls as a server on Go's net, and checks that the bytes
// went through the socket's own calls (its trace saw them).
func TestConnTLSHandshake(t *testing.T) {
	cert, pool := selfSigned(t)
	p := listenGo(t)
	var sends atomic.Int64
	c := dialConn(t, p, netcore.WithTrace(func(call netcore.Syscall) {
		if call.Name == "sendmsg" && call.Result > 0 {
			sends.Add(1)
		}
	}))
	serverDone := make(chan error, 1)
	go func() {
		conn := tls.Server(p.accepted(t), &tls.Config{Certificates: []tls.Certificate{cert}})
		buf := make([]byte, 5)
		_, err := io.ReadFull(conn, buf)
		if err == nil {
			_, err = conn.Write(bytes.ToUpper(buf))
		}
		serverDone <- err
	}()

	client := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err := client.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "HELLO" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := <-serverDone; err != nil {
		t.Fatalf("server: %v", err)
	}
	if st := client.ConnectionState(); st.Version != tls.VersionTLS13 || !st.HandshakeComplete {
		t.Errorf("state: version %x, complete %v", st.Version, st.HandshakeComplete)
	}
	if sends.Load() < 2 { // the ClientHello, the Finished, the data
		t.Errorf("the trace saw %d sends", sends.Load())
	}
}

// checkTimeout checks that err is the timeout crypto/tls and net's users
// expect.
func checkTimeout(t *testing.T, what string, err error) {
	t.Helper()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) ||
		netcore.ClassOf(err) != netcore.ClassTimeout {
		t.Fatalf("%s: %v, want a net.Error timeout matching os.ErrDeadlineExceeded", what, err)
	}
	if _, direct := err.(net.Error); !direct { // crypto/tls asserts the type, it does not unwrap
		t.Fatalf("%s: %T is not itself a net.Error", what, err)
	}
}

// waitReadable waits until the socket has data to read.
func waitReadable(t *testing.T, c *netcore.Conn) {
	t.Helper()
	deadline := time.Now().Add(connPatience)
	for {
		ok, err := c.Socket().ReceiveReady()
		if err != nil || ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing to read")
		}
		time.Sleep(time.Millisecond) // a polling interval, not a synchronisation
	}
}

func TestConnPastDeadlineFailsAtOnce(t *testing.T) {
	p := listenGo(t)
	c := dialConn(t, p)
	peer := p.accepted(t)
	if _, err := peer.Write([]byte("waiting")); err != nil {
		t.Fatal(err)
	}
	waitReadable(t, c)
	_ = c.SetReadDeadline(time.Now().Add(-time.Second))
	n, err := c.Read(make([]byte, 16))
	if n != 0 {
		t.Fatalf("read %d bytes past the deadline", n)
	}
	checkTimeout(t, "read past the deadline", err)
	_ = c.SetWriteDeadline(time.Unix(1, 0))
	n, err = c.Write([]byte("x"))
	if n != 0 {
		t.Fatalf("wrote %d bytes past the deadline", n)
	}
	checkTimeout(t, "write past the deadline", err)

	_ = c.SetDeadline(time.Time{}) // the data is still there, and writing works
	buf := make([]byte, 16)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "waiting" {
		t.Fatalf("after clearing the deadline: %q, %v", buf[:n], err)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
}

// TestConnReadDeadlinePasses blocks a read until its deadline passes: a
// timeout, and the Conn still reads once the deadline is moved.
func TestConnReadDeadlinePasses(t *testing.T) {
	p := listenGo(t)
	c := dialConn(t, p)
	peer := p.accepted(t)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Read(make([]byte, 16))
	checkTimeout(t, "blocked read", err)

	_ = c.SetReadDeadline(time.Now().Add(connPatience))
	if _, err := peer.Write([]byte("later")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "later" {
		t.Fatalf("after moving the deadline: %q, %v", buf[:n], err)
	}
}

// TestConnDeadlineMovedWhileWaiting moves the deadline of a read that is
// already waiting, far in the future, to now: the read must end, as it
// does on a net.Conn (crypto/tls and HTTP servers wake readers so).
func TestConnDeadlineMovedWhileWaiting(t *testing.T) {
	p := listenGo(t)
	parked := make(chan struct{})
	var once sync.Once
	c := dialConn(t, p, netcore.WithTrace(func(call netcore.Syscall) {
		if call.Name == "read" && call.Errno == unix.EAGAIN { // about to wait on the poller
			once.Do(func() { close(parked) })
		}
	}))
	p.accepted(t)
	_ = c.SetReadDeadline(time.Now().Add(time.Hour))
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 16))
		done <- err
	}()
	select {
	case <-parked:
	case <-time.After(connPatience):
		t.Fatal("the read never waited")
	}
	_ = c.SetReadDeadline(time.Now())
	select {
	case err := <-done:
		checkTimeout(t, "read whose deadline moved", err)
	case <-time.After(connPatience):
		t.Fatal("moving the deadline did not end the waiting read")
	}
}

// TestConnWriteDeadline fills the path to a peer that does not read: the
// write times out with what it sent counted, and goes on once the peer
// reads and the deadline is cleared.
func TestConnWriteDeadline(t *testing.T) {
	p := listenGo(t)
	c := dialConn(t, p)
	peer := p.accepted(t)
	// 32 MiB: more than the buffers can hold, however the kernel tunes
	// them (a send buffer grows to 4 MiB by default; a receive buffer
	// grows only as its owner reads, and the peer reads nothing).
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<21)
	_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := c.Write(big)
	checkTimeout(t, "write to a peer that does not read", err)
	if n <= 0 || n >= len(big) {
		t.Fatalf("wrote %d of %d bytes before the deadline", n, len(big))
	}
	_ = c.SetWriteDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		m, err := c.Write(big[n:])
		if err == nil && m != len(big)-n {
			err = io.ErrShortWrite
		}
		if err == nil {
			err = c.CloseWrite()
		}
		done <- err
	}()
	got, err := io.ReadAll(peer)
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("the peer got %d bytes (equal %v), %v", len(got), bytes.Equal(got, big), err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestConnCloseWrite: after CloseWrite the peer reads the end of the
// stream, and its answer still arrives.
func TestConnCloseWrite(t *testing.T) {
	p := listenGo(t)
	c := dialConn(t, p)
	peer := p.accepted(t)
	if _, err := c.Write([]byte("question")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(peer)
	if err != nil || string(got) != "question" {
		t.Fatalf("the peer read %q, %v; want the question, then EOF", got, err)
	}
	if _, err := peer.Write([]byte("answer")); err != nil {
		t.Fatal(err)
	}
	_ = peer.Close()
	answer, err := io.ReadAll(c)
	if err != nil || string(answer) != "answer" {
		t.Fatalf("read %q, %v", answer, err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after the end: %d, %v", n, err)
	}
}

func TestConnAddressesAndClose(t *testing.T) {
	p := listenGo(t)
	c := dialConn(t, p)
	peer := p.accepted(t)
	if c.LocalAddr().String() != peer.RemoteAddr().String() || c.RemoteAddr().String() != peer.LocalAddr().String() {
		t.Errorf("local %s remote %s; the peer sees %s, %s", c.LocalAddr(), c.RemoteAddr(), peer.RemoteAddr(), peer.LocalAddr())
	}
	if c.LocalAddr().Network() != "tcp" {
		t.Errorf("network %q", c.LocalAddr().Network())
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) || !errors.Is(err, netcore.ErrClosed) {
			t.Fatalf("read on a closed Conn: %v", err)
		}
	case <-time.After(connPatience):
		t.Fatal("Close did not end the read")
	}
	if !c.Socket().IsClosed() {
		t.Error("the socket is still open")
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

func TestConnUnixPair(t *testing.T) {
	a, b, err := netcore.SocketPair(netcore.FamilyUnix, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := netcore.NewConn(a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.RemoteAddr().(*net.UnixAddr); !ok || c.RemoteAddr().Network() != "unix" {
		t.Errorf("remote %#v", c.RemoteAddr())
	}
	if _, err := b.SendAll(context.Background(), []byte("pair"), 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "pair" {
		t.Fatalf("%q, %v", buf[:n], err)
	}
}

func TestNewConnRefusesWhatIsNoStream(t *testing.T) {
	udp, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	unconnected, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unconnected.Close()
	for name, s := range map[string]*netcore.Socket{"udp": udp, "unconnected": unconnected} {
		c, err := netcore.NewConn(s)
		if c != nil || netcore.ClassOf(err) != netcore.ClassInvalid {
			t.Errorf("%s: %v, %v; want a ClassInvalid error", name, c, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "conn: ") {
			t.Errorf("%s: %q", name, err)
		}
	}
}
