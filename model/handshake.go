package model

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/tlsinfo"
	"sockbench/ui"
)

// handshakeOverlay shows a socket's TLS handshake in words: each step with
// its time, the result with the peer's certificates, or why it failed. It
// scrolls in a viewport.
type handshakeOverlay struct {
	c      *common
	title  string
	report *tlsinfo.Report
	view   viewport.Model
}

// handshakeKey opens the handshake of k, or says why there is none.
func handshakeKey(c *common, k *engine.Sock) tea.Cmd {
	r := k.TLSReport()
	if r == nil {
		if _, ran := k.TLSRecords(); ran {
			return c.info(fmt.Sprintf("#%d: the handshake is under way", k.ID()))
		}
		return c.info(fmt.Sprintf("#%d has no TLS: t starts it", k.ID()))
	}
	o := &handshakeOverlay{c: c, title: k.Describe(), report: r, view: viewport.New()}
	o.view.MouseWheelEnabled = true
	return c.emit(overlayMsg{o})
}

func (o *handshakeOverlay) Typing() bool { return false }

func (o *handshakeOverlay) SetSize(w, h int) {
	w, h = max(0, w-2), max(0, h-2)
	o.view.SetWidth(w)
	o.view.SetHeight(h)
	o.view.SetContentLines(ui.HandshakeLines(o.c.styles, handshakeView(o.report, o.c.now()), max(10, w-1)))
}

// handshakeView is a report as the overlay shows it.
func handshakeView(r *tlsinfo.Report, now time.Time) ui.HandshakeView {
	v := ui.HandshakeView{Side: r.Side.String(), Took: r.Duration, Result: r.Lines(now), Insecure: r.Insecure}
	for _, s := range r.Steps {
		mark := ""
		switch {
		case s.Local:
		case s.Dir == tlsinfo.Sent:
			mark = "→"
		default:
			mark = "←"
		}
		v.Steps = append(v.Steps, ui.HandshakeStep{At: s.Time.Sub(r.Start), Mark: mark, Text: s.Words()})
	}
	if r.Failure != nil {
		v.Failure = r.Failure.Error()
		v.Result = nil
		if len(r.Chain) > 0 {
			v.Result = r.Lines(now) // what came: the chain that failed
		}
	}
	return v
}

func (o *handshakeOverlay) HandleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, o.c.keys.Global.Cancel, o.c.keys.Sockets.Handshake, o.c.keys.Hex.Handshake) {
		return o.c.emit(closeOverlayMsg{})
	}
	var cmd tea.Cmd
	o.view, cmd = o.view.Update(msg)
	return cmd
}

func (o *handshakeOverlay) Update(msg tea.Msg) tea.Cmd {
	scrollViewport(&o.view, msg)
	return nil
}

func (o *handshakeOverlay) View(w, h int) string {
	return ui.RenderHandshake(o.c.styles, o.title, o.view.View(), w, h)
}

func (o *handshakeOverlay) Help() contextKeys {
	l, g := o.c.keys.List, o.c.keys.Global
	return contextKeys{short: []key.Binding{l.Up, l.Down, l.PageUp, l.PageDown, g.Cancel}}
}
