// Package safe is the one way text from outside reaches the terminal.
// Bytes a peer sent, addresses, paths, canonical names and the system's
// error strings all pass through it, so that no escape sequence, control
// byte or malformed UTF-8 can move the cursor, retitle the window, write
// the clipboard or answer a query on the user's behalf.
package safe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Glyphs for bytes that must not be written as they are. Each is a
// single-width, printable rune that DejaVu Sans Mono and the usual
// terminal fonts have, and no two of them (nor '_' and ' ') look alike, so
// a CR, a LF, a TAB, a NUL, a space and an underscore can be told apart
// without colour.
const (
	GlyphNull    = '⋄' // 0x00
	GlyphTab     = '→' // \t
	GlyphLF      = '↓' // \n
	GlyphCR      = '←' // \r
	GlyphControl = '•' // other C0 controls (\v and \f among them) and DEL
	GlyphHigh    = '×' // 0x80-0xff in the hex view's text column
	GlyphInvalid = '�' // a byte that is not valid UTF-8, or a rune not safe to show
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
	switch b {
	case '\t':
		return GlyphTab
	case '\n':
		return GlyphLF
	case '\r':
		return GlyphCR
	}
	switch CategoryOf(b) {
	case Printable, Space:
		return rune(b)
	case Null:
		return GlyphNull
	case Whitespace, Control:
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

// PrintableRune reports whether r can be written to a terminal as it is:
// Text leaves it unchanged.
func PrintableRune(r rune) bool {
	return r >= 0x20 && r != utf8.RuneError && runeGlyph(r, utf8.RuneLen(r)) == r
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

// PieceKind says what a Piece of the stream view is.
type PieceKind uint8

// Piece kinds.
const (
	PieceText   PieceKind = iota // text as it is: printable runes and spaces
	PieceMark                    // a tab or a line ending, as its glyphs
	PieceEscape                  // a byte or rune that is not text, as \xNN or \uNNNN
)

// Piece is a run of bytes as the stream view shows them.
type Piece struct {
	Text string
	Kind PieceKind
	// EndsLine is set on a line ending (LF, CR LF, or a lone CR): the view
	// breaks the line after it.
	EndsLine bool
	// Start and End are the bytes of the input the piece shows.
	Start, End int
}

// Pieces splits p into the pieces the stream view shows: runs of text
// (printable ASCII, spaces, and valid UTF-8 runes safe to show), tabs and
// line endings as their glyphs, and every other byte as an escape: \x1b
// for a control byte or a byte that is not valid UTF-8, \u202e for a rune
// that is valid but not safe to show (C1 controls, bidirectional and
// zero-width format runes, combining marks on their own).
func Pieces(p []byte) []Piece {
	var out []Piece
	text := -1 // start of the text run being gathered
	flush := func(end int) {
		if text >= 0 && end > text {
			out = append(out, Piece{Text: string(p[text:end]), Kind: PieceText, Start: text, End: end})
		}
		text = -1
	}
	for i := 0; i < len(p); {
		if piece, n, ok := special(p, i); ok {
			flush(i)
			out = append(out, piece)
			i += n
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if runeGlyph(r, size) != r || (r == utf8.RuneError && size <= 1) {
			flush(i)
			out = append(out, escapePiece(p, i, r, size))
			i += size
			continue
		}
		if text < 0 {
			text = i
		}
		i += size
	}
	flush(len(p))
	return out
}

// special returns the piece of a tab or a line ending at p[i].
func special(p []byte, i int) (Piece, int, bool) {
	switch p[i] {
	case '\t':
		return Piece{Text: string(GlyphTab), Kind: PieceMark, Start: i, End: i + 1}, 1, true
	case '\n':
		return Piece{Text: string(GlyphLF), Kind: PieceMark, EndsLine: true, Start: i, End: i + 1}, 1, true
	case '\r':
		if i+1 < len(p) && p[i+1] == '\n' {
			return Piece{Text: string(GlyphCR) + string(GlyphLF), Kind: PieceMark, EndsLine: true, Start: i, End: i + 2}, 2, true
		}
		return Piece{Text: string(GlyphCR), Kind: PieceMark, EndsLine: true, Start: i, End: i + 1}, 1, true
	}
	return Piece{}, 0, false
}

// escapePiece writes what is at p[i] as an escape: the byte, or the rune.
func escapePiece(p []byte, i int, r rune, size int) Piece {
	const digits = "0123456789abcdef"
	var text string
	switch {
	case size <= 1:
		text = "\\x" + string(digits[p[i]>>4]) + string(digits[p[i]&15])
	case r <= 0xffff:
		text = fmt.Sprintf("\\u%04x", r)
	default:
		text = fmt.Sprintf("\\U%08x", r)
	}
	return Piece{Text: text, Kind: PieceEscape, Start: i, End: i + size}
}
