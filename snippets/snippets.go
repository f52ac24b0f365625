// Package snippets keeps named payloads in a plain file that people edit
// by hand, and runs them: a snippet is a sequence of steps (send, wait for
// a pattern, sleep) so that a whole handshake is one key.
//
// # The file
//
// The file is UTF-8 text, by default os.UserConfigDir()/sockbench/snippets
// (DefaultPath). Each snippet is a block: a line "[name]", then one step a
// line. Lines whose first non-blank character is # are comments; blank
// lines are ignored. For example:
//
//	# a fake mail client
//	[smtp-hello]
//	send EHLO x\r\n
//	wait 250
//	send QUIT\r\n
//
//	[ping]
//	send-hex 01 00 {len16be} {rand:4}
//	timeout 2s
//	wait-hex 02
//
// The steps:
//
//	send TEXT          send text with the escapes \r \n \t \0 \\ \xNN \{
//	send-hex HEX       send hex bytes ("48 65", "0x48,0x65")
//	wait TEXT          wait until the received bytes hold TEXT
//	wait-hex HEX       the same, for bytes written in hex
//	wait-regex RE      the same, for a regular expression (Go's RE2)
//	timeout DUR        how long each later wait of the snippet waits (5s until one is given)
//	sleep DUR          do nothing for DUR ("250ms", "2s")
//
// What follows the step's name, to the end of the line, is its argument;
// spaces at either end of it do not count, so a leading or trailing space
// is written \x20. Payloads may hold placeholders ({n}, {time},
// {len16be}, ... see package payload).
//
// A wait looks at the bytes received since the snippet started, after the
// end of what the waits before it matched (as expect(1) does): an answer
// that came while a send was still under way is not missed, and one that
// an earlier wait matched is not matched again.
//
// Loading never fails on a malformed snippet: it is skipped and reported
// with its line (Book.Problems). Saving (Put, Delete) rewrites only the
// block of the snippet concerned (from its [name] line to its last step),
// so every other line, comments included, stays byte for byte; the file is
// replaced atomically (a temporary file renamed over it) with mode 0600.
package snippets

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sockbench/payload"
)

// DefaultWait is how long a wait step waits unless the snippet says.
const DefaultWait = 5 * time.Second

// MaxNameLen is the longest snippet name, in bytes.
const MaxNameLen = 64

// StepKind is what a step does.
type StepKind uint8

// Step kinds.
const (
	Send  StepKind = iota // send a payload
	Wait                  // wait for a pattern in what is received
	Sleep                 // do nothing for a while
)

// String names the step as the file does: "send", "wait" or "sleep".
func (k StepKind) String() string {
	switch k {
	case Wait:
		return "wait"
	case Sleep:
		return "sleep"
	}
	return "send"
}

// Step is one step of a snippet.
type Step struct {
	Kind    StepKind
	Payload *payload.Template // what a Send sends
	Pattern *payload.Pattern  // what a Wait waits for
	// Duration is how long a Wait waits at most, or how long a Sleep
	// sleeps.
	Duration time.Duration
	// Line is the step's line in the file; 0 when it was not read from
	// one.
	Line int
}

// Snippet is a named sequence of steps.
type Snippet struct {
	Name  string
	Steps []Step
	// Line is the line of the snippet's [name] in the file; 0 when it was
	// not read from one.
	Line int
}

// SendStep is a step that sends source, read in mode (with placeholders).
func SendStep(mode payload.Mode, source string) (Step, error) {
	tpl, err := payload.ParseTemplate(mode, source)
	if err != nil {
		return Step{}, err
	}
	if !tpl.HasPlaceholders() {
		if b, _ := payload.Parse(mode, source); len(b) == 0 {
			return Step{}, errors.New("nothing to send")
		}
	}
	return Step{Kind: Send, Payload: tpl}, nil
}

// WaitStep is a step that waits up to timeout for a pattern.
func WaitStep(kind payload.PatternKind, source string, timeout time.Duration) (Step, error) {
	if timeout <= 0 {
		return Step{}, errors.New("a wait needs a timeout above zero")
	}
	p, err := payload.ParsePattern(kind, source)
	if err != nil {
		return Step{}, err
	}
	return Step{Kind: Wait, Pattern: p, Duration: timeout}, nil
}

// SleepStep is a step that sleeps for d.
func SleepStep(d time.Duration) (Step, error) {
	if d <= 0 {
		return Step{}, errors.New("a sleep needs a duration above zero")
	}
	return Step{Kind: Sleep, Duration: d}, nil
}

// FromLine makes a one-step snippet of a send line, as the workbench saves
// it.
func FromLine(name string, mode payload.Mode, line string) (Snippet, error) {
	if err := CheckName(name); err != nil {
		return Snippet{}, err
	}
	step, err := SendStep(mode, line)
	if err != nil {
		return Snippet{}, err
	}
	return Snippet{Name: name, Steps: []Step{step}}, nil
}

// CheckName refuses a name that the file could not hold or a screen could
// not show: empty, longer than MaxNameLen, with a bracket, a control or
// format character, invalid UTF-8, or spaces at either end.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("a snippet needs a name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("a snippet name has at most %d bytes", MaxNameLen)
	case !utf8.ValidString(name):
		return errors.New("a snippet name must be UTF-8")
	case strings.TrimSpace(name) != name:
		return errors.New("a snippet name cannot start or end with a space")
	case strings.ContainsAny(name, "[]"):
		return errors.New("a snippet name cannot hold [ or ]")
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
		return errors.New("a snippet name cannot hold control characters")
	}
	return nil
}

// Format writes a snippet as its block in the file, ending in a newline.
func Format(s Snippet) (string, error) {
	if err := CheckName(s.Name); err != nil {
		return "", err
	}
	if len(s.Steps) == 0 {
		return "", errors.New("a snippet needs at least one step")
	}
	var b strings.Builder
	b.WriteString("[" + s.Name + "]\n")
	timeout := DefaultWait
	for _, st := range s.Steps {
		switch st.Kind {
		case Send:
			verb := "send "
			if st.Payload.Mode() == payload.Hex {
				verb = "send-hex "
			}
			b.WriteString(verb + lineSafe(st.Payload.Mode() == payload.Hex, st.Payload.Source()) + "\n")
		case Wait:
			if st.Duration != timeout {
				timeout = st.Duration
				b.WriteString("timeout " + timeout.String() + "\n")
			}
			verb := map[payload.PatternKind]string{payload.PatternText: "wait ", payload.PatternHex: "wait-hex ",
				payload.PatternRegex: "wait-regex "}[st.Pattern.Kind()]
			b.WriteString(verb + lineSafe(st.Pattern.Kind() == payload.PatternHex, st.Pattern.Source()) + "\n")
		case Sleep:
			b.WriteString("sleep " + st.Duration.String() + "\n")
		}
	}
	return b.String(), nil
}

// lineSafe writes an argument so that it reads back the same from one
// line of the file: control characters (a newline, say) as \xNN, which
// means the same byte in text and the same character in a regular
// expression, and spaces at either end as \x20, which the file would lose.
// A backslash before such a character goes into its \xNN. In hex,
// whitespace only separates, so it becomes plain spaces.
func lineSafe(hex bool, s string) string {
	if hex {
		return strings.Join(strings.Fields(s), " ")
	}
	var b strings.Builder
	needsEscape := func(i int) bool {
		c := s[i]
		edgeSpace := (c == ' ' || c == '\t') && (i == 0 || strings.TrimRight(s[i:], " \t") == "")
		return c < 0x20 || c == 0x7f || edgeSpace
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && needsEscape(i+1):
			i++ // an escaped control character is the character itself
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case s[i] == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case needsEscape(i):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
