package payload

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// PatternKind says how a pattern to wait for, or to answer, is written.
type PatternKind uint8

// Pattern kinds.
const (
	PatternText  PatternKind = iota // text with the escapes of ParseText
	PatternHex                      // hex, as ParseHex reads it
	PatternRegex                    // a regular expression (Go's RE2 syntax) over the bytes
)

// String names the kind: "text", "hex" or "regex".
func (k PatternKind) String() string {
	switch k {
	case PatternHex:
		return "hex"
	case PatternRegex:
		return "regex"
	}
	return "text"
}

// Pattern is something to find in received bytes: a run of bytes, or a
// regular expression. It is immutable and safe for concurrent use.
type Pattern struct {
	kind   PatternKind
	source string
	lit    []byte
	re     *regexp.Regexp
}

// ParsePattern reads a pattern. Text and hex must give at least one byte;
// a regular expression must compile. A regular expression reads the bytes
// as text: \r, \n, \xNN and \x{NNNN} work as in Go, and a byte that is not
// UTF-8 matches only "." or a negated class.
func ParsePattern(kind PatternKind, s string) (*Pattern, error) {
	p := &Pattern{kind: kind, source: s}
	var err error
	switch kind {
	case PatternText:
		p.lit, err = ParseText(s)
	case PatternHex:
		p.lit, err = ParseHex(s)
	case PatternRegex:
		p.re, err = regexp.Compile(s)
		if err != nil {
			var syn *syntax.Error
			if errors.As(err, &syn) {
				err = &Error{0, fmt.Sprintf("bad regular expression: %s", syn.Code)}
			}
		}
	default:
		err = &Error{0, "unknown pattern kind"}
	}
	if err != nil {
		return nil, err
	}
	if kind != PatternRegex && len(p.lit) == 0 {
		return nil, &Error{0, "an empty pattern matches nothing"}
	}
	return p, nil
}

// Kind is how the pattern is written.
func (p *Pattern) Kind() PatternKind { return p.kind }

// Source is the pattern as it was written.
func (p *Pattern) Source() string { return p.source }

// Find returns where the first match in b of at least one byte starts and
// ends; ok is false when there is none. A regular expression's empty
// matches do not count, so that it can never match without consuming.
func (p *Pattern) Find(b []byte) (start, end int, ok bool) {
	if p.re == nil {
		i := bytes.Index(b, p.lit)
		if i < 0 {
			return 0, 0, false
		}
		return i, i + len(p.lit), true
	}
	loc := p.re.FindIndex(b)
	if loc == nil {
		return 0, 0, false
	}
	if loc[1] > loc[0] {
		return loc[0], loc[1], true
	}
	for _, loc := range p.re.FindAllIndex(b, -1) { // rare: the first match was empty
		if loc[1] > loc[0] {
			return loc[0], loc[1], true
		}
	}
	return 0, 0, false
}
