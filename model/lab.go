package model

import (
	"crypto/x509"
	"fmt"
	"strconv"
	"sync"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/netcore"
	"sockbench/ui"
)

// LabService is one built-in loopback service.
type LabService struct {
	Name    string
	Kind    string
	Network string // "tcp" or "udp"
	Addr    netcore.Addr
	Help    string
	// TLS is set for a service that speaks TLS: from its first byte, or
	// after the plaintext protocol StartTLS names ("smtp").
	TLS      bool
	StartTLS string
}

// Lab is a running set of lab services.
type Lab interface {
	Services() []LabService
	// RootsFor returns the roots to trust for a TLS connection to addr:
	// the lab's own CA for its TLS services, nothing for anything else.
	RootsFor(addr netcore.Addr) []*x509.Certificate
	Close() error
}

// labStartedMsg reports that the lab started, or why not.
type labStartedMsg struct {
	lab Lab
	err error
}

// labPanel lists the lab services; enter makes one the target.
type labPanel struct {
	basePanel
	c        *common
	services []LabService
	sel, off int
	rows     int // list rows visible
	note     string
	disabled bool
	// quiet keeps the "lab ready" message from the status line, when a
	// TARGET given at start has it.
	quiet bool
}

func newLabPanel(c *common, enabled, quiet bool) *labPanel {
	p := &labPanel{c: c, quiet: quiet, rows: 1}
	if enabled {
		p.note = "starting the lab services…"
	} else {
		p.note = "lab services are off (--no-lab)"
		p.disabled = true
	}
	return p
}

// labHolder keeps the running lab for Shutdown, whichever of its start
// and Shutdown comes first.
type labHolder struct {
	mu     sync.Mutex
	lab    Lab
	closed bool
}

// keep holds l; after Shutdown it closes l instead and reports false.
func (h *labHolder) keep(l Lab) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		_ = l.Close()
		return false
	}
	h.lab = l
	return true
}

// close stops the lab services, now or as soon as they start.
func (h *labHolder) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.lab != nil {
		_ = h.lab.Close()
		h.lab = nil
	}
}

func (p *labPanel) SetSize(_, h int) { p.rows = ui.LabList.Rows(h) }

func (p *labPanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case labStartedMsg:
		return p.started(msg)
	case scrollMsg:
		p.move(msg.rows / 3)
	case clickMsg:
		if i := p.off + msg.y - ui.LabList.Top; msg.y >= ui.LabList.Top && i < len(p.services) {
			p.sel = i
		}
	}
	return nil
}

func (p *labPanel) started(msg labStartedMsg) tea.Cmd {
	if msg.err != nil {
		p.note = "the lab did not start: " + errText(msg.err)
		return p.c.fail(p.note)
	}
	p.services = msg.lab.Services()
	p.c.labRoots = msg.lab.RootsFor
	p.note = ""
	if len(p.services) == 0 {
		p.note = "the lab has no services"
		return nil
	}
	if !p.quiet && p.c.status == "" {
		return p.c.info("lab ready: pick a service and press enter, then c connects")
	}
	return nil
}

func (p *labPanel) move(n int) {
	p.sel = max(0, min(p.sel+n, len(p.services)-1))
}

func (p *labPanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := p.c.keys.Lab
	if key.Matches(msg, k.Use, k.UseAndConnect) {
		if len(p.services) == 0 {
			if p.note != "" {
				return p.c.info(p.note), true
			}
			return p.c.info("no lab services"), true
		}
		return p.use(p.services[p.sel], key.Matches(msg, k.UseAndConnect)), true
	}
	return nil, p.c.keys.List.move(msg, &p.sel, len(p.services), p.rows)
}

// use makes a service the resolve panel's target, and connects to it when
// connect is set.
func (p *labPanel) use(s LabService, connect bool) tea.Cmd {
	t := useTargetMsg{connect: connect, family: netcore.FamilyUnspec, sockType: netcore.SockStream,
		fromLab: true, tls: s.TLS && s.StartTLS == ""}
	if s.Addr.Family() == netcore.FamilyUnix {
		t.host = "unix:" + s.Addr.Path()
	} else {
		t.host, t.service = s.Addr.IP().String(), strconv.Itoa(s.Addr.Port())
	}
	if s.Network == "udp" {
		t.sockType = netcore.SockDgram
	}
	then := "; c connects"
	if connect {
		then = ", then connecting"
	}
	t.note = fmt.Sprintf("%s (%s %s): resolving%s", s.Name, s.Network, s.Addr, then)
	return tea.Batch(p.c.emit(focusMsg{panel: ui.PanelResolve}), p.c.emit(t))
}

func (p *labPanel) View(w, h int, focused bool) string {
	p.off = ui.VisibleOffset(p.sel, p.off, p.rows, len(p.services))
	v := ui.LabView{Selected: p.sel, Offset: p.off, Note: p.note}
	for _, s := range p.services {
		v.Rows = append(v.Rows, ui.LabRow{Name: s.Name, Kind: s.Kind, Network: s.Network, Addr: s.Addr.String(), Help: s.Help})
	}
	return ui.RenderLab(p.c.styles, v, w, h, focused)
}

func (p *labPanel) Help() contextKeys {
	k, l := p.c.keys.Lab, p.c.keys.List
	keys := []key.Binding{k.Use, k.UseAndConnect, l.Up, l.Down}
	return contextKeys{short: keys, full: [][]key.Binding{keys, l.nav()}}
}
