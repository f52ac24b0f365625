package model

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"sockbench/ui"
)

// badValues are what every field of the workbench is given: empty, 1 MB,
// malformed, out of range, not UTF-8, escape sequences.
var badValues = map[string]string{
	"empty":      "",
	"1MB":        strings.Repeat("9", 1<<20),
	"malformed":  "[::1:80]x\\q\\x4",
	"range":      "127.0.0.1:99999",
	"notutf8":    "\xff\xfe\xc3",
	"escapes":    "\x1b]0;pwned\x07\x1b[2J",
	"nul":        "a\x00b",
	"negative":   "-5",
	"nan":        "NaN",
	"udpbad":     "127.0.0.1:0 -> -> x",
	"hexodd":     "hex:abc",
	"unixlong":   "unix:/" + strings.Repeat("a", 200),
	"bidi":       "a\u202eb",
	"zerowidth":  "\u200b",
	"onlyspaces": "   ",
}

// inject types a value into whatever takes text now, as a paste (the
// text input takes pastes whole, and it is the fastest way to 1 MB).
func inject(d *driver, value string) { d.send(tea.PasteMsg{Content: value}) }

// TestBadInputEverywhere gives every field and prompt every bad value:
// each ends with a message or a harmless state, never a panic, and the
// frame never carries anything a terminal would act on.
func TestBadInputEverywhere(t *testing.T) {
	fields := []struct {
		name  string
		open  func(d *driver)
		after func(t *testing.T, d *driver)
	}{
		{"listen prompt", func(d *driver) { d.m.setFocus(ui.PanelSockets, true); d.key("l") }, nil},
		{"UDP prompt", func(d *driver) { d.m.setFocus(ui.PanelSockets, true); d.key("u") }, nil},
		{"timeout prompt", func(d *driver) { d.m.setFocus(ui.PanelAttempts, true); d.key("t", "ctrl+u") },
			func(t *testing.T, d *driver) {
				if d.m.att.timeout != DefaultTimeout && d.m.att.timeout != 0 {
					t.Errorf("timeout became %v", d.m.att.timeout)
				}
			}},
		{"resolve host", func(d *driver) { d.m.setFocus(ui.PanelResolve, true); d.key("e") }, nil},
		{"resolve service", func(d *driver) { d.m.setFocus(ui.PanelResolve, true); d.key("e", "tab") }, nil},
		{"send line", func(d *driver) { openPair(d.t, d); d.key("enter") }, nil},
		{"send line hex", func(d *driver) { openPair(d.t, d); d.key("enter", "ctrl+t") }, nil},
		{"search", func(d *driver) { openPair(d.t, d); d.m.setFocus(ui.PanelHex, true); d.key("/") }, nil},
		{"export name", func(d *driver) { openPair(d.t, d); d.m.setFocus(ui.PanelHex, true); d.key("e", "r", "ctrl+u") }, nil},
	}
	for _, f := range fields {
		for name, value := range badValues {
			t.Run(f.name+"/"+name, func(t *testing.T) {
				t.Chdir(t.TempDir()) // an export may create a file
				d := newDriver(t, Config{Timeout: DefaultTimeout}, 120, 40)
				f.open(d)
				d.m.c.status = ""
				inject(d, value)
				d.key("enter")
				checkTerminalSafe(t, d.view())
				// Some answers come from a command (a listener opened, a
				// search done, a file written).
				d.pumpUntil("a message", func() bool { return d.m.c.status != "" })
				if f.after != nil {
					f.after(t, d)
				}
				d.key("esc", "esc")
				checkTerminalSafe(t, d.view())
			})
		}
	}
}

// TestPasteKeepsControlCharacters: a paste into a prompt or a field keeps
// its control characters, written as escapes, where the text input would
// drop them without a word.
func TestPasteKeepsControlCharacters(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	d.key("l")
	inject(d, "unix:/tmp/a\x1bb")
	if got := d.m.prompt.input.Value(); got != `unix:/tmp/a\x1bb` {
		t.Errorf("prompt %q", got)
	}
	d.key("esc")
	d.m.setFocus(ui.PanelResolve, true)
	d.key("e")
	inject(d, "h\x00st")
	if got := d.m.res.host.Value(); got != `h\0st` {
		t.Errorf("host field %q", got)
	}
}
