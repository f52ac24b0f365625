// Package model is the workbench's Bubble Tea model. The root Model owns
// the focus, the layout, the overlays, the status line and the routing;
// each panel is a component of its own (lab, resolve, attempts, sockets,
// hex, send) that acts on the others only by messages. Socket work runs in
// the engine (package engine), whose events come back as messages; Update
// never waits on a socket.
package model

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/themes"
	"sockbench/ui"
)

// Config is what the command line decides.
type Config struct {
	Theme        string        // a theme name; "" is the default
	NoColor      bool          // no colour at all (NO_COLOR)
	CaptureLimit int64         // bytes kept per socket; 0 is capture.DefaultLimit
	Timeout      time.Duration // the connect timeout; 0 is none
	Target       string        // a TARGET to resolve and connect to at once
	// CapturePackets captures the packets of every socket from its start
	// (connects from before the first SYN, listeners and UDP sockets from
	// their bind); W turns it on or off for the next connect.
	CapturePackets bool
	// SnippetsPath is the snippets file; "" is the user's
	// (os.UserConfigDir()/sockbench/snippets).
	SnippetsPath string
	// StartLab starts the lab services; nil means no lab (--no-lab).
	StartLab func(ctx context.Context) (Lab, error)
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// DefaultTimeout is the connect timeout when none is given.
const DefaultTimeout = 3 * time.Second

// Model is the workbench. Use New; it is used through a pointer.
type Model struct {
	cfg Config
	c   *common

	// The panels, by place; the table the root routes through.
	panels [ui.NumPanels]panel
	lab    *labPanel
	res    *resolvePanel
	att    *attemptsPanel
	socks  *socketsPanel
	hex    *hexPanel
	send   *sendPanel

	focus         ui.Panel
	layout        ui.Layout
	width, height int
	overlay       overlay
	prompt        *prompt

	labs       *labHolder
	spin       spinner.Model
	spinning   bool
	quitting   bool
	lastEvents time.Time // when the last batch of the engine's events came
}

// New builds the workbench model.
func New(cfg Config) *Model {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CaptureLimit <= 0 {
		cfg.CaptureLimit = capture.DefaultLimit
	}
	c := &common{
		keys:    DefaultKeyMap(),
		now:     cfg.Now,
		noColor: cfg.NoColor,
		engine:  engine.New(engine.Config{CaptureLimit: cfg.CaptureLimit, CapturePackets: cfg.CapturePackets}),
		tasks:   newTasks(),
		hosts:   map[*engine.Sock]string{},

		snippetsPath: cfg.SnippetsPath,
	}
	c.theme, c.styles = styleFor(cfg.Theme, cfg.NoColor)
	// The lab is where a newcomer starts; without it, the resolve panel.
	m := &Model{cfg: cfg, c: c, focus: ui.PanelLab, labs: &labHolder{}}
	if cfg.StartLab == nil {
		m.focus = ui.PanelResolve
	}
	m.lab = newLabPanel(c, cfg.StartLab != nil, cfg.Target != "")
	m.res = newResolvePanel(c)
	m.att = newAttemptsPanel(c, cfg.Timeout, cfg.CapturePackets)
	m.socks = newSocketsPanel(c)
	m.hex = newHexPanel(c)
	m.send = newSendPanel(c)
	m.panels = [ui.NumPanels]panel{
		ui.PanelLab: m.lab, ui.PanelResolve: m.res, ui.PanelAttempts: m.att,
		ui.PanelSockets: m.socks, ui.PanelHex: m.hex, ui.PanelSend: m.send,
	}
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.spin.Style = c.styles.Info
	if cfg.Target != "" {
		m.focus = ui.PanelAttempts
	}
	m.relayout()
	return m
}

// styleFor builds the styles of the theme called name (mono under
// NO_COLOR).
func styleFor(name string, noColor bool) (themes.Theme, *ui.Styles) {
	t := themes.MustGet(name)
	if noColor {
		t = themes.Mono
	}
	return t, ui.NewStyles(t)
}

// setTheme switches to the theme called name.
func (m *Model) setTheme(name string) {
	m.c.theme, m.c.styles = styleFor(name, m.c.noColor)
	for _, p := range m.panels {
		p.Restyle()
	}
	if m.prompt != nil {
		m.prompt.input.SetStyles(m.c.styles.Input)
	}
	m.spin.Style = m.c.styles.Info
}

// Theme returns the name of the theme in use.
func (m *Model) Theme() string { return m.c.theme.Name }

// Shutdown closes every socket and the lab and waits for every goroutine
// the model started. It is safe to call more than once.
func (m *Model) Shutdown() {
	t := m.c.tasks
	t.mu.Lock()
	first := !t.closed
	t.closed = true
	t.mu.Unlock()
	if !first {
		return
	}
	t.cancel()
	m.socks.replies.stopAll()
	m.c.engine.Close()
	t.wg.Wait()
	m.labs.close()
}

type eventsMsg struct{ events []engine.Event }

// Init starts taking the engine's events, the periodic refresh, the lab
// and, with a TARGET, the resolution that leads to a connect.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.nextEvents()}
	if start := m.cfg.StartLab; start != nil {
		ctx, labs := m.c.tasks.ctx, m.labs
		cmds = append(cmds, m.c.cmd(func() tea.Msg {
			l, err := start(ctx)
			if err == nil && !labs.keep(l) {
				return nil // shut down meanwhile: the lab is closed
			}
			return labStartedMsg{lab: l, err: err}
		}))
	}
	if m.cfg.Target != "" {
		cmds = append(cmds, m.startTarget(m.cfg.Target))
	}
	return tea.Batch(cmds...)
}

// frame is the shortest time between two batches of the engine's events:
// under a flood the screen is drawn once a frame, not once a read, so the
// workbench keeps its CPU for reading (and for keys).
const frame = time.Second / 60

// nextEvents is the command that delivers the engine's next events, a
// frame after the last batch at the soonest; it is issued at start and
// again after each batch.
func (m *Model) nextEvents() tea.Cmd {
	eng, ctx, last := m.c.engine, m.c.tasks.ctx, m.lastEvents
	return m.c.cmd(func() tea.Msg {
		if wait := time.Until(last.Add(frame)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil
			}
		}
		if evs := eng.Next(ctx); evs != nil {
			return eventsMsg{evs}
		}
		return nil
	})
}

// startTarget resolves and connects to the TARGET of the command line.
func (m *Model) startTarget(target string) tea.Cmd {
	t, err := netcore.ParseTarget(target)
	if err != nil {
		m.setFocus(ui.PanelResolve, true)
		return m.c.fail(errText(err))
	}
	use := useTargetMsg{host: t.Host, service: t.Service, family: netcore.FamilyUnspec, sockType: netcore.SockStream, connect: true}
	if t.IsUnix {
		use.host, use.service = "unix:"+t.UnixPath, ""
	}
	return func() tea.Msg { return use }
}

// maxEmitted bounds the messages components may emit while one message
// is handled: a guard against two components answering each other
// forever.
const maxEmitted = 64

// Update handles one message, then the messages components emitted while
// handling it, in order.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmds := []tea.Cmd{m.update(msg)}
	for n := 0; len(m.c.outbox) > 0 && n < maxEmitted; n++ {
		next := m.c.outbox[0]
		m.c.outbox = m.c.outbox[1:]
		cmds = append(cmds, m.update(next))
	}
	m.c.outbox = nil
	cmds = append(cmds, m.spinIfBusy())
	return m, tea.Batch(cmds...)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		if m.layout.Mode != ui.ModeTooSmall && m.c.status == tooSmallText {
			m.c.status = "" // it was about the old size
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
		return m.turnSpinner(msg)
	case eventsMsg:
		m.lastEvents = time.Now()
		cmds := []tea.Cmd{m.nextEvents()}
		for _, ev := range msg.events {
			if c, ok := ev.(engine.Crashed); ok {
				// Panic here, in Update, where Bubble Tea restores the
				// terminal before it reports the panic.
				panic(fmt.Sprintf("a goroutine of the engine panicked: %v\n%s", c.Value, c.Stack))
			}
			cmds = append(cmds, m.broadcast(ev))
		}
		return tea.Batch(cmds...)
	}
	if cmd, ok := m.request(msg); ok {
		return cmd
	}
	return m.broadcast(msg)
}

// request handles the messages addressed to the root.
func (m *Model) request(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case focusMsg:
		if !msg.unlessTyping || !m.panels[m.focus].Typing() {
			return m.setFocus(msg.panel, true), true
		}
	case promptMsg:
		m.prompt = msg.p
		return m.prompt.open(m.width), true
	case overlayMsg:
		m.overlay = msg.o
		m.sizeOverlay()
	case closeOverlayMsg:
		m.overlay = nil
	case captureStartedMsg:
		return captureStarted(m.c, msg), true
	case leaveSendMsg:
		if m.running() != "" {
			return m.escape(), true
		}
		return m.setFocus(ui.PanelHex, true), true
	default:
		return nil, false
	}
	return nil, true
}

// broadcast gives msg to every panel and the overlay.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.panels)+1)
	for _, p := range m.panels {
		cmds = append(cmds, p.Update(msg))
	}
	if m.overlay != nil {
		cmds = append(cmds, m.overlay.Update(msg))
	}
	return tea.Batch(cmds...)
}

// busies are the components that can be running something.
func (m *Model) busies() []busy {
	list := []busy{m.res, m.att, m.hex, m.send}
	if b, ok := m.overlay.(busy); ok {
		list = append(list, b)
	}
	return list
}

// running names what runs now, or "".
func (m *Model) running() string {
	var names []string
	for _, b := range m.busies() {
		if b.Busy() {
			names = append(names, b.Running())
		}
	}
	return joinComma(names)
}

func (m *Model) spinIfBusy() tea.Cmd {
	if m.running() != "" && !m.spinning {
		m.spinning = true
		return m.spin.Tick
	}
	return nil
}

func (m *Model) turnSpinner(msg spinner.TickMsg) tea.Cmd {
	if m.running() == "" {
		m.spinning = false
		return nil
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return cmd
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "sockbench"
	return v
}
