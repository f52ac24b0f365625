package tlsinfo

import (
	"crypto/tls"
	"io"
	"strings"
	"testing"
)

// TestClientTLS13 shakes hands with a Go TLS server over a netcore socket:
// verified against the test's CA, ALPN agreed, the steps in order with
// the encrypted part inferred, and data through the session.
func TestClientTLS13(t *testing.T) {
	ca, cert := testCA(t)
	s, peer := tcpPair(t)
	done := serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})
	sess, err := upgrade(t, s, Config{ServerName: "localhost", ALPN: []string{"http/1.1", "h2"}, Roots: roots(ca)})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	r := sess.Report
	if r.Version != tls.VersionTLS13 || r.ALPN != "h2" || !r.Verified || r.Insecure || r.Resumed || r.Failure != nil {
		t.Errorf("report: %+v", r)
	}
	if r.ServerName != "localhost" || strings.Join(r.OfferedALPN, ",") != "http/1.1,h2" {
		t.Errorf("SNI %q, offered %q", r.ServerName, r.OfferedALPN)
	}
	if len(r.Chain) != 2 || r.Chain[0].Subject != "CN=localhost" || r.Chain[1].Subject != "CN=sockbench test CA" ||
		strings.Join(r.Chain[0].Names(), " ") != "localhost 127.0.0.1" || r.Chain[0].KeyType != "ECDSA P-256" {
		t.Errorf("chain: %+v", r.Chain)
	}
	want := "ClientHello sent, ServerHello received, ChangeCipherSpec received, encrypted handshake received, " +
		"EncryptedExtensions received~, Certificate received~, CertificateVerify received~, verification, " +
		"Finished received~, ChangeCipherSpec sent, encrypted handshake sent, Finished sent~"
	if got := stepNames(r.Steps); got != want {
		t.Errorf("steps\n%s\nwant\n%s", got, want)
	}
	for _, s := range r.Steps {
		if s.Time.Before(r.Start) || s.Time.After(r.Start.Add(r.Duration)) {
			t.Errorf("step %s at %v, outside the handshake", s.Words(), s.Time)
		}
	}
	if got := r.Steps[0].Words(); got != "ClientHello sent: SNI localhost; ALPN http/1.1, h2; versions TLS 1.3, TLS 1.2; "+
		strings.Fields(got)[len(strings.Fields(got))-3]+" cipher suites" {
		t.Errorf("first step %q", got)
	}
	if got := r.Summary(); got != "TLS 1.3, TLS_AES_128_GCM_SHA256, ALPN h2, verified" {
		t.Errorf("summary %q", got)
	}

	if _, err := sess.Conn.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(sess.Conn, buf); err != nil || string(buf) != "HELLO" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	if err := sess.Conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != io.EOF {
		t.Errorf("server ended with %v", err)
	}
	checkRecords(t, sess.Wire)
}

// checkRecords checks the record list of a TLS 1.3 client: the hellos in
// clear, everything after ServerHello protected except the
// compatibility ChangeCipherSpec.
func checkRecords(t *testing.T, w *Wire) {
	t.Helper()
	records := w.Records()
	if len(records) < 6 {
		t.Fatalf("%d records", len(records))
	}
	first, second := records[0], records[1]
	if first.Dir != Sent || first.Type != TypeHandshake || first.Protected || len(first.Messages) != 1 || first.Messages[0] != MsgClientHello {
		t.Errorf("first record %+v", first)
	}
	if second.Dir != Received || second.Type != TypeHandshake || second.Messages[0] != MsgServerHello || second.Version != 0x0303 {
		t.Errorf("second record %+v", second)
	}
	for i, r := range records[2:] {
		if r.Seq != i+2 || r.Type != TypeChangeCipherSpec && (!r.Protected || r.Type != TypeApplicationData) {
			t.Errorf("record %d: %+v", i+2, r)
		}
	}
	var sent, received int64
	for _, r := range records {
		if r.Dir == Sent {
			sent += int64(r.Length) + 5
		} else {
			received += int64(r.Length) + 5
		}
	}
	if sent != w.Total(Sent) {
		t.Errorf("records sent add up to %d bytes, %d went", sent, w.Total(Sent))
	}
	if received > w.Total(Received) {
		t.Errorf("records received add up to %d bytes, %d came", received, w.Total(Received))
	}
}

// TestClientTLS12 caps the version at TLS 1.2: the certificate, the key
// exchange and the change of keys are seen in clear, and the Finished
// messages are encrypted.
func TestClientTLS12(t *testing.T) {
	ca, cert := testCA(t)
	s, peer := tcpPair(t)
	serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	sess, err := upgrade(t, s, Config{ServerName: "127.0.0.1", ALPN: []string{"http/1.1"}, Roots: roots(ca), MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	r := sess.Report
	if r.Version != tls.VersionTLS12 || r.ALPN != "http/1.1" || !r.Verified || r.ServerName != "" {
		t.Errorf("report: version %x, ALPN %q, verified %v, SNI %q", r.Version, r.ALPN, r.Verified, r.ServerName)
	}
	want := "ClientHello sent, ServerHello received, Certificate received, ServerKeyExchange received, ServerHelloDone received, " +
		"verification, ClientKeyExchange sent, ChangeCipherSpec sent, Finished sent, ChangeCipherSpec received, Finished received"
	if got := stepNames(r.Steps); got != want {
		t.Errorf("steps\n%s\nwant\n%s", got, want)
	}
	for _, s := range r.Steps {
		switch {
		case s.Name == "Certificate" && s.Detail != "2 certificates, "+strings.Fields(s.Detail)[2]+" bytes, in clear (TLS 1.2)":
			t.Errorf("certificate step %q", s.Detail)
		case s.Name == "ServerHello" && !strings.Contains(s.Detail, "TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ALPN http/1.1"):
			t.Errorf("server hello step %q", s.Detail)
		case s.Name == "ClientHello" && !strings.HasPrefix(s.Detail, "no SNI; ALPN http/1.1; versions TLS 1.2;"):
			t.Errorf("client hello step %q", s.Detail)
		case s.Name == "verification" && s.Detail != "the chain leads to the roots given (a CA file) and covers 127.0.0.1":
			t.Errorf("verification step %q", s.Detail)
		}
	}
	_ = sess.Close()
}

// TestServerSide runs our server handshake against a Go TLS client: the
// report has what the client asked for.
func TestServerSide(t *testing.T) {
	ca, cert := testCA(t)
	s, peer := tcpPair(t)
	clientDone := make(chan error, 1)
	go func() {
		c := tls.Client(peer, &tls.Config{ServerName: "localhost", RootCAs: poolOf(ca), NextProtos: []string{"smtp", "h2"}})
		err := c.Handshake()
		if err == nil {
			_, err = c.Write([]byte("from the client"))
		}
		clientDone <- err
	}()
	sess, err := Upgrade(t.Context(), s, nil, SideServer, Config{Certificates: []tls.Certificate{cert}, ALPN: []string{"h2"}, Timeout: patience})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	r := sess.Report
	if r.ServerName != "localhost" || r.ALPN != "h2" || r.Version != tls.VersionTLS13 || len(r.Chain) != 0 {
		t.Errorf("report %+v", r)
	}
	want := "ClientHello received, ServerHello sent, ChangeCipherSpec sent, encrypted handshake sent, " +
		"EncryptedExtensions sent~, Certificate sent~, CertificateVerify sent~, Finished sent~, " +
		"ChangeCipherSpec received, encrypted handshake received, Finished received~"
	if got := stepNames(r.Steps); got != want {
		t.Errorf("steps\n%s\nwant\n%s", got, want)
	}
	if err := <-clientDone; err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 15)
	if _, err := io.ReadFull(sess.Conn, buf); err != nil || string(buf) != "from the client" {
		t.Fatalf("%q, %v", buf, err)
	}
	if strings.Contains(r.Summary(), "verified") {
		t.Errorf("a server's summary speaks of verification: %q", r.Summary())
	}
}

// TestUpgradeWithPendingBytes: the server side read the ClientHello
// before it decided to upgrade; the bytes given are read first.
func TestUpgradeWithPendingBytes(t *testing.T) {
	_, cert := testCA(t)
	s, peer := tcpPair(t)
	go func() {
		c := tls.Client(peer, &tls.Config{InsecureSkipVerify: true})
		if c.Handshake() == nil {
			_, _ = c.Write([]byte("ok"))
		}
	}()
	head, err := s.ReceiveN(t.Context(), 3, 0) // the start of the ClientHello's record
	if err != nil || len(head) == 0 || head[0] != 22 {
		t.Fatalf("read %x, %v", head, err)
	}
	sess, err := Upgrade(t.Context(), s, head, SideServer, Config{Certificates: []tls.Certificate{cert}, Timeout: patience})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(sess.Conn, buf); err != nil || string(buf) != "ok" {
		t.Fatalf("%q, %v", buf, err)
	}
	if got := sess.Wire.Messages()[0]; got.Type != MsgClientHello || got.Dir != Received {
		t.Errorf("first message %+v", got)
	}
}

func TestConfigThatCannotWork(t *testing.T) {
	s, _ := tcpPair(t)
	if _, err := upgrade(t, s, Config{}); err != ErrNoServerName {
		t.Errorf("client with no name: %v", err)
	}
	if _, err := Upgrade(t.Context(), s, nil, SideServer, Config{}); err != ErrNoCertificate {
		t.Errorf("server with no certificate: %v", err)
	}
	if s.IsClosed() {
		t.Error("the socket was closed")
	}
}
