package model

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap holds every key binding of the workbench, one group per
// component. It is the only source of keys: handlers match these
// bindings, and the help is made from them.
type KeyMap struct {
	Global   GlobalKeys
	List     ListKeys
	Lab      LabKeys
	Resolve  ResolveKeys
	Connect  ConnectKeys
	Attempts AttemptsKeys
	Sockets  SocketsKeys
	Hex      HexKeys
	Send     SendKeys
	Options  OptionsKeys
	Prompt   PromptKeys
	Picker   PickerKeys
}

// GlobalKeys work in every panel (on the send line and in the resolve
// fields, where keys are text, only those that cannot be text).
type GlobalKeys struct {
	NextPanel, PrevPanel, Help, HelpAnywhere, Quit, ForceQuit, Theme, Cancel key.Binding
}

// ListKeys move a selection or scroll a view.
type ListKeys struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
}

// LabKeys are the lab panel's.
type LabKeys struct {
	Use, UseAndConnect key.Binding
}

// ResolveKeys are the resolve panel's; Submit, SwitchField and StopEditing
// apply while a field is being edited.
type ResolveKeys struct {
	Resolve, Edit, Family, SockType           key.Binding
	Canon, AddrConfig, V4Mapped, All, Passive key.Binding
	Submit, SwitchField, StopEditing          key.Binding
}

// ConnectKeys start a connect and set how it runs; the resolve and the
// attempts panels both have them.
type ConnectKeys struct {
	Connect, Mode, Timeout, Packets, TLS key.Binding
}

// AttemptsKeys are the attempts panel's own.
type AttemptsKeys struct {
	Syscalls key.Binding
}

// SocketsKeys are the sockets panel's.
type SocketsKeys struct {
	ToSend, Listen, UDP, Pair, ShutRead, ShutWrite, Close, Options, Syscalls, Pause, Capture key.Binding
	StartTLS, Handshake, Rules, Reset                                                        key.Binding
	// The relay's: open one, step its intercept, and decide on a held chunk.
	Relay, Intercept, Forward, EditHeld, DropHeld key.Binding
}

// HexKeys are the traffic view's (hex, text or wire).
type HexKeys struct {
	ToSend, View, Width, Filter, Search, NextMatch, PrevMatch, Export, Pause, Capture, Handshake key.Binding
}

// SendKeys are the send line's. Clear is also the text input's own
// "delete to the start" key.
type SendKeys struct {
	Send, HistPrev, HistNext, Mode, Ending, Leave, ToDest, FromDest, Clear, Reply key.Binding
	// Snippets, Record, AddWait and Replay work with snippets; Repeat
	// sends the line again and again.
	Snippets, Record, AddWait, Replay, Repeat key.Binding
}

// OptionsKeys are the options view's; Submit and Cancel apply while a
// value is being edited.
type OptionsKeys struct {
	Toggle, Edit, Close, Submit, Cancel key.Binding
}

// PickerKeys are the snippet picker's (its list moves with the List keys).
type PickerKeys struct {
	Run, Filter key.Binding
}

// PromptKeys answer a question in the status line: a line of text, or one
// of the export choices.
type PromptKeys struct {
	Submit, Cancel                  key.Binding
	Received, SentBytes, Transcript key.Binding
	Pcapng                          key.Binding
	Yes, No                         key.Binding
}

func bind(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// DefaultKeyMap returns the workbench's keys.
func DefaultKeyMap() *KeyMap {
	return &KeyMap{
		Global: GlobalKeys{
			NextPanel: bind("tab", "next panel", "tab"),
			PrevPanel: bind("shift+tab", "previous panel", "shift+tab"),
			Help:      bind("?", "help", "?"),
			// F1 is help even where keys are text (the send line, the
			// resolve fields); ? is help there only on an empty line.
			HelpAnywhere: bind("f1", "help (anywhere)", "f1"),
			Quit:         bind("q", "quit", "q"),
			ForceQuit:    bind("ctrl+c", "quit", "ctrl+c"),
			Theme:        bind("T", "theme", "T"),
			Cancel:       bind("esc", "cancel / back", "esc"),
		},
		List: ListKeys{
			Up:       bind("↑/k", "up", "up", "k"),
			Down:     bind("↓/j", "down", "down", "j"),
			PageUp:   bind("pgup", "page up", "pgup", "ctrl+b"),
			PageDown: bind("pgdn", "page down", "pgdown", "ctrl+f"),
			Home:     bind("home/g", "top", "home", "g"),
			End:      bind("end/G", "bottom (follow)", "end", "G"),
		},
		Lab: LabKeys{
			Use:           bind("enter", "use as target", "enter"),
			UseAndConnect: bind("c", "use and connect", "c"),
		},
		Resolve: ResolveKeys{
			Resolve:     bind("enter", "resolve", "enter"),
			Edit:        bind("e", "edit host/service", "e", "i"),
			Family:      bind("f", "family", "f"),
			SockType:    bind("y", "socket type", "y"),
			Canon:       bind("1", "canonname", "1"),
			AddrConfig:  bind("2", "addrconfig", "2"),
			V4Mapped:    bind("3", "v4mapped", "3"),
			All:         bind("4", "all", "4"),
			Passive:     bind("5", "passive", "5"),
			Submit:      bind("enter", "resolve", "enter"),
			SwitchField: bind("tab", "host/service", "tab", "shift+tab"),
			StopEditing: bind("esc", "stop editing", "esc"),
		},
		Connect: ConnectKeys{
			Connect: bind("c", "connect", "c"),
			Mode:    bind("m", "sequential/race", "m"),
			Timeout: bind("t", "timeout", "t"),
			Packets: bind("W", "capture packets on/off", "W"),
			TLS:     bind("L", "TLS after connect on/off", "L"),
		},
		Attempts: AttemptsKeys{
			Syscalls: bind("s", "attempt syscalls", "s"),
		},
		Sockets: SocketsKeys{
			ToSend:    bind("enter", "type to send", "enter", "i"),
			Listen:    bind("l", "listen", "l"),
			UDP:       bind("u", "UDP socket", "u"),
			Pair:      bind("p", "socketpair", "p"),
			ShutRead:  bind("r", "shutdown read", "r"),
			ShutWrite: bind("w", "shutdown write", "w"),
			Close:     bind("x", "close (again: remove)", "x"),
			Options:   bind("o", "options", "o"),
			Syscalls:  bind("s", "syscall log", "s"),
			Pause:     bind("space", "pause/resume reading", "space"),
			Capture:   bind("W", "capture packets", "W"),
			StartTLS:  bind("t", "start TLS (STARTTLS)", "t"),
			Handshake: bind("H", "TLS handshake", "H"),
			Rules:     bind("a", "auto-reply rule (listener)", "a"),
			Reset:     bind("X", "reset (RST)", "X"),
			Relay:     bind("R", "relay LISTEN -> UPSTREAM", "R"),
			Intercept: bind("I", "relay intercept", "I"),
			Forward:   bind("F", "forward held chunk", "F"),
			EditHeld:  bind("E", "edit held chunk", "E"),
			DropHeld:  bind("D", "drop held chunk", "D"),
		},
		Hex: HexKeys{
			ToSend:    bind("enter", "type to send", "enter", "i"),
			View:      bind("v", "hex/text/wire", "v"),
			Capture:   bind("W", "capture packets", "W"),
			Handshake: bind("H", "TLS handshake", "H"),
			Width:     bind("w", "bytes a row", "w"),
			Pause:     bind("space", "pause/resume reading", "space"),
			Filter:    bind("f", "filter all/sent/received", "f"),
			Search:    bind("/", "search", "/"),
			NextMatch: bind("n", "next match", "n"),
			PrevMatch: bind("N", "previous match", "N"),
			Export:    bind("e", "export", "e"),
		},
		Send: SendKeys{
			Send:     bind("enter", "send", "enter"),
			HistPrev: bind("↑", "older", "up"),
			HistNext: bind("↓", "newer", "down"),
			Mode:     bind("ctrl+t", "text/hex", "ctrl+t"),
			Ending:   bind("ctrl+l", "line ending", "ctrl+l"),
			Leave:    bind("esc", "leave send line", "esc"),
			ToDest:   bind("shift+tab", "destination (UDP)", "shift+tab"),
			FromDest: bind("enter/tab", "back to the data", "enter", "tab"),
			Clear:    bind("ctrl+u", "clear to start", "ctrl+u"),
			Reply:    bind("ctrl+r", "reply to the last sender (UDP)", "ctrl+r"),
			Snippets: bind("ctrl+o", "snippets", "ctrl+o"),
			Record:   bind("ctrl+x", "record a snippet / save it", "ctrl+x"),
			AddWait:  bind("ctrl+g", "add a wait (recording)", "ctrl+g"),
			Replay:   bind("f5", "run the last snippet again", "f5"),
			Repeat:   bind("ctrl+y", "repeat the line", "ctrl+y"),
		},
		Picker: PickerKeys{
			Run:    bind("enter", "run on the selected socket", "enter"),
			Filter: bind("/", "filter", "/"),
		},
		Options: OptionsKeys{
			Toggle: bind("space", "toggle", "space"),
			Edit:   bind("enter", "edit value", "enter"),
			Close:  bind("esc/o", "close", "esc", "o"),
			Submit: bind("enter", "set", "enter"),
			Cancel: bind("esc", "cancel edit", "esc"),
		},
		Prompt: PromptKeys{
			Submit:     bind("enter", "answer", "enter"),
			Cancel:     bind("esc", "cancel", "esc"),
			Received:   bind("r", "received bytes", "r"),
			SentBytes:  bind("s", "sent bytes", "s"),
			Transcript: bind("t", "transcript", "t"),
			Pcapng:     bind("p", "packets (pcapng)", "p"),
			Yes:        bind("y", "yes", "y"),
			No:         bind("n", "no", "n"),
		},
	}
}

// nav is the list keys as help shows them.
func (k ListKeys) nav() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

// move applies a list key to a selection in a list of n rows, page rows
// tall; it reports whether msg was one.
func (k ListKeys) move(msg tea.KeyPressMsg, sel *int, n, page int) bool {
	page = max(1, page)
	switch {
	case key.Matches(msg, k.Up):
		*sel--
	case key.Matches(msg, k.Down):
		*sel++
	case key.Matches(msg, k.PageUp):
		*sel -= page
	case key.Matches(msg, k.PageDown):
		*sel += page
	case key.Matches(msg, k.Home):
		*sel = 0
	case key.Matches(msg, k.End):
		*sel = n - 1
	default:
		return false
	}
	*sel = max(0, min(*sel, n-1))
	return true
}

// scroll applies the list keys to a view that scrolls page rows at a
// time: by moves it, home goes to the top and end follows the tail. It
// reports whether msg was one of them.
func (k ListKeys) scroll(msg tea.KeyPressMsg, page int, by func(int), home, end func()) bool {
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

// contextKeys is the help of one context: a short line and full groups.
type contextKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (c contextKeys) ShortHelp() []key.Binding  { return c.short }
func (c contextKeys) FullHelp() [][]key.Binding { return c.full }
