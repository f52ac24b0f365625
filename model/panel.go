package model

import (
	tea "charm.land/bubbletea/v2"

	"sockbench/netcore"
	"sockbench/ui"
)

// panel is one component of the screen. The root model owns the focus,
// the layout and the routing; a panel owns its state, and acts on other
// panels only by sending messages (see the messages below).
type panel interface {
	// HandleKey handles a key while the panel has the focus and reports
	// whether it took it.
	HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool)
	// Update handles every other message: the engine's events, results of
	// commands, requests from other panels, paste, and the scroll and
	// click messages for its area. Messages for others are ignored.
	Update(msg tea.Msg) tea.Cmd
	// View draws the panel, border included, in w x h cells.
	View(w, h int, focused bool) string
	// SetSize gives the panel the size of its inside (no border).
	SetSize(w, h int)
	// Focus and Blur tell the panel it gained or lost the focus.
	Focus() tea.Cmd
	Blur()
	// Typing reports whether keys are text for the panel now: then it sees
	// every key first, and only keys it declines are global.
	Typing() bool
	// Help is the panel's keys, for the help bar and the full help.
	Help() contextKeys
	// Restyle applies a new theme to the panel's Bubbles components.
	Restyle()
}

// basePanel gives a panel the methods most panels need nothing for.
type basePanel struct{}

func (basePanel) SetSize(int, int) {}
func (basePanel) Focus() tea.Cmd   { return nil }
func (basePanel) Blur()            {}
func (basePanel) Typing() bool     { return false }
func (basePanel) Restyle()         {}

// busy is a panel or overlay that can be running something (resolving,
// connecting, reading options): the spinner turns and esc cancels it.
type busy interface {
	Busy() bool
	// Running names what runs, for the status line ("resolving").
	Running() string
}

// Messages by which components ask each other to act. They go through
// Bubble Tea like any message; the root delivers each to every panel.
type (
	// focusMsg asks the root to move the focus; unlessTyping leaves it
	// where it is while the user types in a field.
	focusMsg struct {
		panel        ui.Panel
		unlessTyping bool
	}
	// useTargetMsg asks the resolve panel to take a target and resolve it,
	// then connect when connect is set.
	useTargetMsg struct {
		host, service string
		family        netcore.Family
		sockType      netcore.SockType
		connect       bool
		note          string // the status line while it resolves
		// fromLab is set for a lab service; tls then says whether it
		// speaks TLS from its first byte, for the next connect.
		fromLab, tls bool
	}
	// connectRequestMsg asks the resolve panel for its rows, to connect.
	connectRequestMsg struct{}
	// connectRowsMsg asks the attempts panel to connect over rows.
	// host is the host name typed, for TLS to verify ("" for UNIX).
	connectRowsMsg struct {
		rows []netcore.AddrInfo
		host string
	}
	// toggleModeMsg, timeoutPromptMsg and togglePacketsMsg ask the attempts
	// panel to switch between sequential and race mode, to ask for its
	// timeout, and to turn packet capture on or off for the next connect.
	toggleModeMsg    struct{}
	timeoutPromptMsg struct{}
	togglePacketsMsg struct{}
	// toggleTLSMsg turns TLS after the next connect on or off.
	toggleTLSMsg struct{}
	// cancelMsg asks whatever runs to stop (esc).
	cancelMsg struct{}
	// promptMsg opens a question in the status line.
	promptMsg struct{ p *prompt }
	// overlayMsg opens an overlay over the panels; closeOverlayMsg closes it.
	overlayMsg      struct{ o overlay }
	closeOverlayMsg struct{}
	// leaveSendMsg asks the root to leave the send line: cancel what runs,
	// or go back to the hex view.
	leaveSendMsg struct{}
	// scrollMsg scrolls the panel under the mouse wheel by rows.
	scrollMsg struct{ rows int }
	// clickMsg is a left click at a cell inside the panel's border.
	clickMsg struct{ x, y int }
)

// overlay covers the panels: the options of a socket, a syscall log, the
// full help. It has every key while it is open.
type overlay interface {
	// Typing reports whether keys are text for the overlay now (q is not
	// quit).
	Typing() bool
	HandleKey(msg tea.KeyPressMsg) tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	View(w, h int) string
	SetSize(w, h int)
	Help() contextKeys
}
