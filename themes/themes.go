// Package themes holds the workbench's colour themes. Every colour is a hex
// string, so screenshots and terminals of any profile show the same hues
// (Bubble Tea downsamples them to what the terminal can show).
package themes

import (
	"fmt"
	"os"
	"strings"
)

// Theme is a named set of colours. Mono means no colour at all: the styles
// built from it use only bold, faint and reverse video.
type Theme struct {
	Name string
	Dark bool // drawn for a dark background
	Mono bool // no colour at all (NO_COLOR)

	Fg          string // ordinary text
	Muted       string // secondary text, explanations
	Subtle      string // rules, placeholders, closed rows
	Accent      string // titles, keys in the help bar
	Border      string // panel borders
	BorderFocus string // the focused panel's border
	SelectedFg  string // the selected row
	SelectedBg  string
	HeaderFg    string // the header bar
	HeaderBg    string
	MatchBg     string // a search match

	OK    string // connected, success
	Warn  string // timeout, cancelled, dropped bytes
	Error string // refused, errors
	Info  string // in progress

	Sent     string // the sent direction in the hex view
	Received string // the received direction

	// Byte categories in the hex view, as hexyl colours them.
	Null       string
	Printable  string
	Whitespace string
	Control    string
	High       string
}

// Default is the theme used when none is named.
const Default = "dark"

var all = []Theme{
	{
		Name: "dark", Dark: true,
		Fg: "#D8DEE9", Muted: "#8F9BB3", Subtle: "#5C6370", Accent: "#C792EA",
		Border: "#4C566A", BorderFocus: "#88C0D0",
		SelectedFg: "#ECEFF4", SelectedBg: "#3B4252",
		HeaderFg: "#ECEFF4", HeaderBg: "#5E3E8C", MatchBg: "#7A5C00",
		OK: "#A3D977", Warn: "#EBCB8B", Error: "#F07178", Info: "#82AAFF",
		Sent: "#F5A97F", Received: "#7DCFFF",
		Null: "#6C7086", Printable: "#7DCFFF", Whitespace: "#A3D977", Control: "#E27BD8", High: "#EBCB8B",
	},
	{
		Name: "light", Dark: false,
		Fg: "#2E3440", Muted: "#5B6478", Subtle: "#9AA2B1", Accent: "#7C3AED",
		Border: "#B8BFCC", BorderFocus: "#1F6FEB",
		SelectedFg: "#1B1F24", SelectedBg: "#DCE6F5",
		HeaderFg: "#FFFFFF", HeaderBg: "#6D28D9", MatchBg: "#FFE08A",
		OK: "#2E7D32", Warn: "#A15C00", Error: "#C62828", Info: "#1F6FEB",
		Sent: "#B45309", Received: "#0E7490",
		Null: "#9AA2B1", Printable: "#0E7490", Whitespace: "#2E7D32", Control: "#A21CAF", High: "#A15C00",
	},
	{
		Name: "high-contrast", Dark: true,
		Fg: "#FFFFFF", Muted: "#E0E0E0", Subtle: "#BDBDBD", Accent: "#FFFF00",
		Border: "#FFFFFF", BorderFocus: "#FFFF00",
		SelectedFg: "#000000", SelectedBg: "#FFFF00",
		HeaderFg: "#000000", HeaderBg: "#00FFFF", MatchBg: "#FF00FF",
		OK: "#00FF00", Warn: "#FFFF00", Error: "#FF5555", Info: "#00FFFF",
		Sent: "#FFAF00", Received: "#00FFFF",
		Null: "#BDBDBD", Printable: "#00FFFF", Whitespace: "#00FF00", Control: "#FF00FF", High: "#FFFF00",
	},
}

// Mono is the theme for NO_COLOR: every colour empty.
var Mono = Theme{Name: "mono", Dark: true, Mono: true}

// Names lists the themes that can be chosen, in cycling order.
func Names() []string {
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	return names
}

// Get returns the theme called name.
func Get(name string) (Theme, bool) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "mono" || key == "none" {
		return Mono, true
	}
	for _, t := range all {
		if t.Name == key {
			return t, true
		}
	}
	return Theme{}, false
}

// MustGet is Get for names known to exist; an unknown name gives Default.
func MustGet(name string) Theme {
	if t, ok := Get(name); ok {
		return t
	}
	t, _ := Get(Default)
	return t
}

// Lookup is Get with an error that lists the choices.
func Lookup(name string) (Theme, error) {
	if t, ok := Get(name); ok {
		return t, nil
	}
	return Theme{}, fmt.Errorf("unknown theme %q (one of %s)", name, strings.Join(Names(), ", "))
}

// Next returns the theme after name in cycling order (the first after the
// last, or after an unknown name).
func Next(name string) Theme {
	for i, t := range all {
		if t.Name == name {
			return all[(i+1)%len(all)]
		}
	}
	return all[0]
}

// NoColor reports whether the environment asks for no colour: NO_COLOR set
// to anything non-empty (https://no-color.org).
func NoColor() bool { return os.Getenv("NO_COLOR") != "" }
