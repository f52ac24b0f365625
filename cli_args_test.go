package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// runSockbench runs the built binary and returns its exit status and
// output.
func runSockbench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(workbenchBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// plainLine checks that s is one line with no control byte but its final
// newline, and no C1 control.
func plainLine(t *testing.T, what, s string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("%s: want one line, got %q", what, s)
	}
	for _, r := range strings.TrimSuffix(s, "\n") {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			t.Errorf("%s: control %U written raw in %q", what, r, s)
			return
		}
	}
}

func TestWorkbenchHelpListsFlagsAndCommands(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseWorkbenchArgs([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"-no-lab", "-theme", "-capture-limit", "-timeout", "-version",
		"sockbench resolve", "sockbench connect", "sockbench listen", "Exit status"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
	code, stdout, stderr := runSockbench(t, "-h")
	if code != 0 || stdout != out.String() || stderr != "" {
		t.Errorf("sockbench -h: status %d, stderr %q, stdout %q", code, stderr, stdout)
	}
}

func TestWorkbenchVersion(t *testing.T) {
	code, stdout, stderr := runSockbench(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "sockbench ") || strings.Count(stdout, "\n") != 1 || stderr != "" {
		t.Errorf("--version: status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestWorkbenchArgumentErrors: a bad workbench command line is one line on
// stderr, exit 2, with the arguments from outside made safe.
func TestWorkbenchArgumentErrors(t *testing.T) {
	cases := map[string][]string{
		"two targets with OSC":   {"a:1", "b\x1b]0;WB\x07:2"},
		"unknown flag with ESC":  {"--x\x1b]0;WB\x07"},
		"bad target with CSI":    {"host\x1b[2J"},
		"C1 in a flag value":     {"--theme", "dark\u009b2J"},
		"100 KB of flag":         {"--" + strings.Repeat("x", 100<<10)}, // one argument holds at most 128 KiB
		"100 KB of theme":        {"--theme", strings.Repeat("x", 100<<10)},
		"bad capture limit":      {"--capture-limit", "\xff\xfe"},
		"bad timeout":            {"--timeout", "soon\x07"},
		"bidi in a target":       {"evil\u202e:80x"},
		"non-UTF-8 in a target":  {"h\xff:1"},
		"target of 5,000 bytes":  {strings.Repeat("x", 5000) + ":80"},
		"negative timeout value": {"--timeout", "-1s"},
	}
	for name, args := range cases {
		code, stdout, stderr := runSockbench(t, args...)
		if code != 2 || stdout != "" {
			t.Errorf("%s: status %d, stdout %q", name, code, stdout)
		}
		plainLine(t, name, stderr)
		if len(stderr) > 400 {
			t.Errorf("%s: %d bytes on stderr", name, len(stderr))
		}
	}
}

func TestMistypedCommand(t *testing.T) {
	code, _, stderr := runSockbench(t, "conect", "host:80")
	if want := "sockbench: unknown command conect (did you mean connect?) (run 'sockbench -h' for usage)\n"; code != 2 || stderr != want {
		t.Errorf("status %d, stderr %q, want %q", code, stderr, want)
	}
	code, _, stderr = runSockbench(t, "frobnicate")
	if code != 2 || !strings.Contains(stderr, "bad target") {
		t.Errorf("a word far from any command: status %d, stderr %q", code, stderr)
	}
}

// TestWorkbenchBadInputEverywhere gives each workbench flag, and TARGET,
// empty, 1 MB, malformed, out-of-range and non-UTF-8 values: each is an
// error whose line is short and holds no control character.
func TestWorkbenchBadInputEverywhere(t *testing.T) {
	values := map[string]string{
		"empty": "", "1 MB": strings.Repeat("x", 1<<20), "malformed": "\x1b]0;pwned\x07\u009b2J\u202e",
		"out of range": "-99999999999999999999", "non-UTF-8": "\xff\xfe\xc0",
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	new(workbenchFlags).register(fs)
	var lines [][]string
	fs.VisitAll(func(f *flag.Flag) {
		for _, v := range values {
			lines = append(lines, []string{"--" + f.Name + "=" + v})
		}
	})
	for _, v := range values {
		lines = append(lines, []string{v})
	}
	for _, args := range lines {
		_, err := parseWorkbenchArgs(args, io.Discard)
		if err == nil || errors.Is(err, flag.ErrHelp) || errors.Is(err, errVersion) {
			t.Errorf("%.60q: %v, want an error", args, err)
			continue
		}
		line := argumentErrorLine(err) + "\n"
		plainLine(t, fmt.Sprintf("%.60q", args), line)
		if len(line) > 400 {
			t.Errorf("%.60q: a line of %d bytes", args, len(line))
		}
	}
}
