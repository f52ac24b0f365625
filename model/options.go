package model

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
)

// optionsOverlay lists every option of one socket with its value; space
// toggles a boolean, enter edits a value. Every change is read back.
type optionsOverlay struct {
	c       *common
	sock    *engine.Sock
	title   string
	rows    []netcore.OptionReading
	sel     int
	off     int
	page    int
	busy    bool
	err     string
	editing bool
	input   textinput.Model
	gen     int
}

func newOptionsOverlay(c *common, k *engine.Sock) *optionsOverlay {
	return &optionsOverlay{c: c, sock: k, title: k.Describe(), busy: true, page: 1}
}

type optionsMsg struct {
	o       *optionsOverlay
	gen     int
	rows    []netcore.OptionReading
	err     error  // the failure of a change, if one was made
	changed string // the option changed
	value   string
}

func (o *optionsOverlay) Busy() bool      { return o.busy }
func (o *optionsOverlay) Running() string { return "reading options" }
func (o *optionsOverlay) Typing() bool    { return o.editing }

func (o *optionsOverlay) SetSize(_, h int) { o.page = ui.OptionsListHeight(h) }

// read sets one option first when set is given, then reads them all
// again, in the background.
func (o *optionsOverlay) read(set *netcore.SockOpt, v netcore.OptValue) tea.Cmd {
	o.gen++
	o.busy = true
	s, gen := o.sock.Socket(), o.gen
	return o.c.cmd(func() tea.Msg {
		msg := optionsMsg{o: o, gen: gen}
		if set != nil {
			msg.changed = set.Name
			msg.value = v.String()
			msg.err = s.SetOption(*set, v)
		}
		msg.rows = s.ListOptions()
		return msg
	})
}

func (o *optionsOverlay) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case optionsMsg:
		if msg.o == o && msg.gen == o.gen {
			return o.loaded(msg)
		}
	case scrollMsg:
		o.sel = max(0, min(o.sel+msg.rows/3, len(o.rows)-1))
	case tea.PasteMsg:
		if o.editing {
			return pasteInto(&o.input, msg)
		}
	}
	return nil
}

func (o *optionsOverlay) loaded(msg optionsMsg) tea.Cmd {
	o.busy = false
	o.rows = msg.rows
	o.sel = max(0, min(o.sel, len(o.rows)-1))
	if msg.changed == "" {
		return nil
	}
	if msg.err != nil {
		o.err = msg.changed + ": " + errText(msg.err)
		return o.c.fail(o.err + " · nothing changed")
	}
	o.err = ""
	now := ""
	for _, r := range o.rows {
		if r.Opt.Name == msg.changed && r.Err == nil {
			now = r.Value.String()
		}
	}
	text := fmt.Sprintf("%s set to %s", msg.changed, msg.value)
	if now != "" && now != msg.value {
		text += fmt.Sprintf("; the kernel now reports %s", now)
	}
	return o.c.okay(text)
}

func (o *optionsOverlay) HandleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := o.c.keys.Options
	if o.editing {
		switch {
		case key.Matches(msg, k.Cancel):
			o.editing = false
			return o.c.info("edit cancelled: nothing changed")
		case key.Matches(msg, k.Submit):
			return o.commit()
		}
		var cmd tea.Cmd
		o.input, cmd = o.input.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Close):
		return o.c.emit(closeOverlayMsg{})
	case key.Matches(msg, k.Toggle):
		return o.toggle()
	case key.Matches(msg, k.Edit):
		return o.edit()
	}
	o.c.keys.List.move(msg, &o.sel, len(o.rows), o.page)
	return nil
}

func (o *optionsOverlay) current() (netcore.OptionReading, bool) {
	if o.sel < 0 || o.sel >= len(o.rows) {
		return netcore.OptionReading{}, false
	}
	return o.rows[o.sel], true
}

// optionWritable says why an option cannot be set, or "".
func optionWritable(r netcore.OptionReading) string {
	switch {
	case !r.Opt.Available:
		return r.Opt.Name + " does not exist on this system"
	case r.Opt.ReadOnly || r.Opt.Type == netcore.OptTCPInfo:
		return r.Opt.Name + " is read-only"
	}
	return ""
}

func (o *optionsOverlay) toggle() tea.Cmd {
	r, ok := o.current()
	switch {
	case !ok:
		return nil
	case o.busy:
		return o.c.info("still reading the options…")
	case o.sock.Status().Closed:
		return o.c.fail("the socket is closed")
	case r.Opt.Type != netcore.OptBool:
		return o.c.info(r.Opt.Name + " is not a boolean: enter edits its value")
	}
	if why := optionWritable(r); why != "" {
		return o.c.fail(why)
	}
	if r.Err != nil {
		return o.c.fail(r.Opt.Name + ": cannot read its value: " + errText(r.Err))
	}
	opt := r.Opt
	return o.read(&opt, netcore.OptValue{Type: netcore.OptBool, Bool: !r.Value.Bool})
}

func (o *optionsOverlay) edit() tea.Cmd {
	r, ok := o.current()
	if !ok {
		return nil
	}
	if why := optionWritable(r); why != "" {
		return o.c.fail(why)
	}
	o.editing = true
	o.input = newInput(o.c.styles, hintFor(r.Opt), 200)
	if r.Err == nil && !r.Opt.WriteOnly() {
		v := r.Value.String()
		if r.Opt.Type == netcore.OptLinger {
			v = strings.ReplaceAll(strings.ReplaceAll(v, " ", ""), "s", "")
		}
		o.input.SetValue(v)
	}
	o.input.SetWidth(30)
	o.input.CursorEnd()
	return o.input.Focus()
}

func hintFor(o netcore.SockOpt) string {
	switch o.Type {
	case netcore.OptBool:
		return "on or off"
	case netcore.OptInt:
		return "a number"
	case netcore.OptLinger:
		return "off, or on,5"
	case netcore.OptDuration:
		return "1.5s, 200ms"
	case netcore.OptMreq:
		return "224.0.0.251%lo"
	case netcore.OptBytes:
		return "hex bytes"
	}
	return "a value"
}

// commit parses the edited value; a bad value changes nothing.
func (o *optionsOverlay) commit() tea.Cmd {
	r, ok := o.current()
	if !ok {
		o.editing = false
		return nil
	}
	v, err := netcore.ParseOptValue(r.Opt, o.input.Value())
	if err != nil {
		o.err = errText(err)
		return o.c.fail(o.err + " · nothing changed")
	}
	o.editing = false
	if o.sock.Status().Closed {
		return o.c.fail("the socket is closed")
	}
	o.err = ""
	opt := r.Opt
	return o.read(&opt, v)
}

func (o *optionsOverlay) View(w, h int) string {
	o.off = ui.VisibleOffset(o.sel, o.off, o.page, len(o.rows))
	v := ui.OptionsView{Selected: o.sel, Offset: o.off, Editing: o.editing, Err: o.err, Busy: o.busy}
	if o.editing {
		v.Input = o.input.View()
	}
	for _, r := range o.rows {
		v.Rows = append(v.Rows, optionRow(r))
	}
	return ui.RenderOptions(o.c.styles, o.title, v, w, h)
}

// optionRow is one option as the view shows it.
func optionRow(r netcore.OptionReading) ui.OptionRow {
	row := ui.OptionRow{
		Name:      r.Opt.Name,
		Level:     r.Opt.LevelName(),
		Type:      r.Opt.Type.String(),
		Help:      r.Opt.Help,
		Writable:  optionWritable(r) == "",
		Available: r.Opt.Available,
		Bool:      r.Opt.Type == netcore.OptBool,
	}
	switch {
	case r.Opt.WriteOnly():
		row.Value = "(write-only)"
	case !r.Opt.Available:
		row.Value = "n/a"
	case r.Err != nil:
		row.Err = shortErr(r.Err)
	default:
		row.Value = r.Value.String()
	}
	return row
}

// shortErr names a failure briefly: its errno, class or text.
func shortErr(err error) string {
	if errno := netcore.ErrnoOf(err); errno != 0 {
		return netcore.ErrnoName(errno)
	}
	if netcore.ClassOf(err) == netcore.ClassUnsupported {
		return "not on this system"
	}
	return errText(err)
}

func (o *optionsOverlay) Help() contextKeys {
	k, l := o.c.keys.Options, o.c.keys.List
	if o.editing {
		return contextKeys{short: []key.Binding{k.Submit, k.Cancel}, full: [][]key.Binding{{k.Submit, k.Cancel}}}
	}
	return contextKeys{
		short: []key.Binding{l.Up, l.Down, k.Toggle, k.Edit, k.Close},
		full:  [][]key.Binding{{k.Toggle, k.Edit, k.Close}, l.nav()},
	}
}
