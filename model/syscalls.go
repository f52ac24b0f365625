package model

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"sockbench/engine"
	"sockbench/ui"
)

// syscallsOverlay shows the system calls of one socket or attempt, as
// they happen; it follows the newest until scrolled back.
type syscallsOverlay struct {
	c      *common
	trace  *engine.Trace
	title  string
	top    int
	follow bool
	height int
}

func newSyscallsOverlay(c *common, trace *engine.Trace, title string) *syscallsOverlay {
	return &syscallsOverlay{c: c, trace: trace, title: title, follow: true, height: 1}
}

// openSyscalls opens the system calls of a socket or attempt over the
// panels.
func openSyscalls(c *common, trace *engine.Trace, title string) tea.Cmd {
	o := newSyscallsOverlay(c, trace, title)
	return tea.Batch(c.emit(overlayMsg{o}), o.tick())
}

// syscallsRedraw is how often the open log is drawn again: a system call
// sends no message (a listener retrying accept, a reader's wait), so the
// log would otherwise show new calls only at the next key.
const syscallsRedraw = 250 * time.Millisecond

// syscallsTickMsg asks the log o to draw again, while it is open.
type syscallsTickMsg struct{ o *syscallsOverlay }

func (o *syscallsOverlay) tick() tea.Cmd {
	return tea.Tick(syscallsRedraw, func(time.Time) tea.Msg { return syscallsTickMsg{o} })
}

func (o *syscallsOverlay) Typing() bool     { return false }
func (o *syscallsOverlay) SetSize(_, h int) { o.height = ui.SyscallsHeight(h) }

func (o *syscallsOverlay) first() int {
	n := o.trace.Len()
	if o.follow {
		return max(0, n-o.height)
	}
	return max(0, min(o.top, max(0, n-o.height)))
}

func (o *syscallsOverlay) scroll(d int) {
	n := o.trace.Len()
	top := o.first() + d
	if top >= n-o.height {
		o.follow = true
		return
	}
	o.follow = false
	o.top = max(0, top)
}

func (o *syscallsOverlay) HandleKey(msg tea.KeyPressMsg) tea.Cmd {
	if o.c.keys.List.scroll(msg, o.height, o.scroll,
		func() { o.follow, o.top = false, 0 },
		func() { o.follow = true }) {
		return nil
	}
	if key.Matches(msg, o.c.keys.Global.Cancel, o.c.keys.Sockets.Syscalls) {
		return o.c.emit(closeOverlayMsg{})
	}
	return nil
}

func (o *syscallsOverlay) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case scrollMsg:
		o.scroll(msg.rows)
	case syscallsTickMsg:
		if msg.o == o { // the tick of a log closed since goes unanswered
			return o.tick()
		}
	}
	return nil
}

func (o *syscallsOverlay) View(w, h int) string {
	top := o.first()
	win := o.trace.Window(top, o.height)
	v := ui.SyscallsView{Top: top, Total: win.Kept, Dropped: win.Dropped, Hidden: win.Hidden, Follow: o.follow}
	for _, c := range win.Calls {
		wouldWait := c.Errno == unix.EAGAIN || c.Errno == unix.EINPROGRESS || c.Errno == unix.EALREADY
		v.Rows = append(v.Rows, ui.SyscallRow{Time: c.Start, Text: c.String(), Failed: c.Errno != 0, WouldWait: wouldWait, Duration: c.Duration})
	}
	return ui.RenderSyscalls(o.c.styles, o.title, v, w, h)
}

func (o *syscallsOverlay) Help() contextKeys {
	l := o.c.keys.List
	return contextKeys{
		short: []key.Binding{l.Up, l.Down, l.PageUp, l.PageDown, l.End, o.c.keys.Global.Cancel},
		full:  [][]key.Binding{l.nav(), {o.c.keys.Global.Cancel}},
	}
}
