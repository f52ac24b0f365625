package netcore

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	good := map[string]Target{
		"127.0.0.1:80":                          {Host: "127.0.0.1", Service: "80"},
		"localhost:http":                        {Host: "localhost", Service: "http"},
		"[::1]:8080":                            {Host: "::1", Service: "8080"},
		"[fe80::1%lo]:22":                       {Host: "fe80::1%lo", Service: "22"},
		":0":                                    {Host: "", Service: "0"},
		"unix:/run/x.sock":                      {UnixPath: "/run/x.sock", IsUnix: true},
		"unix:@name":                            {UnixPath: "@name", IsUnix: true},
		"example.org:65535":                     {Host: "example.org", Service: "65535"},
		"host.example:imap-ss":                  {Host: "host.example", Service: "imap-ss"},
		"x:00080":                               {Host: "x", Service: "00080"},
		strings.Repeat("a", 63) + ".example:80": {Host: strings.Repeat("a", 63) + ".example", Service: "80"},
		strings.Repeat("abc.", 63) + "x:1":      {Host: strings.Repeat("abc.", 63) + "x", Service: "1"}, // 253 bytes
		strings.Repeat("abc.", 63) + "x.:1":     {Host: strings.Repeat("abc.", 63) + "x.", Service: "1"},
	}
	for in, want := range good {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if err == nil && got.String() != in {
			t.Errorf("ParseTarget(%q).String() = %q", in, got.String())
		}
	}
}

func TestParseTargetRefuses(t *testing.T) {
	bad := []string{"127.0.0.1", "127.0.0.1:99999", "[::1", "[::1]", "[::1]80", "host:port:x", "::1:80",
		"host:", "unix:", "[example.org]:80", "a b:80", "host:80/tcp", "unix:/" + strings.Repeat("x", 200),
		"[127.0.0.1]:80", "host:-1", "host:0x50", "[::1%lo]:80x", "host:80x", "host:9" + strings.Repeat("9", 30),
		"h\x1b]0;x\x07:80", "[::1%\x1b]:80", "h\xff:80", "evil\u202egro.example:80", "a\u200db:80", "c1\u009b:80",
		strings.Repeat("a", 64) + ".example:80",   // a label over 63
		strings.Repeat("abc.", 63) + "xy:1",       // 254 bytes
		strings.Repeat("x", 5000) + ":80",         // both
		strings.Repeat("a.", 2500) + "example:80", // many labels, far too long
		strings.Repeat("\xff", 70) + ":80",        // quoted twice, each byte as \xff
		":::\x1b[2J", "fe80::1%\x1b:80",           // the hint to bracket the address
	}
	for _, in := range bad {
		got, err := ParseTarget(in)
		if err == nil {
			t.Errorf("ParseTarget(%q) = %+v, want an error", clipLong(in), got)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassInvalid {
			t.Errorf("ParseTarget(%q): %v is not a ClassInvalid *Error", clipLong(in), err)
		}
		if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, "bad target ") || strings.IndexFunc(msg, isUnsafeRune) >= 0 {
			t.Errorf("ParseTarget(%q): message of %d bytes: %q", clipLong(in), len(msg), clipLong(msg))
		}
	}
}

// QuoteInput escapes what a terminal would act on and cuts what it
// writes, not what it reads, at 60 bytes.
func TestQuoteInput(t *testing.T) {
	for in, want := range map[string]string{
		"":                         `""`,
		"host":                     `"host"`,
		"a\x1b]0;x\x07\u202e":      `"a\x1b]0;x\a\u202e"`,
		strings.Repeat("x", 60):    `"` + strings.Repeat("x", 60) + `"`,
		strings.Repeat("x", 61):    `"` + strings.Repeat("x", 60) + `"... (61 bytes)`,
		strings.Repeat("\xff", 20): `"` + strings.Repeat(`\xff`, 15) + `"... (20 bytes)`,
		strings.Repeat("é", 40):    `"` + strings.Repeat("é", 30) + `"... (80 bytes)`,
	} {
		if got := QuoteInput(in); got != want {
			t.Errorf("QuoteInput(%q) = %s, want %s", clipLong(in), got, want)
		}
	}
}

// clipLong shortens a long string for a test's message.
func clipLong(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func TestCheckHost(t *testing.T) {
	for _, ok := range []string{"", "localhost", "::1", "fe80::1%eth0", "a-b.example.", strings.Repeat("a", 63), "bücher.example"} {
		if err := CheckHost(ok); err != nil {
			t.Errorf("CheckHost(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"a b", "x\x00", "\x1b[2J", "a/b", strings.Repeat("a", 64), strings.Repeat("a.", 127) + "ab"} {
		if err := CheckHost(bad); ClassOf(err) != ClassInvalid {
			t.Errorf("CheckHost(%q) = %v, want ClassInvalid", clipLong(bad), err)
		}
	}
}

func TestResolveTargets(t *testing.T) {
	targets := []Target{{Host: "127.0.0.1", Service: "7"}, {UnixPath: "@sockbench", IsUnix: true}, {Host: "::1", Service: "9"}}
	ais, err := ResolveTargets(context.Background(), targets, Hints{SockType: SockDgram})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ai := range ais {
		got = append(got, ai.Family.String()+" "+ai.SockType.String()+" "+ai.Addr.String())
	}
	want := []string{"inet dgram 127.0.0.1:7", "unix dgram @sockbench", "inet6 dgram [::1]:9"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestResolveTargetsErrors(t *testing.T) {
	ctx := context.Background()
	_, err := ResolveTargets(ctx, []Target{{UnixPath: "@x", IsUnix: true}}, Hints{Family: FamilyInet})
	if ClassOf(err) != ClassInvalid {
		t.Errorf("UNIX target under inet: %v, want ClassInvalid", err)
	}
	_, err = ResolveTargets(ctx, []Target{{Host: "127.0.0.1", Service: "1"}}, Hints{Family: FamilyUnix})
	if ClassOf(err) != ClassInvalid {
		t.Errorf("inet target under unix: %v, want ClassInvalid", err)
	}
	_, err = ResolveTargets(ctx, []Target{{Host: "nosuch.invalid", Service: "80"}}, Hints{})
	var re *ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("unknown name: %v, want a *ResolveError", err)
	}
	if re.Code != "EAI_AGAIN" && !errors.Is(err, ErrNoName) { // EAI_AGAIN: no resolver reachable
		t.Errorf("unknown name: %v, want ErrNoName", err)
	}
}
