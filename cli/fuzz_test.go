package cli

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzJSONEscaper: every JSON line the CLI writes decodes to the same
// text and holds nothing a terminal would act on or hide behind.
func FuzzJSONEscaper(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]0;x\x07", "a\u202eb", "\u200b\u2066", "\xc2\x9b31m", "\x7f", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := json.Marshal(map[string]string{"m": s})
		if err != nil {
			t.Fatal(err)
		}
		line := escapeInvisible(raw)
		var back map[string]string
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("%q: not JSON any more: %v", line, err)
		}
		if utf8.ValidString(s) && back["m"] != s {
			t.Fatalf("%q decodes to %q", s, back["m"])
		}
		for _, r := range string(line) {
			if r < 0x20 || isInvisible(r) {
				t.Fatalf("%U left raw in %q", r, line)
			}
		}
	})
}

// FuzzParseSize: --capture-limit never panics, and what it accepts is a
// positive size that fits.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"256MiB", "1G", "64K", "1048576", "0", "-1", "99999999999G", "MiB", " 5 m "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil && n <= 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}
