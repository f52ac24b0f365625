package model

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/ui"
)

// KeyMap holds every key binding of the workbench.
type KeyMap struct {
	// Everywhere.
	NextPanel, PrevPanel, Help, Quit, ForceQuit, Theme, Cancel key.Binding
	// Lists and scrolling.
	Up, Down, PageUp, PageDown, Home, End key.Binding

	// Lab.
	UseService key.Binding

	// Resolve.
	Resolve, Edit, Family, SockType           key.Binding
	Canon, AddrConfig, V4Mapped, All, Passive key.Binding
	Connect, Mode, Timeout                    key.Binding

	// Attempts.
	AttemptLog key.Binding

	// Sockets.
	Listen, UDP, Pair, ShutRead, ShutWrite, Close, Options, Syscalls, ToSend key.Binding

	// Hex view.
	Filter, Search, NextMatch, PrevMatch, Export key.Binding

	// Send line.
	Send, HistPrev, HistNext, SendMode, Ending, Leave key.Binding

	// Options view.
	Toggle, SetValue key.Binding
}

// DefaultKeyMap returns the workbench's keys.
func DefaultKeyMap() KeyMap {
	b := func(keys []string, helpKey, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc))
	}
	k := func(s ...string) []string { return s }
	return KeyMap{
		NextPanel: b(k("tab"), "tab", "next panel"),
		PrevPanel: b(k("shift+tab"), "shift+tab", "previous panel"),
		Help:      b(k("?"), "?", "help"),
		Quit:      b(k("q"), "q", "quit"),
		ForceQuit: b(k("ctrl+c"), "ctrl+c", "quit"),
		Theme:     b(k("T"), "T", "theme"),
		Cancel:    b(k("esc"), "esc", "cancel / back"),

		Up:       b(k("up", "k"), "↑/k", "up"),
		Down:     b(k("down", "j"), "↓/j", "down"),
		PageUp:   b(k("pgup", "ctrl+b"), "pgup", "page up"),
		PageDown: b(k("pgdown", "ctrl+f"), "pgdn", "page down"),
		Home:     b(k("home", "g"), "home/g", "top"),
		End:      b(k("end", "G"), "end/G", "bottom (follow)"),

		UseService: b(k("enter"), "enter", "use as target"),

		Resolve:    b(k("enter"), "enter", "resolve"),
		Edit:       b(k("e", "i"), "e", "edit host/service"),
		Family:     b(k("f"), "f", "family"),
		SockType:   b(k("y"), "y", "socket type"),
		Canon:      b(k("1"), "1", "canonname"),
		AddrConfig: b(k("2"), "2", "addrconfig"),
		V4Mapped:   b(k("3"), "3", "v4mapped"),
		All:        b(k("4"), "4", "all"),
		Passive:    b(k("5"), "5", "passive"),
		Connect:    b(k("c"), "c", "connect"),
		Mode:       b(k("m"), "m", "sequential/race"),
		Timeout:    b(k("t"), "t", "timeout"),

		AttemptLog: b(k("s"), "s", "attempt syscalls"),

		Listen:    b(k("l"), "l", "listen"),
		UDP:       b(k("u"), "u", "UDP socket"),
		Pair:      b(k("p"), "p", "socketpair"),
		ShutRead:  b(k("r"), "r", "shutdown read"),
		ShutWrite: b(k("w"), "w", "shutdown write"),
		Close:     b(k("x"), "x", "close (again: remove)"),
		Options:   b(k("o"), "o", "options"),
		Syscalls:  b(k("s"), "s", "syscall log"),
		ToSend:    b(k("enter", "i"), "enter", "type to send"),

		Filter:    b(k("f"), "f", "filter all/sent/received"),
		Search:    b(k("/"), "/", "search"),
		NextMatch: b(k("n"), "n", "next match"),
		PrevMatch: b(k("N"), "N", "previous match"),
		Export:    b(k("e"), "e", "export"),

		Send:     b(k("enter"), "enter", "send"),
		HistPrev: b(k("up"), "↑", "older"),
		HistNext: b(k("down"), "↓", "newer"),
		SendMode: b(k("ctrl+t"), "ctrl+t", "text/hex"),
		Ending:   b(k("ctrl+l"), "ctrl+l", "line ending"),
		Leave:    b(k("esc"), "esc", "leave send line"),

		Toggle:   b(k("space"), "space", "toggle"),
		SetValue: b(k("enter"), "enter", "edit value"),
	}
}

// scroll applies the scrolling keys to a view that page rows tall: by
// moves it, home goes to the top and end follows the tail. It reports
// whether msg was one of them.
func (k KeyMap) scroll(msg tea.KeyPressMsg, page int, by func(int), home, end func()) bool {
	switch {
	case key.Matches(msg, k.Up):
		by(-1)
	case key.Matches(msg, k.Down):
		by(1)
	case key.Matches(msg, k.PageUp):
		by(-page)
	case key.Matches(msg, k.PageDown):
		by(page)
	case key.Matches(msg, k.Home):
		home()
	case key.Matches(msg, k.End):
		end()
	default:
		return false
	}
	return true
}

// contextKeys is the help of one context: a short line and full columns.
type contextKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (c contextKeys) ShortHelp() []key.Binding  { return c.short }
func (c contextKeys) FullHelp() [][]key.Binding { return c.full }

// helpFor returns the keys worth showing for the focused panel.
func (k KeyMap) helpFor(focus ui.Panel, overlay overlayKind, editing bool) contextKeys {
	global := []key.Binding{k.NextPanel, k.PrevPanel, k.Help, k.Theme, k.Cancel, k.Quit}
	nav := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
	switch overlay {
	case overlayOptions:
		return contextKeys{
			short: []key.Binding{k.Up, k.Down, k.Toggle, k.SetValue, k.Cancel},
			full:  [][]key.Binding{{k.Toggle, k.SetValue, k.Cancel}, nav},
		}
	case overlaySyscalls:
		return contextKeys{
			short: []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.End, k.Cancel},
			full:  [][]key.Binding{nav, {k.Cancel}},
		}
	}
	if editing && focus == ui.PanelResolve {
		return contextKeys{
			short: []key.Binding{k.Resolve, key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "host/service")), k.Cancel},
			full:  [][]key.Binding{{k.Resolve, k.Cancel}},
		}
	}
	var short []key.Binding
	var panel []key.Binding
	switch focus {
	case ui.PanelLab:
		connect := key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "use and connect"))
		panel = []key.Binding{k.UseService, connect, k.Up, k.Down}
		short = []key.Binding{k.UseService, connect, k.Up, k.Down}
	case ui.PanelResolve:
		panel = []key.Binding{k.Resolve, k.Edit, k.Family, k.SockType, k.Canon, k.AddrConfig, k.V4Mapped, k.All, k.Passive, k.Connect, k.Mode, k.Timeout}
		short = []key.Binding{k.Edit, k.Resolve, k.Family, k.SockType, k.Connect, k.Mode, k.Timeout}
	case ui.PanelAttempts:
		panel = []key.Binding{k.Connect, k.Mode, k.Timeout, k.AttemptLog, k.Up, k.Down}
		short = []key.Binding{k.Connect, k.Mode, k.Timeout, k.AttemptLog}
	case ui.PanelSockets:
		panel = []key.Binding{k.ToSend, k.Listen, k.UDP, k.Pair, k.ShutRead, k.ShutWrite, k.Close, k.Options, k.Syscalls}
		short = []key.Binding{k.ToSend, k.Listen, k.UDP, k.Pair, k.ShutRead, k.ShutWrite, k.Close, k.Options, k.Syscalls}
	case ui.PanelHex:
		panel = []key.Binding{k.ToSend, k.Filter, k.Search, k.NextMatch, k.PrevMatch, k.Export}
		short = []key.Binding{k.Up, k.Down, k.End, k.Filter, k.Search, k.NextMatch, k.Export, k.ToSend}
	case ui.PanelSend:
		panel = []key.Binding{k.Send, k.HistPrev, k.HistNext, k.SendMode, k.Ending, k.Leave}
		short = []key.Binding{k.Send, k.SendMode, k.Ending, k.HistPrev, k.HistNext, k.Leave}
	}
	quit := k.Quit
	if focus == ui.PanelSend {
		// q is text on the send line.
		quit = k.ForceQuit
		global = []key.Binding{k.NextPanel, k.PrevPanel, k.ForceQuit}
	}
	short = append(short, k.NextPanel, k.Help, quit)
	if focus == ui.PanelSend {
		short = append(short[:len(short)-2], quit)
	}
	full := [][]key.Binding{panel, global}
	if focus != ui.PanelSend {
		full = append(full, nav)
	}
	return contextKeys{short: short, full: full}
}
