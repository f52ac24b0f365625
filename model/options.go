package model

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"sockbench/netcore"
	"sockbench/ui"
)

// optionsState is the options view of one socket.
type optionsState struct {
	id      int
	title   string
	rows    []netcore.OptionReading
	sel     int
	off     int
	busy    bool
	err     string
	editing bool
	input   textinput.Model
	gen     int
}

type optionsMsg struct {
	id, gen int
	rows    []netcore.OptionReading
	err     error  // the failure of a change, if one was made
	changed string // the option changed
	value   string
}

// openOptions opens the options view of e and reads every option.
func (m *Model) openOptions(e *sockEntry) tea.Cmd {
	switch {
	case e == nil:
		return m.info("no socket selected")
	case e.closed:
		return m.info(fmt.Sprintf("#%d is closed: it has no options to read", e.id))
	}
	m.opts = optionsState{id: e.id, title: e.describe(), busy: true}
	m.overlay = overlayOptions
	return m.readOptions(e, nil, netcore.OptValue{})
}

// readOptions sets one option first when set is given, then reads them all
// again, in the background.
func (m *Model) readOptions(e *sockEntry, set *netcore.SockOpt, v netcore.OptValue) tea.Cmd {
	m.opts.gen++
	m.opts.busy = true
	s, id, gen := e.sock, e.id, m.opts.gen
	return m.cmd(func() tea.Msg {
		msg := optionsMsg{id: id, gen: gen}
		if set != nil {
			msg.changed = set.Name
			msg.value = v.String()
			msg.err = s.SetOption(*set, v)
		}
		msg.rows = s.ListOptions()
		return msg
	})
}

func (m *Model) handleOptions(msg optionsMsg) tea.Cmd {
	o := &m.opts
	if msg.id != o.id || msg.gen != o.gen {
		return nil
	}
	o.busy = false
	o.rows = msg.rows
	o.sel = max(0, min(o.sel, len(o.rows)-1))
	if msg.changed == "" {
		return nil
	}
	if msg.err != nil {
		o.err = msg.changed + ": " + errText(msg.err)
		return m.fail(o.err + " · nothing changed")
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
	return m.okay(text)
}

func (m *Model) optionsKey(msg tea.KeyPressMsg) tea.Cmd {
	o := &m.opts
	k := m.keys
	e := m.socks.byID(o.id)
	if o.editing {
		switch msg.String() {
		case "esc":
			o.editing = false
			return m.info("edit cancelled: nothing changed")
		case "enter":
			return m.commitOption(e)
		}
		var cmd tea.Cmd
		o.input, cmd = o.input.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Options):
		m.overlay = overlayNone
		return nil
	case key.Matches(msg, k.ForceQuit), key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Toggle):
		return m.toggleOption(e)
	case key.Matches(msg, k.SetValue):
		return m.editOption()
	}
	if m.listKey(msg, &o.sel, len(o.rows), ui.OptionsListHeight(m.layout)) {
		return nil
	}
	return nil
}

func (m *Model) currentOption() (netcore.OptionReading, bool) {
	o := &m.opts
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

func (m *Model) toggleOption(e *sockEntry) tea.Cmd {
	r, ok := m.currentOption()
	switch {
	case !ok:
		return nil
	case m.opts.busy:
		return m.info("still reading the options…")
	case e == nil || e.closed:
		return m.fail("the socket is closed")
	case r.Opt.Type != netcore.OptBool:
		return m.info(r.Opt.Name + " is not a boolean: enter edits its value")
	}
	if why := optionWritable(r); why != "" {
		return m.fail(why)
	}
	if r.Err != nil {
		return m.fail(r.Opt.Name + ": cannot read its value: " + errText(r.Err))
	}
	opt := r.Opt
	return m.readOptions(e, &opt, netcore.OptValue{Type: netcore.OptBool, Bool: !r.Value.Bool})
}

func (m *Model) editOption() tea.Cmd {
	r, ok := m.currentOption()
	if !ok {
		return nil
	}
	if why := optionWritable(r); why != "" {
		return m.fail(why)
	}
	o := &m.opts
	o.editing = true
	o.input = newInput(m.styles, hintFor(r.Opt), 200)
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

// commitOption parses the edited value; a bad value changes nothing.
func (m *Model) commitOption(e *sockEntry) tea.Cmd {
	o := &m.opts
	r, ok := m.currentOption()
	if !ok {
		o.editing = false
		return nil
	}
	v, err := netcore.ParseOptValue(r.Opt, o.input.Value())
	if err != nil {
		o.err = errText(err)
		return m.fail(o.err + " · nothing changed")
	}
	if e == nil || e.closed {
		o.editing = false
		return m.fail("the socket is closed")
	}
	o.editing = false
	o.err = ""
	opt := r.Opt
	return m.readOptions(e, &opt, v)
}

// optionsView fills the options overlay.
func (m *Model) optionsView() ui.OptionsView {
	o := &m.opts
	v := ui.OptionsView{Selected: o.sel, Offset: o.off, Editing: o.editing, Err: o.err, Busy: o.busy}
	if o.editing {
		v.Input = o.input.View()
	}
	for _, r := range o.rows {
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
		v.Rows = append(v.Rows, row)
	}
	return v
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

// ---- syscall log ----

// syscallState is the syscall log overlay.
type syscallState struct {
	log    *traceLog
	title  string
	top    int
	follow bool
}

func (m *Model) openSyscalls(log *traceLog, title string) {
	m.sys = syscallState{log: log, title: title, follow: true}
	m.overlay = overlaySyscalls
}

func (m *Model) syscallsTop() int {
	h := ui.SyscallsHeight(m.layout)
	n := m.sys.log.len()
	if m.sys.follow {
		return max(0, n-h)
	}
	return max(0, min(m.sys.top, max(0, n-h)))
}

func (m *Model) scrollSyscalls(d int) {
	h := ui.SyscallsHeight(m.layout)
	n := m.sys.log.len()
	top := m.syscallsTop() + d
	if top >= n-h {
		m.sys.follow = true
		return
	}
	m.sys.follow = false
	m.sys.top = max(0, top)
}

func (m *Model) syscallsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if k.scroll(msg, ui.SyscallsHeight(m.layout), m.scrollSyscalls,
		func() { m.sys.follow, m.sys.top = false, 0 },
		func() { m.sys.follow = true }) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Syscalls):
		m.overlay = overlayNone
	case key.Matches(msg, k.Quit):
		return m.quit()
	}
	return nil
}

func (m *Model) syscallsView() ui.SyscallsView {
	h := ui.SyscallsHeight(m.layout)
	top := m.syscallsTop()
	calls, kept, dropped, hidden := m.sys.log.window(top, h)
	v := ui.SyscallsView{Top: top, Total: kept, Dropped: dropped, Hidden: hidden, Follow: m.sys.follow}
	for _, c := range calls {
		wouldWait := c.Errno == unix.EAGAIN || c.Errno == unix.EINPROGRESS || c.Errno == unix.EALREADY
		v.Rows = append(v.Rows, ui.SyscallRow{Time: c.Start, Text: c.String(), Failed: c.Errno != 0, WouldWait: wouldWait, Duration: c.Duration})
	}
	return v
}
