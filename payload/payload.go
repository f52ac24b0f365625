// Package payload turns what a person types into the bytes to send: text
// with escapes, or tolerant hex. The command line and the workbench's send
// line both use it, so the same input means the same bytes everywhere.
// Templates (ParseTemplate) add placeholders expanded at each send, such
// as a counter or a length prefix; patterns (ParsePattern) are what a
// person types to wait for or to answer.
package payload

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"sockbench/safe"
)

// Mode says how typed input is read.
type Mode int

// Input modes.
const (
	Text Mode = iota // text with \r \n \t \0 \\ \xNN escapes
	Hex              // hex digits, with any separators and 0x prefixes
)

func (m Mode) String() string {
	if m == Hex {
		return "hex"
	}
	return "text"
}

// Parse reads s in the given mode.
func Parse(m Mode, s string) ([]byte, error) {
	if m == Hex {
		return ParseHex(s)
	}
	return ParseText(s)
}

// Error says what is wrong with the input and where.
type Error struct {
	Offset int    // byte offset in the input
	Msg    string // what is wrong
}

func (e *Error) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// ParseText reads text in which \r, \n, \t, \0, \\ and \xNN (two hex
// digits) stand for their bytes, and \{ for a brace (which only matters
// where placeholders are read, see ParseTemplate). Any other backslash
// sequence is an error, so that a typo never sends something unintended.
func ParseText(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, &Error{i, `lone "\" at the end (write \\ for a backslash)`}
		}
		switch e := s[i+1]; e {
		case 'r':
			out = append(out, '\r')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '0':
			out = append(out, 0)
		case '\\':
			out = append(out, '\\')
		case '{':
			out = append(out, '{')
		case 'x':
			if i+3 >= len(s) {
				return nil, &Error{i, `\x needs two hex digits`}
			}
			hi, ok1 := hexDigit(s[i+2])
			lo, ok2 := hexDigit(s[i+3])
			if !ok1 || !ok2 {
				return nil, &Error{i, fmt.Sprintf(`\x needs two hex digits, not %q`, s[i+2:i+4])}
			}
			out = append(out, hi<<4|lo)
			i += 2
		default:
			return nil, &Error{i, fmt.Sprintf(`unknown escape "\%c" (use \r \n \t \0 \\ \xNN \{)`, e)}
		}
		i++
	}
	return out, nil
}

// ParseHex reads hex bytes, forgiving about form: whitespace, ':', ',', ';',
// '-' separate tokens, each token may start with 0x, and a token holds any
// even number of digits ("48656c") or a single digit ("a" = 0a). So
// "48 65:6c,0x6c 6f" is "Hello".
func ParseHex(s string) ([]byte, error) {
	var out []byte
	i := 0
	for i < len(s) {
		if isSeparator(s[i]) {
			i++
			continue
		}
		start := i
		for i < len(s) && !isSeparator(s[i]) {
			i++
		}
		tok, digitsAt := s[start:i], start
		if len(tok) >= 2 && (tok[:2] == "0x" || tok[:2] == "0X") {
			tok, digitsAt = tok[2:], start+2
			if tok == "" {
				return nil, &Error{start, `"0x" with no hex digits after it`}
			}
		}
		pad := 0
		if len(tok) == 1 {
			tok, pad = "0"+tok, 1
		} else if len(tok)%2 == 1 {
			return nil, &Error{start, fmt.Sprintf("odd number of hex digits in %q", s[start:i])}
		}
		for j := 0; j < len(tok); j += 2 {
			hi, ok1 := hexDigit(tok[j])
			lo, ok2 := hexDigit(tok[j+1])
			if !ok1 || !ok2 {
				bad := j
				if ok1 {
					bad = j + 1
				}
				return nil, &Error{digitsAt + bad - pad, fmt.Sprintf("%q is not a hex digit", tok[bad])}
			}
			out = append(out, hi<<4|lo)
		}
	}
	return out, nil
}

func isSeparator(c byte) bool {
	return strings.IndexByte(" \t\r\n:,;-", c) >= 0
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// EscapeText writes p as ParseText reads it, for people: printable text
// as it is, a backslash as \\, CR, LF, TAB and NUL as \r \n \t \0, and
// every other byte (controls, bytes that are not valid UTF-8, and the
// bytes of runes not safe to show) as \xNN. ParseText gives back p, and
// the result holds nothing unsafe to show.
func EscapeText(p []byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == 0:
			b.WriteString(`\0`)
		case safe.PrintableRune(r):
			b.Write(p[i : i+size])
		default:
			for _, c := range p[i : i+size] {
				b.WriteString(`\x`)
				b.WriteByte(digits[c>>4])
				b.WriteByte(digits[c&15])
			}
		}
		i += size
	}
	return b.String()
}
