package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"sockbench/safe"
)

// HandshakeStep is one step of a TLS handshake.
type HandshakeStep struct {
	At   time.Duration // since the handshake began
	Mark string        // "→" sent, "←" received, "" for a local step
	Text string        // the step in words
}

// HandshakeView is a TLS handshake in words: its steps, its result and
// the peer's chain, or why it failed. Every text in it came from the peer
// or is about what it sent; it is made safe here.
type HandshakeView struct {
	Side     string // "client" or "server"
	Took     time.Duration
	Steps    []HandshakeStep
	Result   []string // one fact a line, certificates indented
	Failure  string   // why it failed; "" when it worked
	Insecure bool     // the client did not verify
}

// HandshakeLines lays the view out in lines of at most width cells, for
// the overlay's viewport.
func HandshakeLines(s *Styles, v HandshakeView, width int) []string {
	var out []string
	add := func(st func(...string) string, indent, text string) {
		for _, l := range strings.Split(ansi.Wrap(safe.Text(text), max(10, width-len(indent)), " ,"), "\n") {
			out = append(out, indent+st(l))
		}
	}
	add(s.Bold.Render, "", fmt.Sprintf("Steps, as the %s saw them (%s in all)", v.Side, FormatDuration(v.Took)))
	for _, st := range v.Steps {
		mark := st.Mark
		if mark == "" {
			mark = "·"
		}
		add(s.Text.Render, "  ", fmt.Sprintf("%9s %s %s", "+"+FormatDuration(st.At), mark, st.Text))
	}
	out = append(out, "")
	if v.Failure != "" {
		add(s.Error.Render, "", "FAILED: "+v.Failure)
		out = append(out, "")
	}
	if len(v.Result) > 0 {
		add(s.Bold.Render, "", "Result")
	}
	for _, line := range v.Result {
		st := s.Text.Render
		if v.Insecure && strings.HasPrefix(line, "verify") {
			st = s.Warn.Render
		}
		add(st, "  ", line)
	}
	return out
}

// RenderHandshake draws the handshake overlay around body (the viewport's
// view) for the socket called title.
func RenderHandshake(s *Styles, title, body string, w, h int) string {
	return s.box(w, h, "TLS handshake · "+safe.Text(title), s.Muted.Render("↑↓ pgup pgdn scroll · esc closes"), "", true,
		strings.Split(body, "\n"))
}
