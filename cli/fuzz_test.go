package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"slices"
	"strings"
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

// FuzzParseArgs: any command line given to the flags of every command
// either parses, leaving the other arguments in their order, or ends in
// exit 2 with one short, safe line on stderr.
func FuzzParseArgs(f *testing.F) {
	commands := map[string]func(*flag.FlagSet){
		"resolve": func(fs *flag.FlagSet) { new(resolveOptions).register(fs) },
		"connect": func(fs *flag.FlagSet) { new(connectOptions).register(fs) },
		"listen":  func(fs *flag.FlagSet) { new(listenOptions).register(fs) },
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		args := []string{a, b, c}
		for name, register := range commands {
			fs := newFlagSet(name)
			register(fs)
			var stdout, stderr bytes.Buffer
			e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
			positional, code, ok := e.parseCommandLine(fs, args)
			switch {
			case ok && !isSubsequence(positional, args):
				t.Fatalf("%s %q: other arguments %q", name, args, positional)
			case !ok && code == exitUsage && usageLineProblem(stderr.String()) != "":
				t.Fatalf("%s %q: %s: %q", name, args, usageLineProblem(stderr.String()), stderr.String())
			case !ok && code != exitUsage && code != exitOK:
				t.Fatalf("%s %q: exit %d", name, args, code)
			}
		}
	})
}

// isSubsequence reports whether sub is list with some elements left out.
func isSubsequence(sub, list []string) bool {
	for _, s := range sub {
		i := slices.Index(list, s)
		if i < 0 {
			return false
		}
		list = list[i+1:]
	}
	return true
}
