package model

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
)

// checkSize asserts that a frame has exactly h lines of at most w cells.
func checkSize(t *testing.T, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if cw := ansi.StringWidth(l); cw > w {
			t.Errorf("%dx%d: line %d is %d cells wide: %q", w, h, i, cw, ansi.Strip(l))
		}
	}
}

func TestResizes(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	checkSize(t, d.view(), 120, 40)
	for _, title := range []string{"Resolve", "Attempts", "Sockets", "Hex", "Send", "Lab"} {
		if !d.screenHas("─ " + title) {
			t.Errorf("120x40: no %s panel:\n%s", title, d.plain())
		}
	}

	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	checkSize(t, d.view(), 80, 24)
	if !d.screenHas("tab/shift+tab to switch") {
		t.Errorf("80x24: no tab bar:\n%s", d.plain())
	}
	// Tab walks through every panel in the tabbed layout.
	seen := map[string]bool{}
	for range ui.NumPanels {
		d.key("tab")
		for _, title := range []string{"Lab", "Resolve", "Attempts", "Sockets", "Hex", "Send"} {
			if d.screenHas("╭─ " + title) {
				seen[title] = true
			}
		}
		checkSize(t, d.view(), 80, 24)
	}
	if len(seen) != 6 {
		t.Errorf("80x24: tabbing showed only %v", seen)
	}

	d.send(tea.WindowSizeMsg{Width: 20, Height: 5})
	checkSize(t, d.view(), 20, 5)
	if !d.screenHas("too small") {
		t.Errorf("20x5: no 'too small':\n%s", d.plain())
	}
	d.key("x") // keys say why nothing happens
	if !strings.Contains(d.m.c.status, "too small") {
		t.Errorf("20x5: a key gave status %q", d.m.c.status)
	}

	// Any size, however odd, renders and never panics.
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {79, 19}, {80, 20}, {109, 31}, {110, 32}, {300, 100}, {200, 33}} {
		d.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		frame := d.view()
		if sz[0] >= ui.MinWidth && sz[1] >= ui.MinHeight {
			checkSize(t, frame, sz[0], sz[1])
		}
	}
}

func TestNoColorHasNoColour(t *testing.T) {
	d := newDriver(t, Config{NoColor: true}, 120, 40)
	frame := d.view()
	for _, sgr := range []string{"38;2;", "48;2;", "38;5;", "48;5;"} {
		if strings.Contains(frame, sgr) {
			t.Fatalf("NO_COLOR frame has colour %q", sgr)
		}
	}
	d.key("T")
	if !strings.Contains(d.m.c.status, "NO_COLOR") {
		t.Errorf("T under NO_COLOR: %q", d.m.c.status)
	}
}

func TestThemeCycles(t *testing.T) {
	d := newDriver(t, Config{Theme: "light"}, 120, 40)
	if d.m.Theme() != "light" {
		t.Fatalf("theme %q", d.m.Theme())
	}
	seen := map[string]bool{}
	for range 3 {
		d.key("T")
		seen[d.m.Theme()] = true
	}
	for _, want := range []string{"dark", "light", "high-contrast"} {
		if !seen[want] {
			t.Errorf("cycling never reached %s: %v", want, seen)
		}
	}
}

func TestResolveAndConnectLocally(t *testing.T) {
	ln, err := netcore.Listen(mustAddr(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, _ := ln.LocalAddr()

	d := newDriver(t, Config{Timeout: time.Second}, 120, 40)
	if d.m.focus != ui.PanelResolve { // without the lab, the resolve panel has the focus
		t.Fatalf("focus %v", d.m.focus)
	}
	d.key("c")
	if !strings.Contains(d.m.c.status, "resolve") {
		t.Errorf("c without rows: %q", d.m.c.status)
	}
	d.key("e")
	d.typeText("127.0.0.1")
	d.key("tab")
	d.typeText(fmt.Sprint(addr.Port()))
	d.key("enter")
	d.waitScreen("1 row")
	if len(d.m.res.rows) != 1 || d.m.res.rows[0].Addr != addr {
		t.Fatalf("rows %v", d.m.res.rows)
	}
	d.key("c")
	d.pumpUntil("connected", func() bool { return len(d.m.socks.all) == 1 })
	d.waitScreen("connected to " + addr.String())
	if d.m.focus != ui.PanelSend {
		t.Errorf("after connect the focus is %v, want the send line", d.m.focus)
	}
	if d.m.att.rows[0].result != netcore.ResultConnected {
		t.Errorf("attempt %v", d.m.att.rows[0].result)
	}
}

func TestResolveErrorInWords(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.key("e")
	d.typeText("no-such-host.invalid")
	d.key("tab")
	d.typeText("80")
	d.key("enter")
	d.pumpUntil("the resolve error", func() bool { return d.m.res.err != "" })
	if !strings.Contains(d.m.res.err, "EAI_") {
		t.Errorf("resolve error %q has no EAI_ code", d.m.res.err)
	}
	d.waitScreen("EAI_")
}

func TestHintToggles(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.key("f", "y", "1", "2", "3", "4", "5")
	r := d.m.res
	if r.family != netcore.FamilyInet || r.sockType != netcore.SockDgram {
		t.Errorf("family %v type %v", r.family, r.sockType)
	}
	want := netcore.AICanonName | netcore.AIAddrConfig | netcore.AIV4Mapped | netcore.AIAll | netcore.AIPassive
	if r.flags != want {
		t.Errorf("flags %v, want %v", r.flags, want)
	}
	if !d.screenHas("family inet") || !d.screenHas("type dgram") || !d.screenHas("●canon") {
		t.Errorf("hints not shown:\n%s", d.plain())
	}
	d.key("1")
	if d.m.res.flags&netcore.AICanonName != 0 {
		t.Error("1 did not toggle canonname off")
	}
	d.key("m")
	if !d.m.att.race {
		t.Error("m did not switch to race")
	}
	d.key("t")
	if d.m.prompt == nil {
		t.Fatal("t opened no prompt")
	}
	d.key("ctrl+u") // clear "3s" is not bound: use backspaces
	for range 5 {
		d.key("backspace")
	}
	d.typeText("nonsense")
	d.key("enter")
	if d.m.att.timeout != 0 || d.m.prompt == nil || !strings.Contains(d.m.c.status, "not a duration") {
		t.Errorf("bad timeout: timeout %v prompt %v status %q", d.m.att.timeout, d.m.prompt != nil, d.m.c.status)
	}
	for range 10 {
		d.key("backspace")
	}
	d.typeText("250ms")
	d.key("enter")
	if d.m.att.timeout != 250*time.Millisecond || d.m.prompt != nil {
		t.Errorf("timeout %v, prompt open %v", d.m.att.timeout, d.m.prompt != nil)
	}
}

// syntheticRun puts attempt rows in place as a connect would.
func syntheticRun(d *driver, ais []netcore.AddrInfo) int {
	c := d.m.att
	c.run++
	c.rows = nil
	for _, ai := range ais {
		c.rows = append(c.rows, attemptRow{ai: ai, trace: engine.NewTrace()})
	}
	c.busy = true
	return c.run
}

func TestAttemptEvents(t *testing.T) {
	now := time.Now()
	clock := now
	d := newDriver(t, Config{Now: func() time.Time { return clock }}, 120, 40)
	a1 := mustAddr(t, "127.0.0.1:7")
	a2 := mustAddr(t, "[::1]:7")
	run := syntheticRun(d, []netcore.AddrInfo{
		{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: a1},
		{Family: netcore.FamilyInet6, SockType: netcore.SockStream, Addr: a2},
	})
	d.send(eventsMsg{events: []engine.Event{engine.Attempt{Run: run, Attempt: netcore.Attempt{Index: 0, Addr: a1, Start: now, Result: netcore.ResultConnecting}}}})
	clock = now.Add(1500 * time.Millisecond)
	if !d.screenHas("connecting") || !d.screenHas("1.50s") || !d.screenHas("SYN sent") {
		t.Errorf("running attempt not shown with its elapsed time:\n%s", d.plain())
	}
	refused := &netcore.Error{Op: "connect", Class: netcore.ClassTransient, Errno: 111, Err: errors.New("connection refused")}
	d.send(eventsMsg{events: []engine.Event{
		engine.Attempt{Run: run, Attempt: netcore.Attempt{Index: 0, Addr: a1, Start: now, Elapsed: 90 * time.Microsecond,
			Result: netcore.ResultRefused, Class: netcore.ClassTransient, Errno: 111, Local: mustAddr(t, "127.0.0.1:40000"), Err: refused}},
		engine.Attempt{Run: run, Attempt: netcore.Attempt{Index: 1, Addr: a2, Start: now, Result: netcore.ResultConnecting}},
		engine.Attempt{Run: run, Attempt: netcore.Attempt{Index: 1, Addr: a2, Start: now, Elapsed: 3 * time.Second,
			Result: netcore.ResultTimeout, Class: netcore.ClassTimeout}},
		engine.ConnectDone{Run: run, Err: &netcore.Error{Op: "connect", Class: netcore.ClassTimeout, Err: errors.New("timed out")}},
	}})
	screen := d.plain()
	for _, want := range []string{"refused", "ECONNREFUSED", "nothing is listening", "transient", "90µs",
		"from 127.0.0.1:40000", "timeout", "no answer within the timeout", "3.00s", "none connected"} {
		if !strings.Contains(screen, want) {
			t.Errorf("attempts panel lacks %q:\n%s", want, screen)
		}
	}
	if d.m.att.busy {
		t.Error("still busy after the run ended")
	}
	// A stale run's events change nothing.
	d.send(eventsMsg{events: []engine.Event{engine.Attempt{Run: run - 1, Attempt: netcore.Attempt{Index: 0, Result: netcore.ResultConnected}}}})
	if d.m.att.rows[0].result != netcore.ResultRefused {
		t.Error("a stale event changed a row")
	}
}

func TestEscCancelsConnect(t *testing.T) {
	d := newDriver(t, Config{Timeout: 0}, 120, 40)
	// A listener with a full queue (backlog 0 and one connection it never
	// accepts): later connects hang.
	ln, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ln.Bind(mustAddr(t, "127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	if err := ln.Listen(0); err != nil {
		t.Fatal(err)
	}
	addr, _ := ln.LocalAddr()
	filler, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer filler.Close()
	if err := filler.Connect(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
	d.exec(d.m.att.connect([]netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: addr}}))
	d.pumpUntil("the attempt to start", func() bool { return d.m.att.rows[0].started && d.m.att.rows[0].result == netcore.ResultConnecting })
	if d.m.running() == "" {
		t.Fatal("not busy while connecting")
	}
	d.key("esc")
	d.pumpUntil("the cancel", func() bool { return !d.m.att.busy })
	if st := d.m.att.rows[0].result; st != netcore.ResultCancelled {
		t.Errorf("after esc the attempt is %v", st)
	}
	d.waitScreen("cancelled")
}

// openPair makes a socketpair through the sockets panel.
func openPair(t *testing.T, d *driver) (*engine.Sock, *engine.Sock) {
	t.Helper()
	d.m.setFocus(ui.PanelSockets, true)
	d.key("p")
	d.pumpUntil("the pair", func() bool { return len(d.m.socks.all) >= 2 })
	return d.m.socks.all[len(d.m.socks.all)-2], d.m.socks.all[len(d.m.socks.all)-1]
}

func TestSocketpairSendReceive(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	if a.Kind() != "pair" || !strings.Contains(d.plain(), "pair #") {
		t.Fatalf("pair not listed:\n%s", d.plain())
	}
	d.m.socks.selectSock(a)
	d.key("enter") // to the send line
	if d.m.focus != ui.PanelSend {
		t.Fatalf("focus %v", d.m.focus)
	}
	d.typeText("hello")
	if !d.screenHas("enter sends 7 bytes: 68 65 6c 6c 6f 0d 0a") {
		t.Errorf("no preview:\n%s", d.plain())
	}
	d.key("enter")
	d.pumpUntil("b to receive", func() bool { return b.Store().Stats().RxBytes == 7 })
	d.pumpUntil("a to record", func() bool { return a.Store().Stats().TxBytes == 7 })
	if got := a.Store().Data(0); string(got) != "hello\r\n" {
		t.Errorf("sent %q", got)
	}
	if !d.screenHas("68 65 6c 6c 6f 0d 0a") || !d.screenHas("hello←↓") {
		t.Errorf("hex view:\n%s", d.plain())
	}
	// History brings the line back.
	d.key("up")
	if v := d.m.send.input.Value(); v != "hello" {
		t.Errorf("history up: %q", v)
	}
	d.key("down")
	if v := d.m.send.input.Value(); v != "" {
		t.Errorf("history down: %q", v)
	}
	// Hex mode, line ending none.
	d.key("ctrl+t")
	d.typeText("00 ff")
	d.key("enter")
	d.pumpUntil("b to get the hex bytes", func() bool { return b.Store().Stats().RxBytes == 9 })
	d.key("ctrl+t", "ctrl+l")
	if endings[d.m.send.ending].name != "LF" {
		t.Errorf("ending %s", endings[d.m.send.ending].name)
	}
}

func TestBadSendLineChangesNothing(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, _ := openPair(t, d)
	d.m.socks.selectSock(a)
	d.key("enter")
	d.typeText(`bad\q`)
	if !d.screenHas("nothing will be sent") {
		t.Errorf("no live parse error:\n%s", d.plain())
	}
	d.key("enter")
	if !strings.Contains(d.m.c.status, "nothing sent") || d.m.c.statusLevel != ui.LevelError {
		t.Errorf("status %q", d.m.c.status)
	}
	if v := d.m.send.input.Value(); v != `bad\q` {
		t.Errorf("the line changed to %q", v)
	}
	if n := strings.Count(d.plain(), "unknown escape"); n != 2 { // preview and status line
		t.Errorf("%d mentions of the error", n)
	}
	if a.Store().Stats().TxBytes != 0 || len(d.m.send.history) != 0 {
		t.Error("something was sent or kept")
	}
	// Hex mode with an odd digit count.
	d.key("ctrl+t")
	for range 10 {
		d.key("backspace")
	}
	d.typeText("abc")
	d.key("enter")
	if !strings.Contains(d.m.c.status, "odd number") || a.Store().Stats().TxBytes != 0 {
		t.Errorf("hex error: %q", d.m.c.status)
	}
}

// checkTerminalSafe asserts that a frame holds no control byte but
// newlines and Select Graphic Rendition sequences, and no C1 control.
func checkTerminalSafe(t *testing.T, frame string) {
	t.Helper()
	if !utf8.ValidString(frame) {
		t.Fatal("the frame is not valid UTF-8")
	}
	for i := 0; i < len(frame); {
		c := frame[i]
		if c == 0x1b {
			j := i + 1
			if j >= len(frame) || frame[j] != '[' {
				t.Fatalf("ESC not starting a CSI at %d: %q", i, frame[i:min(i+12, len(frame))])
			}
			j++
			for j < len(frame) && (frame[j] >= '0' && frame[j] <= '9' || frame[j] == ';' || frame[j] == ':') {
				j++
			}
			if j >= len(frame) || frame[j] != 'm' {
				t.Fatalf("a CSI other than SGR at %d: %q", i, frame[i:min(j+1, len(frame))])
			}
			i = j + 1
			continue
		}
		if (c < 0x20 && c != '\n') || c == 0x7f {
			t.Fatalf("control byte %#02x at %d: %q", c, i, frame[max(0, i-10):min(i+10, len(frame))])
		}
		r, size := utf8.DecodeRuneInString(frame[i:])
		if r >= 0x80 && r < 0xa0 {
			t.Fatalf("C1 control %U at %d", r, i)
		}
		i += size
	}
}

// hostile is what a malicious peer sends: clear screen, set title, OSC 52
// clipboard write, a cursor position query, a C1 CSI, BEL, backspace, CR
// and invalid UTF-8.
var hostile = []byte("\x1b[2J\x1b]0;pwned\x07\x1b]52;c;aGk=\x07\x1b[6n\x9b31m\x07\x08\r\xff\xfe!")

func TestHostileBytesNeverReachTheTerminal(t *testing.T) {
	for _, cfg := range []Config{{}, {NoColor: true}, {Theme: "light"}} {
		d := newDriver(t, cfg, 200, 60)
		_, b := openPair(t, d)
		// A connection to a UNIX socket whose path holds escapes.
		evilAddr, err := netcore.UnixAddr(filepath.Join(t.TempDir(), "\x1b]0;title\x07\x1b[2J.sock"))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := netcore.Listen(evilAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		d.exec(d.m.att.connect([]netcore.AddrInfo{{Family: netcore.FamilyUnix, SockType: netcore.SockStream, Addr: evilAddr}}))
		d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 3 })
		a := d.m.socks.all[2]
		d.m.socks.selectSock(a)
		check := func(wants ...string) {
			t.Helper()
			frame := d.view()
			checkTerminalSafe(t, frame)
			plain := ansi.Strip(frame)
			for _, want := range wants {
				if !strings.Contains(plain, want) {
					t.Errorf("theme %q: %q not on screen:\n%s", cfg.Theme, want, plain)
				}
			}
		}
		// Bytes from the peer: only hex and glyphs.
		a.Store().Append(capture.Received, time.Now(), "", hostile)
		a.Store().Append(capture.Received, time.Now(), "\x1b[6n\x9b"+"evil", []byte("x"))
		check("1b 5b 32 4a 1b 5d 30 3b", "35 32 3b 63 3b 61 47 6b 3d 07 1b 5b 36 6e 9b 33", "31 6d 07 08 0d ff fe 21",
			"•[2J•]0;pwned••]", "52;c;aGk=••[6n×3", "1m••←××!",
			"␛]0;title␇␛[2J.sock", "from ␛[6n�evil")
		// An error string from the system.
		d.send(eventsMsg{events: []engine.Event{engine.ReceiveFailed{Sock: b, Err: errors.New("\x1b]52;c;Zm9v\x07 broken \x1b[2J")}}})
		check("␛]52;c;Zm9v␇ broken ␛[2J")
		// A canonical name with escapes, as a hostile DNS answer could give.
		d.m.res.gen++
		d.m.res.query = "evil:1"
		d.send(resolvedMsg{gen: d.m.res.gen, rows: []netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream,
			Addr: mustAddr(t, "127.0.0.1:1"), CanonName: "evil\x1b]0;x\x07\x1b[2J.example"}}})
		check("canonical evil␛]0;x␇␛[2J.example")
		// Every overlay, too.
		d.m.setFocus(ui.PanelSockets, true)
		d.key("s")
		check("System calls")
		d.key("esc", "?")
		check("Help")
		d.key("esc")
		d.m.Shutdown()
	}
}

func TestListenerAcceptsTwoClients(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	d.key("l")
	if d.m.prompt == nil || !d.screenHas("listen on") {
		t.Fatalf("no listen prompt:\n%s", d.plain())
	}
	d.key("enter")
	d.pumpUntil("the listener", func() bool { return len(d.m.socks.all) == 1 })
	l := d.m.socks.all[0]
	if !l.IsListener() || l.Local().Port() == 0 {
		t.Fatalf("listener %s", l.Describe())
	}
	var clients []*netcore.Socket
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for range 2 {
		c, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		if err := c.Connect(context.Background(), l.Local()); err != nil {
			t.Fatal(err)
		}
	}
	d.pumpUntil("two accepted rows", func() bool { return len(d.m.socks.all) == 3 })
	if !d.screenHas("(2 accepted)") || strings.Count(d.plain(), "└tcp") != 2 {
		t.Errorf("accepted rows:\n%s", d.plain())
	}
	if _, err := clients[1].Send(context.Background(), []byte("ping"), 0); err != nil {
		t.Fatal(err)
	}
	second := d.m.socks.all[2]
	d.pumpUntil("the ping", func() bool { return second.Store().Stats().RxBytes == 4 })

	// Shutdown write, then close, then remove.
	d.m.socks.selectSock(second)
	d.key("w")
	d.pumpUntil("the shutdown", func() bool { return second.Status().WriteShut })
	buf := make([]byte, 8)
	n, err := clients[1].Receive(netcore.WithCallTimeout(context.Background(), 2*time.Second), buf, 0)
	if err != nil || n != 0 {
		t.Errorf("the client did not see end of stream: %d, %v", n, err)
	}
	d.key("w")
	if !strings.Contains(d.m.c.status, "already") {
		t.Errorf("second w: %q", d.m.c.status)
	}
	d.key("x")
	d.pumpUntil("the close", func() bool { return second.Status().Closed })
	d.key("x")
	if len(d.m.socks.all) != 2 {
		t.Errorf("x on a closed socket left %d rows", len(d.m.socks.all))
	}
	// The syscall log of the listener shows its accepts.
	d.m.socks.selectSock(l)
	d.key("s")
	if !d.screenHas("accept(") || !d.screenHas("listen(") {
		t.Errorf("listener syscalls:\n%s", d.plain())
	}
	d.key("esc")
}

func TestUDPDestinationField(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	// Two unconnected UDP sockets: one talks to the other.
	for range 2 {
		d.key("u", "enter")
	}
	d.pumpUntil("two UDP sockets", func() bool { return len(d.m.socks.all) == 2 })
	a, b := d.m.socks.all[0], d.m.socks.all[1]
	d.m.socks.selectSock(a)
	d.key("enter")
	if !d.m.send.showDest() || !d.screenHas("to ") {
		t.Fatalf("no destination field:\n%s", d.plain())
	}
	d.typeText("ping")
	d.key("enter")
	if !strings.Contains(d.m.c.status, "destination") {
		t.Errorf("no destination: %q", d.m.c.status)
	}
	d.key("shift+tab")
	if !d.m.send.destFocused {
		t.Fatal("shift+tab did not reach the destination")
	}
	d.typeText(b.Local().String())
	d.key("tab", "enter")
	d.pumpUntil("the datagram", func() bool { return b.Store().Stats().RxBytes == 6 })
	if c := b.Store().Chunk(0); c.Peer != a.Local().String() {
		t.Errorf("peer %q, want %q", c.Peer, a.Local())
	}
}

func TestHexScrollFilterSearchExport(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, _ := openPair(t, d)
	for i := range 40 {
		dir := capture.Received
		if i%2 == 0 {
			dir = capture.Sent
		}
		a.Store().Append(dir, time.Now(), "", []byte(fmt.Sprintf("line %02d of the capture, long enough\r\n", i)))
	}
	d.m.socks.selectSock(a)
	d.m.setFocus(ui.PanelHex, true)
	if !d.m.hex.state(a).follow || !d.screenHas("line 39") {
		t.Fatalf("not following the tail:\n%s", d.plain())
	}
	d.key("up")
	if d.m.hex.state(a).follow {
		t.Error("scrolling up still follows")
	}
	a.Store().Append(capture.Received, time.Now(), "", []byte("NEWEST"))
	if d.screenHas("NEWEST") {
		t.Error("scrolled up, yet the view jumped to the tail")
	}
	d.key("end")
	if !d.screenHas("NEWEST") {
		t.Error("end did not follow the tail")
	}
	d.key("home")
	if !d.screenHas("line 00") {
		t.Errorf("home:\n%s", d.plain())
	}
	d.key("pgdown", "pgup")
	d.send(tea.MouseWheelMsg{X: 10, Y: d.m.layout.Panels[ui.PanelHex].Y + 2, Button: tea.MouseWheelDown})
	if d.m.hex.state(a).top == 0 {
		t.Error("the wheel did not scroll")
	}

	d.key("f")
	if d.m.hex.state(a).filter != capture.OnlySent || d.screenHas("◀ received") {
		t.Errorf("filter sent:\n%s", d.plain())
	}
	d.key("f", "f")
	if d.m.hex.state(a).filter != capture.All {
		t.Error("filter did not cycle back")
	}

	d.key("/")
	d.typeText("line 0")
	d.key("enter")
	search := &d.m.hex.state(a).search
	d.pumpUntil("the match", func() bool { return search.match >= 0 })
	first := search.at
	d.key("n")
	d.pumpUntil("the next match", func() bool { return search.at != first })
	d.key("/")
	if d.m.prompt.input.Value() != "" {
		t.Errorf("/ pre-filled %q: typing would append to it", d.m.prompt.input.Value())
	}
	d.typeText("hex:4e 45 57")
	d.key("enter")
	d.pumpUntil("the hex match", func() bool {
		data := a.Store().Data(int(search.at.Seq))
		return search.match >= 0 && bytes.HasPrefix(data[search.at.Byte:], []byte("NEW"))
	})
	// The matched bytes are highlighted, not the offset column.
	if len(search.spans) != 1 || search.spans[0].To-search.spans[0].From != 3 {
		t.Errorf("spans %+v", search.spans)
	}

	dir := t.TempDir()
	for _, c := range []struct {
		key  string
		want func([]byte) bool
	}{
		{"r", func(b []byte) bool {
			return bytes.HasSuffix(b, []byte("NEWEST")) && !bytes.Contains(b, []byte("line 00"))
		}},
		{"s", func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("line 00")) && !bytes.Contains(b, []byte("NEWEST"))
		}},
		{"t", func(b []byte) bool {
			return bytes.Contains(b, []byte("6c 69 6e 65")) && bytes.Contains(b, []byte("received"))
		}},
	} {
		d.key("e", c.key)
		if d.m.prompt == nil {
			t.Fatalf("export %s: no file prompt", c.key)
		}
		for range 40 {
			d.key("backspace")
		}
		path := filepath.Join(dir, "out-"+c.key)
		d.typeText(path)
		d.key("enter")
		d.pumpUntil("the export", func() bool { return strings.Contains(d.m.c.status, path) })
		got, err := os.ReadFile(path)
		if err != nil || !c.want(got) {
			t.Errorf("export %s: %v %q", c.key, err, got)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("export %s: mode %v, %v; want 0600", c.key, fi.Mode(), err)
		}
		// The same name again asks first; n keeps the file as it was.
		if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		d.key("e", c.key)
		for range 40 {
			d.key("backspace")
		}
		d.typeText(path)
		d.key("enter")
		if d.m.prompt == nil || !d.screenHas("exists: y replaces it") {
			t.Fatalf("no question before replacing:\n%s", d.plain())
		}
		d.key("n")
		if got, _ := os.ReadFile(path); string(got) != "precious" {
			t.Errorf("n replaced the file: %q", got)
		}
	}
	// y replaces it.
	d.key("e", "r")
	for range 40 {
		d.key("backspace")
	}
	path := filepath.Join(dir, "out-t")
	d.typeText(path)
	d.key("enter", "y")
	d.pumpUntil("the replacement", func() bool { return strings.Contains(d.m.c.status, "wrote") })
	if got, _ := os.ReadFile(path); !bytes.HasSuffix(got, []byte("NEWEST")) {
		t.Errorf("y did not replace the file: %q", got)
	}
}

func TestTimeoutPromptRefusesNaN(t *testing.T) {
	for _, bad := range []string{"NaN", "nan", "-1", "Inf", "1e9", "25h", "-5s"} {
		if d, err := parseTimeout(bad); err == nil {
			t.Errorf("parseTimeout(%q) = %v, want an error", bad, d)
		}
	}
}

func TestCaptureLimitSaysWhatWasDropped(t *testing.T) {
	d := newDriver(t, Config{CaptureLimit: 64}, 120, 40)
	a, _ := openPair(t, d)
	d.m.socks.selectSock(a)
	a.Store().Append(capture.Received, time.Now(), "", bytes.Repeat([]byte("a"), 100))
	a.Store().Append(capture.Received, time.Now(), "", bytes.Repeat([]byte("b"), 30))
	if !d.screenHas("dropped") || !d.screenHas("rx 130B") {
		t.Errorf("drops not shown with exact counters:\n%s", d.plain())
	}
}

func TestOptionsView(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	ln, err := netcore.Listen(mustAddr(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, _ := ln.LocalAddr()
	d.exec(d.m.att.connect([]netcore.AddrInfo{{Family: netcore.FamilyInet, SockType: netcore.SockStream, Addr: addr}}))
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	d.m.setFocus(ui.PanelSockets, true)
	d.key("o")
	d.pumpUntil("the options", func() bool { return len(d.opts().rows) > 0 && !d.opts().busy })
	if !d.screenHas("SO_RCVBUF") || !d.screenHas("TCP_NODELAY") {
		t.Fatalf("options:\n%s", d.plain())
	}
	find := func(name string) int {
		for i, r := range d.opts().rows {
			if r.Opt.Name == name {
				return i
			}
		}
		t.Fatalf("no %s", name)
		return -1
	}
	value := func(name string) string { return d.opts().rows[find(name)].Value.String() }

	// Space toggles a boolean, read back from the kernel.
	d.opts().sel = find("SO_KEEPALIVE")
	before := value("SO_KEEPALIVE")
	d.key("space")
	d.pumpUntil("the toggle", func() bool { return !d.opts().busy && value("SO_KEEPALIVE") != before })

	// A number: a bad value says so and changes nothing.
	d.opts().sel = find("IP_TTL")
	ttl := value("IP_TTL")
	d.key("enter")
	for range 5 {
		d.key("backspace")
	}
	d.typeText("lots")
	d.key("enter")
	if !strings.Contains(d.m.c.status, "nothing changed") || d.opts().busy {
		t.Errorf("bad value: %q", d.m.c.status)
	}
	if value("IP_TTL") != ttl {
		t.Error("a bad value changed the option")
	}
	d.key("esc") // leave the editor
	d.key("enter")
	for range 5 {
		d.key("backspace")
	}
	d.typeText("99")
	d.key("enter")
	d.pumpUntil("the new TTL", func() bool { return !d.opts().busy && value("IP_TTL") == "99" })
	// A value the kernel refuses: nothing changes, the error is shown.
	d.opts().sel = find("TCP_CONGESTION")
	cc := value("TCP_CONGESTION")
	d.key("enter")
	for range 20 {
		d.key("backspace")
	}
	d.typeText("no-such-algorithm")
	d.key("enter")
	d.pumpUntil("the refusal", func() bool { return !d.opts().busy && d.opts().err != "" })
	if value("TCP_CONGESTION") != cc {
		t.Error("a refused value changed the option")
	}
	// Read-only options say so.
	d.opts().sel = find("SO_TYPE")
	d.key("enter")
	if !strings.Contains(d.m.c.status, "read-only") || d.opts().editing {
		t.Errorf("read-only: %q", d.m.c.status)
	}
	d.key("esc")
	if d.m.overlay != nil {
		t.Error("esc did not close the options")
	}
}

func TestKeysSayWhyNot(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	for _, k := range []string{"x", "r", "w", "o", "s"} {
		d.m.c.status = ""
		d.key(k)
		if !strings.Contains(d.m.c.status, "no socket") {
			t.Errorf("%s with no socket: %q", k, d.m.c.status)
		}
	}
	d.m.setFocus(ui.PanelHex, true)
	d.m.c.status = ""
	d.key("f")
	if !strings.Contains(d.m.c.status, "no socket") {
		t.Errorf("f in the hex view: %q", d.m.c.status)
	}
	d.m.setFocus(ui.PanelAttempts, true)
	d.key("s")
	if !strings.Contains(d.m.c.status, "no attempts") {
		t.Errorf("s in attempts: %q", d.m.c.status)
	}
	d.key("Z")
	if !strings.Contains(d.m.c.status, "does nothing") {
		t.Errorf("unbound key: %q", d.m.c.status)
	}
	d.key("?")
	if _, ok := d.m.overlay.(*helpOverlay); !ok || !d.screenHas("Keys for the Attempts panel") {
		t.Errorf("full help:\n%s", d.plain())
	}
	d.key("?")
	d.m.setFocus(ui.PanelSend, true)
	d.key("enter")
	if !strings.Contains(d.m.c.status, "no socket selected") {
		t.Errorf("send with no socket: %q", d.m.c.status)
	}
}

func TestQuitClosesEverything(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	_, cmd := d.m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
	d.m.Shutdown()
	if !a.Socket().IsClosed() || !b.Socket().IsClosed() {
		t.Error("sockets left open")
	}
}

func TestTargetConnectsAtOnce(t *testing.T) {
	ln, err := netcore.Listen(mustAddr(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, _ := ln.LocalAddr()
	d := newDriver(t, Config{Target: addr.String(), Timeout: time.Second}, 120, 40)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	if d.m.focus != ui.PanelSend {
		t.Errorf("focus %v after connecting to a TARGET", d.m.focus)
	}
	d2 := newDriver(t, Config{Target: "nonsense"}, 120, 40)
	if d2.m.res.err == "" && !strings.Contains(d2.m.c.status, "bad target") {
		t.Errorf("bad TARGET: %q / %q", d2.m.res.err, d2.m.c.status)
	}
}

func TestLabListFillsTheTarget(t *testing.T) {
	svc := LabService{Name: "echo/tcp", Kind: "echo", Network: "tcp", Addr: mustAddr(t, "127.0.0.1:9"), Help: "sends back"}
	udp := LabService{Name: "echo/udp", Kind: "echo", Network: "udp", Addr: mustAddr(t, "[::1]:9"), Help: "datagrams"}
	lab := &fakeLab{services: []LabService{svc, udp}}
	d := newDriver(t, Config{StartLab: func(context.Context) (Lab, error) { return lab, nil }}, 120, 40)
	d.pumpUntil("the lab", func() bool { return len(d.m.lab.services) == 2 })
	if !d.screenHas("127.0.0.1:9") || !d.screenHas("[::1]:9") {
		t.Fatalf("lab:\n%s", d.plain())
	}
	d.key("down", "enter")
	if d.m.res.host.Value() != "::1" || d.m.res.service.Value() != "9" || d.m.res.sockType != netcore.SockDgram {
		t.Errorf("target %q %q %v", d.m.res.host.Value(), d.m.res.service.Value(), d.m.res.sockType)
	}
	d.pumpUntil("the rows", func() bool { return len(d.m.res.rows) == 1 })
	// c on a lab row resolves and connects at once.
	d.m.setFocus(ui.PanelLab, true)
	d.key("up", "c")
	d.pumpUntil("the attempt", func() bool { return len(d.m.att.rows) == 1 && !d.m.att.busy })
	if d.m.att.rows[0].ai.Addr != svc.Addr {
		t.Errorf("connected to %v", d.m.att.rows[0].ai.Addr)
	}
	d.m.Shutdown()
	if !lab.closed {
		t.Error("the lab was not closed")
	}
}

type fakeLab struct {
	services []LabService
	roots    []*x509.Certificate // trusted for the services that speak TLS
	closed   bool
}

func (f *fakeLab) Services() []LabService { return f.services }
func (f *fakeLab) Close() error           { f.closed = true; return nil }

func (f *fakeLab) RootsFor(addr netcore.Addr) []*x509.Certificate {
	for _, s := range f.services {
		if s.TLS && s.Addr == addr {
			return f.roots
		}
	}
	return nil
}

func TestMouse(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	in := d.m.layout.Inner(ui.PanelSockets)
	sockets := ui.Rect{X: in.X, Y: in.Y + ui.SocketsList.Top}
	d.m.setFocus(ui.PanelLab, true)
	d.send(tea.MouseClickMsg{X: sockets.X + 2, Y: sockets.Y + 1, Button: tea.MouseLeft})
	if d.m.focus != ui.PanelSockets || d.m.socks.selected() != b {
		t.Errorf("click: focus %v selected %v", d.m.focus, d.m.socks.selected().ID())
	}
	d.send(tea.MouseWheelMsg{X: sockets.X + 2, Y: sockets.Y, Button: tea.MouseWheelUp})
	if d.m.socks.selected() != a {
		t.Error("the wheel did not move the selection")
	}
}

func mustAddr(t *testing.T, s string) netcore.Addr {
	t.Helper()
	a, err := netcore.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// opts returns the open options overlay.
func (d *driver) opts() *optionsOverlay {
	d.t.Helper()
	o, ok := d.m.overlay.(*optionsOverlay)
	if !ok {
		d.t.Fatalf("no options overlay open:\n%s", d.plain())
	}
	return o
}

// TestEngineCrashEndsInUpdate: a panic in the engine's goroutines is
// raised again in Update, where Bubble Tea restores the terminal.
func TestEngineCrashEndsInUpdate(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "boom") {
			t.Errorf("recovered %v", r)
		}
	}()
	d.m.Update(eventsMsg{events: []engine.Event{engine.Crashed{Value: "boom"}}})
	t.Error("no panic")
}
