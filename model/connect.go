package model

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"sockbench/netcore"
	"sockbench/ui"
)

// attemptRow is one address of the current connect run.
type attemptRow struct {
	ai      netcore.AddrInfo
	state   ui.AttemptState
	start   time.Time
	elapsed time.Duration
	errno   unix.Errno
	class   netcore.Class
	local   netcore.Addr
	err     error
	log     *traceLog
}

// connectState is the attempts panel.
type connectState struct {
	race    bool
	timeout time.Duration

	run    int
	busy   bool
	cancel context.CancelFunc
	rows   []attemptRow
	winner int
	sel    int
	off    int

	summary string
	level   ui.Level
}

func (c *connectState) stop() {
	if c.cancel != nil {
		c.cancel()
	}
}

type evAttempt struct {
	run int
	a   netcore.Attempt
}

type evConnectDone struct {
	run         int
	sock        *netcore.Socket
	err         error
	local, peer netcore.Addr
}

// connectKey handles the connect keys that the resolve and the attempts
// panels share: connect, mode and timeout. It reports whether msg was one.
func (m *Model) connectKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Connect):
		return m.connectRows(), true
	case key.Matches(msg, k.Mode):
		return m.toggleMode(), true
	case key.Matches(msg, k.Timeout):
		return m.openPrompt(promptTimeout), true
	}
	return nil, false
}

func (m *Model) attemptsKey(msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.connectKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, m.keys.AttemptLog):
		if len(m.conn.rows) == 0 {
			return m.info("no attempts yet: resolve, then c connects")
		}
		row := m.conn.rows[m.conn.sel]
		if row.log == nil {
			return m.info("that attempt has not started: no system calls")
		}
		m.openSyscalls(row.log, fmt.Sprintf("attempt #%d %s", m.conn.sel, row.ai.Addr))
		return nil
	}
	if m.listKey(msg, &m.conn.sel, len(m.conn.rows), 3) {
		return nil
	}
	return m.unbound(msg)
}

func (m *Model) toggleMode() tea.Cmd {
	m.conn.race = !m.conn.race
	if m.conn.race {
		return m.info(fmt.Sprintf("race mode (RFC 8305): a new attempt every %v or as soon as one fails, first to connect wins", netcore.DefaultRaceDelay))
	}
	return m.info("sequential mode: one address after another; a fatal error stops")
}

func (m *Model) modeText() string {
	if m.conn.race {
		return "race " + netcore.DefaultRaceDelay.String()
	}
	return "sequential"
}

func timeoutText(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return d.String()
}

// parseTimeout reads "3s", "500ms", "2" (seconds) or "0"/"none".
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" || s == "0" {
		return 0, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > 24*3600 {
			return 0, fmt.Errorf("timeout %q out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (try 3s, 500ms, 2 or none)", s)
	}
	return d, nil
}

// connectRows connects over the resolve panel's rows.
func (m *Model) connectRows() tea.Cmd {
	if m.res.busy {
		return m.info("still resolving: wait, or esc cancels")
	}
	if len(m.res.rows) == 0 {
		return m.info("nothing to connect to: resolve a host and service first (enter in the resolve panel)")
	}
	return m.startConnect(m.res.rows)
}

// startConnect starts a connect run over ais.
func (m *Model) startConnect(ais []netcore.AddrInfo) tea.Cmd {
	c := &m.conn
	if c.busy {
		return m.info("a connect is already running: esc cancels it")
	}
	c.run++
	run := c.run
	c.rows = make([]attemptRow, len(ais))
	for i, ai := range ais {
		c.rows[i] = attemptRow{ai: ai, state: ui.AttemptWaiting, log: newTraceLog()}
	}
	c.sel, c.off, c.winner = 0, 0, -1
	c.busy = true
	c.summary = ""
	ctx, cancel := context.WithCancel(m.ctx)
	c.cancel = cancel
	logs := make([]*traceLog, len(ais))
	for i := range c.rows {
		logs[i] = c.rows[i].log
	}
	h := m.hub
	d := netcore.Dialer{
		Timeout: c.timeout,
		Race:    c.race,
		Observe: func(a netcore.Attempt) { h.post(evAttempt{run: run, a: a}) },
		Trace: func(i int, call netcore.Syscall) {
			if i >= 0 && i < len(logs) {
				logs[i].add(call)
			}
		},
	}
	rows := append([]netcore.AddrInfo(nil), ais...)
	m.setFocusIfVisible(ui.PanelAttempts)
	m.setStatus(ui.LevelInfo, fmt.Sprintf("connecting over %s (%s, timeout %s)…", rowsWord(len(rows)), m.modeText(), timeoutText(c.timeout)))
	return m.cmd(func() tea.Msg {
		s, err := d.ConnectList(ctx, rows)
		ev := evConnectDone{run: run, sock: s, err: err}
		if s != nil {
			ev.local, _ = s.LocalAddr()
			ev.peer, _ = s.PeerAddr()
		}
		h.post(ev)
		return nil
	})
}

// setFocusIfVisible focuses p unless the user is typing somewhere.
func (m *Model) setFocusIfVisible(p ui.Panel) {
	if m.focus == ui.PanelSend || m.res.editing != 0 {
		return
	}
	m.setFocus(p)
}

func (m *Model) handleAttempt(ev evAttempt) tea.Cmd {
	c := &m.conn
	if ev.run != c.run || ev.a.Index < 0 || ev.a.Index >= len(c.rows) {
		return nil
	}
	row := &c.rows[ev.a.Index]
	a := ev.a
	row.state = ui.AttemptStateOf(a.Result)
	row.start = a.Start
	row.elapsed = a.Elapsed
	row.errno = a.Errno
	row.class = a.Class
	row.err = a.Err
	if a.Local.IsValid() {
		row.local = a.Local
	}
	if a.Result == netcore.ResultConnecting {
		c.sel = a.Index
	}
	if a.Result == netcore.ResultConnected {
		c.winner = a.Index
	}
	return nil
}

func (m *Model) handleConnectDone(ev evConnectDone) tea.Cmd {
	c := &m.conn
	if ev.run != c.run {
		if ev.sock != nil {
			_ = ev.sock.Close()
		}
		return nil
	}
	c.busy = false
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	for i := range c.rows {
		if c.rows[i].state == ui.AttemptWaiting {
			c.rows[i].state = ui.AttemptNotTried
		}
	}
	if ev.err != nil || ev.sock == nil {
		failed := 0
		for _, r := range c.rows {
			if r.state != ui.AttemptNotTried {
				failed++
			}
		}
		c.level = ui.LevelError
		if netcore.ClassOf(ev.err) == netcore.ClassCancelled {
			c.level = ui.LevelWarn
			c.summary = "cancelled"
			return m.warn("connect cancelled")
		}
		c.summary = fmt.Sprintf("failed: %d of %s tried, none connected", failed, rowsWord(len(c.rows)))
		return m.fail("connect failed: " + errText(ev.err))
	}
	idx := c.winner
	if idx < 0 {
		for i, r := range c.rows {
			if r.state == ui.AttemptConnected {
				idx = i
			}
		}
	}
	var log *traceLog
	var ai netcore.AddrInfo
	if idx >= 0 {
		c.sel = idx
		log = c.rows[idx].log
		ai = c.rows[idx].ai
	} else {
		log = newTraceLog()
	}
	e := m.addSocket(&sockEntry{
		sock: ev.sock, family: ev.sock.Family(), typ: ev.sock.Type(),
		local: ev.local, peer: ev.peer, connected: true, log: log,
	})
	if ai.Addr.IsValid() && !e.peer.IsValid() {
		e.peer = ai.Addr
	}
	m.startIO(e)
	m.socks.selectID(e.id)
	c.level = ui.LevelOK
	c.summary = fmt.Sprintf("connected to %s as socket #%d", e.peer, e.id)
	m.setFocus(ui.PanelSend)
	return m.okay(fmt.Sprintf("connected #%d %s → %s: type and press enter to send", e.id, e.local, e.peer))
}

// explain says in plain words what an attempt's outcome means.
func explain(r attemptRow) string {
	unixFamily := r.ai.Family == netcore.FamilyUnix
	dgram := r.ai.SockType == netcore.SockDgram
	switch r.state {
	case ui.AttemptWaiting:
		return ""
	case ui.AttemptNotTried:
		return "not tried: an earlier address connected, or a fatal error stopped the walk"
	case ui.AttemptConnecting:
		if unixFamily {
			return "connecting to the socket file…"
		}
		if dgram {
			return "setting the default peer (UDP sends nothing to connect)…"
		}
		return "SYN sent, waiting for SYN-ACK…"
	case ui.AttemptConnected:
		switch {
		case dgram:
			return "UDP connect only sets the default peer: nothing was sent, nobody answered yet"
		case unixFamily:
			return "the listener accepted the connection into its queue"
		}
		return "the three-way handshake completed: SYN, SYN-ACK, ACK"
	case ui.AttemptCancelled:
		return "stopped: you cancelled (esc), or another address won the race"
	case ui.AttemptTimeout:
		if r.errno == unix.ETIMEDOUT {
			return "the kernel gave up after its SYN retries: the SYNs or their replies were lost"
		}
		return "no answer within the timeout: the SYN or its reply was lost or dropped"
	}
	switch r.errno {
	case unix.ECONNREFUSED:
		if unixFamily {
			return "the socket file exists but nothing is listening on it"
		}
		return "nothing is listening on that port (the peer answered with RST)"
	case unix.ENETUNREACH:
		return "no route to that network from this host (check the address family and the routes)"
	case unix.EHOSTUNREACH:
		return "the host cannot be reached: no route, or an ICMP host-unreachable came back"
	case unix.ENETDOWN:
		return "the network interface for that route is down"
	case unix.EACCES, unix.EPERM:
		return "forbidden: a firewall rule or a policy refused it (or a broadcast address without SO_BROADCAST)"
	case unix.EADDRNOTAVAIL:
		return "no local address or port available for that destination (ephemeral ports used up, or the address is not local)"
	case unix.EAFNOSUPPORT:
		return "this system does not support that address family"
	case unix.ENOENT:
		return "no socket file at that path"
	case unix.ECONNRESET:
		return "the peer reset the connection while it was being set up"
	case unix.EAGAIN:
		return "the listener's queue is full (UNIX sockets refuse rather than wait)"
	case unix.EPROTOTYPE:
		return "the socket at that path has another type (stream vs datagram)"
	}
	if r.err != nil {
		return "the system refused: " + errText(r.err)
	}
	return ""
}

// classWord names the class of a failed attempt the way netcore (and the
// egg) sorts them: transient and timeout failures move on to the next
// address, fatal ones stop a sequential walk.
func classWord(r attemptRow) string {
	switch {
	case r.state == ui.AttemptCancelled || r.err == nil:
		return ""
	case r.class == netcore.ClassTransient:
		return "transient · "
	case r.class == netcore.ClassFatal:
		return "fatal · "
	}
	return ""
}

// attemptView turns attempt rows into the panel's view.
func (m *Model) attemptView() ui.AttemptsView {
	c := &m.conn
	v := ui.AttemptsView{
		Mode:         m.modeText(),
		Timeout:      timeoutText(c.timeout),
		Busy:         c.busy,
		Spinner:      m.spin.View(),
		Selected:     c.sel,
		Offset:       c.off,
		Summary:      c.summary,
		SummaryLevel: c.level,
	}
	now := m.now()
	for i, r := range c.rows {
		row := ui.AttemptRow{Index: i, Addr: r.ai.Addr.String(), State: r.state, Explain: classWord(r) + explain(r), Elapsed: r.elapsed}
		if r.state == ui.AttemptConnecting && !r.start.IsZero() {
			row.Elapsed = now.Sub(r.start)
		}
		if r.errno != 0 {
			row.Errno = netcore.ErrnoName(r.errno)
		} else if r.state == ui.AttemptTimeout {
			row.Errno = "(timeout)"
		}
		if r.local.IsValid() {
			row.Local = r.local.String()
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}
