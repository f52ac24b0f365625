package main

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"

	"sockbench/internal/testpeer"
	"sockbench/tlsinfo"
)

// TestTmuxStartTLSWithTheLab speaks SMTP by hand to the lab's
// smtp-starttls service: the plaintext lines in the text view, STARTTLS,
// then t upgrades (verified with the lab's CA); the lines inside TLS come
// back, the upgrade is marked, and H shows the chain.
func TestTmuxStartTLSWithTheLab(t *testing.T) {
	s := startTmux(t)
	s.waitText("echo/tcp")
	s.useLab("smtp-starttls 4")
	s.waitText("1 row in")
	s.keys("c")
	s.waitText("type and press enter to send")
	s.leaveSendLine()
	s.keys("v", "Enter") // the text view, then back to the send line
	s.waitText("◀ 220 sockbench lab ESMTP")
	s.text("EHLO me")
	s.keys("Enter")
	s.waitText("250 STARTTLS")
	s.text("STARTTLS")
	s.keys("Enter")
	s.waitText("ready to start TLS")

	s.leaveSendLine()
	s.keys("BTab", "BTab")
	s.waitFor("the sockets focus", func(sc string) bool { return strings.Contains(sc, "enter type to send • l listen") })
	s.keys("t")
	s.waitText("TLS client on #1: enter verifies 127.0.0.1")
	s.keys("Enter")
	screen := s.waitText("TLS established: TLS 1.3")
	if !strings.Contains(screen, "verified") || strings.Contains(screen, "NOT VERIFIED") {
		t.Errorf("the lab's service was not verified:\n%s", screen)
	}
	s.keys("Enter") // to the send line
	s.text("EHLO again")
	s.keys("Enter")
	screen = s.waitText("greets you, in TLS")
	for _, want := range []string{"▶ STARTTLS←↓", "◀ 220 2.0.0 ready to start TLS", "TLS established; the bytes from here are inside TLS: TLS 1.3", "▶ EHLO again←↓"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the text view lacks %q:\n%s", want, screen)
		}
	}
	s.leaveSendLine()
	s.keys("H")
	screen = s.waitText("TLS handshake ·")
	for _, want := range []string{"ClientHello sent", "version  TLS 1.3", "certificate 1 of", "sockbench lab"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the handshake view lacks %q:\n%s", want, screen)
		}
	}
}

// TestTmuxHostileCertificate: a peer whose certificate holds escape
// sequences in its subject and names leaves the screen and the title
// intact.
func TestTmuxHostileCertificate(t *testing.T) {
	cert, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "evil\x1b]0;PWNED\x07\x1b[2J\x1b[H",
		Names: []string{"127.0.0.1", "x\x1b]2;OWNED\x07.test"}})
	if err != nil {
		t.Fatal(err)
	}
	addr := testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) {
		s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer s.Close()
		_, _ = io.Copy(s, s)
	}).String()
	s := startTmux(t, "--no-lab", addr)
	s.waitText("type and press enter to send")
	s.leaveSendLine()
	s.keys("BTab", "BTab")
	s.waitFor("the sockets focus", func(sc string) bool { return strings.Contains(sc, "enter type to send • l listen") })
	s.keys("t")
	s.waitText("TLS client on #1")
	s.text("insecure")
	s.keys("Enter")
	s.waitText("NOT VERIFIED")
	s.keys("H")
	// Both names shown as text, in one frame: a capture can catch tmux
	// half-way through drawing one, so wait for the whole of it.
	s.waitFor("the handshake view with both hostile names", func(sc string) bool {
		return strings.Contains(sc, "TLS handshake ·") && strings.Contains(sc, "PWNED") && strings.Contains(sc, "OWNED")
	})
	if title := strings.TrimSpace(s.tmux("display", "-p", "-t", "app", "#{pane_title}")); title != "sockbench" {
		t.Errorf("pane title %q: the certificate changed it", title)
	}
}

// leaveSendLine goes from the send line to the traffic panel, and waits
// for it: a key sent right after Escape would be read as Alt and that key.
func (s *tmuxSession) leaveSendLine() {
	s.t.Helper()
	s.keys("Escape")
	s.waitFor("the traffic focus", func(sc string) bool { return strings.Contains(sc, "v hex/text/wire") })
}
