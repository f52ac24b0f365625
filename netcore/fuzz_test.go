package netcore

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// The fuzz targets of netcore's parsers of what people type. Each checks
// more than "no panic": what a parser accepts, its String form reads back
// as the same value, and what it refuses is a ClassInvalid *Error whose
// message is one short line that shows the input only escaped. The
// pure-Go resolver's parsers have their own targets, in
// resolve_nocgo_fuzz_test.go, built only where that resolver is.

// maxInputError is the longest message a refused input may give: a
// message quotes the input, shortened, and never echoes it whole.
const maxInputError = 300

// checkInputError fails unless err is a ClassInvalid *Error with a short,
// one-line, escaped message.
func checkInputError(t *testing.T, what, input string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassInvalid {
		t.Fatalf("%s(%q): %v (%T) is not a ClassInvalid *Error", what, input, err, err)
	}
	msg := err.Error()
	if len(msg) > maxInputError {
		t.Fatalf("%s(%q): a message of %d bytes: %q", what, input, len(msg), msg)
	}
	if !utf8.ValidString(msg) {
		t.Fatalf("%s(%q): invalid UTF-8 in the message %q", what, input, msg)
	}
	if i := strings.IndexFunc(msg, isUnsafeRune); i >= 0 {
		t.Fatalf("%s(%q): %U left raw in the message %q", what, input, []rune(msg[i:])[0], msg)
	}
}

// isUnsafeRune reports whether a terminal would act on r, or hide it:
// C0 and C1 controls, DEL, and format characters (bidi, zero-width).
func isUnsafeRune(r rune) bool {
	return r < 0x20 || r >= 0x7f && r < 0xa0 || unicode.Is(unicode.Cf, r)
}

// FuzzParseTarget: a target it accepts is written back by String as text
// it reads as the same target, with a host CheckHost passes.
func FuzzParseTarget(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			checkInputError(t, "ParseTarget", s, err)
			return
		}
		if back, err := ParseTarget(tg.String()); err != nil || back != tg {
			t.Fatalf("ParseTarget(%q) = %+v; its text %q reads back as %+v, %v", s, tg, tg.String(), back, err)
		}
		if !tg.IsUnix {
			if err := CheckHost(tg.Host); err != nil {
				t.Fatalf("ParseTarget(%q) took host %q that CheckHost refuses: %v", s, tg.Host, err)
			}
			if tg.Service == "" {
				t.Fatalf("ParseTarget(%q) took an empty service", s)
			}
		}
	})
}

// nameParser is a parser of one constant's names, with the value's
// String and, where it has one, its C name.
type nameParser struct {
	what   string
	parse  func(string) (int, error)
	names  func(int) []string
	isFlag bool
}

// nameParsers lists every parser of constants' names and flags.
var nameParsers = []nameParser{
	{"ParseFamily", parseAs(ParseFamily), func(v int) []string { return []string{Family(v).String(), Family(v).CName()} }, false},
	{"ParseSockType", parseAs(ParseSockType), func(v int) []string { return []string{SockType(v).String(), SockType(v).CName()} }, false},
	{"ParseProtocol", parseAs(ParseProtocol), func(v int) []string { return []string{Protocol(v).String()} }, false},
	{"ParseShutHow", parseAs(ParseShutHow), func(v int) []string { return []string{ShutHow(v).String()} }, false},
	{"ParseAIFlags", parseAs(ParseAIFlags), func(v int) []string { return []string{AIFlags(v).String()} }, true},
	{"ParseNIFlags", parseAs(ParseNIFlags), func(v int) []string { return []string{NIFlags(v).String()} }, true},
	{"ParseMsgFlags", parseAs(ParseMsgFlags), func(v int) []string { return []string{MsgFlags(v).String()} }, true},
}

func parseAs[T ~int](parse func(string) (T, error)) func(string) (int, error) {
	return func(s string) (int, error) {
		v, err := parse(s)
		return int(v), err
	}
}

// FuzzParseNames: every parser of names and flags reads back what its
// type's String (and CName) writes, takes only values a C int holds
// (flags: without the sign bit), and refuses the rest with a short line.
func FuzzParseNames(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range nameParsers {
			v, err := p.parse(s)
			if err != nil {
				checkInputError(t, p.what, s, err)
				continue
			}
			if v != int(int32(v)) || p.isFlag && v < 0 {
				t.Fatalf("%s(%q) = %d, which no C int flag set holds", p.what, s, v)
			}
			for _, name := range p.names(v) {
				if back, err := p.parse(name); err != nil || back != v {
					t.Fatalf("%s(%q) = %d, written %q, which reads back as %d, %v", p.what, s, v, name, back, err)
				}
			}
		}
	})
}

// FuzzParseInetAddress: the host and port it splits off, put together
// again with or without brackets, are the text it was given, and an
// unbracketed address is cut at its only colon.
func FuzzParseInetAddress(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		host, port := ParseInetAddress(s)
		forms := []string{host + ":" + port, "[" + host + "]:" + port}
		if port == "" {
			forms = append(forms, host, "["+host+"]")
		}
		if !slices.Contains(forms, s) {
			t.Fatalf("ParseInetAddress(%q) = %q, %q", s, host, port)
		}
		if !strings.HasPrefix(s, "[") && strings.Count(s, ":") == 1 && (strings.Contains(host, ":") || strings.Contains(port, ":")) {
			t.Fatalf("ParseInetAddress(%q) = %q, %q: a colon left in a part", s, host, port)
		}
	})
}

// fuzzOptions are the options FuzzParseOptValue picks from: one for each
// way a value is read (the parsers look only at the type, the unit and,
// for groups, the level), the same on every system.
var fuzzOptions = []SockOpt{
	{Name: "BOOL", Type: OptBool},
	{Name: "INT", Type: OptInt},
	{Name: "BYTES", Type: OptBytes},
	{Name: "LINGER", Type: OptLinger},
	{Name: "TIMEVAL", Type: OptDuration},
	{Name: "MILLISECONDS", Type: OptDuration, Unit: time.Millisecond},
	{Name: "STRING", Type: OptString},
	{Name: "TCPINFO", Type: OptTCPInfo, ReadOnly: true},
	{Name: "GROUP4", Type: OptMreq, Level: unix.IPPROTO_IP},
	{Name: "GROUP6", Type: OptMreq, Level: unix.IPPROTO_IPV6},
	{Name: "NONE", Type: OptNone},
}

// shownEmpty are the words OptValue.String shows for an empty value,
// which people write as nothing.
var shownEmpty = map[string]bool{"(empty)": true, "(none)": true}

// FuzzParseOptValue: a value it takes for an option is of the option's
// type and its String reads back as the same value; a value it refuses is
// a short line.
func FuzzParseOptValue(f *testing.F) {
	f.Fuzz(func(t *testing.T, pick uint8, s string) {
		o := fuzzOptions[int(pick)%len(fuzzOptions)]
		v, err := ParseOptValue(o, s)
		if err != nil {
			checkInputError(t, "ParseOptValue "+o.Name, s, err)
			return
		}
		if v.Type != o.Type {
			t.Fatalf("ParseOptValue(%s, %q) gave a %s value", o.Name, s, v.Type)
		}
		text := v.String()
		if shownEmpty[text] {
			text = ""
		}
		back, err := ParseOptValue(o, text)
		if err != nil || back.String() != v.String() {
			t.Fatalf("ParseOptValue(%s, %q) = %s, which reads back as %s, %v", o.Name, s, v, back, err)
		}
	})
}

// TestLongInputErrorsAreShort: a megabyte, or a run of bytes that each
// quote as four characters, given to any parser of typed text gives the
// same short line the fuzz targets ask for.
func TestLongInputErrorsAreShort(t *testing.T) {
	for _, in := range []string{strings.Repeat("x", 1<<20), strings.Repeat("\xff", 1000), strings.Repeat("\u202e", 500)} {
		for _, p := range nameParsers {
			_, err := p.parse(in)
			checkInputError(t, p.what, clipLong(in), err)
		}
		for _, o := range fuzzOptions {
			_, err := ParseOptValue(o, in)
			if o.Type == OptString && err == nil {
				continue // any text without a NUL is a name
			}
			checkInputError(t, "ParseOptValue "+o.Name, clipLong(in), err)
		}
		for what, parse := range map[string]func(string) error{
			"ParseTarget": func(s string) error { _, err := ParseTarget(s); return err },
			"ParseAddr":   func(s string) error { _, err := ParseAddr(s + ":80"); return err },
			"InetAddr":    func(s string) error { _, err := InetAddr(s, 80); return err },
			"CheckHost":   CheckHost,
		} {
			checkInputError(t, what, clipLong(in), parse(in))
		}
	}
}
