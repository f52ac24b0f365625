// Package ui draws the workbench. It only renders what it is given: the
// model fills the view structs of this package with plain values and the
// rendered strings of its Bubbles components, and ui turns them into the
// screen. Nothing here touches a socket.
package ui

// Panel names a place the keyboard focus can be.
type Panel int

// Panels, in Tab order: the order of the full layout, left to right and
// top to bottom.
const (
	PanelResolve Panel = iota
	PanelAttempts
	PanelSockets
	PanelLab
	PanelHex
	PanelSend
	NumPanels
)

var panelNames = [...]string{"Resolve", "Attempts", "Sockets", "Lab", "Hex", "Send"}

func (p Panel) String() string {
	if p >= 0 && int(p) < len(panelNames) {
		return panelNames[p]
	}
	return "?"
}

// Rect is a region of the screen, in cells.
type Rect struct{ X, Y, W, H int }

// Contains reports whether the cell (x, y) is inside r.
func (r Rect) Contains(x, y int) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// Empty reports whether r has no cells.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Mode is how the screen is arranged.
type Mode int

// Layout modes.
const (
	// ModeFull shows every panel at once.
	ModeFull Mode = iota
	// ModeTabbed shows one panel at a time under a tab bar.
	ModeTabbed
	// ModeTooSmall shows only a message.
	ModeTooSmall
)

// Sizes of the layout.
const (
	MinWidth   = 80 // the hex view needs 79 columns
	MinHeight  = 20
	FullWidth  = 110
	FullHeight = 32
	sendHeight = 4 // border, input line, preview line, border
)

// Layout places every panel for a terminal size and the focused panel.
type Layout struct {
	Width, Height int
	Mode          Mode
	Header        Rect
	Tabs          Rect // the tab bar, in ModeTabbed
	Body          Rect // everything between the header (and tabs) and the status line
	Panels        [NumPanels]Rect
	Status        Rect
	Help          Rect
}

// Visible reports whether panel p is on screen.
func (l Layout) Visible(p Panel) bool { return !l.Panels[p].Empty() }

// Inner returns the rows available inside panel p's border.
func (l Layout) Inner(p Panel) Rect {
	r := l.Panels[p]
	if r.Empty() {
		return Rect{}
	}
	return Rect{X: r.X + 1, Y: r.Y + 1, W: max(0, r.W-2), H: max(0, r.H-2)}
}

// ComputeLayout arranges a width x height terminal. focus decides which
// panel is shown in the tabbed mode.
func ComputeLayout(width, height int, focus Panel) Layout {
	l := Layout{Width: width, Height: height}
	if width < MinWidth || height < MinHeight {
		l.Mode = ModeTooSmall
		return l
	}
	l.Header = Rect{0, 0, width, 1}
	l.Status = Rect{0, height - 2, width, 1}
	l.Help = Rect{0, height - 1, width, 1}
	if width >= FullWidth && height >= FullHeight {
		l.Mode = ModeFull
		l.Body = Rect{0, 1, width, height - 3}
		body := l.Body.H - sendHeight
		top := clamp(body*12/33, 10, 16)
		mid := clamp(body*9/33, 7, 12)
		hex := body - top - mid
		// Attempts need room for an address and an explanation; sockets
		// for two addresses.
		left := width * 42 / 100
		y := 1
		l.Panels[PanelResolve] = Rect{0, y, left, top}
		l.Panels[PanelAttempts] = Rect{left, y, width - left, top}
		y += top
		left = width * 65 / 100
		l.Panels[PanelSockets] = Rect{0, y, left, mid}
		l.Panels[PanelLab] = Rect{left, y, width - left, mid}
		y += mid
		l.Panels[PanelHex] = Rect{0, y, width, hex}
		y += hex
		l.Panels[PanelSend] = Rect{0, y, width, sendHeight}
		return l
	}
	l.Mode = ModeTabbed
	l.Tabs = Rect{0, 1, width, 1}
	l.Body = Rect{0, 2, width, height - 4}
	switch focus {
	case PanelHex, PanelSend:
		l.Panels[PanelHex] = Rect{0, 2, width, l.Body.H - sendHeight}
		l.Panels[PanelSend] = Rect{0, 2 + l.Body.H - sendHeight, width, sendHeight}
	default:
		if focus < 0 || focus >= NumPanels {
			focus = PanelResolve
		}
		l.Panels[focus] = l.Body
	}
	return l
}

// TabOf returns the panel whose tab is at column x of the tab bar, for
// mouse clicks, and false when there is none.
func (l Layout) TabOf(x int) (Panel, bool) {
	pos := 0
	for p := Panel(0); p < PanelSend; p++ {
		w := len(tabLabel(p)) + 2
		if x >= pos && x < pos+w {
			return p, true
		}
		pos += w + 1
	}
	return 0, false
}

func tabLabel(p Panel) string { return p.String() }

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// ListGeometry says where a panel's list rows are inside its border:
// Top lines above them, Bottom lines below.
type ListGeometry struct{ Top, Bottom int }

// Rows is the number of list rows in a panel whose inside is h lines tall.
func (g ListGeometry) Rows(h int) int { return max(1, h-g.Top-g.Bottom) }

// The lists of the lab, resolve and sockets panels.
var (
	LabList     = ListGeometry{Top: 1, Bottom: 1} // column header; the selected service's help line
	ResolveList = ListGeometry{Top: 5}            // inputs, two hint lines, summary, column header
	SocketsList = ListGeometry{Top: 1}            // column header
)

// OptionsListHeight is the number of option rows an options view h
// lines tall shows.
func OptionsListHeight(h int) int { return max(1, h-2-3) }

// SyscallsHeight is the number of calls a syscall log h lines tall shows.
func SyscallsHeight(h int) int { return max(1, h-2) }

// VisibleOffset returns the first row of a window of h rows over n that
// starts near off and shows row sel.
func VisibleOffset(sel, off, h, n int) int { return visibleOffset(sel, off, h, n) }
