package payload

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseText(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"", []byte{}},
		{"hello", []byte("hello")},
		{`GET / HTTP/1.0\r\n\r\n`, []byte("GET / HTTP/1.0\r\n\r\n")},
		{`a\tb\0c\\d`, []byte("a\tb\x00c\\d")},
		{`\x00\x7f\xff\xAb`, []byte{0, 0x7f, 0xff, 0xab}},
		{"ünï", []byte("ünï")},
	}
	for _, tt := range tests {
		got, err := ParseText(tt.in)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("ParseText(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseTextErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
	}{
		{`\q`, 0},
		{`ab\`, 2},
		{`x\x4`, 1},
		{`\xg0`, 0},
		{`ok\x`, 2},
	}
	for _, tt := range tests {
		got, err := ParseText(tt.in)
		var perr *Error
		if !errors.As(err, &perr) || perr.Offset != tt.offset || got != nil {
			t.Errorf("ParseText(%q) = %q, %v; want an error at offset %d", tt.in, got, err, tt.offset)
		}
	}
}

func TestParseHex(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"48 65:6c,0x6c 6f", []byte("Hello")},
		{"48656c6c6f", []byte("Hello")},
		{"0x48;0X65\t6C-6c\n6F", []byte("Hello")},
		{"a 0x5", []byte{0x0a, 0x05}},
		{"  ", nil},
		{"00 ff", []byte{0, 0xff}},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("ParseHex(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
		}
	}
}

func TestParseHexErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
	}{
		{"zz", 0},
		{"48 6g", 4},
		{"abc", 0},
		{"0x", 0},
		{"g", 0},
		{"12 0xz1", 5},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		var perr *Error
		if !errors.As(err, &perr) || perr.Offset != tt.offset || got != nil {
			t.Errorf("ParseHex(%q) = %x, %v; want an error at offset %d", tt.in, got, err, tt.offset)
		}
	}
}

func TestParseModes(t *testing.T) {
	if got, _ := Parse(Hex, "41"); string(got) != "A" {
		t.Errorf("Parse(Hex, 41) = %q", got)
	}
	if got, _ := Parse(Text, "41"); string(got) != "41" {
		t.Errorf("Parse(Text, 41) = %q", got)
	}
}

func FuzzParseText(f *testing.F) {
	f.Add(`a\x41\r\n`)
	f.Fuzz(func(t *testing.T, s string) {
		out, err := ParseText(s)
		if err == nil && len(out) > len(s) {
			t.Fatalf("output longer than input: %q -> %q", s, out)
		}
	})
}

func TestEscapeText(t *testing.T) {
	in := []byte("GET /a\\b HTTP/1.0\r\n\t\x00\x1b[2J caf\xc3\xa9 \xe2\x80\xae\xff")
	want := `GET /a\\b HTTP/1.0\r\n\t\0\x1b[2J café \xe2\x80\xae\xff`
	if got := EscapeText(in); got != want {
		t.Errorf("EscapeText = %q, want %q", got, want)
	}
}

// FuzzEscapeText: what EscapeText writes, ParseText reads back exactly,
// and it holds nothing a terminal would act on.
func FuzzEscapeText(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("\x1b]0;x\x07\\\xff\xe2\x80\xae"))
	f.Fuzz(func(t *testing.T, p []byte) {
		s := EscapeText(p)
		back, err := ParseText(s)
		if err != nil || !bytes.Equal(back, p) {
			t.Fatalf("ParseText(EscapeText(%q)) = %q, %v", p, back, err)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("unsafe rune %U in %q", r, s)
			}
		}
	})
}

// FuzzParseHex: whatever it accepts, it reads as the hex digits say.
func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"48 65:6c,0x6c 6f", "0x", "abc", "a", "zz", "48656c", "0X41;-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseHex(s)
		if err != nil {
			return
		}
		if back, err := ParseHex(fmt.Sprintf("% x", p)); err != nil || !bytes.Equal(back, p) {
			t.Fatalf("%q: %x does not read back (%v)", s, p, err)
		}
	})
}
