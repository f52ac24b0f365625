package model

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"sockbench/themes"
	"sockbench/ui"
)

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.res.stop()
	m.conn.stop()
	return tea.Quit
}

// handleKey routes a key press: prompts and overlays first, then text
// fields, then the keys that work everywhere, then the focused panel's.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if key.Matches(msg, k.ForceQuit) {
		return m.quit()
	}
	if m.prompt != nil {
		return m.promptKey(msg)
	}
	if m.layout.Mode == ui.ModeTooSmall {
		if key.Matches(msg, k.Quit) {
			return m.quit()
		}
		return m.warn("the terminal is too small: make it larger, or q to quit")
	}
	switch m.overlay {
	case overlayHelp:
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit()
		case key.Matches(msg, k.Help, k.Cancel):
			m.overlay = overlayNone
		default:
			m.helpView, _ = m.helpView.Update(msg)
		}
		return nil
	case overlayOptions:
		return m.optionsKey(msg)
	case overlaySyscalls:
		return m.syscallsKey(msg)
	}
	if key.Matches(msg, k.NextPanel) && m.res.editing == 0 {
		m.cycleFocus(1)
		return nil
	}
	if key.Matches(msg, k.PrevPanel) && m.res.editing == 0 {
		m.cycleFocus(-1)
		return nil
	}
	if m.res.editing != 0 {
		return m.resolveEditKey(msg)
	}
	if m.focus == ui.PanelSend {
		return m.sendKey(msg)
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.openHelp()
		return nil
	case key.Matches(msg, k.Theme):
		m.setTheme(themes.Next(m.theme.Name).Name)
		if m.cfg.NoColor {
			return m.info("NO_COLOR is set: no colours to change")
		}
		return m.info("theme " + m.theme.Name)
	case key.Matches(msg, k.Cancel):
		return m.escape()
	}
	switch m.focus {
	case ui.PanelLab:
		return m.labKey(msg)
	case ui.PanelResolve:
		return m.resolveKey(msg)
	case ui.PanelAttempts:
		return m.attemptsKey(msg)
	case ui.PanelSockets:
		return m.socketsKey(msg)
	case ui.PanelHex:
		return m.hexKey(msg)
	}
	return nil
}

// openHelp shows the full help of the focused panel in a viewport.
func (m *Model) openHelp() {
	in := ui.OverlayInner(m.layout)
	lines := ui.FullHelpLines(m.styles, m.keys.helpFor(m.focus, overlayNone, m.res.editing != 0), m.focus, max(10, in.W-2))
	m.helpView = viewport.New(viewport.WithWidth(in.W), viewport.WithHeight(in.H))
	m.helpView.MouseWheelEnabled = true
	m.helpView.SetContentLines(lines)
	m.overlay = overlayHelp
}

// escape cancels what runs, or steps back.
func (m *Model) escape() tea.Cmd {
	switch {
	case m.res.busy || m.conn.busy:
		what := "resolution"
		if m.conn.busy {
			what = "connect"
		}
		m.res.stop()
		m.conn.stop()
		return m.warn("cancelling the " + what + "…")
	case m.focus == ui.PanelSend:
		m.setFocus(ui.PanelHex)
		return nil
	case m.status != "":
		m.status = ""
		return nil
	}
	return nil
}

// focusOrder is the Tab order.
var focusOrder = []ui.Panel{ui.PanelLab, ui.PanelResolve, ui.PanelAttempts, ui.PanelSockets, ui.PanelHex, ui.PanelSend}

// cycleFocus moves the focus dir steps along the Tab order; the send
// line's destination field is a stop of its own when it is shown.
func (m *Model) cycleFocus(dir int) {
	showDest := m.showDest()
	if m.focus == ui.PanelSend && showDest {
		switch {
		case dir > 0 && m.send.destFocused:
			m.send.destFocused = false
			m.setFocus(ui.PanelSend)
			return
		case dir < 0 && !m.send.destFocused:
			m.send.destFocused = true
			m.setFocus(ui.PanelSend)
			return
		}
	}
	i := 0
	for j, p := range focusOrder {
		if p == m.focus {
			i = j
		}
	}
	i = (i + dir + len(focusOrder)) % len(focusOrder)
	next := focusOrder[i]
	if next == ui.PanelSend {
		m.send.destFocused = showDest && dir > 0
	}
	m.setFocus(next)
}

// setFocus moves the keyboard focus and focuses or blurs the text inputs.
func (m *Model) setFocus(p ui.Panel) {
	m.focus = p
	if p != ui.PanelResolve {
		m.res.stopEditing()
	}
	if p == ui.PanelSend {
		if m.send.destFocused && m.showDest() {
			m.send.input.Blur()
			m.send.dest.Focus()
		} else {
			m.send.destFocused = false
			m.send.dest.Blur()
			m.send.input.Focus()
		}
	} else {
		m.send.input.Blur()
		m.send.dest.Blur()
	}
	m.relayout()
}

// listKey moves a selection in a list of n rows; it reports whether the
// key was a movement.
func (m *Model) listKey(msg tea.KeyPressMsg, sel *int, n, page int) bool {
	k := m.keys
	page = max(1, page)
	switch {
	case key.Matches(msg, k.Up):
		*sel--
	case key.Matches(msg, k.Down):
		*sel++
	case key.Matches(msg, k.PageUp):
		*sel -= page
	case key.Matches(msg, k.PageDown):
		*sel += page
	case key.Matches(msg, k.Home):
		*sel = 0
	case key.Matches(msg, k.End):
		*sel = n - 1
	default:
		return false
	}
	*sel = max(0, min(*sel, n-1))
	return true
}

func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	switch {
	case m.prompt != nil:
		var cmd tea.Cmd
		m.prompt.input, cmd = m.prompt.input.Update(msg)
		return cmd
	case m.overlay == overlayOptions && m.opts.editing:
		var cmd tea.Cmd
		m.opts.input, cmd = m.opts.input.Update(msg)
		return cmd
	case m.res.editing != 0:
		return m.res.updateInput(msg)
	case m.focus == ui.PanelSend:
		return m.send.updateInput(msg)
	}
	return m.info("paste goes into the send line: focus it first (enter in the sockets or hex panel)")
}

// handleWheel scrolls what is under the pointer.
func (m *Model) handleWheel(msg tea.MouseWheelMsg) tea.Cmd {
	mouse := msg.Mouse()
	step := 0
	switch mouse.Button {
	case tea.MouseWheelUp:
		step = -3
	case tea.MouseWheelDown:
		step = 3
	default:
		return nil
	}
	switch m.overlay {
	case overlaySyscalls:
		m.scrollSyscalls(step)
		return nil
	case overlayOptions:
		m.opts.sel = max(0, min(m.opts.sel+step/3, len(m.opts.rows)-1))
		return nil
	case overlayHelp:
		m.helpView, _ = m.helpView.Update(msg)
		return nil
	}
	panel, ok := m.panelAt(mouse.X, mouse.Y)
	if !ok {
		return nil
	}
	one := step / 3
	switch panel {
	case ui.PanelHex, ui.PanelSend:
		m.scrollHex(step)
	case ui.PanelLab:
		m.lab.sel = max(0, min(m.lab.sel+one, len(m.lab.services)-1))
	case ui.PanelResolve:
		m.res.sel = max(0, min(m.res.sel+one, len(m.res.rows)-1))
	case ui.PanelAttempts:
		m.conn.sel = max(0, min(m.conn.sel+one, len(m.conn.rows)-1))
	case ui.PanelSockets:
		m.socks.move(one)
	}
	return nil
}

// panelAt returns the panel at a screen cell.
func (m *Model) panelAt(x, y int) (ui.Panel, bool) {
	for p := ui.PanelLab; p < ui.NumPanels; p++ {
		if m.layout.Panels[p].Contains(x, y) {
			return p, true
		}
	}
	return 0, false
}

// handleClick focuses the panel under the pointer and selects the row
// clicked, or switches tabs.
func (m *Model) handleClick(msg tea.MouseClickMsg) tea.Cmd {
	mouse := msg.Mouse()
	if mouse.Button != tea.MouseLeft || m.overlay != overlayNone || m.prompt != nil {
		return nil
	}
	if m.layout.Mode == ui.ModeTabbed && m.layout.Tabs.Contains(mouse.X, mouse.Y) {
		if p, ok := m.layout.TabOf(mouse.X); ok {
			m.setFocus(p)
		}
		return nil
	}
	p, ok := m.panelAt(mouse.X, mouse.Y)
	if !ok {
		return nil
	}
	if p != m.focus {
		m.setFocus(p)
	}
	area := ui.ListArea(m.layout, p)
	if area.Empty() || !area.Contains(mouse.X, mouse.Y) {
		return nil
	}
	row := mouse.Y - area.Y
	switch p {
	case ui.PanelLab:
		if i := m.lab.off + row; i < len(m.lab.services) {
			m.lab.sel = i
		}
	case ui.PanelResolve:
		if i := m.res.off + row; i < len(m.res.rows) {
			m.res.sel = i
		}
	case ui.PanelSockets:
		if i := m.socks.off + row; i < len(m.socks.all) {
			m.socks.sel = i
		}
	}
	return nil
}

// syncOffsets keeps every list's selection inside its window.
func (m *Model) syncOffsets() {
	l := m.layout
	if a := ui.ListArea(l, ui.PanelLab); !a.Empty() {
		m.lab.off = ui.VisibleOffset(m.lab.sel, m.lab.off, a.H, len(m.lab.services))
	}
	if a := ui.ListArea(l, ui.PanelResolve); !a.Empty() {
		m.res.off = ui.VisibleOffset(m.res.sel, m.res.off, a.H, len(m.res.rows))
	}
	if a := ui.ListArea(l, ui.PanelSockets); !a.Empty() {
		m.socks.off = ui.VisibleOffset(m.socks.sel, m.socks.off, a.H, len(m.socks.all))
	}
	if m.overlay == overlayOptions {
		m.opts.off = ui.VisibleOffset(m.opts.sel, m.opts.off, ui.OptionsListHeight(l), len(m.opts.rows))
	}
}
