package model

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"

	"sockbench/ui"
)

// render builds the screen from the state.
func (m *Model) render() string {
	m.sizeInputs()
	sc := ui.Screen{
		Styles: m.styles,
		Layout: m.layout,
		Focus:  m.focus,
	}
	if m.layout.Mode == ui.ModeTooSmall {
		return ui.Render(sc)
	}
	sc.Header = m.headerView()
	sc.Keys = m.helpKeys()
	sc.Status = m.statusView()
	switch m.overlay {
	case overlayHelp:
		sc.Overlay = &ui.Overlay{Kind: ui.OverlayHelp, Help: m.helpView.View()}
		return ui.Render(sc)
	case overlayOptions:
		sc.Overlay = &ui.Overlay{Kind: ui.OverlayOptions, Title: m.opts.title, Options: m.optionsView()}
		return ui.Render(sc)
	case overlaySyscalls:
		sc.Overlay = &ui.Overlay{Kind: ui.OverlaySyscalls, Title: m.sys.title, Syscalls: m.syscallsView()}
		return ui.Render(sc)
	}
	l := m.layout
	if l.Visible(ui.PanelLab) {
		sc.Lab = m.labView()
	}
	if l.Visible(ui.PanelResolve) {
		sc.Resolve = m.resolveView()
	}
	if l.Visible(ui.PanelAttempts) {
		sc.Attempts = m.attemptView()
	}
	if l.Visible(ui.PanelSockets) {
		sc.Sockets = m.socketsView()
	}
	if l.Visible(ui.PanelHex) {
		sc.Hex = m.hexView()
	}
	if l.Visible(ui.PanelSend) {
		sc.Send = m.sendView()
	}
	return ui.Render(sc)
}

func (m *Model) helpKeys() help.KeyMap {
	if m.overlay == overlayHelp {
		return contextKeys{short: []key.Binding{m.keys.Up, m.keys.Down, m.keys.PageUp, m.keys.PageDown, m.keys.Help, m.keys.Cancel}}
	}
	return m.keys.helpFor(m.focus, m.overlay, m.res.editing != 0)
}

func (m *Model) headerView() ui.HeaderView {
	h := ui.HeaderView{Theme: m.theme.Name, LabServices: len(m.lab.services), LabOff: m.lab.disabled}
	for _, e := range m.socks.all {
		h.Sockets++
		if !e.closed {
			h.Open++
			if e.listener {
				h.Listeners++
			}
		}
		st := e.store.Stats()
		h.Rx += st.RxBytes
		h.Tx += st.TxBytes
	}
	return h
}

func (m *Model) statusView() ui.StatusView {
	v := ui.StatusView{Text: m.status, Level: m.statusLvl}
	if m.prompt != nil {
		v.Label = m.prompt.label
		if !m.prompt.choice {
			v.Prompt = m.prompt.input.View()
		} else {
			v.Prompt = " "
		}
	}
	var running []string
	if m.res.busy {
		running = append(running, "resolving")
	}
	if m.conn.busy {
		running = append(running, "connecting")
	}
	if m.opts.busy && m.overlay == overlayOptions {
		running = append(running, "reading options")
	}
	if len(running) > 0 {
		v.Busy = m.spin.View() + " " + strings.Join(running, ", ") + " · esc cancels"
	}
	return v
}

func (m *Model) resolveView() ui.ResolveView {
	r := &m.res
	v := ui.ResolveView{
		Host:     r.host.View(),
		Service:  r.service.View(),
		Family:   familyLabel(r.family),
		SockType: r.sockType.String(),
		Busy:     r.busy,
		Spinner:  m.spin.View(),
		Query:    r.query,
		Took:     r.took,
		Err:      r.err,
		Selected: r.sel,
		Offset:   r.off,
	}
	if r.busy {
		v.Elapsed = m.now().Sub(r.start)
	}
	for _, f := range flagKeys {
		v.Flags = append(v.Flags, ui.FlagView{Key: f.key, Name: f.name, On: r.flags&f.flag != 0})
	}
	for _, ai := range r.rows {
		proto := ai.Protocol.String()
		v.Rows = append(v.Rows, ui.ResolveRow{Family: ai.Family.String(), Type: ai.SockType.String(), Proto: proto, Addr: ai.Addr.String()})
		if ai.CanonName != "" && v.Canon == "" {
			v.Canon = ai.CanonName
		}
	}
	return v
}

func (m *Model) socketsView() ui.SocketsView {
	v := ui.SocketsView{Selected: m.socks.sel, Offset: m.socks.off}
	for _, e := range m.socks.all {
		row := ui.SocketRow{
			ID:        e.id,
			Kind:      e.kind(),
			Local:     e.localText(),
			State:     e.state,
			ReadOpen:  !e.readShut,
			WriteOpen: !e.writeShut,
			Closed:    e.closed,
			Child:     e.parent != 0,
		}
		switch {
		case e.listener:
			row.Peer = fmt.Sprintf("(%d accepted)", e.accepted)
		case e.peer.IsValid():
			row.Peer = e.peer.String()
		case e.peerNote != "":
			row.Peer = e.peerNote
		case e.isDgram():
			row.Peer = "(any: sendto)"
		}
		switch {
		case e.closed:
			row.State = "closed"
		case e.eof && !e.isTCP():
			row.State = "EOF"
		}
		row.Listener = e.listener
		st := e.store.Stats()
		row.Rx, row.Tx = st.RxBytes, st.TxBytes
		row.Dropped = st.DroppedBytes > 0
		v.Rows = append(v.Rows, row)
	}
	return v
}
