package model

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"sockbench/ui"
)

// helpOverlay shows every key of the focused panel and of everywhere, in
// a viewport that scrolls on small terminals.
type helpOverlay struct {
	c     *common
	keys  contextKeys
	focus ui.Panel
	view  viewport.Model
}

func newHelpOverlay(c *common, keys contextKeys, focus ui.Panel) *helpOverlay {
	o := &helpOverlay{c: c, keys: keys, focus: focus, view: viewport.New()}
	o.view.MouseWheelEnabled = true
	return o
}

func (o *helpOverlay) Typing() bool { return false }

// SetSize lays the help out again for the overlay's inside.
func (o *helpOverlay) SetSize(w, h int) {
	w, h = max(0, w-2), max(0, h-2)
	o.view.SetWidth(w)
	o.view.SetHeight(h)
	o.view.SetContentLines(ui.FullHelpLines(o.c.styles, o.keys, o.focus, max(10, w-2)))
}

func (o *helpOverlay) HandleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, o.c.keys.Global.Help, o.c.keys.Global.Cancel) {
		return o.c.emit(closeOverlayMsg{})
	}
	var cmd tea.Cmd
	o.view, cmd = o.view.Update(msg)
	return cmd
}

func (o *helpOverlay) Update(msg tea.Msg) tea.Cmd {
	scrollViewport(&o.view, msg)
	return nil
}

// scrollViewport scrolls an overlay's viewport by the wheel's rows.
func scrollViewport(v *viewport.Model, msg tea.Msg) {
	if s, ok := msg.(scrollMsg); ok {
		if s.rows < 0 {
			v.ScrollUp(-s.rows)
		} else {
			v.ScrollDown(s.rows)
		}
	}
}

func (o *helpOverlay) View(w, h int) string { return ui.RenderHelp(o.c.styles, o.view.View(), w, h) }

func (o *helpOverlay) Help() contextKeys {
	l, g := o.c.keys.List, o.c.keys.Global
	return contextKeys{short: []key.Binding{l.Up, l.Down, l.PageUp, l.PageDown, g.Help, g.Cancel}}
}
