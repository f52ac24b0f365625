package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/netcore"
	"sockbench/ui"
)

// resolveState is the resolve panel.
type resolveState struct {
	host, service textinput.Model
	editing       int // 0 not editing, 1 host, 2 service

	family   netcore.Family
	sockType netcore.SockType
	flags    netcore.AIFlags

	busy   bool
	start  time.Time
	cancel context.CancelFunc
	gen    int

	query string
	took  time.Duration
	err   string
	rows  []netcore.AddrInfo
	sel   int
	off   int
}

func newInput(styles *ui.Styles, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	in.SetStyles(styles.Input)
	return in
}

func newResolveState(styles *ui.Styles) resolveState {
	r := resolveState{
		host:     newInput(styles, "empty = loopback", 255),
		service:  newInput(styles, "echo or 7", 64),
		sockType: netcore.SockStream,
	}
	return r
}

func (r *resolveState) stop() {
	if r.cancel != nil {
		r.cancel()
	}
}

func (r *resolveState) stopEditing() {
	r.editing = 0
	r.host.Blur()
	r.service.Blur()
}

func (r *resolveState) edit(field int) tea.Cmd {
	r.editing = field
	if field == 1 {
		r.service.Blur()
		return r.host.Focus()
	}
	r.host.Blur()
	return r.service.Focus()
}

func (r *resolveState) updateInput(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	if r.editing == 1 {
		r.host, cmd = r.host.Update(msg)
	} else {
		r.service, cmd = r.service.Update(msg)
	}
	return cmd
}

// flagKeys ties the 1..5 keys to getaddrinfo flags.
var flagKeys = []struct {
	key  string
	flag netcore.AIFlags
	name string
}{
	{"1", netcore.AICanonName, "canon"},
	{"2", netcore.AIAddrConfig, "addrconfig"},
	{"3", netcore.AIV4Mapped, "v4mapped"},
	{"4", netcore.AIAll, "all"},
	{"5", netcore.AIPassive, "passive"},
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

// resolveKey handles the resolve panel when no field is being edited.
func (m *Model) resolveKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.connectKey(msg); ok {
		return cmd
	}
	k := m.keys
	r := &m.res
	switch {
	case key.Matches(msg, k.Resolve):
		return m.startResolve(false)
	case key.Matches(msg, k.Edit):
		return r.edit(1)
	case key.Matches(msg, k.Family):
		r.family = nextOf(familyCycle, r.family)
		return m.info("family " + familyLabel(r.family) + ": enter resolves again")
	case key.Matches(msg, k.SockType):
		r.sockType = nextOf(typeCycle, r.sockType)
		return m.info("socket type " + r.sockType.String() + ": enter resolves again")
	}
	for _, f := range flagKeys {
		if msg.String() == f.key {
			r.flags ^= f.flag
			state := "off"
			if r.flags&f.flag != 0 {
				state = "on"
			}
			return m.info(fmt.Sprintf("AI_%s %s: enter resolves again", strings.ToUpper(f.name), state))
		}
	}
	if m.listKey(msg, &r.sel, len(r.rows), ui.ListArea(m.layout, ui.PanelResolve).H) {
		return nil
	}
	return m.unbound(msg)
}

// resolveEditKey handles typing into the host and service fields.
func (m *Model) resolveEditKey(msg tea.KeyPressMsg) tea.Cmd {
	r := &m.res
	switch msg.String() {
	case "enter":
		r.stopEditing()
		return m.startResolve(false)
	case "esc":
		r.stopEditing()
		return nil
	case "tab", "shift+tab":
		return r.edit(3 - r.editing)
	}
	return r.updateInput(msg)
}

// unbound says why a key does nothing here.
func (m *Model) unbound(msg tea.KeyPressMsg) tea.Cmd {
	s := msg.String()
	if len([]rune(s)) == 1 || strings.HasPrefix(s, "ctrl+") {
		return m.info(fmt.Sprintf("%s does nothing in the %s panel (? lists its keys)", s, m.focusName()))
	}
	return nil
}

type resolvedMsg struct {
	gen     int
	rows    []netcore.AddrInfo
	err     error
	took    time.Duration
	connect bool
}

// targetOf reads the resolve fields as a TARGET: a host and a service,
// "unix:PATH" in the host field, or the whole TARGET in the host field.
func targetOf(host, service string) (netcore.Target, error) {
	host = strings.TrimSpace(host)
	service = strings.TrimSpace(service)
	if strings.HasPrefix(host, "unix:") {
		return netcore.ParseTarget(host)
	}
	if service == "" {
		if strings.Contains(host, ":") {
			return netcore.ParseTarget(host)
		}
		return netcore.Target{}, errors.New("no service: type a port number or a name such as echo or http")
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return netcore.ParseTarget("[" + host + "]:" + service)
	}
	return netcore.ParseTarget(host + ":" + service)
}

// startResolve resolves the host and service fields in the background.
func (m *Model) startResolve(connect bool) tea.Cmd {
	r := &m.res
	t, err := targetOf(r.host.Value(), r.service.Value())
	if err != nil {
		r.err = errText(err)
		r.rows = nil
		r.query = ""
		return m.fail(r.err)
	}
	r.stop()
	ctx, cancel := context.WithCancel(m.ctx)
	r.cancel = cancel
	r.gen++
	gen := r.gen
	r.busy = true
	r.err = ""
	r.start = m.now()
	r.query = t.String()
	hints := netcore.Hints{Family: r.family, SockType: r.sockType, Flags: r.flags}
	m.setStatus(ui.LevelInfo, "resolving "+r.query+"…")
	return m.cmd(func() tea.Msg {
		start := time.Now()
		rows, err := netcore.ResolveTargets(ctx, []netcore.Target{t}, hints)
		return resolvedMsg{gen: gen, rows: rows, err: err, took: time.Since(start), connect: connect}
	})
}

func (m *Model) handleResolved(msg resolvedMsg) tea.Cmd {
	r := &m.res
	if msg.gen != r.gen {
		return nil
	}
	r.busy = false
	r.took = msg.took
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	if msg.err != nil {
		r.err = errText(msg.err)
		r.rows = nil
		r.sel = 0
		if msg.connect {
			m.setFocus(ui.PanelResolve)
		}
		return m.fail("resolve " + r.query + ": " + r.err)
	}
	r.rows = msg.rows
	r.sel = 0
	r.off = 0
	if len(r.rows) == 0 {
		return m.warn("resolve " + r.query + ": no rows")
	}
	if msg.connect {
		return m.connectRows()
	}
	return m.okay(fmt.Sprintf("%s: %s; c connects over them", r.query, rowsWord(len(r.rows))))
}

func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// errText puts an error in words with its code: the EAI_ or errno name.
func errText(err error) string {
	var re *netcore.ResolveError
	if errors.As(err, &re) {
		text := fmt.Sprintf("%s (%s)", re.Msg, re.Code)
		if hint := eaiHint(re.Code); hint != "" {
			text += ": " + hint
		}
		return text
	}
	var ne *netcore.Error
	if errors.As(err, &ne) {
		switch ne.Class {
		case netcore.ClassCancelled:
			return "cancelled"
		}
		return ne.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func eaiHint(code string) string {
	switch code {
	case "EAI_NONAME":
		return "no such host, or the service is unknown for this socket type"
	case "EAI_AGAIN":
		return "the name server did not answer in time; try again"
	case "EAI_SERVICE":
		return "that service is not known for this socket type (see /etc/services)"
	case "EAI_FAMILY":
		return "the address family is not supported for this name"
	case "EAI_SOCKTYPE":
		return "that socket type is not supported"
	case "EAI_BADFLAGS":
		return "that combination of flags is not allowed"
	case "EAI_NODATA", "EAI_ADDRFAMILY":
		return "the name exists but has no address of that family"
	case "EAI_FAIL":
		return "the name server failed for good"
	}
	return ""
}

// startTarget fills the resolve fields from a TARGET and resolves and
// connects at once.
func (m *Model) startTarget(target string) tea.Cmd {
	t, err := netcore.ParseTarget(target)
	if err != nil {
		m.setFocus(ui.PanelResolve)
		return m.fail(errText(err))
	}
	if t.IsUnix {
		m.res.host.SetValue("unix:" + t.UnixPath)
		m.res.service.SetValue("")
	} else {
		m.res.host.SetValue(t.Host)
		m.res.service.SetValue(t.Service)
	}
	return m.startResolve(true)
}
