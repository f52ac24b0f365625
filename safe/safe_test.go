package safe

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hostile holds what a peer might send to take over a terminal.
var hostile = []struct{ name, in string }{
	{"clear screen", "\x1b[2J\x1b[H"},
	{"set title", "\x1b]0;owned\x07"},
	{"OSC 52 clipboard", "\x1b]52;c;aGVsbG8=\x07"},
	{"CSI 6n query", "\x1b[6n"},
	{"C1 CSI", "\xc2\x9b31m"},
	{"raw C1 byte", "a\x9bb"},
	{"bell", "\x07"},
	{"backspace", "abc\x08\x08"},
	{"carriage return", "safe\rEVIL"},
	{"invalid UTF-8", "\xff\xfe"},
	{"bidi override", "abc\u202edcba"},
	{"DEL", "\x7f"},
}

func TestTextNeutralisesEverything(t *testing.T) {
	for _, h := range hostile {
		out := Text(h.in)
		if !utf8.ValidString(out) {
			t.Errorf("%s: output is not valid UTF-8: %q", h.name, out)
		}
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u202e' {
				t.Errorf("%s: unsafe rune %U left in %q", h.name, r, out)
			}
		}
	}
}

func TestTextExact(t *testing.T) {
	tests := map[string]string{
		"plain ascii":          "plain ascii",
		"\x1b[2J":              "␛[2J",
		"a\nb\tc":              "a␊b␉c",
		"\x00":                 "␀",
		"\xff":                 "�",
		"a\x9bb":               "a�b",
		"naïve café":           "naïve café",
		"[fe80::1%lo]:22":      "[fe80::1%lo]:22",
		"\u202e":               "�",
		"x\u0301":              "x�",
		strings.Repeat("a", 3): "aaa",
	}
	for in, want := range tests {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestByteGlyphIsSingleSafeRune(t *testing.T) {
	for b := 0; b < 256; b++ {
		g := ByteGlyph(byte(b))
		if g < 0x20 || (g >= 0x7f && g < 0xa0) {
			t.Errorf("ByteGlyph(%#x) = %U, a control", b, g)
		}
	}
	want := map[byte]rune{'A': 'A', ' ': ' ', '_': '_', 0: GlyphNull, '\n': GlyphLF, '\r': GlyphCR, '\t': GlyphTab,
		'\v': GlyphControl, 0x1b: GlyphControl, 0x7f: GlyphControl, 0x80: GlyphHigh, 0xff: GlyphHigh}
	for b, g := range want {
		if got := ByteGlyph(b); got != g {
			t.Errorf("ByteGlyph(%#x) = %q, want %q", b, got, g)
		}
	}
	// CR, LF, TAB, NUL, space and '_' must look different without colour.
	seen := map[rune]byte{}
	for _, b := range []byte("\r\n\t\x00 _") {
		g := ByteGlyph(b)
		if other, dup := seen[g]; dup {
			t.Errorf("%#x and %#x both show as %q", b, other, g)
		}
		seen[g] = b
	}
}

func TestPieces(t *testing.T) {
	in := "GET / HTTP/1.0\r\nHost: x\r\n\r\n\x00\x1b[2J café \u202e bad\xff\tend\rX\n"
	var got []string
	for _, p := range Pieces([]byte(in)) {
		mark := ""
		if p.EndsLine {
			mark = "|"
		}
		got = append(got, p.Text+mark)
	}
	want := []string{"GET / HTTP/1.0", "←↓|", "Host: x", "←↓|", "←↓|", `\x00`, `\x1b`, "[2J café ", `\u202e`, " bad",
		`\xff`, "→", "end", "←|", "X", "↓|"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Pieces:\n got %q\nwant %q", got, want)
	}
}

// FuzzPieces: the pieces cover the input exactly, in order, and hold
// nothing unsafe to write to a terminal.
func FuzzPieces(f *testing.F) {
	for _, h := range hostile {
		f.Add([]byte(h.in))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		at := 0
		for _, piece := range Pieces(p) {
			if piece.Start != at || piece.End <= piece.Start {
				t.Fatalf("piece %+v after byte %d of %q", piece, at, p)
			}
			if piece.Kind == PieceText && piece.Text != string(p[piece.Start:piece.End]) {
				t.Fatalf("text piece %q is not its bytes %q", piece.Text, p[piece.Start:piece.End])
			}
			at = piece.End
			for _, r := range piece.Text {
				if r < 0x20 || (r >= 0x7f && r < 0xa0) || r != runeGlyph(r, utf8.RuneLen(r)) {
					t.Fatalf("unsafe rune %U in piece %+v of %q", r, piece, p)
				}
			}
		}
		if at != len(p) {
			t.Fatalf("pieces end at %d of %d", at, len(p))
		}
	})
}

func TestCategoryOf(t *testing.T) {
	want := map[byte]Category{0: Null, ' ': Space, 'a': Printable, '~': Printable, '\t': Whitespace, '\r': Whitespace, 0x1b: Control, 0x7f: Control, 0x80: High, 0xff: High}
	for b, c := range want {
		if got := CategoryOf(b); got != c {
			t.Errorf("CategoryOf(%#x) = %d, want %d", b, got, c)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, h := range hostile {
		f.Add(h.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range Text(s) {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("unsafe rune %U from %q", r, s)
			}
		}
	})
}
