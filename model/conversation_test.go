package model

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
)

// The tests of this file are about holding and reading a conversation,
// and about the defects a new user met; each says which.

// Defect: after the lab filled the fields, the service's cursor stayed
// where it was: editing 49841 with backspace x5 and typing 7 gave 71.
func TestResolveCursorAfterLab(t *testing.T) {
	lab := &fakeLab{services: []LabService{{Name: "echo/tcp", Kind: "echo", Network: "tcp", Addr: mustAddr(t, "127.0.0.1:49841")}}}
	d := newDriver(t, Config{StartLab: func(context.Context) (Lab, error) { return lab, nil }}, 120, 40)
	d.pumpUntil("the lab", func() bool { return len(d.m.lab.services) == 1 })
	d.key("enter")
	d.pumpUntil("the rows", func() bool { return !d.m.res.busy })
	d.key("e", "tab")
	for range 5 {
		d.key("backspace")
	}
	d.typeText("7")
	if got := d.m.res.service.Value(); got != "7" {
		t.Errorf("service %q, want 7", got)
	}
}

// Defect: r (shut down reading) said the peer closed its side.
func TestShutReadIsOurs(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, _ := openPair(t, d)
	d.m.socks.selectSock(a)
	d.key("r")
	d.pumpUntil("the end of reading", func() bool { return strings.Contains(d.m.c.status, "reading ended") })
	if !strings.Contains(d.m.c.status, "we shut down our reading side") || strings.Contains(d.m.c.status, "peer") {
		t.Errorf("status %q", d.m.c.status)
	}
	if a.Status().EOF {
		t.Error("our own shutdown was taken for the peer's end of stream")
	}
}

// Defect: the UDP destination error said tab reaches the field; it is
// shift+tab.
func TestUDPNoDestinationSaysShiftTab(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	d.key("u", "enter")
	d.pumpUntil("the UDP socket", func() bool { return len(d.m.socks.all) == 1 })
	d.key("enter")
	d.typeText("x")
	d.key("enter")
	if !strings.Contains(d.m.c.status, "shift+tab reaches the field") {
		t.Errorf("status %q", d.m.c.status)
	}
	d.key("shift+tab")
	if !d.m.send.destFocused {
		t.Error("shift+tab did not reach the destination")
	}
}

// Defect: after growing from 60x15 to 200x60, "the terminal is too
// small" stayed on screen.
func TestResizeClearsTooSmall(t *testing.T) {
	d := newDriver(t, Config{}, 60, 15)
	d.key("x")
	if !strings.Contains(d.m.c.status, "too small") {
		t.Fatalf("status %q", d.m.c.status)
	}
	d.send(tea.WindowSizeMsg{Width: 200, Height: 60})
	if d.screenHas("too small") {
		t.Errorf("still says too small:\n%s", d.plain())
	}
}

// Defect: pasting several lines turned the newlines into spaces.
func TestPasteKeepsLineEndings(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	d.m.socks.selectSock(a)
	d.key("enter")
	d.send(tea.PasteMsg{Content: "GET /a\\b HTTP/1.0\nHost: x\n\n"})
	if got := d.m.send.input.Value(); got != `GET /a\\b HTTP/1.0\r\nHost: x\r\n` {
		t.Fatalf("line %q", got)
	}
	if !d.screenHas("enter sends 30 bytes") {
		t.Errorf("preview:\n%s", d.plain())
	}
	d.key("enter")
	d.pumpUntil("the request", func() bool { return b.Store().Stats().RxBytes == 30 })
	if got := string(receivedBytes(t, b)); got != "GET /a\\b HTTP/1.0\r\nHost: x\r\n\r\n" {
		t.Errorf("sent %q", got)
	}
}

func receivedBytes(t *testing.T, k *engine.Sock) []byte {
	t.Helper()
	return dirBytes(t, k, capture.Received)
}

// dirBytes is every byte of one direction in k's capture.
func dirBytes(t *testing.T, k *engine.Sock, dir capture.Dir) []byte {
	t.Helper()
	var b strings.Builder
	if _, err := k.Store().WriteDir(&b, dir); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// Defect: closing a listener left its accepted connections as orphan
// rows.
func TestClosingAListenerKeepsItsConnections(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	d.key("l", "enter")
	d.pumpUntil("the listener", func() bool { return len(d.m.socks.all) == 1 })
	l := d.m.socks.all[0]
	c, err := netcore.NewSocket(netcore.FamilyInet, netcore.SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(context.Background(), l.Local()); err != nil {
		t.Fatal(err)
	}
	d.pumpUntil("the accepted row", func() bool { return len(d.m.socks.all) == 2 })
	d.m.socks.selectSock(l)
	d.key("x")
	d.pumpUntil("the close", func() bool { return strings.Contains(d.m.c.status, "closed") })
	if !strings.Contains(d.m.c.status, "its 1 accepted connection stay open") {
		t.Errorf("status %q", d.m.c.status)
	}
	d.key("x") // remove the listener's row
	if len(d.m.socks.all) != 1 || strings.Contains(d.plain(), "└tcp") {
		t.Errorf("orphan row:\n%s", d.plain())
	}
}

// Defect: in hex mode the send line's placeholder described text escapes.
func TestHexPlaceholder(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	openPair(t, d)
	d.key("enter", "ctrl+t")
	if !d.screenHas("type hex bytes") || d.screenHas("escapes work") {
		t.Errorf("hex mode placeholder:\n%s", d.plain())
	}
}

// Defect: typing into the send line swallowed the keys that work
// everywhere; the tab order did not follow the layout.
func TestFocusKeysOnTheSendLine(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	if d.m.focus != ui.PanelResolve {
		t.Fatalf("without the lab the focus starts on %v", d.m.focus)
	}
	var order []ui.Panel
	for range 6 {
		d.key("tab")
		order = append(order, d.m.focus)
	}
	want := []ui.Panel{ui.PanelAttempts, ui.PanelSockets, ui.PanelLab, ui.PanelHex, ui.PanelSend, ui.PanelResolve}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("tab order %v, want %v", order, want)
	}
	openPair(t, d)
	d.key("enter")
	d.key("?")
	if _, ok := d.m.overlay.(*helpOverlay); !ok {
		t.Fatal("? on an empty send line is not help")
	}
	d.key("esc")
	d.pumpUntil("the help to close", func() bool { return d.m.overlay == nil })
	d.typeText("why?")
	if d.m.send.input.Value() != "why?" || d.m.overlay != nil {
		t.Fatalf("? after text: line %q, overlay %v", d.m.send.input.Value(), d.m.overlay)
	}
	d.key("f1")
	if _, ok := d.m.overlay.(*helpOverlay); !ok {
		t.Error("F1 is not help on the send line")
	}
}

// Defect: a failed lookup's reason was cut off, the attempts of the last
// target stayed, and c said to resolve first.
func TestFailedLookupSaysWhy(t *testing.T) {
	d := newDriver(t, Config{}, 200, 60)
	d.m.att.rows = []attemptRow{{ai: netcore.AddrInfo{Addr: mustAddr(t, "127.0.0.1:9")}, started: true, result: netcore.ResultRefused}}
	d.key("e")
	d.typeText("127.0.0.1")
	d.key("tab")
	d.typeText("no-such-service-anywhere")
	d.key("enter")
	d.pumpUntil("the failure", func() bool { return d.m.res.err != "" })
	if len(d.m.att.rows) != 0 {
		t.Error("the attempts of the last target are still shown")
	}
	flat := strings.Join(strings.Fields(strings.ReplaceAll(d.plain(), "│", " ")), " ")
	if !strings.Contains(flat, strings.Join(strings.Fields(d.m.res.err), " ")) {
		t.Errorf("the reason %q is not shown whole:\n%s", d.m.res.err, d.plain())
	}
	d.key("c")
	if !strings.Contains(d.m.c.status, "failed") || strings.Contains(d.m.c.status, "resolve a host and service first") {
		t.Errorf("c after a failed lookup: %q", d.m.c.status)
	}
}

// TestTextViewReadsLines: the stream view shows a request as lines, keeps
// the place when switching, and marks the peer's end of stream.
func TestTextViewReadsLines(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	for i := range 30 {
		a.Store().Append(capture.Received, time.Now(), "", []byte(fmt.Sprintf("line %02d\r\n", i)))
	}
	d.m.socks.selectSock(a)
	d.m.setFocus(ui.PanelHex, true)
	d.key("v")
	if d.m.hex.mode != viewText || !d.screenHas("◀ line 29←↓") {
		t.Fatalf("text view:\n%s", d.plain())
	}
	d.key("home")
	if !d.screenHas("◀ line 00←↓") || d.screenHas("line 29") {
		t.Fatalf("home:\n%s", d.plain())
	}
	d.key("down", "down", "down")
	top := d.plain()
	d.key("v", "v", "v") // round the wire and hex views and back: the same place
	if d.plain() != top {
		t.Errorf("the place moved:\n%s\nwas\n%s", d.plain(), top)
	}
	d.m.socks.selectSock(b)
	b.Socket().Close() // the peer's end closes: a's reader sees the end of stream
	d.m.socks.selectSock(a)
	d.key("end")
	d.pumpUntil("the end of stream", func() bool { return d.screenHas("end of stream: the peer shut down its sending side") })
}

// TestPauseAndResume: space stops reading; what the peer sends waits in
// the kernel, and comes when reading resumes.
func TestPauseAndResume(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	d.m.socks.selectSock(b)
	d.key("space")
	d.pumpUntil("the pause", func() bool { return b.Status().Paused != "" })
	if err := d.m.c.engine.Send(a, []byte("held"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	d.pumpUntil("the bytes to wait in the kernel", func() bool {
		in, _, _ := b.Socket().Queued()
		return in == 4
	})
	d.m.setFocus(ui.PanelHex, true)
	if !d.screenHas("paused: you paused reading, 4B waiting in the kernel") || b.Store().Stats().RxBytes != 0 {
		t.Errorf("paused view:\n%s", d.plain())
	}
	d.key("space")
	d.pumpUntil("the bytes", func() bool { return b.Store().Stats().RxBytes == 4 })
}

// TestUDPReplyToLastSender: ctrl+r makes the last sender the destination.
func TestUDPReplyToLastSender(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	d.key("u", "enter", "u", "enter")
	d.pumpUntil("two UDP sockets", func() bool { return len(d.m.socks.all) == 2 })
	a, b := d.m.socks.all[0], d.m.socks.all[1]
	if err := d.m.c.engine.Send(a, []byte("hi"), b.Local()); err != nil {
		t.Fatal(err)
	}
	d.pumpUntil("the datagram", func() bool { return b.Store().Stats().RxBytes == 2 })
	d.m.socks.selectSock(b)
	d.key("enter", "ctrl+r")
	if got := d.m.send.dest.Value(); got != a.Local().String() {
		t.Errorf("destination %q, want %s", got, a.Local())
	}
}

// TestSendDraftPerSocket: each socket keeps what was typed for it.
func TestSendDraftPerSocket(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	a, b := openPair(t, d)
	d.m.socks.selectSock(a)
	d.key("enter")
	d.typeText("for a")
	d.m.socks.selectSock(b)
	d.view()
	if d.m.send.input.Value() != "" {
		t.Errorf("b's line %q", d.m.send.input.Value())
	}
	d.typeText("for b")
	d.m.socks.selectSock(a)
	d.view()
	if d.m.send.input.Value() != "for a" {
		t.Errorf("a's line %q", d.m.send.input.Value())
	}
}

// TestTargetWithControlCharacters: a TARGET with control characters is
// kept exactly (shown with escapes), not silently changed.
func TestTargetWithControlCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h\x1b]0;X\x07.sock")
	addr, err := netcore.UnixAddr(path)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := netcore.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := newDriver(t, Config{Target: "unix:" + path}, 120, 40)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	if got := d.m.socks.all[0].Peer().Path(); got != path {
		t.Errorf("connected to %q, want %q", got, path)
	}
	if v := d.m.res.host.Value(); !strings.Contains(v, `h\x1b]0;X\x07.sock`) {
		t.Errorf("host field %q", v)
	}
	checkTerminalSafe(t, d.view())
	_ = os.Remove(path)
}
