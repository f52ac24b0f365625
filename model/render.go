package model

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"

	"sockbench/ui"
)

// render builds the screen: each visible panel draws itself, the root
// adds the header, the status line and the help bar.
func (m *Model) render() string {
	sc := ui.Screen{Styles: m.c.styles, Layout: m.layout, Focus: m.focus}
	if m.layout.Mode == ui.ModeTooSmall {
		return ui.Render(sc)
	}
	m.c.spinner = m.spin.View()
	m.c.engine.Watch(m.socks.watched())
	sc.Header = m.headerView()
	sc.Keys = m.helpKeys()
	sc.Status = m.statusView()
	if m.overlay != nil {
		sc.Overlay = m.overlay.View(m.layout.Body.W, m.layout.Body.H)
		return ui.Render(sc)
	}
	for p, pn := range m.panels {
		if r := m.layout.Panels[p]; !r.Empty() {
			sc.Panels[p] = pn.View(r.W, r.H, m.focus == ui.Panel(p))
		}
	}
	return ui.Render(sc)
}

// helpKeys are the keys of the help bar: the focused panel's (or the
// overlay's), and where keys are not text, the way out.
func (m *Model) helpKeys() help.KeyMap {
	if m.overlay != nil {
		return m.overlay.Help()
	}
	p := m.panels[m.focus]
	h := p.Help()
	if !p.Typing() {
		g := m.c.keys.Global
		h.short = append(h.short, g.NextPanel, g.Help, g.Quit)
	}
	return h
}

// fullHelp is the focused panel's keys and those that work everywhere.
func (m *Model) fullHelp() contextKeys {
	h := m.panels[m.focus].Help()
	g := m.c.keys.Global
	h.full = append(h.full, []key.Binding{g.NextPanel, g.PrevPanel, g.Help, g.HelpAnywhere, g.Theme, g.Cancel, g.Quit, g.ForceQuit})
	return h
}

func (m *Model) headerView() ui.HeaderView {
	h := ui.HeaderView{Theme: m.c.theme.Name, LabServices: len(m.lab.services), LabOff: m.lab.disabled}
	for _, k := range m.socks.all {
		h.Sockets++
		if !k.Status().Closed {
			h.Open++
			if k.IsListener() {
				h.Listeners++
			}
		}
		st := k.Store().Stats()
		h.Rx += st.RxBytes
		h.Tx += st.TxBytes
	}
	return h
}

func (m *Model) statusView() ui.StatusView {
	v := ui.StatusView{Text: m.c.status, Level: m.c.statusLevel}
	if m.prompt != nil {
		m.prompt.view(&v)
	}
	if running := m.running(); running != "" {
		v.Busy = m.spin.View() + " " + running + " · esc cancels"
	}
	return v
}
