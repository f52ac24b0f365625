package model

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/themes"
	"sockbench/ui"
)

// common is what every component of the workbench shares: the styles,
// the keys, the clock, the socket engine, the status line and the socket
// selected in the sockets panel. Components read it; each writes only the
// status line, and the sockets panel the selection.
type common struct {
	styles  *ui.Styles
	theme   themes.Theme
	noColor bool
	keys    *KeyMap
	now     func() time.Time
	engine  *engine.Engine
	tasks   *tasks

	status      string
	statusLevel ui.Level
	spinner     string // the spinner's frame, for busy components

	outbox []tea.Msg // messages emitted during the current Update

	// labRoots gives the lab's CA for its TLS services (nil without a
	// lab): trusted for those addresses only.
	labRoots func(netcore.Addr) []*x509.Certificate
	// hosts are the host names typed for the sockets connected to them,
	// the names TLS verifies.
	hosts map[*engine.Sock]string
	// snippetsPath is the snippets file; "" is the user's.
	snippetsPath string

	// selected is the sockets panel's selection: the socket the hex view
	// shows and the send line sends on. Only the sockets panel sets it.
	selected *engine.Sock
}

// setStatus shows text in the status line.
func (c *common) setStatus(level ui.Level, text string) { c.status, c.statusLevel = text, level }

func (c *common) info(text string) tea.Cmd { c.setStatus(ui.LevelInfo, text); return nil }
func (c *common) warn(text string) tea.Cmd { c.setStatus(ui.LevelWarn, text); return nil }
func (c *common) fail(text string) tea.Cmd { c.setStatus(ui.LevelError, text); return nil }
func (c *common) okay(text string) tea.Cmd { c.setStatus(ui.LevelOK, text); return nil }

// unbound says why a key does nothing in a panel.
func (c *common) unbound(msg tea.KeyPressMsg, panel ui.Panel) tea.Cmd {
	s := msg.String()
	if len([]rune(s)) == 1 || strings.HasPrefix(s, "ctrl+") {
		return c.info(fmt.Sprintf("%s does nothing in the %s panel (? lists its keys)", s, panel))
	}
	return nil
}

// cmd runs f as a command that Shutdown waits for.
func (c *common) cmd(f func() tea.Msg) tea.Cmd { return c.tasks.cmd(f) }

// emit sends msg to the root, which delivers it before this Update ends:
// how one component asks another (or the root) to act. It returns no
// command, for use in a return statement.
func (c *common) emit(msg tea.Msg) tea.Cmd {
	c.outbox = append(c.outbox, msg)
	return nil
}

// tasks tracks the commands and goroutines of the workbench, so that
// Shutdown can wait for them; none starts once it has begun.
type tasks struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func newTasks() *tasks {
	ctx, cancel := context.WithCancel(context.Background())
	return &tasks{ctx: ctx, cancel: cancel}
}

// begin registers a task; it fails once shutdown has begun.
func (t *tasks) begin() (done func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, false
	}
	t.wg.Add(1)
	return t.wg.Done, true
}

// cmd wraps f as a tracked command.
func (t *tasks) cmd(f func() tea.Msg) tea.Cmd {
	return func() tea.Msg {
		done, ok := t.begin()
		if !ok {
			return nil
		}
		defer done()
		return f()
	}
}
