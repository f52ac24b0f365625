// Package safe is the one way text from outside reaches the terminal.
// Bytes a peer sent, addresses, paths, canonical names and the system's
// error strings all pass through it, so that no escape sequence, control
// byte or malformed UTF-8 can move the cursor, retitle the window, write
// the clipboard or answer a query on the user's behalf.
package safe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Glyphs for bytes that must not be written as they are. Each is a
// single-width, printable rune.
const (
	GlyphNull       = '⋄' // 0x00
	GlyphWhitespace = '_' // \t \n \v \f \r in the hex view's text column
	GlyphControl    = '•' // other C0 controls and DEL
	GlyphHigh       = '×' // 0x80-0xff in the hex view's text column
	GlyphInvalid    = '�' // a byte that is not valid UTF-8, or a rune not safe to show
)

// Category is the class of a byte in the hex view, for colouring.
type Category uint8

// Byte categories.
const (
	Printable  Category = iota // 0x21-0x7e
	Space                      // 0x20
	Null                       // 0x00
	Whitespace                 // \t \n \v \f \r
	Control                    // other C0 controls and 0x7f
	High                       // 0x80-0xff
)

// CategoryOf returns the category of b.
func CategoryOf(b byte) Category {
	switch {
	case b == 0:
		return Null
	case b == ' ':
		return Space
	case b > ' ' && b < 0x7f:
		return Printable
	case b == '\t' || b == '\n' || b == '\v' || b == '\f' || b == '\r':
		return Whitespace
	case b < 0x80:
		return Control
	}
	return High
}

// ByteGlyph returns the rune that stands for b in the hex view's text
// column: b itself when it is printable ASCII or a space, a glyph otherwise.
func ByteGlyph(b byte) rune {
	switch CategoryOf(b) {
	case Printable, Space:
		return rune(b)
	case Null:
		return GlyphNull
	case Whitespace:
		return GlyphWhitespace
	case Control:
		return GlyphControl
	}
	return GlyphHigh
}

// Text returns s with everything unsafe replaced: C0 controls and DEL
// become their Unicode control pictures (␛ for ESC, ␊ for a newline), C1
// controls, bidirectional overrides, zero-width and other format runes and
// invalid UTF-8 become �. Printable text, including non-ASCII letters,
// passes unchanged.
func Text(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		b.WriteRune(runeGlyph(r, size))
	}
	return b.String()
}

// Bytes is Text for a byte slice.
func Bytes(p []byte) string { return Text(string(p)) }

// isPlain reports whether s is printable ASCII only, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func runeGlyph(r rune, size int) rune {
	switch {
	case r == utf8.RuneError && size <= 1:
		return GlyphInvalid
	case r < 0x20:
		return 0x2400 + r // ␀ .. ␟
	case r == 0x7f:
		return '␡'
	case r < 0x7f:
		return r
	case r < 0xa0: // C1 controls, CSI (0x9b) and OSC (0x9d) among them
		return GlyphInvalid
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r),
		unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r), unicode.Is(unicode.Mn, r),
		unicode.Is(unicode.Me, r), !unicode.IsPrint(r) && r != ' ':
		// Format runes (bidi overrides, zero-width joiners), private use,
		// separators that break lines and combining marks that would fuse
		// with the rune before them.
		return GlyphInvalid
	}
	return r
}
