package model

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockbench/engine"
	"sockbench/internal/testpeer"
	"sockbench/netcore"
	"sockbench/tlsinfo"
	"sockbench/ui"
)

// startTLSPeer is an SMTP-like peer: a greeting, then STARTTLS upgrades
// to TLS with cert, then it echoes each line inside TLS.
func startTLSPeer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	return testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		in := bufio.NewReader(c)
		if _, err := io.WriteString(c, "220 ready\r\n"); err != nil {
			return
		}
		if line, err := in.ReadString('\n'); err != nil || line != "STARTTLS\r\n" {
			return
		}
		if _, err := io.WriteString(c, "220 go ahead\r\n"); err != nil {
			return
		}
		s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer s.Close()
		_, _ = io.Copy(s, s)
	}).String()
}

// TestStartTLSByHand: the plaintext part spoken on the send line, then t
// upgrades with a CA file named in the settings; the plaintext inside TLS
// comes back, the row says tls, and H shows the chain.
func TestStartTLSByHand(t *testing.T) {
	ca, err := tlsinfo.NewAuthority("model test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(tlsinfo.CertSpec{CommonName: "smtp.test", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, Config{Target: startTLSPeer(t, cert), Timeout: 5 * time.Second}, 150, 50)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	k := d.m.socks.all[0]
	d.pumpUntil("the greeting", func() bool { return k.Store().Stats().RxBytes == int64(len("220 ready\r\n")) })
	d.m.setFocus(ui.PanelSend, true)
	d.typeText("STARTTLS")
	d.key("enter")
	d.pumpUntil("the go-ahead", func() bool { return strings.Contains(string(receivedBytes(t, k)), "220 go ahead") })

	d.m.setFocus(ui.PanelSockets, true)
	d.key("t")
	if d.m.prompt == nil || !strings.Contains(d.m.prompt.label, "verifies 127.0.0.1") {
		t.Fatalf("no TLS prompt naming the host:\n%s", d.plain())
	}
	d.typeText("ca=" + caFile + " alpn=smtp")
	d.key("enter")
	d.pumpUntil("the handshake", func() bool { return k.TLS() != nil })
	d.pumpUntil("the status", func() bool { return strings.Contains(d.m.c.status, "TLS established: TLS 1.3") })
	if !strings.Contains(d.m.c.status, "verified") || !d.screenHas("tls ") {
		t.Errorf("status %q; screen:\n%s", d.m.c.status, d.plain())
	}

	d.m.setFocus(ui.PanelSend, true)
	d.typeText("hello inside")
	d.key("enter")
	d.pumpUntil("the echo inside TLS", func() bool {
		return strings.HasSuffix(string(receivedBytes(t, k)), "hello inside\r\n")
	})
	if got := string(receivedBytes(t, k)); got != "220 ready\r\n220 go ahead\r\nhello inside\r\n" {
		t.Errorf("received %q: want the plaintext before and inside TLS, nothing else", got)
	}

	d.m.setFocus(ui.PanelSockets, true)
	d.key("H")
	if _, ok := d.m.overlay.(*handshakeOverlay); !ok {
		t.Fatalf("H opened no handshake view:\n%s", d.plain())
	}
	for _, want := range []string{"ClientHello", "version  TLS 1.3", "certificate 1 of 2", "smtp.test", "model test CA", "verify   verified"} {
		if !d.screenHas(want) {
			t.Errorf("the handshake view lacks %q:\n%s", want, d.plain())
		}
	}
	d.key("esc")
	d.m.setFocus(ui.PanelHex, true)
	d.key("v")
	d.waitScreen("TLS established")
}

// TestTLSOnConnectToTheLab: a lab service that speaks TLS turns TLS on
// for the connect, and the lab's CA verifies it; a service that does not
// turns it off again.
func TestTLSOnConnectToTheLab(t *testing.T) {
	ca, err := tlsinfo.NewAuthority("lab CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(tlsinfo.CertSpec{CommonName: "lab", Names: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	echo := testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer s.Close()
		_, _ = io.Copy(s, s)
	})
	svc := LabService{Name: "tls-echo", Kind: "tls-echo", Network: "tcp", Addr: mustAddr(t, echo.String()), TLS: true}
	plain := LabService{Name: "echo/tcp", Kind: "echo", Network: "tcp", Addr: mustAddr(t, testpeer.Echo(t, "tcp4", "127.0.0.1:0").String())}
	lab := &fakeLab{services: []LabService{svc, plain}, roots: []*x509.Certificate{ca.Cert}}
	d := newDriver(t, Config{StartLab: func(context.Context) (Lab, error) { return lab, nil }}, 150, 50)
	d.pumpUntil("the lab", func() bool { return len(d.m.lab.services) == 2 })
	d.m.setFocus(ui.PanelLab, true)
	d.key("c")
	d.pumpUntil("the TLS connection", func() bool { return len(d.m.socks.all) == 1 && d.m.socks.all[0].TLS() != nil })
	if r := d.m.socks.all[0].TLSReport(); !r.Verified {
		t.Errorf("the lab's service was not verified with the lab's CA: %s", r.Summary())
	}
	d.m.setFocus(ui.PanelLab, true)
	d.key("down", "c")
	d.pumpUntil("the plain connection", func() bool { return len(d.m.socks.all) == 2 })
	if d.m.att.tls {
		t.Error("TLS stayed on for a service that does not speak it")
	}
}

// TestTLSSettingsBadInput: each bad settings line is one clear message,
// and nothing starts.
func TestTLSSettingsBadInput(t *testing.T) {
	cases := []struct {
		line string
		side tlsinfo.Side
		want string
	}{
		{"bogus=1", tlsinfo.SideClient, "is not a TLS setting"},
		{"sni=", tlsinfo.SideClient, "sni:"},
		{"sni=a\\x1bb", tlsinfo.SideClient, "not a host name"},
		{"alpn=", tlsinfo.SideClient, "empty protocol name"},
		{"min=1.4", tlsinfo.SideClient, "not a TLS version"},
		{"min=1.3 max=1.2", tlsinfo.SideClient, "above max"},
		{"insecure=yes", tlsinfo.SideClient, "takes no value"},
		{"ca=", tlsinfo.SideClient, "needs a FILE"},
		{"ca=/nonexistent/ca.pem", tlsinfo.SideClient, "ca"},
		{"cert=/x.pem", tlsinfo.SideClient, "is for a TLS server"},
		{"cert=/x.pem", tlsinfo.SideServer, "go together"},
		{"sni=example.com", tlsinfo.SideServer, "is for a TLS client"},
		{"timeout=0", tlsinfo.SideClient, "needs a limit"},
		{"timeout=NaN", tlsinfo.SideClient, "timeout"},
	}
	for _, c := range cases {
		_, err := parseTLSSettings(c.line, c.side)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseTLSSettings(%q, %s) = %v, want one line with %q", c.line, c.side, err, c.want)
		}
	}
	cfg, err := parseTLSSettings("sni=example.com alpn=h2,http/1.1 min=1.2 max=1.3 insecure timeout=5s", tlsinfo.SideClient)
	if err != nil || cfg.ServerName != "example.com" || len(cfg.ALPN) != 2 || cfg.MinVersion != tls.VersionTLS12 ||
		cfg.MaxVersion != tls.VersionTLS13 || !cfg.Insecure || cfg.Timeout != 5*time.Second {
		t.Errorf("good line: %+v, %v", cfg, err)
	}
	// The prompt shows the message and starts nothing.
	d := newDriver(t, Config{}, 120, 40)
	k := connectTo(t, d, testpeer.Echo(t, "tcp4", "127.0.0.1:0").String())
	d.m.setFocus(ui.PanelSockets, true)
	d.key("t")
	d.typeText("min=9")
	d.key("enter")
	if d.m.prompt == nil || !d.screenHas("✗ min: \"9\" is not a TLS version") || k.TLSReport() != nil {
		t.Errorf("bad settings:\n%s", d.plain())
	}
	if _, ran := k.TLSRecords(); ran {
		t.Error("a handshake started on bad settings")
	}
}

// connectTo connects the workbench's engine to addr and returns the
// socket, once the sockets panel lists it.
func connectTo(t *testing.T, d *driver, addr string) *engine.Sock {
	t.Helper()
	rows := []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: mustAddr(t, addr)}}
	n := len(d.m.socks.all)
	go d.m.c.engine.Connect(context.Background(), engine.Dial{Rows: rows, Traces: []*engine.Trace{engine.NewTrace()}})
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == n+1 })
	return d.m.socks.all[n]
}

// TestHostileCertificate: a certificate whose subject and names hold
// escape sequences (a title change, a screen clear, a bell) is shown with
// them made visible; nothing of them reaches the terminal.
func TestHostileCertificate(t *testing.T) {
	cert, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "evil\x1b]0;PWNED\x07\x1b[2J",
		Names: []string{"127.0.0.1", "x\x1b[31mred\x1b]52;c;AAAA\x07.test"}})
	if err != nil {
		t.Fatal(err)
	}
	echo := testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer s.Close()
		_, _ = io.Copy(s, s)
	})
	d := newDriver(t, Config{}, 150, 50)
	k := connectTo(t, d, echo.String())
	d.m.setFocus(ui.PanelSockets, true)
	d.key("t")
	d.typeText("insecure")
	d.key("enter")
	d.pumpUntil("the handshake", func() bool { return k.TLSReport() != nil })
	d.key("H")
	d.waitScreen("PWNED")
	raw := d.view()
	for _, bad := range []string{"\x1b]0;", "\x07", "\x1b[2J", "\x1b]52;", "\x1b[31mred"} {
		if strings.Contains(raw, bad) {
			t.Errorf("the screen holds %q from the certificate", bad)
		}
	}
	if !d.screenHas("NOT VERIFIED") || !d.screenHas("tls!") && !strings.Contains(socketRowText(d), "tls!") {
		t.Errorf("an unverified connection is not marked:\n%s", d.plain())
	}
}

// socketRowText is the sockets panel as text, with no overlay over it.
func socketRowText(d *driver) string {
	o := d.m.overlay
	d.m.overlay = nil
	defer func() { d.m.overlay = o }()
	return d.plain()
}
