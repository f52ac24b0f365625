package tlsinfo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sockbench/netcore"
	"sockbench/safe"
)

// StartTLSProtocols are the plaintext protocols whose STARTTLS dialogue
// StartTLS speaks.
var StartTLSProtocols = []string{"smtp", "imap", "pop3"}

// Line is one line of a plaintext dialogue.
type Line struct {
	Dir  Direction
	Time time.Time
	Text string // without its line ending; a server's line is outside text
}

// Words shows the line as "> EHLO [127.0.0.1]" or "< 220 ready", safe
// for a terminal.
func (l Line) Words() string {
	mark := "<"
	if l.Dir == Sent {
		mark = ">"
	}
	return mark + " " + safe.Text(l.Text)
}

// StartTLSError says why a STARTTLS dialogue did not reach the upgrade.
type StartTLSError struct {
	Protocol string
	Want     string // what the server should have said
	Got      string // what it said instead (outside text), if it said anything
	Err      error  // a failure to read or write, if that was it
}

// Error says it on one line, safe for a terminal.
func (e *StartTLSError) Error() string {
	msg := fmt.Sprintf("%s STARTTLS: expected %s", e.Protocol, e.Want)
	switch {
	case e.Err != nil:
		msg += ", but " + e.Err.Error()
	case e.Got != "":
		msg += ", got " + fmt.Sprintf("%q", e.Got)
	}
	return safe.Text(msg)
}

// Unwrap returns the read or write failure, if any.
func (e *StartTLSError) Unwrap() error { return e.Err }

// Limits of a dialogue: a longer line or answer is not the protocol.
const (
	maxLineLen    = 4096
	maxReplyLines = 100
)

// StartTLS speaks the plaintext part of a protocol's STARTTLS on a
// connected socket, as a client, up to the server's go-ahead: for smtp
// the 220 greeting, EHLO (STARTTLS must be among the extensions),
// STARTTLS, 220; for imap the greeting, STARTTLS, OK; for pop3 the
// greeting, STLS, +OK. observe, if not nil, gets each line as it goes.
// It returns the bytes that came after the go-ahead (normally none), for
// Upgrade. The waits are the socket's, within ctx.
func StartTLS(ctx context.Context, s *netcore.Socket, protocol string, observe func(Line)) (pending []byte, err error) {
	d := &dialogue{ctx: ctx, s: s, protocol: protocol, observe: observe}
	switch protocol {
	case "smtp":
		err = d.smtp()
	case "imap":
		err = d.expectLine("a greeting \"* OK\"", "* OK", "* PREAUTH")
		if err == nil {
			err = d.command("a1 STARTTLS", "a1 OK", "a1 ")
		}
	case "pop3":
		err = d.expectLine("a greeting \"+OK\"", "+OK")
		if err == nil {
			err = d.command("STLS", "+OK", "")
		}
	default:
		return nil, fmt.Errorf("STARTTLS for %s is not known (one of %s)", netcore.QuoteInput(protocol), strings.Join(StartTLSProtocols, ", "))
	}
	return d.buf, err
}

// dialogue reads and writes the lines of a plaintext protocol.
type dialogue struct {
	ctx      context.Context
	s        *netcore.Socket
	protocol string
	observe  func(Line)
	buf      []byte // read and not yet taken
}

func (d *dialogue) smtp() error {
	if _, err := d.reply("a 220 greeting", "220"); err != nil {
		return err
	}
	if err := d.send("EHLO " + heloName(d.s)); err != nil {
		return err
	}
	lines, err := d.reply("a 250 answer to EHLO", "250")
	if err != nil {
		return err
	}
	var offered []string
	for _, l := range lines {
		keyword, _, _ := strings.Cut(strings.TrimSpace(l[min(4, len(l)):]), " ")
		offered = append(offered, keyword)
		if strings.EqualFold(keyword, "STARTTLS") {
			if err := d.send("STARTTLS"); err != nil {
				return err
			}
			_, err := d.reply("a 220 go-ahead for STARTTLS", "220")
			return err
		}
	}
	return &StartTLSError{Protocol: d.protocol, Want: "STARTTLS among the extensions EHLO lists",
		Got: strings.Join(offered[1:], " ")}
}

// heloName is the name EHLO gives: our address as an address literal
// (RFC 5321, 4.1.3).
func heloName(s *netcore.Socket) string {
	local, err := s.LocalAddr()
	switch {
	case err != nil || local.Family() == netcore.FamilyUnix:
		return "localhost"
	case local.Family() == netcore.FamilyInet6:
		return "[IPv6:" + local.IP().WithZone("").String() + "]"
	}
	return "[" + local.IP().String() + "]"
}

// reply reads an SMTP reply (lines "CODE-text" then "CODE text") and
// checks its code.
func (d *dialogue) reply(want, code string) ([]string, error) {
	var lines []string
	for range maxReplyLines {
		line, err := d.readLine(want)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(line, code) || len(line) > 3 && line[3] != '-' && line[3] != ' ' {
			return nil, &StartTLSError{Protocol: d.protocol, Want: want, Got: line}
		}
		lines = append(lines, line)
		if len(line) == 3 || line[3] == ' ' {
			return lines, nil
		}
	}
	return nil, &StartTLSError{Protocol: d.protocol, Want: want, Got: fmt.Sprintf("more than %d lines", maxReplyLines)}
}

// expectLine reads one line that must start with one of the prefixes.
func (d *dialogue) expectLine(want string, prefixes ...string) error {
	line, err := d.readLine(want)
	if err != nil {
		return err
	}
	for _, p := range prefixes {
		if strings.HasPrefix(line, p) {
			return nil
		}
	}
	return &StartTLSError{Protocol: d.protocol, Want: want, Got: line}
}

// command sends a command and reads lines until the one starting with
// final (or, when tagged, the tagged answer that is not final).
func (d *dialogue) command(cmd, final, tag string) error {
	if err := d.send(cmd); err != nil {
		return err
	}
	want := fmt.Sprintf("%q after %s", final, cmd)
	for range maxReplyLines {
		line, err := d.readLine(want)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(line, final):
			return nil
		case tag == "" || strings.HasPrefix(line, tag):
			return &StartTLSError{Protocol: d.protocol, Want: want, Got: line}
		}
	}
	return &StartTLSError{Protocol: d.protocol, Want: want, Got: fmt.Sprintf("more than %d lines", maxReplyLines)}
}

func (d *dialogue) send(line string) error {
	d.note(Sent, line)
	if _, err := d.s.SendAll(d.ctx, []byte(line+"\r\n"), 0); err != nil {
		return &StartTLSError{Protocol: d.protocol, Want: "to send " + line, Err: err}
	}
	return nil
}

// readLine returns the next line without its CR LF.
func (d *dialogue) readLine(want string) (string, error) {
	chunk := make([]byte, 1024)
	for {
		if i := bytes.IndexByte(d.buf, '\n'); i >= 0 {
			line := strings.TrimSuffix(string(d.buf[:i]), "\r")
			d.buf = d.buf[i+1:]
			d.note(Received, line)
			return line, nil
		}
		if len(d.buf) > maxLineLen {
			return "", &StartTLSError{Protocol: d.protocol, Want: want, Got: fmt.Sprintf("a line longer than %d bytes", maxLineLen)}
		}
		n, err := d.s.Receive(d.ctx, chunk, 0)
		if err == nil && n == 0 {
			err = errors.New("the server closed the connection")
		}
		if err != nil {
			return "", &StartTLSError{Protocol: d.protocol, Want: want, Err: err}
		}
		d.buf = append(d.buf, chunk[:n]...)
	}
}

func (d *dialogue) note(dir Direction, text string) {
	if d.observe != nil {
		d.observe(Line{Dir: dir, Time: time.Now(), Text: text})
	}
}
