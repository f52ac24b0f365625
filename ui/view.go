package ui

import (
	"time"

	"charm.land/bubbles/v2/help"

	"sockbench/capture"
	"sockbench/netcore"
)

// Level is how a status message is coloured.
type Level int

// Status levels.
const (
	LevelInfo Level = iota
	LevelOK
	LevelWarn
	LevelError
)

// Screen is everything one frame shows. The model fills it; Render draws
// it.
type Screen struct {
	Styles *Styles
	Layout Layout
	Focus  Panel

	Header HeaderView
	// Panels holds each visible panel as its component drew it, to fit
	// its Layout.Panels rectangle.
	Panels [NumPanels]string
	Status StatusView

	// Keys are the bindings of the current context, for the help bar.
	Keys help.KeyMap
	// Overlay, when not empty, covers the body (options, syscall log,
	// help), drawn to fit Layout.Body.
	Overlay string
}

// HeaderView is the top line.
type HeaderView struct {
	Sockets, Open, Listeners int
	Rx, Tx                   int64
	LabServices              int
	LabOff                   bool
	Theme                    string
}

// LabRow is one lab service.
type LabRow struct {
	Name, Kind, Network, Addr, Help string
}

// LabView lists the lab services.
type LabView struct {
	Rows             []LabRow
	Selected, Offset int
	Note             string // why there are none (disabled, failed, starting)
}

// ResolveRow is one getaddrinfo row.
type ResolveRow struct {
	Family, Type, Proto, Addr string
}

// FlagView is one getaddrinfo flag toggle.
type FlagView struct {
	Key, Name string
	On        bool
}

// ResolveView is the resolve panel.
type ResolveView struct {
	Host, Service    string // rendered text inputs
	Family, SockType string
	Flags            []FlagView
	Busy             bool
	Spinner          string
	Elapsed          time.Duration
	Query            string // what the rows answer, "host:service"
	Took             time.Duration
	Err              string // the failure in words, with its EAI_ code
	Canon            string // the canonical name, when asked for
	Rows             []ResolveRow
	Selected, Offset int
}

// AttemptRow is one connection attempt.
type AttemptRow struct {
	Index  int
	Addr   string
	Result netcore.Result
	// Pending is a row the dialer has not started (yet); Skipped one it
	// never will, because an earlier address connected or a fatal error
	// ended the walk. Result means nothing for either.
	Pending, Skipped bool
	Errno            string
	Explain          string
	Elapsed          time.Duration
	Local            string
	// Wire is the attempt's packets in a line ("▶ SYN  ◀ RST ACK"), when
	// they were captured.
	Wire string
}

// AttemptsView is the attempts panel.
type AttemptsView struct {
	Mode, Timeout    string
	Busy             bool
	Spinner          string
	Rows             []AttemptRow
	Selected, Offset int
	Summary          string
	SummaryLevel     Level
	// Packets says whether the next connect captures its packets; NoPackets
	// why the last one's capture could not run.
	Packets   bool
	NoPackets string
	// TLS says whether the next connect starts TLS once connected.
	TLS bool
}

// SocketRow is one open (or closed) socket.
type SocketRow struct {
	ID          int
	Kind        string // tcp, tcp6, udp, udp6, unix, pair, listen...
	Local, Peer string
	State       string
	ReadOpen    bool
	WriteOpen   bool
	Rx, Tx      int64
	Closed      bool
	Listener    bool
	Child       bool // accepted by a listener in the list
	Dropped     bool // the capture dropped bytes
	Paused      bool // reading is paused
	// Unverified marks a TLS connection whose peer was not verified (the
	// user turned verification off): its kind is shown as a warning.
	Unverified bool
}

// SocketsView is the sockets panel.
type SocketsView struct {
	Rows             []SocketRow
	Selected, Offset int
}

// HexView is the hex view of the selected socket.
type HexView struct {
	Socket    string // "#3 tcp 127.0.0.1:5 → 127.0.0.1:7", "" when none
	Filter    capture.Filter
	Rows      []capture.Row // the visible rows only
	Top       int           // the row index of Rows[0]
	Total     int           // rows under the filter
	Following bool
	Stats     capture.Stats
	Limit     int64
	RowBytes  int            // bytes a row holds
	Match     []capture.Span // the bytes the search matched, to highlight
	Matched   bool           // the search found something
	Search    string
	Paused    string // why reading is paused, when it is
}

// SendView is the send line.
type SendView struct {
	Input        string // the rendered text input
	Dest         string // the rendered destination input
	ShowDest     bool
	Mode, Ending string
	Preview      []byte
	HasPreview   bool
	Empty        bool // nothing typed yet
	Err          string
	Disabled     string // why nothing can be sent now
	Focused      bool
	DestFocused  bool
	// Placeholders says the preview has placeholders expanded as they
	// would be now ({n}, {time}, random bytes differ at the send).
	Placeholders bool
	// Job is what runs from the send line (a snippet, a repetition with
	// its count); Recording, when set, the snippet being recorded.
	Job, Recording string
}

// StatusView is the status line: a message, or a prompt.
type StatusView struct {
	Text   string
	Level  Level
	Busy   string // a spinner and what runs, on the right
	Prompt string // the rendered prompt input, when one is open
	Label  string // the prompt's question
	// PromptErr says why the prompt's last answer was refused; it shows
	// under the prompt, in place of the keys, until the next answer.
	PromptErr string
}

// OptionRow is one socket option.
type OptionRow struct {
	Name, Level, Type, Value, Help string
	Writable                       bool
	Available                      bool
	Bool                           bool
	Err                            string
}

// OptionsView is the options overlay.
type OptionsView struct {
	Rows             []OptionRow
	Selected, Offset int
	Editing          bool
	Input            string // the rendered editor
	Err              string
	Busy             bool
}

// SyscallRow is one traced system call.
type SyscallRow struct {
	Time      time.Time
	Text      string // "connect(5, 127.0.0.1:7) = -1 ECONNREFUSED (...)"
	Failed    bool
	WouldWait bool // EAGAIN, EINPROGRESS: the call would have waited, as expected on a non-blocking socket
	Duration  time.Duration
}

// SyscallsView is the syscall log overlay.
type SyscallsView struct {
	Rows    []SyscallRow // the visible rows only
	Top     int
	Total   int
	Dropped int64
	Hidden  int64 // TCP_INFO reads of the state column, not shown
	Follow  bool
}
