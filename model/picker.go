package model

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/list"
	tea "charm.land/bubbletea/v2"

	"sockbench/safe"
	"sockbench/snippets"
	"sockbench/ui"
)

// snippetItem is a snippet in the picker.
type snippetItem struct{ s snippets.Snippet }

func (i snippetItem) FilterValue() string { return i.s.Name }
func (i snippetItem) Title() string       { return safe.Text(i.s.Name) }

// Description is the snippet's steps as the file writes them, on one line.
func (i snippetItem) Description() string {
	text, err := snippets.Format(i.s)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return safe.Text(strings.Join(lines[1:], " · "))
}

// snippetPicker lists the snippets of the file, with filtering (/);
// enter runs the one selected on the selected socket.
type snippetPicker struct {
	c    *common
	list list.Model
	path string
	run  func(snippets.Snippet) tea.Cmd
}

func newSnippetPicker(c *common, all []snippets.Snippet, path string, run func(snippets.Snippet) tea.Cmd) *snippetPicker {
	items := make([]list.Item, len(all))
	for i, s := range all {
		items[i] = snippetItem{s}
	}
	d := list.NewDefaultDelegate()
	d.Styles = list.NewDefaultItemStyles(c.theme.Dark)
	l := list.New(items, d, 40, 10)
	l.Styles = list.DefaultStyles(c.theme.Dark)
	l.SetShowTitle(false)
	l.SetShowHelp(false)
	l.SetStatusBarItemName("snippet", "snippets")
	return &snippetPicker{c: c, list: l, path: path, run: run}
}

// Typing: while the filter is typed, keys are its text.
func (o *snippetPicker) Typing() bool { return o.list.SettingFilter() }

func (o *snippetPicker) SetSize(w, h int) { o.list.SetSize(max(10, w-2), max(3, h-2)) }

func (o *snippetPicker) HandleKey(msg tea.KeyPressMsg) tea.Cmd {
	g := o.c.keys.Global
	if !o.list.SettingFilter() {
		switch {
		case key.Matches(msg, o.c.keys.Prompt.Submit):
			item, ok := o.list.SelectedItem().(snippetItem)
			if !ok {
				return nil
			}
			return tea.Batch(o.c.emit(closeOverlayMsg{}), o.run(item.s))
		case key.Matches(msg, g.Cancel) && o.list.FilterState() == list.Unfiltered:
			return o.c.emit(closeOverlayMsg{})
		}
	}
	var cmd tea.Cmd
	o.list, cmd = o.list.Update(msg)
	return cmd
}

func (o *snippetPicker) Update(msg tea.Msg) tea.Cmd {
	if s, ok := msg.(scrollMsg); ok {
		for range abs(s.rows) {
			if s.rows < 0 {
				o.list.CursorUp()
			} else {
				o.list.CursorDown()
			}
		}
	}
	return nil
}

func abs(n int) int { return max(n, -n) }

func (o *snippetPicker) View(w, h int) string {
	return ui.RenderPicker(o.c.styles, "Snippets · "+safe.Text(o.path), o.list.View(), w, h)
}

func (o *snippetPicker) Help() contextKeys {
	l, g, k := o.c.keys.List, o.c.keys.Global, o.c.keys.Picker
	return contextKeys{short: []key.Binding{k.Run, k.Filter, l.Up, l.Down, g.Cancel}}
}
