package model

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/themes"
	"sockbench/ui"
)

// tooSmallText is what a key says while the terminal is too small.
const tooSmallText = "the terminal is too small: make it larger, or q to quit"

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.broadcast(cancelMsg{})
	return tea.Quit
}

// handleKey routes a key press: the prompt or the overlay when one is
// open; else the focused panel first when it takes text, then the keys
// that work everywhere, then the focused panel.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	g := m.c.keys.Global
	switch {
	case key.Matches(msg, g.ForceQuit):
		return m.quit()
	case m.prompt != nil:
		cmd, done := m.prompt.handleKey(m.c, msg)
		if done {
			m.prompt = nil
		}
		return cmd
	case m.layout.Mode == ui.ModeTooSmall:
		if key.Matches(msg, g.Quit) {
			return m.quit()
		}
		return m.c.warn(tooSmallText)
	case m.overlay != nil:
		if !m.overlay.Typing() && key.Matches(msg, g.Quit) {
			return m.quit()
		}
		return m.overlay.HandleKey(msg)
	}
	p := m.panels[m.focus]
	typing := p.Typing()
	if key.Matches(msg, g.HelpAnywhere) {
		return m.openHelp()
	}
	if typing {
		if cmd, ok := p.HandleKey(msg); ok {
			return cmd
		}
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	if !typing {
		if cmd, ok := p.HandleKey(msg); ok {
			return cmd
		}
	}
	return m.c.unbound(msg, m.focus)
}

// openHelp opens the full help of the focused panel.
func (m *Model) openHelp() tea.Cmd {
	m.overlay = newHelpOverlay(m.c, m.fullHelp(), m.focus)
	m.sizeOverlay()
	return nil
}

// globalKey handles the keys that work in every panel. A panel where keys
// are text gives it only those it declines (tab, and ? on an empty send
// line).
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	g := m.c.keys.Global
	switch {
	case key.Matches(msg, g.NextPanel):
		m.cycleFocus(1)
	case key.Matches(msg, g.PrevPanel):
		m.cycleFocus(-1)
	case key.Matches(msg, g.Quit):
		return m.quit(), true
	case key.Matches(msg, g.Help):
		return m.openHelp(), true
	case key.Matches(msg, g.Theme):
		m.setTheme(themes.Next(m.c.theme.Name).Name)
		if m.c.noColor {
			return m.c.info("NO_COLOR is set: no colours to change"), true
		}
		return m.c.info("theme " + m.c.theme.Name), true
	case key.Matches(msg, g.Cancel):
		return m.escape(), true
	default:
		return nil, false
	}
	return nil, true
}

// escape cancels what runs, or clears the status line.
func (m *Model) escape() tea.Cmd {
	if running := m.running(); running != "" {
		return tea.Batch(m.broadcast(cancelMsg{}), m.c.warn("stopping: "+running+"…"))
	}
	m.c.status = ""
	return nil
}

// cycleFocus moves the focus dir steps along the Tab order, which is the
// order of the panels (ui.Panel): the layout's, left to right and top to
// bottom, and the tab bar's.
func (m *Model) cycleFocus(dir int) {
	next := ui.Panel((int(m.focus) + dir + int(ui.NumPanels)) % int(ui.NumPanels))
	if next == ui.PanelSend {
		m.send.enter(dir > 0)
	}
	m.setFocus(next, false)
}

// setFocus moves the keyboard focus to p; fresh says it was asked for
// (not reached by tab), so the send line starts on its data field.
func (m *Model) setFocus(p ui.Panel, fresh bool) tea.Cmd {
	if fresh && p == ui.PanelSend {
		m.send.enter(false)
	}
	if p != m.focus {
		m.panels[m.focus].Blur()
	}
	m.focus = p
	cmd := m.panels[p].Focus()
	m.relayout()
	return cmd
}

// relayout places the panels for the size and focus, and sizes them.
func (m *Model) relayout() {
	m.layout = ui.ComputeLayout(m.width, m.height, m.focus)
	for p, pn := range m.panels {
		in := m.layout.Inner(ui.Panel(p))
		pn.SetSize(in.W, in.H)
	}
	m.sizeOverlay()
	if m.prompt != nil {
		m.prompt.setWidth(m.width)
	}
}

func (m *Model) sizeOverlay() {
	if m.overlay != nil {
		b := m.layout.Body
		m.overlay.SetSize(b.W, b.H)
	}
}

func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	switch {
	case m.prompt != nil:
		return m.prompt.paste(msg)
	case m.overlay != nil:
		return m.overlay.Update(msg)
	case m.panels[m.focus].Typing():
		return m.panels[m.focus].Update(msg)
	}
	return m.c.info("paste goes into the send line: focus it first (enter in the sockets or hex panel)")
}

// handleWheel scrolls what is under the pointer.
func (m *Model) handleWheel(msg tea.MouseWheelMsg) tea.Cmd {
	mouse := msg.Mouse()
	var rows int
	switch mouse.Button {
	case tea.MouseWheelUp:
		rows = -3
	case tea.MouseWheelDown:
		rows = 3
	default:
		return nil
	}
	if m.overlay != nil {
		return m.overlay.Update(scrollMsg{rows: rows})
	}
	if p, ok := m.panelAt(mouse.X, mouse.Y); ok {
		return m.panels[p].Update(scrollMsg{rows: rows})
	}
	return nil
}

// panelAt returns the panel at a screen cell.
func (m *Model) panelAt(x, y int) (ui.Panel, bool) {
	for p := range m.panels {
		if m.layout.Panels[p].Contains(x, y) {
			return ui.Panel(p), true
		}
	}
	return 0, false
}

// handleClick focuses the panel under the pointer and passes the click
// on, or switches tabs.
func (m *Model) handleClick(msg tea.MouseClickMsg) tea.Cmd {
	mouse := msg.Mouse()
	if mouse.Button != tea.MouseLeft || m.overlay != nil || m.prompt != nil {
		return nil
	}
	if m.layout.Mode == ui.ModeTabbed && m.layout.Tabs.Contains(mouse.X, mouse.Y) {
		if p, ok := m.layout.TabOf(mouse.X); ok {
			return m.setFocus(p, true)
		}
		return nil
	}
	p, ok := m.panelAt(mouse.X, mouse.Y)
	if !ok {
		return nil
	}
	var cmd tea.Cmd
	if p != m.focus {
		cmd = m.setFocus(p, true)
	}
	in := m.layout.Inner(p)
	if !in.Contains(mouse.X, mouse.Y) {
		return cmd
	}
	return tea.Batch(cmd, m.panels[p].Update(clickMsg{x: mouse.X - in.X, y: mouse.Y - in.Y}))
}

func joinComma(names []string) string { return strings.Join(names, ", ") }
