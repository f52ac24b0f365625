package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"sockbench/safe"
	"sockbench/themes"
)

// Styles are the Lip Gloss styles of every part of the screen, built from
// a theme.
type Styles struct {
	Theme themes.Theme

	Text, Muted, Subtle, Accent, Bold lipgloss.Style
	Title, TitleFocused               lipgloss.Style
	Border, BorderFocused             lipgloss.Style
	Header, HeaderDim                 lipgloss.Style
	TabActive, TabInactive            lipgloss.Style
	Selected, SelectedBlurred         lipgloss.Style
	ColumnHeader                      lipgloss.Style
	FlagOn, FlagOff, KeyHint          lipgloss.Style

	OK, Warn, Error, Info lipgloss.Style
	Sent, Received        lipgloss.Style
	Match                 lipgloss.Style

	// Byte holds the colour of each byte category (safe.Category).
	Byte [6]lipgloss.Style

	Help  help.Styles
	Input textinput.Styles
}

// NewStyles builds the styles of theme t. A Mono theme has no colour at
// all: the selection is reverse video and titles are bold.
func NewStyles(t themes.Theme) *Styles {
	c := func(hex string) color.Color {
		if t.Mono || hex == "" {
			return nil
		}
		return lipgloss.Color(hex)
	}
	fg := func(hex string) lipgloss.Style {
		s := lipgloss.NewStyle()
		if col := c(hex); col != nil {
			s = s.Foreground(col)
		}
		return s
	}
	bg := func(s lipgloss.Style, hex string) lipgloss.Style {
		if col := c(hex); col != nil {
			s = s.Background(col)
		}
		return s
	}
	s := &Styles{Theme: t}
	s.Text = fg(t.Fg)
	s.Muted = fg(t.Muted)
	s.Subtle = fg(t.Subtle)
	s.Accent = fg(t.Accent)
	s.Bold = fg(t.Fg).Bold(true)
	s.Title = fg(t.Muted).Bold(true)
	s.TitleFocused = fg(t.BorderFocus).Bold(true)
	s.Border = fg(t.Border)
	s.BorderFocused = fg(t.BorderFocus)
	s.Header = bg(fg(t.HeaderFg), t.HeaderBg).Bold(true)
	s.HeaderDim = bg(fg(t.HeaderFg), t.HeaderBg)
	s.TabActive = bg(fg(t.SelectedFg), t.SelectedBg).Bold(true)
	s.TabInactive = fg(t.Muted)
	s.Selected = bg(fg(t.SelectedFg), t.SelectedBg)
	s.SelectedBlurred = fg(t.Fg)
	s.ColumnHeader = fg(t.Muted).Bold(true)
	s.FlagOn = fg(t.OK).Bold(true)
	s.FlagOff = fg(t.Subtle)
	s.KeyHint = fg(t.Accent)
	s.OK = fg(t.OK)
	s.Warn = fg(t.Warn)
	s.Error = fg(t.Error)
	s.Info = fg(t.Info)
	s.Sent = fg(t.Sent)
	s.Received = fg(t.Received)
	s.Match = bg(fg(t.Fg), t.MatchBg).Bold(true)
	if t.Mono {
		s.Header = s.Header.Reverse(true)
		s.HeaderDim = s.HeaderDim.Reverse(true)
		s.TabActive = s.TabActive.Reverse(true)
		s.Selected = s.Selected.Reverse(true)
		s.SelectedBlurred = s.SelectedBlurred.Underline(true)
		s.Match = s.Match.Reverse(true)
		s.Sent = s.Sent.Bold(true)
		s.TitleFocused = s.TitleFocused.Reverse(true)
	} else {
		s.SelectedBlurred = bg(fg(t.Fg), t.SelectedBg).Faint(true)
	}
	s.Byte[safe.Printable] = fg(t.Printable)
	s.Byte[safe.Space] = fg(t.Whitespace)
	s.Byte[safe.Null] = fg(t.Null)
	s.Byte[safe.Whitespace] = fg(t.Whitespace)
	s.Byte[safe.Control] = fg(t.Control)
	s.Byte[safe.High] = fg(t.High)

	s.Help = help.Styles{
		Ellipsis:       fg(t.Subtle),
		ShortKey:       fg(t.Accent),
		ShortDesc:      fg(t.Muted),
		ShortSeparator: fg(t.Subtle),
		FullKey:        fg(t.Accent),
		FullDesc:       fg(t.Muted),
		FullSeparator:  fg(t.Subtle),
	}

	in := textinput.DefaultStyles(t.Dark)
	in.Focused.Prompt = fg(t.Accent)
	in.Focused.Text = fg(t.Fg)
	in.Focused.Placeholder = fg(t.Subtle)
	in.Blurred.Prompt = fg(t.Muted)
	in.Blurred.Text = fg(t.Muted)
	in.Blurred.Placeholder = fg(t.Subtle)
	in.Cursor.Color = c(t.BorderFocus)
	in.Cursor.Blink = false
	in.Cursor.Shape = tea.CursorBlock
	if t.Mono {
		in.Cursor.Color = nil
	}
	s.Input = in
	return s
}
