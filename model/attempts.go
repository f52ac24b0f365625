package model

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/tlsinfo"
	"sockbench/ui"
	"sockbench/wire"
)

// attemptRow is one address of the current connect run.
type attemptRow struct {
	ai       netcore.AddrInfo
	started  bool // the dialer began this address
	skipped  bool // the run ended before it
	result   netcore.Result
	start    time.Time
	elapsed  time.Duration
	errno    unix.Errno
	class    netcore.Class
	local    netcore.Addr
	err      error
	trace    *engine.Trace
	sockID   int // the socket it became, when it connected
	finished bool
}

// attemptsPanel connects over the resolved rows, one after another or
// racing, and shows each attempt live.
type attemptsPanel struct {
	basePanel
	c       *common
	race    bool
	timeout time.Duration
	capture bool            // the next connect captures its packets
	packets *engine.Packets // the current run's capture, if one was asked for
	tls     bool            // the next connect starts TLS once connected
	host    string          // the host name typed for the current run

	run     int
	busy    bool
	cancel  context.CancelFunc
	rows    []attemptRow
	sel     int
	summary string
	level   ui.Level
}

func newAttemptsPanel(c *common, timeout time.Duration, capture bool) *attemptsPanel {
	return &attemptsPanel{c: c, timeout: timeout, capture: capture}
}

func (p *attemptsPanel) Busy() bool      { return p.busy }
func (p *attemptsPanel) Running() string { return "connecting" }

func (p *attemptsPanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if cmd, ok := connectKey(p.c, msg); ok {
		return cmd, true
	}
	if key.Matches(msg, p.c.keys.Attempts.Syscalls) {
		return p.openTrace(), true
	}
	return nil, p.c.keys.List.move(msg, &p.sel, len(p.rows), 3)
}

func (p *attemptsPanel) openTrace() tea.Cmd {
	if len(p.rows) == 0 {
		return p.c.info("no attempts yet: resolve, then c connects")
	}
	row := p.rows[p.sel]
	if !row.started {
		return p.c.info("that attempt has not started: no system calls")
	}
	return openSyscalls(p.c, row.trace, fmt.Sprintf("attempt #%d %s", p.sel, row.ai.Addr))
}

func (p *attemptsPanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case connectRowsMsg:
		p.host = msg.host
		return p.connect(msg.rows)
	case useTargetMsg:
		if msg.fromLab {
			p.tls = msg.tls
		}
	case toggleTLSMsg:
		return p.toggleTLS()
	case resolvedMsg:
		// A new lookup: the attempts of the last one were for another target.
		if !p.busy {
			p.rows, p.summary, p.sel = nil, "", 0
		}
	case toggleModeMsg:
		return p.toggleMode()
	case togglePacketsMsg:
		return p.togglePackets()
	case engine.RunPackets:
		if msg.Run == p.run {
			p.packets = msg.Packets
		}
	case timeoutPromptMsg:
		return askLine(p.c, "connect timeout (3s, 500ms, 2, or none):", timeoutText(p.timeout), "", 256, p.setTimeout)
	case engine.Attempt:
		p.attempt(msg)
	case engine.ConnectDone:
		return p.done(msg)
	case cancelMsg:
		if p.cancel != nil {
			p.cancel()
		}
	case scrollMsg:
		p.sel = max(0, min(p.sel+msg.rows/3, len(p.rows)-1))
	}
	return nil
}

func (p *attemptsPanel) toggleMode() tea.Cmd {
	p.race = !p.race
	if p.race {
		return p.c.info(fmt.Sprintf("race mode (RFC 8305): a new attempt every %v or as soon as one fails, first to connect wins", netcore.DefaultRaceDelay))
	}
	return p.c.info("sequential mode: one address after another; a fatal error stops")
}

func (p *attemptsPanel) togglePackets() tea.Cmd {
	p.capture = !p.capture
	if p.capture {
		return p.c.info("the next connect captures its packets from before the first SYN (needs CAP_NET_RAW); each attempt shows them")
	}
	return p.c.info("the next connect captures no packets")
}

func (p *attemptsPanel) toggleTLS() tea.Cmd {
	p.tls = !p.tls
	if p.tls {
		return p.c.info("the next connect starts TLS once connected, verifying the host name typed (t on a socket starts it later, with settings)")
	}
	return p.c.info("the next connect speaks plain TCP")
}

func (p *attemptsPanel) setTimeout(value string) (tea.Cmd, error) {
	d, err := parseTimeout(value)
	if err != nil {
		return nil, err
	}
	p.timeout = d
	return p.c.info("connect timeout " + timeoutText(d) + " for the next connect"), nil
}

func (p *attemptsPanel) modeText() string {
	if p.race {
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
		if !(f >= 0 && f <= 24*3600) { // NaN fails both
			return 0, fmt.Errorf("timeout %q is out of range: 0 to 86400 seconds", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("%q is not a duration from 0 to 24h (try 3s, 500ms, 2 or none)", s)
	}
	return d, nil
}

// connect starts a connect run over rows.
func (p *attemptsPanel) connect(rows []netcore.AddrInfo) tea.Cmd {
	if p.busy {
		return p.c.info("a connect is already running: esc cancels it")
	}
	p.run++
	d := engine.Dial{Run: p.run, Rows: append([]netcore.AddrInfo(nil), rows...), Timeout: p.timeout, Race: p.race, Capture: p.capture}
	p.packets = nil
	p.rows = make([]attemptRow, len(rows))
	for i, ai := range rows {
		p.rows[i] = attemptRow{ai: ai, trace: engine.NewTrace()}
		d.Traces = append(d.Traces, p.rows[i].trace)
	}
	p.sel = 0
	p.busy = true
	p.summary = ""
	ctx, cancel := context.WithCancel(p.c.tasks.ctx)
	p.cancel = cancel
	p.c.info(fmt.Sprintf("connecting over %s (%s, timeout %s)…", rowsWord(len(rows)), p.modeText(), timeoutText(p.timeout)))
	eng := p.c.engine
	return tea.Batch(
		p.c.emit(focusMsg{panel: ui.PanelAttempts, unlessTyping: true}),
		p.c.cmd(func() tea.Msg { eng.Connect(ctx, d); return nil }),
	)
}

func (p *attemptsPanel) attempt(ev engine.Attempt) {
	if ev.Run != p.run || ev.Index < 0 || ev.Index >= len(p.rows) {
		return
	}
	row := &p.rows[ev.Index]
	a := ev.Attempt
	row.started = true
	row.finished = a.Done()
	row.result = a.Result
	row.start = a.Start
	row.elapsed = a.Elapsed
	row.errno = a.Errno
	row.class = a.Class
	row.err = a.Err
	if a.Local.IsValid() {
		row.local = a.Local
	}
	if a.Result == netcore.ResultConnecting {
		p.sel = a.Index
	}
}

func (p *attemptsPanel) done(ev engine.ConnectDone) tea.Cmd {
	if ev.Run != p.run {
		return nil
	}
	p.busy = false
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	for i := range p.rows {
		p.rows[i].skipped = !p.rows[i].started
	}
	if ev.Err != nil || ev.Sock == nil {
		return p.failed(ev.Err)
	}
	k := ev.Sock
	if p.host != "" {
		p.c.hosts[k] = p.host
	}
	for i, r := range p.rows {
		if r.started && r.result == netcore.ResultConnected {
			p.sel = i
			p.rows[i].sockID = k.ID()
		}
	}
	p.level = ui.LevelOK
	p.summary = fmt.Sprintf("connected to %s as socket #%d", k.Peer(), k.ID())
	if p.tls {
		return p.startTLS(k)
	}
	return tea.Batch(p.c.emit(focusMsg{panel: ui.PanelSend}),
		p.c.okay(fmt.Sprintf("connected #%d %s → %s: type and press enter to send", k.ID(), k.Local(), k.Peer())))
}

// startTLS shakes hands as a client on the new connection, with the
// defaults: the host name typed, verified.
func (p *attemptsPanel) startTLS(k *engine.Sock) tea.Cmd {
	cfg, err := p.c.tlsConfig(k, tlsinfo.SideClient, "")
	if err == nil {
		err = p.c.engine.StartTLS(k, tlsinfo.SideClient, cfg)
	}
	if err != nil {
		return p.c.fail(fmt.Sprintf("connected #%d, but TLS cannot start: %s", k.ID(), errText(err)))
	}
	return tea.Batch(p.c.emit(focusMsg{panel: ui.PanelSend}),
		p.c.info(fmt.Sprintf("connected #%d %s → %s: TLS handshake, verifying %s…", k.ID(), k.Local(), k.Peer(), cfg.ServerName)))
}

func (p *attemptsPanel) failed(err error) tea.Cmd {
	p.level = ui.LevelError
	if netcore.ClassOf(err) == netcore.ClassCancelled {
		p.level = ui.LevelWarn
		p.summary = "cancelled"
		return p.c.warn("connect cancelled")
	}
	tried := 0
	for _, r := range p.rows {
		if r.started {
			tried++
		}
	}
	p.summary = fmt.Sprintf("failed: %d of %s tried, none connected", tried, rowsWord(len(p.rows)))
	return p.c.fail("connect failed: " + errText(err))
}

func (p *attemptsPanel) View(w, h int, focused bool) string {
	v := ui.AttemptsView{
		Mode:         p.modeText(),
		Timeout:      timeoutText(p.timeout),
		Busy:         p.busy,
		Spinner:      p.c.spinner,
		Selected:     p.sel,
		Summary:      p.summary,
		SummaryLevel: p.level,
		Packets:      p.capture,
		TLS:          p.tls,
	}
	var segs []wire.Segment
	if p.packets != nil && p.packets.Err() != nil {
		v.NoPackets = p.packets.Err().Error()
	} else if p.packets != nil {
		segs = p.packets.Capture().Segments(0)
	}
	now := p.c.now()
	for i, r := range p.rows {
		row := ui.AttemptRow{Index: i, Addr: r.ai.Addr.String(), Result: r.result, Pending: !r.started && !r.skipped,
			Skipped: r.skipped, Explain: classWord(r) + explainAttempt(r), Elapsed: r.elapsed}
		if r.started && !r.finished && !r.start.IsZero() {
			row.Elapsed = now.Sub(r.start)
		}
		if r.errno != 0 {
			row.Errno = netcore.ErrnoName(r.errno)
		} else if r.finished && r.result == netcore.ResultTimeout {
			row.Errno = "(timeout)"
		}
		if r.local.IsValid() {
			row.Local = r.local.String()
		}
		if r.started && segs != nil {
			row.Wire = segmentTrail(attemptSegments(segs, r))
		}
		v.Rows = append(v.Rows, row)
	}
	return ui.RenderAttempts(p.c.styles, v, w, h, focused)
}

func (p *attemptsPanel) Help() contextKeys {
	c, k, l := p.c.keys.Connect, p.c.keys.Attempts, p.c.keys.List
	return contextKeys{
		short: []key.Binding{c.Connect, c.Mode, c.Timeout, c.Packets, c.TLS, k.Syscalls},
		full:  [][]key.Binding{{c.Connect, c.Mode, c.Timeout, c.Packets, c.TLS, k.Syscalls, l.Up, l.Down}, l.nav()},
	}
}

// attemptSegments picks an attempt's own segments from its run's capture:
// those to its address, from its local port once known, up to the ACK that
// completes the handshake (a connection's later traffic is the wire
// view's). The cut goes by the segments' meaning, not their times: a
// capture's first packets may be stamped when read rather than when sent
// (the kernel turns its packet timestamps on a moment after asking).
func attemptSegments(segs []wire.Segment, r attemptRow) []wire.Segment {
	if r.ai.Addr.Family() != netcore.FamilyInet && r.ai.Addr.Family() != netcore.FamilyInet6 {
		return nil
	}
	var local netip.AddrPort
	if r.local.IsValid() {
		local = r.local.AddrPort()
	}
	own := engine.FlowSegments(segs, local, r.ai.Addr.AddrPort())
	for i, s := range own {
		if s.Event == wire.EventEstablished {
			return own[:i+1]
		}
	}
	return own
}

// segmentTrail tells segments in a line, in order, a segment sent again
// counted with the gaps before each repeat: "▶ SYN  ◀ SYN ACK  ▶ ACK",
// "▶ SYN  ◀ RST ACK", "▶ SYN ×3 (+1.00s +2.00s)" (a black hole: the
// retransmissions come ever later).
func segmentTrail(segs []wire.Segment) string {
	var words []string
	for i := 0; i < len(segs); {
		w, j := segmentWord(segs[i]), i+1
		var gaps []string
		for ; j < len(segs) && segmentWord(segs[j]) == w; j++ {
			gaps = append(gaps, "+"+ui.FormatDuration(segs[j].Time.Sub(segs[j-1].Time)))
		}
		if len(gaps) > 0 {
			w += fmt.Sprintf(" ×%d (%s)", len(gaps)+1, strings.Join(gaps, " "))
		}
		words = append(words, w)
		i = j
	}
	return strings.Join(words, "  ")
}

// segmentWord is a segment in a word or two, with its direction.
func segmentWord(s wire.Segment) string {
	mark := "◀ "
	if s.Dir == wire.Out {
		mark = "▶ "
	}
	switch {
	case s.Proto == wire.TCP && s.Len > 0:
		return mark + fmt.Sprintf("%s %dB", s.Flags, s.Len)
	case s.Proto == wire.TCP:
		return mark + s.Flags.String()
	case s.Proto == wire.UDP:
		return mark + fmt.Sprintf("UDP %dB", s.Len)
	case s.Event != wire.EventNone:
		return mark + s.Event.String()
	}
	return mark + s.Proto.String()
}
