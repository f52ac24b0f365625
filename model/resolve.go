package model

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/ui"
)

// Which resolve field is being edited.
const (
	notEditing = iota
	editingHost
	editingService
)

// resolvePanel runs getaddrinfo on a host and a service with hints, and
// lists the rows in the system's order; c connects over them.
type resolvePanel struct {
	basePanel
	c             *common
	host, service textinput.Model
	editing       int

	family   netcore.Family
	sockType netcore.SockType
	flags    netcore.AIFlags

	busy   bool
	start  time.Time
	cancel context.CancelFunc
	gen    int

	query  string
	target netcore.Target // what query names: its host is the name TLS verifies
	took   time.Duration
	err    string
	rows   []netcore.AddrInfo
	sel    int
	off    int
	page   int // list rows visible
}

func newResolvePanel(c *common) *resolvePanel {
	return &resolvePanel{
		c:        c,
		host:     newInput(c.styles, "empty = loopback", 255),
		service:  newInput(c.styles, "echo or 7", 64),
		sockType: netcore.SockStream,
		page:     1,
	}
}

// flagBinding ties a key to a getaddrinfo flag.
type flagBinding struct {
	key  key.Binding
	flag netcore.AIFlags
	name string
}

// flagBindings are the keys of the getaddrinfo flags.
func (p *resolvePanel) flagBindings() []flagBinding {
	k := p.c.keys.Resolve
	return []flagBinding{
		{k.Canon, netcore.AICanonName, "canon"},
		{k.AddrConfig, netcore.AIAddrConfig, "addrconfig"},
		{k.V4Mapped, netcore.AIV4Mapped, "v4mapped"},
		{k.All, netcore.AIAll, "all"},
		{k.Passive, netcore.AIPassive, "passive"},
	}
}

var familyCycle = []netcore.Family{netcore.FamilyUnspec, netcore.FamilyInet, netcore.FamilyInet6}
var typeCycle = []netcore.SockType{netcore.SockAny, netcore.SockStream, netcore.SockDgram, netcore.SockSeqpacket}

func nextOf[T comparable](cycle []T, v T) T {
	for i, c := range cycle {
		if c == v {
			return cycle[(i+1)%len(cycle)]
		}
	}
	return cycle[0]
}

func familyLabel(f netcore.Family) string {
	if f == netcore.FamilyUnspec {
		return "any"
	}
	return f.String()
}

func (p *resolvePanel) Typing() bool { return p.editing != notEditing }

func (p *resolvePanel) Busy() bool      { return p.busy }
func (p *resolvePanel) Running() string { return "resolving" }

func (p *resolvePanel) Restyle() {
	p.host.SetStyles(p.c.styles.Input)
	p.service.SetStyles(p.c.styles.Input)
}

func (p *resolvePanel) SetSize(w, h int) {
	room := max(10, w-len("host ")-len(" service ")-2)
	p.host.SetWidth(room * 3 / 5)
	p.service.SetWidth(room - room*3/5)
	p.page = ui.ResolveList.Rows(h)
}

func (p *resolvePanel) Blur() { p.stopEditing() }

func (p *resolvePanel) stopEditing() {
	p.editing = notEditing
	p.host.Blur()
	p.service.Blur()
}

func (p *resolvePanel) edit(field int) tea.Cmd {
	p.editing = field
	if field == editingHost {
		p.service.Blur()
		return p.host.Focus()
	}
	p.host.Blur()
	return p.service.Focus()
}

func (p *resolvePanel) updateInput(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	if p.editing == editingHost {
		p.host, cmd = p.host.Update(msg)
	} else {
		p.service, cmd = p.service.Update(msg)
	}
	return cmd
}

func (p *resolvePanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if p.editing != notEditing {
		return p.editKey(msg), true
	}
	if cmd, ok := connectKey(p.c, msg); ok {
		return cmd, true
	}
	k := p.c.keys.Resolve
	switch {
	case key.Matches(msg, k.Resolve):
		return p.resolve(false), true
	case key.Matches(msg, k.Edit):
		return p.edit(editingHost), true
	case key.Matches(msg, k.Family):
		p.family = nextOf(familyCycle, p.family)
		return p.c.info("family " + familyLabel(p.family) + ": enter resolves again"), true
	case key.Matches(msg, k.SockType):
		p.sockType = nextOf(typeCycle, p.sockType)
		return p.c.info("socket type " + p.sockType.String() + ": enter resolves again"), true
	}
	for _, f := range p.flagBindings() {
		if key.Matches(msg, f.key) {
			p.flags ^= f.flag
			state := "off"
			if p.flags&f.flag != 0 {
				state = "on"
			}
			return p.c.info(fmt.Sprintf("AI_%s %s: enter resolves again", strings.ToUpper(f.name), state)), true
		}
	}
	return nil, p.c.keys.List.move(msg, &p.sel, len(p.rows), p.page)
}

// connectKey handles the keys that the resolve and the attempts panels
// share: connect, mode and timeout, all acted on by the attempts panel.
func connectKey(c *common, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := c.keys.Connect
	switch {
	case key.Matches(msg, k.Connect):
		return c.emit(connectRequestMsg{}), true
	case key.Matches(msg, k.Mode):
		return c.emit(toggleModeMsg{}), true
	case key.Matches(msg, k.Timeout):
		return c.emit(timeoutPromptMsg{}), true
	case key.Matches(msg, k.Packets):
		return c.emit(togglePacketsMsg{}), true
	case key.Matches(msg, k.TLS):
		return c.emit(toggleTLSMsg{}), true
	}
	return nil, false
}

// editKey handles typing into the host and service fields.
func (p *resolvePanel) editKey(msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.keys.Resolve
	switch {
	case key.Matches(msg, k.Submit):
		p.stopEditing()
		return p.resolve(false)
	case key.Matches(msg, k.StopEditing):
		p.stopEditing()
		return nil
	case key.Matches(msg, k.SwitchField):
		return p.edit(editingHost + editingService - p.editing)
	}
	return p.updateInput(msg)
}

type resolvedMsg struct {
	gen     int
	rows    []netcore.AddrInfo
	err     error
	took    time.Duration
	connect bool
}

func (p *resolvePanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case useTargetMsg:
		return p.useTarget(msg)
	case resolvedMsg:
		return p.resolved(msg)
	case connectRequestMsg:
		return p.connectRequest()
	case cancelMsg:
		p.stop()
	case tea.PasteMsg:
		switch p.editing {
		case editingHost:
			return pasteInto(&p.host, msg)
		case editingService:
			return pasteInto(&p.service, msg)
		}
	case scrollMsg:
		p.sel = max(0, min(p.sel+msg.rows/3, len(p.rows)-1))
	case clickMsg:
		if i := p.off + msg.y - ui.ResolveList.Top; msg.y >= ui.ResolveList.Top && i < len(p.rows) {
			p.sel = i
		}
	}
	return nil
}

func (p *resolvePanel) stop() {
	if p.cancel != nil {
		p.cancel()
	}
}

// useTarget fills the fields and resolves.
func (p *resolvePanel) useTarget(t useTargetMsg) tea.Cmd {
	p.host.SetValue(payload.EscapeText([]byte(t.host)))
	p.host.CursorEnd()
	p.service.SetValue(payload.EscapeText([]byte(t.service)))
	p.service.CursorEnd()
	p.family, p.sockType, p.flags = t.family, t.sockType, 0
	cmd := p.resolve(t.connect)
	if t.note != "" && p.err == "" {
		p.c.info(t.note)
	}
	return cmd
}

func (p *resolvePanel) connectRequest() tea.Cmd {
	switch {
	case p.busy:
		return p.c.info("still resolving: wait, or esc cancels")
	case p.err != "" && p.query != "":
		return p.c.info("the lookup failed (" + p.err + "): fix the host or service in the resolve panel and press enter")
	case p.err != "":
		return p.c.info("the host and service do not make a target (" + p.err + "): fix them in the resolve panel and press enter")
	case len(p.rows) == 0:
		return p.c.info("nothing to connect to: resolve a host and service first (enter in the resolve panel)")
	}
	return p.c.emit(connectRowsMsg{rows: p.rows, host: p.target.Host})
}

// resolve resolves the fields in the background, then connects when
// connect is set.
func (p *resolvePanel) resolve(connect bool) tea.Cmd {
	t, err := targetOf(p.host.Value(), p.service.Value())
	if err != nil {
		p.err = errText(err)
		p.rows = nil
		p.query = ""
		return p.c.fail(p.err)
	}
	p.stop()
	ctx, cancel := context.WithCancel(p.c.tasks.ctx)
	p.cancel = cancel
	p.gen++
	gen := p.gen
	p.busy = true
	p.err = ""
	p.start = p.c.now()
	p.query, p.target = t.String(), t
	hints := netcore.Hints{Family: p.family, SockType: p.sockType, Flags: p.flags}
	p.c.info("resolving " + p.query + "…")
	return p.c.cmd(func() tea.Msg {
		start := time.Now()
		rows, err := netcore.ResolveTargets(ctx, []netcore.Target{t}, hints)
		return resolvedMsg{gen: gen, rows: rows, err: err, took: time.Since(start), connect: connect}
	})
}

func (p *resolvePanel) resolved(msg resolvedMsg) tea.Cmd {
	if msg.gen != p.gen {
		return nil
	}
	p.busy = false
	p.took = msg.took
	p.stop()
	p.cancel = nil
	if msg.err != nil {
		p.err = errText(msg.err)
		p.rows = nil
		p.sel = 0
		var focus tea.Cmd
		if msg.connect {
			focus = p.c.emit(focusMsg{panel: ui.PanelResolve})
		}
		return tea.Batch(focus, p.c.fail(p.err))
	}
	p.rows = msg.rows
	p.sel, p.off = 0, 0
	switch {
	case len(p.rows) == 0:
		return p.c.warn("resolve " + p.query + ": no rows")
	case msg.connect:
		return p.c.emit(connectRowsMsg{rows: p.rows, host: p.target.Host})
	}
	return p.c.okay(fmt.Sprintf("%s: %s; c connects over them", p.query, rowsWord(len(p.rows))))
}

func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

func (p *resolvePanel) View(w, h int, focused bool) string {
	p.off = ui.VisibleOffset(p.sel, p.off, p.page, len(p.rows))
	v := ui.ResolveView{
		Host:     p.host.View(),
		Service:  p.service.View(),
		Family:   familyLabel(p.family),
		SockType: p.sockType.String(),
		Busy:     p.busy,
		Spinner:  p.c.spinner,
		Query:    p.query,
		Took:     p.took,
		Err:      p.err,
		Selected: p.sel,
		Offset:   p.off,
	}
	if p.busy {
		v.Elapsed = p.c.now().Sub(p.start)
	}
	for _, f := range p.flagBindings() {
		v.Flags = append(v.Flags, ui.FlagView{Key: f.key.Help().Key, Name: f.name, On: p.flags&f.flag != 0})
	}
	for _, ai := range p.rows {
		v.Rows = append(v.Rows, ui.ResolveRow{Family: ai.Family.String(), Type: ai.SockType.String(), Proto: ai.Protocol.String(), Addr: ai.Addr.String()})
		if ai.CanonName != "" && v.Canon == "" {
			v.Canon = ai.CanonName
		}
	}
	return ui.RenderResolve(p.c.styles, v, w, h, focused)
}

func (p *resolvePanel) Help() contextKeys {
	k, l, c := p.c.keys.Resolve, p.c.keys.List, p.c.keys.Connect
	if p.editing != notEditing {
		return contextKeys{
			short: []key.Binding{k.Submit, k.SwitchField, k.StopEditing},
			full:  [][]key.Binding{{k.Submit, k.SwitchField, k.StopEditing}},
		}
	}
	return contextKeys{
		short: []key.Binding{k.Edit, k.Resolve, k.Family, k.SockType, c.Connect, c.Mode, c.Timeout},
		full: [][]key.Binding{
			{k.Resolve, k.Edit, k.Family, k.SockType, k.Canon, k.AddrConfig, k.V4Mapped, k.All, k.Passive, c.Connect, c.Mode, c.Timeout, c.Packets, c.TLS},
			l.nav(),
		},
	}
}
