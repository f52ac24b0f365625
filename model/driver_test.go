package model

import (
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv("SOCKBENCH_BURST_TO"); addr != "" {
		burstChild(addr) // the child process of TestBurstAllAccepted
	}
	goleak.VerifyTestMain(m)
}

// driver runs a Model the way Bubble Tea does, in the test's goroutine:
// commands run in goroutines and their messages come back through a
// channel that pump feeds to Update.
type driver struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
}

func newDriver(t *testing.T, cfg Config, w, h int) *driver {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &driver{t: t, m: New(cfg), msgs: make(chan tea.Msg, 1024)}
	t.Cleanup(d.m.Shutdown)
	d.exec(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			d.msgs <- msg
		}
	}()
}

// send gives one message to Update and runs the command it returns.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

func (d *driver) key(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c", "ctrl+t", "ctrl+l", "ctrl+r", "ctrl+u":
		return tea.KeyPressMsg{Code: rune(k[len(k)-1]), Mod: tea.ModCtrl}
	case "f1":
		return tea.KeyPressMsg{Code: tea.KeyF1}
	}
	r, _ := utf8.DecodeRuneInString(k)
	return tea.KeyPressMsg{Code: r, Text: k}
}

// pumpUntil feeds command results to Update until cond holds, failing
// after the deadline.
func (d *driver) pumpUntil(what string, cond func() bool) {
	d.t.Helper()
	d.pumpWithin(30*time.Second, what, cond) // a cap for a hang, not a speed test
}

// pumpWithin is pumpUntil with its own cap. cond is checked after each
// message, and every few milliseconds besides: it may wait for something
// outside the model (a client's read) that comes after the last message.
func (d *driver) pumpWithin(limit time.Duration, what string, cond func() bool) {
	d.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	poll := time.NewTicker(5 * time.Millisecond) // polling, not a synchronisation
	defer poll.Stop()
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-poll.C:
		case <-deadline.C:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.plain())
		}
	}
}

func (d *driver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
	default:
		if isQuit(msg) {
			return
		}
		d.send(msg)
	}
}

func isQuit(msg tea.Msg) bool {
	_, ok := msg.(tea.QuitMsg)
	return ok
}

// view returns the frame as the terminal would get it.
func (d *driver) view() string { return d.m.View().Content }

// plain returns the frame without styling.
func (d *driver) plain() string { return ansi.Strip(d.view()) }

func (d *driver) screenHas(s string) bool { return strings.Contains(d.plain(), s) }

func (d *driver) waitScreen(s string) {
	d.t.Helper()
	d.pumpUntil("screen to show "+s, func() bool { return d.screenHas(s) })
}
