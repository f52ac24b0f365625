package model

import (
	"fmt"
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/netcore"
	"sockbench/ui"
)

// labState is the lab panel.
type labState struct {
	lab      Lab
	services []LabService
	sel, off int
	note     string
	disabled bool
}

// evLab reports that the lab started (or failed to).
type evLab struct {
	lab Lab
	err error
}

func (m *Model) handleLab(ev evLab) tea.Cmd {
	if ev.err != nil {
		m.lab.note = "the lab did not start: " + errText(ev.err)
		return m.fail(m.lab.note)
	}
	m.lab.lab = ev.lab
	m.lab.services = ev.lab.Services()
	m.lab.note = ""
	if len(m.lab.services) == 0 {
		m.lab.note = "the lab has no services"
		return nil
	}
	if m.cfg.Target == "" && m.status == "" {
		return m.info("lab ready: pick a service and press enter, then c connects")
	}
	return nil
}

func (m *Model) labKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	l := &m.lab
	if key.Matches(msg, k.UseService, k.Connect) {
		if len(l.services) == 0 {
			if l.note != "" {
				return m.info(l.note)
			}
			return m.info("no lab services")
		}
		return m.useService(l.services[l.sel], key.Matches(msg, k.Connect))
	}
	if m.listKey(msg, &l.sel, len(l.services), ui.ListArea(m.layout, ui.PanelLab).H) {
		return nil
	}
	return m.unbound(msg)
}

// useService fills the resolve panel with a lab service and resolves it,
// then connects when connect is set.
func (m *Model) useService(s LabService, connect bool) tea.Cmd {
	if s.Addr.Family() == netcore.FamilyUnix {
		m.res.host.SetValue("unix:" + s.Addr.Path())
		m.res.service.SetValue("")
	} else {
		m.res.host.SetValue(s.Addr.IP().String())
		m.res.service.SetValue(strconv.Itoa(s.Addr.Port()))
	}
	m.res.family = netcore.FamilyUnspec
	if s.Network == "udp" {
		m.res.sockType = netcore.SockDgram
	} else {
		m.res.sockType = netcore.SockStream
	}
	m.res.flags = 0
	m.setFocus(ui.PanelResolve)
	cmd := m.startResolve(connect)
	if connect {
		m.setStatus(ui.LevelInfo, fmt.Sprintf("%s (%s %s): resolving, then connecting", s.Name, s.Network, s.Addr))
	} else {
		m.setStatus(ui.LevelInfo, fmt.Sprintf("%s (%s %s): resolving; c connects", s.Name, s.Network, s.Addr))
	}
	return cmd
}

func (m *Model) labView() ui.LabView {
	v := ui.LabView{Selected: m.lab.sel, Offset: m.lab.off, Note: m.lab.note}
	for _, s := range m.lab.services {
		v.Rows = append(v.Rows, ui.LabRow{Name: s.Name, Kind: s.Kind, Network: s.Network, Addr: s.Addr.String(), Help: s.Help})
	}
	return v
}
