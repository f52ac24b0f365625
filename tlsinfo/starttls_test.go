package tlsinfo

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// exchange is one turn of a scripted server: the line it expects (empty
// for none: the greeting) and what it answers.
type exchange struct{ expect, answer string }

// scriptedServer plays the script on the peer's end, then, when cert is
// given, shakes hands as a TLS server and echoes one line in upper case;
// otherwise it shuts down its sending side.
func scriptedServer(t *testing.T, peer net.Conn, script []exchange, cert *tls.Certificate) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = peer.Close(); wg.Wait() })
	wg.Go(func() {
		r := bufio.NewReader(peer)
		for _, turn := range script {
			if turn.expect != "" {
				line, err := r.ReadString('\n')
				if err != nil || line != turn.expect+"\r\n" {
					t.Errorf("the server read %q, %v; want %q", line, err, turn.expect)
					return
				}
			}
			if _, err := io.WriteString(peer, turn.answer); err != nil {
				return
			}
		}
		if cert == nil {
			_ = peer.(*net.TCPConn).CloseWrite()
			return
		}
		if r.Buffered() > 0 {
			t.Error("the client sent TLS before the go-ahead")
		}
		conn := tls.Server(peer, &tls.Config{Certificates: []tls.Certificate{*cert}})
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err == nil {
			_, _ = io.WriteString(conn, strings.ToUpper(line))
		}
	})
}

func TestStartTLSThenUpgrade(t *testing.T) {
	ca, cert := testCA(t)
	cases := map[string][]exchange{
		"smtp": {
			{"", "220-mail.test ESMTP\r\n220 ready\r\n"},
			{"EHLO [127.0.0.1]", "250-mail.test greets you\r\n250-PIPELINING\r\n250 STARTTLS\r\n"},
			{"STARTTLS", "220 2.0.0 go ahead\r\n"},
		},
		"imap": {
			{"", "* OK IMAP4rev1 ready\r\n"},
			{"a1 STARTTLS", "* CAPABILITY IMAP4rev1\r\na1 OK Begin TLS negotiation now\r\n"},
		},
		"pop3": {
			{"", "+OK POP3 ready\r\n"},
			{"STLS", "+OK Begin TLS\r\n"},
		},
	}
	for proto, script := range cases {
		t.Run(proto, func(t *testing.T) {
			s, peer := tcpPair(t)
			scriptedServer(t, peer, script, &cert)
			var lines []string
			pending, err := StartTLS(t.Context(), s, proto, func(l Line) { lines = append(lines, l.Words()) })
			if err != nil || len(pending) != 0 {
				t.Fatalf("StartTLS: %v, %d bytes pending", err, len(pending))
			}
			var want []string
			for _, turn := range script {
				if turn.expect != "" {
					want = append(want, "> "+turn.expect)
				}
				for _, l := range strings.SplitAfter(strings.TrimSuffix(turn.answer, "\r\n"), "\r\n") {
					want = append(want, "< "+strings.TrimSuffix(l, "\r\n"))
				}
			}
			if strings.Join(lines, "|") != strings.Join(want, "|") {
				t.Errorf("lines\n%q\nwant\n%q", lines, want)
			}
			sess, err := Upgrade(t.Context(), s, pending, SideClient, Config{ServerName: "localhost", Roots: roots(ca), Timeout: patience})
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
			if _, err := io.WriteString(sess.Conn, "inside tls\n"); err != nil {
				t.Fatal(err)
			}
			got, err := bufio.NewReader(sess.Conn).ReadString('\n')
			if err != nil || got != "INSIDE TLS\n" {
				t.Fatalf("%q, %v", got, err)
			}
		})
	}
}

func TestStartTLSRefused(t *testing.T) {
	cases := []struct {
		proto  string
		script []exchange
		want   string
	}{
		{"smtp", []exchange{{"", "220 mail.test\r\n"}, {"EHLO [127.0.0.1]", "250-mail.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"}},
			`smtp STARTTLS: expected STARTTLS among the extensions EHLO lists, got "PIPELINING 8BITMIME"`},
		{"smtp", []exchange{{"", "554 no service \x1b[2J for you\r\n"}},
			`smtp STARTTLS: expected a 220 greeting, got "554 no service \x1b[2J for you"`},
		{"smtp", []exchange{{"", "220 mail.test\r\n"}, {"EHLO [127.0.0.1]", "250 STARTTLS\r\n"}, {"STARTTLS", "454 TLS not available\r\n"}},
			`smtp STARTTLS: expected a 220 go-ahead for STARTTLS, got "454 TLS not available"`},
		{"imap", []exchange{{"", "* OK ready\r\n"}, {"a1 STARTTLS", "a1 BAD no TLS here\r\n"}},
			`imap STARTTLS: expected "a1 OK" after a1 STARTTLS, got "a1 BAD no TLS here"`},
		{"pop3", []exchange{{"", "-ERR busy\r\n"}}, `pop3 STARTTLS: expected a greeting "+OK", got "-ERR busy"`},
		{"pop3", []exchange{{"", "+OK\r\n"}}, `pop3 STARTTLS: expected "+OK" after STLS, but the server closed the connection`},
	}
	for _, c := range cases {
		s, peer := tcpPair(t)
		scriptedServer(t, peer, c.script, nil)
		_, err := StartTLS(t.Context(), s, c.proto, nil)
		var se *StartTLSError
		if !errors.As(err, &se) {
			t.Errorf("%s: %v, want a *StartTLSError", c.proto, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%s:\n%q\nwant\n%q", c.proto, err.Error(), c.want)
		}
	}
	s, _ := tcpPair(t)
	if _, err := StartTLS(t.Context(), s, "ftp", nil); err == nil || !strings.Contains(err.Error(), "smtp, imap, pop3") {
		t.Errorf("ftp: %v", err)
	}
}
