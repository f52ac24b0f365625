package model

import (
	"sockbench/netcore"
	"strings"
	"testing"
	"time"
)

// The workbench's own parsers of what a user types: none may panic, and
// what each accepts must make sense.

func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"3s", "500ms", "2", "none", "0", "NaN", "-1", "1e9", "25h", "1.5", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseTimeout(s)
		if err == nil && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("parseTimeout(%q) = %v, outside 0..24h", s, d)
		}
	})
}

func FuzzParseNeedle(f *testing.F) {
	for _, s := range []string{"GET", `\r\n`, "hex:68 65", "hex:zz", `\q`, "hex:", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		needle, err := parseNeedle(s)
		if err == nil && !strings.HasPrefix(strings.TrimSpace(s), "hex:") && !strings.Contains(s, `\`) && string(needle) != s {
			t.Fatalf("parseNeedle(%q) = %q: plain text must stand for itself", s, needle)
		}
	})
}

func FuzzParseListenAndUDP(f *testing.F) {
	for _, s := range []string{"", "8080", "127.0.0.1:0", "[::1]:9", "unix:/tmp/x", "unix:@abs", "-> 9999",
		"127.0.0.1:0 -> [::1]:7", "0.0.0.0:0 -> 10.0.0.1:53", "999999", "->", "a -> b -> c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := parseListenAddr(s, "127.0.0.1:0"); err == nil && !a.IsValid() {
			t.Fatalf("parseListenAddr(%q) accepted an invalid address", s)
		}
		local, peer, err := parseUDPSpec(s)
		if err != nil {
			return
		}
		if !local.IsValid() {
			t.Fatalf("parseUDPSpec(%q): invalid local address", s)
		}
		if peer.IsValid() && peer.Family() != local.Family() {
			t.Fatalf("parseUDPSpec(%q): local %s and peer %s of different families", s, local, peer)
		}
		// A UNIX path is any bytes (invalid UTF-8 too): String keeps them,
		// and the safe renderer shows them; it must not lose them.
		if local.Family() == netcore.FamilyUnix && !local.IsAbstract() && !strings.Contains(s, `\`) &&
			!strings.Contains(s, local.Path()) {
			t.Fatalf("parseUDPSpec(%q): path %q is not the one given", s, local.Path())
		}
	})
}

func FuzzTargetOf(f *testing.F) {
	for _, c := range [][2]string{{"localhost", "7"}, {"::1", "http"}, {"unix:/tmp/s", ""}, {`unix:/tmp/h\x1b`, ""},
		{"[::1]:80", ""}, {"host", ""}, {`\q`, "1"}, {"h", `\x`}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, host, service string) {
		tg, err := targetOf(host, service)
		if err == nil && tg.String() == "" {
			t.Fatalf("targetOf(%q, %q) accepted an empty target", host, service)
		}
	})
}
