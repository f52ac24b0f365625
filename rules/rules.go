// Package rules answers a peer by itself: canned replies of a fake
// server. A rule is MATCH=>ACTIONS:
//
//	EHLO=>250 hello\r\n
//	QUIT=>221 bye\r\n;close
//	hex:16 03 01=>;reset
//	re:^GET /slow=>;delay=2s;HTTP/1.0 200 OK\r\n\r\nlate\n;close
//	=>220 fake ready\r\n
//
// MATCH is text with the escapes of the send line (\r \n \t \0 \\ \xNN),
// hex: and then hex, re: and then a regular expression (Go's RE2 syntax,
// over the bytes), or text: to write text that starts with one of those
// prefixes. An empty MATCH fires once, when the connection opens (a
// greeting).
//
// ACTIONS are run in order, separated by ";":
//
//	TEXT, text:TEXT  send TEXT (escapes and placeholders: {n}, {len16be}, ...)
//	hex:HEX          send the bytes HEX (placeholders too)
//	delay=DUR        wait DUR ("500ms", "2s") before what follows
//	close            close the connection
//	reset            reset it: SO_LINGER 0, then close, so the peer gets RST
//
// The first action may be empty ("QUIT=>;close"). Nothing follows close or
// reset. A ";" in a reply is written \x3b; a "=>" in MATCH is "=\x3e" in
// text and "=\>" in a regular expression.
//
// # Matching
//
// On a stream, the rules look at the bytes received since the last rule
// fired, not at each chunk alone: TCP may cut "EHLO" in two. When a chunk
// arrives, the match that starts first among all rules (the one listed
// first, if two start at the same byte) fires, the bytes up to its end are
// consumed, and the rules look again at what is left, so "EHLO x\r\nQUIT\r\n"
// in one chunk fires EHLO, then QUIT. Only the newest MaxPending bytes are
// kept while nothing fires. A datagram is matched alone: each rule fires
// at most once per datagram, in the order of the matches.
package rules

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"sockbench/payload"
)

// MaxPending is the most received bytes kept while no rule fires: the
// newest.
const MaxPending = 64 << 10

// ActionKind is what an action does.
type ActionKind uint8

// Actions.
const (
	Reply ActionKind = iota // send a payload
	Delay                   // wait before the next action
	Close                   // close the connection
	Reset                   // reset the connection (SO_LINGER 0, then close)
)

// String names the action: "reply", "delay", "close" or "reset".
func (k ActionKind) String() string {
	return [...]string{"reply", "delay", "close", "reset"}[k]
}

// Action is one thing a rule does.
type Action struct {
	Kind    ActionKind
	Payload *payload.Template // a Reply's payload
	Delay   time.Duration     // a Delay's wait
}

// Rule is one rule: what to look for and what to do.
type Rule struct {
	// Pattern is what fires the rule; nil fires it once when the
	// connection opens.
	Pattern *payload.Pattern
	Actions []Action
	// Number is the rule's place in its list, from 1, for reports.
	Number int
	// Source is the rule as written.
	Source string
}

// OnOpen reports whether the rule fires when the connection opens.
func (r *Rule) OnOpen() bool { return r.Pattern == nil }

// Ends reports whether the rule closes or resets the connection.
func (r *Rule) Ends() bool {
	last := r.Actions[len(r.Actions)-1].Kind
	return last == Close || last == Reset
}

// Parse reads one rule.
func Parse(s string) (Rule, error) {
	match, actions, ok := strings.Cut(s, "=>")
	if !ok {
		return Rule{}, errors.New(`a rule is MATCH=>ACTIONS, such as 'QUIT=>221 bye\r\n;close'`)
	}
	r := Rule{Source: s}
	if match != "" {
		p, err := parseMatch(match)
		if err != nil {
			return Rule{}, fmt.Errorf("match: %w", err)
		}
		r.Pattern = p
	}
	var err error
	if r.Actions, err = parseActions(actions); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// parseMatch reads MATCH: text, hex:, re: or text:.
func parseMatch(s string) (*payload.Pattern, error) {
	if rest, ok := strings.CutPrefix(s, "hex:"); ok {
		return payload.ParsePattern(payload.PatternHex, rest)
	}
	if rest, ok := strings.CutPrefix(s, "re:"); ok {
		return payload.ParsePattern(payload.PatternRegex, rest)
	}
	return payload.ParsePattern(payload.PatternText, strings.TrimPrefix(s, "text:"))
}

// parseActions reads the actions after "=>".
func parseActions(s string) ([]Action, error) {
	var actions []Action
	for i, item := range strings.Split(s, ";") {
		if len(actions) > 0 && (actions[len(actions)-1].Kind == Close || actions[len(actions)-1].Kind == Reset) {
			return nil, fmt.Errorf("action %d: nothing can follow %s", i+1, actions[len(actions)-1].Kind)
		}
		if item == "" && i == 0 {
			continue // no reply before the other actions
		}
		a, err := parseAction(item)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", i+1, err)
		}
		actions = append(actions, a)
	}
	if len(actions) == 0 {
		return nil, errors.New("a rule needs an action: a reply, delay=DUR, close or reset")
	}
	return actions, nil
}

// parseAction reads one action.
func parseAction(item string) (Action, error) {
	word := strings.TrimSpace(item)
	switch {
	case word == "close":
		return Action{Kind: Close}, nil
	case word == "reset":
		return Action{Kind: Reset}, nil
	case strings.HasPrefix(word, "delay="):
		d, err := time.ParseDuration(strings.TrimPrefix(word, "delay="))
		if err != nil || d <= 0 {
			return Action{}, fmt.Errorf("%s is not delay=DUR with a duration above zero, such as delay=500ms", quote(word))
		}
		return Action{Kind: Delay, Delay: d}, nil
	case item == "":
		return Action{}, errors.New("empty (a reply, delay=DUR, close or reset)")
	}
	mode, text := payload.Text, strings.TrimPrefix(item, "text:")
	if rest, ok := strings.CutPrefix(item, "hex:"); ok {
		mode, text = payload.Hex, rest
	}
	tpl, err := payload.ParseTemplate(mode, text)
	if err != nil {
		return Action{}, err
	}
	return Action{Kind: Reply, Payload: tpl}, nil
}

// quote quotes text from the user for a message, short.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// List is rules in the order they are tried.
type List []Rule

// Add parses a rule and appends it, numbered.
func (l *List) Add(s string) error {
	r, err := Parse(s)
	if err != nil {
		return err
	}
	r.Number = len(*l) + 1
	*l = append(*l, r)
	return nil
}

// AddFile appends the rules of a rules file: one rule a line; blank
// lines and lines whose first non-blank character is # are skipped. The
// first bad line is an error that names it.
func (l *List) AddFile(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		if err := l.Add(line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("a line of more than 1 MiB: %w", err)
	}
	return nil
}

// ForConnections reports the first rule that only a connection can run
// (one that fires on open, closes or resets), for refusing it on datagrams.
func (l List) ForConnections() (Rule, bool) {
	for _, r := range l {
		if r.OnOpen() || r.Ends() {
			return r, true
		}
	}
	return Rule{}, false
}

// Matcher finds the rules that fire on one connection's stream. It is not
// safe for concurrent use: its user is the connection's reader.
type Matcher struct {
	rules   List
	pending []byte
}

// NewMatcher starts matching for a new connection.
func NewMatcher(rules List) *Matcher { return &Matcher{rules: rules} }

// Opened returns the rules that fire when the connection opens.
func (m *Matcher) Opened() []*Rule {
	var fired []*Rule
	for i := range m.rules {
		if m.rules[i].OnOpen() {
			fired = append(fired, &m.rules[i])
		}
	}
	return fired
}

// Received takes bytes received and returns the rules they fire, in the
// order of their matches.
func (m *Matcher) Received(data []byte) []*Rule {
	m.pending = append(m.pending, data...)
	var fired []*Rule
	for {
		r, end := m.first(m.pending)
		if r == nil {
			break
		}
		fired = append(fired, r)
		m.pending = m.pending[end:]
	}
	if over := len(m.pending) - MaxPending; over > 0 {
		m.pending = m.pending[over:]
	}
	m.pending = append([]byte(nil), m.pending...) // drop what was consumed for good
	return fired
}

// first returns the rule whose match in b starts first, and its end.
func (m *Matcher) first(b []byte) (*Rule, int) {
	var best *Rule
	bestStart, bestEnd := 0, 0
	for i := range m.rules {
		r := &m.rules[i]
		if r.OnOpen() {
			continue
		}
		if start, end, ok := r.Pattern.Find(b); ok && (best == nil || start < bestStart) {
			best, bestStart, bestEnd = r, start, end
		}
	}
	return best, bestEnd
}

// Datagram returns the rules a datagram fires, each at most once, in the
// order of their matches in it.
func (l List) Datagram(data []byte) []*Rule {
	m := NewMatcher(l)
	var fired []*Rule
	seen := map[*Rule]bool{}
	for _, r := range m.Received(data) {
		if !seen[r] {
			seen[r] = true
			fired = append(fired, r)
		}
	}
	return fired
}
