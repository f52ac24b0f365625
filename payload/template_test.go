package payload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fixedClock is the time every test expansion sees.
var fixedClock = time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))

func testExpander() *Expander {
	return &Expander{Now: func() time.Time { return fixedClock }, Rand: bytes.NewReader(bytes.Repeat([]byte{0xaa}, 1<<20))}
}

func mustTemplate(t *testing.T, m Mode, s string) *Template {
	t.Helper()
	tpl, err := ParseTemplate(m, s)
	if err != nil {
		t.Fatalf("ParseTemplate(%v, %q): %v", m, s, err)
	}
	return tpl
}

func TestTemplateExpands(t *testing.T) {
	tests := []struct {
		mode Mode
		in   string
		want string
	}{
		{Text, `ping {n}\r\n`, "ping 1\r\n"},
		{Text, `{counter}/{n}`, "1/1"},
		{Text, `at {time}`, "at 2026-03-04T04:06:07Z"},
		{Text, `{unix}`, strconv.FormatInt(fixedClock.Unix(), 10)},
		{Text, `{rand:3}`, "\xaa\xaa\xaa"},
		{Text, `{len8}abc`, "\x03abc"},
		{Text, `{len16be}abc`, "\x00\x03abc"},
		{Text, `{len16}abc`, "\x00\x03abc"},
		{Text, `{len16le}abc`, "\x03\x00abc"},
		{Text, `{len32be}ab`, "\x00\x00\x00\x02ab"},
		{Text, `{len32le}ab`, "\x02\x00\x00\x00ab"},
		{Text, `x{len8}{len8}ab`, "x\x03\x02ab"}, // the outer length counts the inner prefix
		{Text, `{len8}{n}`, "\x011"},
		{Text, `{len8}`, "\x00"},
		{Hex, `01 {len16be} 48 49`, "\x01\x00\x02HI"},
		{Hex, `{n}0a`, "1\n"},
	}
	for _, tt := range tests {
		got, err := testExpander().Expand(mustTemplate(t, tt.mode, tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("%v %q expands to %q, %v; want %q", tt.mode, tt.in, got, err, tt.want)
		}
	}
}

// TestTemplateKeepsOldMeanings: text that holds no placeholder name means
// exactly what Parse says, braces and all.
func TestTemplateKeepsOldMeanings(t *testing.T) {
	for _, in := range []string{`{}`, `{"n":1}`, `{N}`, `{ n}`, `{rand:}`, `{rand:x}`, `{len}`, `{len64be}`,
		`{`, `}`, `{{n}`, `a{b`, `{` + strings.Repeat("x", 100) + `}`, `\\{n`, `{time `} {
		want, err := Parse(Text, in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		tpl := mustTemplate(t, Text, in)
		if in == `{{n}` {
			want = []byte("{1") // the second brace opens one
		}
		if got, err := testExpander().Expand(tpl); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q expands to %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestTemplateEscapedBrace(t *testing.T) {
	tpl := mustTemplate(t, Text, `\{n} {n} \\{n}`)
	if got, _ := testExpander().Expand(tpl); string(got) != `{n} 1 \1` {
		t.Errorf("got %q", got)
	}
	if tpl.HasPlaceholders() != true || mustTemplate(t, Text, `\{n}`).HasPlaceholders() {
		t.Error("HasPlaceholders is wrong")
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		mode   Mode
		in     string
		offset int
		msg    string
	}{
		{Text, `ab{rand:0}`, 2, "the count must be 1 to 65536"},
		{Text, `{rand:65537}`, 0, "the count must be 1 to 65536"},
		{Text, `{n}\q`, 3, `unknown escape "\q"`},
		{Text, `ok\x{n}`, 2, `\x needs two hex digits`},
		{Hex, `01 {nope}`, 3, "unknown placeholder {nope}"},
		{Hex, `01 {n`, 3, `"{" with no "}"`},
		{Hex, `{n} zz`, 4, `is not a hex digit`},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.mode, tt.in)
		var perr *Error
		if !errors.As(err, &perr) || perr.Offset != tt.offset || !strings.Contains(perr.Msg, tt.msg) {
			t.Errorf("%v %q: %v; want %q at offset %d", tt.mode, tt.in, err, tt.msg, tt.offset)
		}
	}
}

func TestCounterIncrementsPerSend(t *testing.T) {
	x := testExpander()
	tpl := mustTemplate(t, Text, `#{n}`)
	plain := mustTemplate(t, Text, `no counter`)
	var got []string
	for range 3 {
		b, _ := x.Expand(tpl)
		got = append(got, string(b))
		_, _ = x.Expand(plain) // every send counts
	}
	if strings.Join(got, ",") != "#1,#3,#5" || x.Count() != 6 {
		t.Errorf("sends gave %q, count %d", got, x.Count())
	}
	if p, _ := x.PreviewBytes(tpl); string(p) != "#7" || x.Count() != 6 {
		t.Errorf("preview %q changed the count to %d", p, x.Count())
	}
}

func TestLengthPrefixIsExact(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 65535, 65536, 70000} {
		body := strings.Repeat("z", n)
		for _, name := range []string{"len8", "len16be", "len16le", "len32be", "len32le"} {
			tpl := mustTemplate(t, Text, "{"+name+"}"+body)
			got, err := testExpander().Expand(tpl)
			width := map[string]int{"len8": 1, "len16be": 2, "len16le": 2, "len32be": 4, "len32le": 4}[name]
			if n >= 1<<(8*width) && width < 4 {
				if err == nil {
					t.Errorf("{%s} with %d bytes after it: no error", name, n)
				}
				continue
			}
			if err != nil || len(got) != width+n {
				t.Fatalf("{%s} with %d bytes: %d bytes, %v", name, n, len(got), err)
			}
			if decoded := decodeLength(got[:width], name); decoded != n {
				t.Errorf("{%s} says %d, the rest is %d", name, decoded, n)
			}
		}
	}
}

func decodeLength(b []byte, name string) int {
	switch name {
	case "len8":
		return int(b[0])
	case "len16be":
		return int(binary.BigEndian.Uint16(b))
	case "len16le":
		return int(binary.LittleEndian.Uint16(b))
	case "len32be":
		return int(binary.BigEndian.Uint32(b))
	}
	return int(binary.LittleEndian.Uint32(b))
}

func TestRandomHasTheAskedLength(t *testing.T) {
	x := &Expander{} // crypto/rand
	for _, n := range []int{1, 8, 1000, MaxRandBytes} {
		tpl := mustTemplate(t, Text, "<{rand:"+strconv.Itoa(n)+"}>")
		a, err1 := x.Expand(tpl)
		b, err2 := x.Expand(tpl)
		if err1 != nil || err2 != nil || len(a) != n+2 || len(b) != n+2 || a[0] != '<' || a[n+1] != '>' {
			t.Fatalf("{rand:%d}: %d and %d bytes, %v %v", n, len(a), len(b), err1, err2)
		}
		if n >= 8 && bytes.Equal(a, b) {
			t.Errorf("{rand:%d} gave the same bytes twice", n)
		}
	}
}

func TestPreviewMarksPieces(t *testing.T) {
	pieces, err := testExpander().Preview(mustTemplate(t, Text, `A{len8}{rand:2}B`))
	if err != nil || len(pieces) != 4 {
		t.Fatalf("%+v, %v", pieces, err)
	}
	want := []Piece{{Data: []byte("A")}, {Data: []byte{3}, Placeholder: "len8"},
		{Data: []byte{0, 0}, Placeholder: "rand:2", Unknown: true}, {Data: []byte("B")}}
	for i := range want {
		if !bytes.Equal(pieces[i].Data, want[i].Data) || pieces[i].Placeholder != want[i].Placeholder || pieces[i].Unknown != want[i].Unknown {
			t.Errorf("piece %d = %+v, want %+v", i, pieces[i], want[i])
		}
	}
}

func TestEscapeTemplateRoundTrips(t *testing.T) {
	for _, p := range [][]byte{[]byte("{n}"), []byte(`\{len8}`), []byte("{\x00}\\")} {
		tpl := mustTemplate(t, Text, EscapeTemplate(p))
		if got, err := testExpander().Expand(tpl); err != nil || !bytes.Equal(got, p) || tpl.HasPlaceholders() {
			t.Errorf("EscapeTemplate(%q) = %q reads back as %q, %v", p, EscapeTemplate(p), got, err)
		}
	}
}

func TestPatternFind(t *testing.T) {
	tests := []struct {
		kind       PatternKind
		src, in    string
		start, end int
		ok         bool
	}{
		{PatternText, `250`, "220 hi\r\n250 ok", 8, 11, true},
		{PatternText, `\r\n`, "a\r\nb", 1, 3, true},
		{PatternHex, `32 35 30`, "x250", 1, 4, true},
		{PatternRegex, `^EHLO \S+`, "EHLO x\r\n", 0, 6, true},
		{PatternRegex, `^EHLO`, "xEHLO", 0, 0, false},
		{PatternRegex, `x*`, "abxx", 2, 4, true}, // empty matches do not count
		{PatternRegex, `^x*`, "abxx", 0, 0, false},
		{PatternText, `QUIT`, "QUI", 0, 0, false},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.kind, tt.src)
		if err != nil {
			t.Fatalf("%v %q: %v", tt.kind, tt.src, err)
		}
		start, end, ok := p.Find([]byte(tt.in))
		if ok != tt.ok || ok && (start != tt.start || end != tt.end) {
			t.Errorf("%v %q in %q: %d %d %v", tt.kind, tt.src, tt.in, start, end, ok)
		}
	}
	for _, bad := range []struct {
		kind PatternKind
		src  string
	}{{PatternText, ""}, {PatternHex, " "}, {PatternRegex, "(a"}, {PatternText, `\q`}} {
		if _, err := ParsePattern(bad.kind, bad.src); err == nil {
			t.Errorf("%v %q: no error", bad.kind, bad.src)
		}
	}
}

// FuzzTemplate: whatever ParseTemplate accepts expands without panic to
// bytes whose length prefixes are exact; text without placeholders means
// what Parse says; what it refuses, it refuses with an offset inside the
// input.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{`ping {n}\r\n`, `{len16be}{rand:4}x`, `{len8}{len8}`, `\{n}`, `{rand:0}`, `{`, `a{b}c`} {
		f.Add(false, s)
	}
	f.Add(true, "01 {len32le} ff {n}")
	f.Fuzz(func(t *testing.T, hex bool, s string) {
		mode := Text
		if hex {
			mode = Hex
		}
		tpl, err := ParseTemplate(mode, s)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Offset < 0 || perr.Offset > len(s) {
				t.Fatalf("%q: error %v has no offset inside the input", s, err)
			}
			return
		}
		got, err := testExpander().Expand(tpl)
		if err != nil {
			return // a length that does not fit
		}
		if !tpl.HasPlaceholders() {
			want, perr := Parse(mode, s)
			if perr != nil || !bytes.Equal(got, want) {
				t.Fatalf("%q: %q without placeholders, Parse gives %q, %v", s, got, want, perr)
			}
		}
		preview, err := testExpander().Preview(tpl)
		if err != nil {
			t.Fatalf("%q: Expand works, Preview fails: %v", s, err)
		}
		checkLengths(t, s, tpl, preview)
	})
}

// checkLengths checks that each length piece of a preview holds the
// length of the pieces after it.
func checkLengths(t *testing.T, s string, tpl *Template, pieces []Piece) {
	rest := 0
	for i := len(pieces) - 1; i >= 0; i-- {
		if p := tpl.parts[i]; p.kind == phLen {
			if n := decodeLength(pieces[i].Data, widthName(p)); n != rest {
				t.Fatalf("%q: {%s} says %d, the rest is %d", s, p.name, n, rest)
			}
		}
		rest += len(pieces[i].Data)
	}
}

func widthName(p part) string {
	switch {
	case p.size == 1:
		return "len8"
	case p.size == 2 && p.bigEndian:
		return "len16be"
	case p.size == 2:
		return "len16le"
	case p.bigEndian:
		return "len32be"
	}
	return "len32le"
}
