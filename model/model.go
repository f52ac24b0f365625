// Package model is the state of the workbench and everything that changes
// it: messages, commands and Update. Socket work (resolve, connect, accept,
// send, receive, options) runs in commands and goroutines that report
// through one event hub; Update never waits on a socket. View hands the
// state to package ui.
package model

import (
	"context"
	"sync"
	"time"

	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/themes"
	"sockbench/ui"
)

// LabService is one built-in loopback service.
type LabService struct {
	Name    string
	Kind    string
	Network string // "tcp" or "udp"
	Addr    netcore.Addr
	Help    string
}

// Lab is a running set of lab services.
type Lab interface {
	Services() []LabService
	Close() error
}

// Config is what the command line decides.
type Config struct {
	Theme        string        // a theme name; "" is the default
	NoColor      bool          // no colour at all (NO_COLOR)
	CaptureLimit int64         // bytes kept per socket; 0 is capture.DefaultLimit
	Timeout      time.Duration // the connect timeout; 0 is none
	Target       string        // a TARGET to resolve and connect to at once
	// StartLab starts the lab services; nil means no lab (--no-lab).
	StartLab func(ctx context.Context) (Lab, error)
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// DefaultTimeout is the connect timeout when none is given.
const DefaultTimeout = 3 * time.Second

type overlayKind int

const (
	overlayNone overlayKind = iota
	overlayHelp
	overlayOptions
	overlaySyscalls
)

// Model is the workbench. Use New; it is used through a pointer.
type Model struct {
	cfg    Config
	keys   KeyMap
	theme  themes.Theme
	styles *ui.Styles
	now    func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	hub    *hub
	wg     sync.WaitGroup
	mu     sync.Mutex // guards closing, for track
	closed bool

	width, height int
	layout        ui.Layout
	focus         ui.Panel
	overlay       overlayKind

	spin     spinner.Model
	spinning bool
	helpView viewport.Model

	status     string
	statusLvl  ui.Level
	prompt     *prompt
	targetNote string

	lab   labState
	res   resolveState
	conn  connectState
	socks sockList
	send  sendState
	opts  optionsState
	sys   syscallState

	quitting bool
}

// New builds the workbench model.
func New(cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CaptureLimit <= 0 {
		cfg.CaptureLimit = capture.DefaultLimit
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		cfg:    cfg,
		keys:   DefaultKeyMap(),
		now:    cfg.Now,
		ctx:    ctx,
		cancel: cancel,
		focus:  ui.PanelLab,
	}
	m.hub = newHub(ctx.Done())
	m.setTheme(cfg.Theme)
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.res = newResolveState(m.styles)
	m.conn = connectState{timeout: cfg.Timeout, sel: 0}
	m.send = newSendState(m.styles)
	if cfg.StartLab == nil {
		m.lab.note = "lab services are off (--no-lab)"
		m.lab.disabled = true
	} else {
		m.lab.note = "starting the lab services…"
	}
	if cfg.Target != "" {
		m.focus = ui.PanelAttempts
	}
	m.relayout()
	return m
}

// setTheme switches to the theme called name (mono under NO_COLOR).
func (m *Model) setTheme(name string) {
	t := themes.MustGet(name)
	if m.cfg.NoColor {
		t = themes.Mono
	}
	m.theme = t
	m.styles = ui.NewStyles(t)
	m.res.host.SetStyles(m.styles.Input)
	m.res.service.SetStyles(m.styles.Input)
	m.send.input.SetStyles(m.styles.Input)
	m.send.dest.SetStyles(m.styles.Input)
	if m.prompt != nil {
		m.prompt.input.SetStyles(m.styles.Input)
	}
	if m.opts.editing {
		m.opts.input.SetStyles(m.styles.Input)
	}
	m.spin.Style = m.styles.Info
}

// Theme returns the name of the theme in use.
func (m *Model) Theme() string { return m.theme.Name }

// track registers a goroutine the model must wait for at Shutdown. It
// fails once Shutdown has begun.
func (m *Model) track() (func(), bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false
	}
	m.wg.Add(1)
	return m.wg.Done, true
}

// goTracked runs f in a tracked goroutine.
func (m *Model) goTracked(f func()) bool {
	done, ok := m.track()
	if !ok {
		return false
	}
	go func() {
		defer done()
		f()
	}()
	return true
}

// cmd wraps f as a tracked command.
func (m *Model) cmd(f func() tea.Msg) tea.Cmd {
	return func() tea.Msg {
		done, ok := m.track()
		if !ok {
			return nil
		}
		defer done()
		return f()
	}
}

// after returns a command that delivers msg after d, or nothing once the
// model shuts down.
func (m *Model) after(d time.Duration, msg tea.Msg) tea.Cmd {
	return m.cmd(func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return msg
		case <-m.ctx.Done():
			return nil
		}
	})
}

// Shutdown closes every socket and the lab and waits for every goroutine
// the model started. It is safe to call more than once.
func (m *Model) Shutdown() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.mu.Unlock()
	m.cancel()
	m.res.stop()
	m.conn.stop()
	for _, e := range m.socks.all {
		e.shut()
	}
	if m.lab.lab != nil {
		_ = m.lab.lab.Close()
		m.lab.lab = nil
	}
	m.wg.Wait()
	for _, ev := range m.hub.take() {
		closeLeftover(ev)
	}
}

// closeLeftover frees what an event nobody handled holds.
func closeLeftover(ev any) {
	switch ev := ev.(type) {
	case evConnectDone:
		if ev.sock != nil {
			_ = ev.sock.Close()
		}
	case evAccepted:
		_ = ev.sock.Close()
	case evOpened:
		for _, s := range ev.socks {
			_ = s.sock.Close()
		}
	case evLab:
		if ev.lab != nil {
			_ = ev.lab.Close()
		}
	}
}

type refreshMsg struct{}

// Init starts the event hub, the lab, the periodic refresh and, with a
// TARGET, the resolution that leads to a connect.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.hub.wait(m.track), m.after(time.Second, refreshMsg{})}
	if m.cfg.StartLab != nil {
		start := m.cfg.StartLab
		cmds = append(cmds, m.cmd(func() tea.Msg {
			l, err := start(m.ctx)
			m.hub.post(evLab{lab: l, err: err})
			return nil
		}))
	}
	if m.cfg.Target != "" {
		cmds = append(cmds, m.startTarget(m.cfg.Target))
	}
	return tea.Batch(cmds...)
}

// setStatus shows a message in the status line.
func (m *Model) setStatus(level ui.Level, text string) {
	m.status, m.statusLvl = text, level
}

func (m *Model) info(text string) tea.Cmd { m.setStatus(ui.LevelInfo, text); return nil }
func (m *Model) warn(text string) tea.Cmd { m.setStatus(ui.LevelWarn, text); return nil }
func (m *Model) fail(text string) tea.Cmd { m.setStatus(ui.LevelError, text); return nil }
func (m *Model) okay(text string) tea.Cmd { m.setStatus(ui.LevelOK, text); return nil }
func (m *Model) busy() bool               { return m.res.busy || m.conn.busy || m.opts.busy }
func (m *Model) editing() bool            { return m.res.editing != 0 || m.focus == ui.PanelSend }
func (m *Model) selected() *sockEntry     { return m.socks.selected() }
func (m *Model) focusName() string        { return m.focus.String() }
func (m *Model) relayout() {
	m.layout = ui.ComputeLayout(m.width, m.height, m.focus)
	m.sizeInputs()
}
func (m *Model) hexHeight() int            { return max(1, m.layout.Inner(ui.PanelHex).H) }
func (m *Model) isFocused(p ui.Panel) bool { return m.focus == p }

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	cmd = tea.Batch(cmd, m.spinIfBusy())
	m.syncOffsets()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		if m.overlay == overlayHelp {
			m.openHelp()
		}
		return nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		return m.handlePaste(msg)
	case tea.MouseWheelMsg:
		return m.handleWheel(msg)
	case tea.MouseClickMsg:
		return m.handleClick(msg)
	case spinner.TickMsg:
		if !m.busy() {
			m.spinning = false
			return nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return cmd
	case ioMsg:
		var cmds []tea.Cmd
		for _, ev := range msg.events {
			cmds = append(cmds, m.handleEvent(ev))
		}
		cmds = append(cmds, m.hub.wait(m.track))
		return tea.Batch(cmds...)
	case refreshMsg:
		return tea.Batch(m.refreshStates(), m.after(time.Second, refreshMsg{}))
	case statesMsg:
		m.applyStates(msg)
		return nil
	case resolvedMsg:
		return m.handleResolved(msg)
	case shutdownMsg:
		return m.handleShutdown(msg)
	case closedMsg:
		return m.handleClosed(msg)
	case optionsMsg:
		return m.handleOptions(msg)
	case foundMsg:
		return m.handleFound(msg)
	case exportedMsg:
		return m.handleExported(msg)
	case openFailedMsg:
		return m.fail(msg.text)
	}
	return nil
}

// spinIfBusy starts the spinner when something runs and it is not turning.
func (m *Model) spinIfBusy() tea.Cmd {
	if m.busy() && !m.spinning {
		m.spinning = true
		return m.spin.Tick
	}
	return nil
}

// handleEvent applies one event from the hub.
func (m *Model) handleEvent(ev any) tea.Cmd {
	switch ev := ev.(type) {
	case evLab:
		return m.handleLab(ev)
	case evAttempt:
		return m.handleAttempt(ev)
	case evConnectDone:
		return m.handleConnectDone(ev)
	case evData:
		return m.handleData(ev)
	case evEOF:
		return m.handleEOF(ev)
	case evReadErr:
		return m.handleReadErr(ev)
	case evSendDone:
		return m.handleSendDone(ev)
	case evAccepted:
		return m.handleAccepted(ev)
	case evAcceptErr:
		return m.handleAcceptErr(ev)
	case evOpened:
		return m.handleOpened(ev)
	}
	return nil
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "sockbench"
	return v
}
