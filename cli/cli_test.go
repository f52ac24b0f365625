package cli

import (
	"strings"
	"testing"
)

func TestIsCommand(t *testing.T) {
	for _, name := range []string{"resolve", "connect", "listen", "help"} {
		if !IsCommand(name) {
			t.Errorf("IsCommand(%q) = false", name)
		}
	}
	for _, name := range []string{"", "127.0.0.1:80", "--json", "Connect", "-h", "--help"} { // -h is the workbench's
		if IsCommand(name) {
			t.Errorf("IsCommand(%q) = true", name)
		}
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{{"connect", "-h"}, {"listen", "--help"}, {"resolve", "-h"}, {"help", "connect"}, {"--help"}} {
		r := runCLI(t, args...)
		if r.code != exitOK || r.stderr != "" || !strings.HasPrefix(r.stdout, "usage: sockbench") {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestUsageErrorsAreOneLineWithStatus2(t *testing.T) {
	cases := map[string][]string{
		"unknown flag":        {"connect", "--bogus", "127.0.0.1:1"},
		"bad flag value":      {"connect", "--type", "raw", "127.0.0.1:1"},
		"bad timeout":         {"connect", "--timeout", "soon", "127.0.0.1:1"},
		"negative timeout":    {"connect", "--timeout=-1s", "127.0.0.1:1"},
		"bad race delay":      {"connect", "--race=later", "127.0.0.1:1"},
		"no target":           {"connect"},
		"two payloads":        {"connect", "--send", "a", "--send-hex", "62", "127.0.0.1:1"},
		"unknown command":     {"frobnicate"},
		"resolve no host":     {"resolve"},
		"resolve three args":  {"resolve", "a", "b", "c"},
		"resolve bad family":  {"resolve", "--family", "ipx", "localhost"},
		"resolve bad flags":   {"resolve", "--flags", "passive,bogus", "localhost"},
		"listen two addrs":    {"listen", "127.0.0.1:0", "127.0.0.1:0"},
		"listen bad addr":     {"listen", "127.0.0.1"},
		"unreadable file":     {"connect", "--send-file", "/nonexistent/sockbench", "127.0.0.1:1"},
		"family and target":   {"connect", "--family", "inet6", "unix:@sockbench"},
		"bad hex":             {"listen", "--send-hex", "4g", "127.0.0.1:0"},
		"recv-file not there": {"connect", "--recv-file", "/nonexistent/dir/file", "127.0.0.1:1"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, args...)
			if r.code != exitUsage {
				t.Errorf("status %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			oneLine(t, r.stderr)
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

func TestSuggestCommand(t *testing.T) {
	for word, want := range map[string]string{"conect": "connect", "connnect": "connect", "lsiten": "listen",
		"resolv": "resolve", "hlep": "help", "frobnicate": "", "127.0.0.1": "", "ab": "", "connect": "connect"} {
		if got := SuggestCommand(word); got != want {
			t.Errorf("SuggestCommand(%q) = %q, want %q", word, got, want)
		}
	}
	r := runCLI(t, "conect", "host:80")
	if want := "sockbench: unknown command conect (did you mean connect?) (run 'sockbench help' for usage)\n"; r.code != exitUsage || r.stderr != want {
		t.Errorf("status %d, stderr %q, want %q", r.code, r.stderr, want)
	}
}

func TestUnknownFlagMessage(t *testing.T) {
	r := runCLI(t, "connect", "--bogus", "127.0.0.1:1")
	want := "sockbench: unknown flag -bogus (run 'sockbench connect -h' for usage)\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

func TestResolveJSON(t *testing.T) {
	r := runCLI(t, "resolve", "127.0.0.1", "80", "--json")
	want := `{"index":0,"family":"inet","socktype":"stream","protocol":"tcp","address":"127.0.0.1","port":80}` + "\n"
	if r.code != exitOK || r.stdout != want || r.stderr != "" {
		t.Errorf("status %d, stdout %q (want %q), stderr %q", r.code, r.stdout, want, r.stderr)
	}
}

func TestResolvePlain(t *testing.T) {
	r := runCLI(t, "resolve", "--family", "inet6", "::1", "443")
	want := "0  inet6  stream  tcp  [::1]:443\n"
	if r.code != exitOK || r.stdout != want {
		t.Errorf("status %d, stdout %q, want %q (stderr %q)", r.code, r.stdout, want, r.stderr)
	}
}

func TestResolveCanonNameOnlyWhenAsked(t *testing.T) {
	plain := runCLI(t, "resolve", "--json", "localhost", "80")
	if strings.Contains(plain.stdout, "canonname") {
		t.Errorf("canonname without the flag: %q", plain.stdout)
	}
	asked := runCLI(t, "resolve", "--json", "--flags", "canonname", "localhost", "80")
	if asked.code != exitOK || !strings.Contains(asked.stdout, `"canonname":`) {
		t.Errorf("status %d, stdout %q: want a canonname", asked.code, asked.stdout)
	}
}

func TestResolveUnknownName(t *testing.T) {
	r := runCLI(t, "resolve", "nosuch.invalid")
	if r.code != exitNetwork || r.stdout != "" {
		t.Errorf("status %d, stdout %q; want 1 and nothing", r.code, r.stdout)
	}
	oneLine(t, r.stderr)
	if !strings.HasPrefix(r.stderr, "sockbench: resolve nosuch.invalid: ") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestBadTargetsAreInput checks targets that only a resolver used to
// refuse, with exit 1: they are bad input, and the message stays short.
func TestBadTargetsAreInput(t *testing.T) {
	long := strings.Repeat("x", 5000)
	cases := [][]string{
		{"connect", long + ":80"},
		{"connect", strings.Repeat("a", 64) + ".example:80"},
		{"connect", "127.0.0.1:0x50"},
		{"connect", "[::1%lo]:80x"},
		{"listen", long + ":80"},
		{"resolve", long, "80"},
		{"resolve", "host\x1b]0;pwned\x07", "80"},
		{"resolve", "a b"},
	}
	for _, args := range cases {
		r := runCLI(t, args...)
		if r.code != exitUsage || r.stdout != "" {
			t.Errorf("%.40q: status %d, stdout %q; want 2 and nothing", args, r.code, r.stdout)
		}
		oneLine(t, r.stderr)
		if len(r.stderr) > 300 || strings.ContainsRune(r.stderr, 0x1b) {
			t.Errorf("%.40q: stderr of %d bytes: %.200q", args, len(r.stderr), r.stderr)
		}
	}
}
