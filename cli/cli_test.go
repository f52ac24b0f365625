package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sockbench/netcore"
)

func TestIsCommand(t *testing.T) {
	for _, name := range []string{"resolve", "connect", "listen", "help", "-h", "--help"} {
		if !IsCommand(name) {
			t.Errorf("IsCommand(%q) = false", name)
		}
	}
	for _, name := range []string{"", "127.0.0.1:80", "--json", "Connect"} {
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

func TestParseTarget(t *testing.T) {
	good := map[string]Target{
		"127.0.0.1:80":         {Host: "127.0.0.1", Service: "80"},
		"localhost:http":       {Host: "localhost", Service: "http"},
		"[::1]:8080":           {Host: "::1", Service: "8080"},
		"[fe80::1%lo]:22":      {Host: "fe80::1%lo", Service: "22"},
		":0":                   {Host: "", Service: "0"},
		"unix:/run/x.sock":     {UnixPath: "/run/x.sock", IsUnix: true},
		"unix:@name":           {UnixPath: "@name", IsUnix: true},
		"example.org:65535":    {Host: "example.org", Service: "65535"},
		"host.example:imap-ss": {Host: "host.example", Service: "imap-ss"},
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
	bad := []string{"127.0.0.1", "127.0.0.1:99999", "[::1", "[::1]", "[::1]80", "host:port:x", "::1:80",
		"host:", "unix:", "[example.org]:80", "a b:80", "host:80/tcp", "unix:/" + strings.Repeat("x", 200),
		"[127.0.0.1]:80", "host:-1"}
	for _, in := range bad {
		if got, err := ParseTarget(in); err == nil {
			t.Errorf("ParseTarget(%q) = %+v, want an error", in, got)
		} else if !isUsageError(err) {
			t.Errorf("ParseTarget(%q): %v is not a usage error", in, err)
		}
	}
}

func TestResolveTargets(t *testing.T) {
	targets := []Target{{Host: "127.0.0.1", Service: "7"}, {UnixPath: "@sockbench", IsUnix: true}, {Host: "::1", Service: "9"}}
	ais, err := ResolveTargets(context.Background(), targets, netcore.Hints{SockType: netcore.SockDgram})
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
	_, err := ResolveTargets(ctx, []Target{{UnixPath: "@x", IsUnix: true}}, netcore.Hints{Family: netcore.FamilyInet})
	if netcore.ClassOf(err) != netcore.ClassInvalid {
		t.Errorf("UNIX target under inet: %v, want ClassInvalid", err)
	}
	_, err = ResolveTargets(ctx, []Target{{Host: "nosuch.invalid", Service: "80"}}, netcore.Hints{})
	var re *netcore.ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("unknown name: %v, want a *netcore.ResolveError", err)
	}
	if re.Code != "EAI_AGAIN" && !errors.Is(err, netcore.ErrNoName) { // EAI_AGAIN: no resolver reachable
		t.Errorf("unknown name: %v, want ErrNoName", err)
	}
}
