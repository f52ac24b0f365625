package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// badValues are the kinds of bad input every flag and argument is given.
var badValues = map[string]string{
	"empty":        "",
	"1 MB":         strings.Repeat("x", 1<<20),
	"malformed":    "\x1b]0;pwned\x07\u009b2J\u202e",
	"out of range": "-99999999999999999999",
	"non-UTF-8":    "\xff\xfe\xc0",
}

// acceptedByDesign are the values that are not bad input: text to send is
// any text (the empty payload too), hex is forgiving about separators
// ("-" is one), "-99..." is a fine file name, and an empty HOST is
// getaddrinfo's NULL node.
var acceptedByDesign = map[string]bool{
	"connect send/empty": true, "connect send/1 MB": true, "connect send/malformed": true,
	"connect send/out of range": true, "connect send/non-UTF-8": true,
	"listen send/empty": true, "listen send/1 MB": true, "listen send/malformed": true,
	"listen send/out of range": true, "listen send/non-UTF-8": true,
	"connect send-hex/empty": true, "listen send-hex/empty": true,
	"connect send-hex/out of range": true, "listen send-hex/out of range": true,
	"connect recv-file/out of range": true, "listen recv-file/out of range": true,
	"resolve ARG/empty": true,
	// "-99..." is a fine name for the --pcap file too, and for relay's dumps.
	"connect pcap/out of range": true, "listen pcap/out of range": true,
	"relay dump-client/out of range": true, "relay dump-server/out of range": true,
	// Any printable token is an ALPN protocol name ("-999..." too).
	"connect --tls alpn/out of range": true, "listen --tls alpn/out of range": true,
}

// commandFlags returns the names of a command's flags.
func commandFlags(register func(*flag.FlagSet)) []string {
	fs := newFlagSet("x")
	register(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	return names
}

// TestBadInputEverywhere gives every flag of every command, and every
// positional argument, each kind of bad value: each must end with exit 2
// and one short line on stderr that holds no control character, no C1
// and no invalid UTF-8, and never a panic.
func TestBadInputEverywhere(t *testing.T) {
	t.Chdir(t.TempDir()) // a file name taken by mistake is created there
	refusing := closedPort(t)
	commands := []struct {
		name     string
		register func(*flag.FlagSet)
		rest     []string // good positional arguments
	}{
		{"resolve", func(fs *flag.FlagSet) { new(resolveOptions).register(fs) }, []string{"127.0.0.1", "80"}},
		{"connect", func(fs *flag.FlagSet) { new(connectOptions).register(fs) }, []string{refusing}},
		{"listen", func(fs *flag.FlagSet) { new(listenOptions).register(fs) }, []string{"127.0.0.1:0"}},
		{"relay", func(fs *flag.FlagSet) { new(relayOptions).register(fs) }, []string{"127.0.0.1:0", refusing}},
	}
	cases := 0
	for _, c := range commands {
		for _, name := range commandFlags(c.register) {
			for kind, value := range badValues {
				if acceptedByDesign[c.name+" "+name+"/"+kind] {
					continue
				}
				cases++
				checkBadInput(t, fmt.Sprintf("%s --%s %s", c.name, name, kind),
					append([]string{c.name, "--" + name + "=" + value}, c.rest...))
			}
		}
		for kind, value := range badValues {
			if acceptedByDesign[c.name+" ARG/"+kind] {
				continue
			}
			cases++
			args := append([]string{c.name}, c.rest...)
			args[1] = value // the first positional argument
			checkBadInput(t, fmt.Sprintf("%s ARG %s", c.name, kind), args)
		}
	}
	cases += badTLSValues(t, refusing)
	t.Logf("%d bad command lines", cases)
}

// badTLSValues gives the TLS flags each kind of bad value again, with
// --tls given, so that their values are checked and not only their need
// for --tls. It returns how many command lines it ran.
func badTLSValues(t *testing.T, refusing string) int {
	commands := []struct {
		name  string
		flags []string
		rest  []string
	}{
		{"connect", append(append([]string(nil), clientOnly...), tlsShared...), []string{"--tls", refusing}},
		{"listen", append(append([]string(nil), serverOnly...), tlsShared...), []string{"--tls", "127.0.0.1:0"}},
	}
	cases := 0
	for _, c := range commands {
		for _, name := range c.flags {
			for kind, value := range badValues {
				if acceptedByDesign[c.name+" --tls "+name+"/"+kind] {
					continue
				}
				cases++
				checkBadInput(t, fmt.Sprintf("%s --tls --%s %s", c.name, name, kind),
					append([]string{c.name, "--" + name + "=" + value}, c.rest...))
			}
		}
	}
	return cases
}

// checkBadInput runs one command line with cli.Run.
func checkBadInput(t *testing.T, what string, args []string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("%s: panic: %v", what, p)
				done <- -1
			}
		}()
		done <- Run(args, strings.NewReader(""), &stdout, &stderr)
	}()
	var code int
	select {
	case code = <-done:
	case <-time.After(testDeadline):
		t.Fatalf("%s: still running; the bad value was taken", what)
	}
	out := stderr.String()
	if code != exitUsage || stdout.Len() != 0 {
		t.Errorf("%s: status %d, stdout %.100q, stderr %.200q; want 2 and one line", what, code, stdout.String(), out)
		return
	}
	if problem := usageLineProblem(out); problem != "" {
		t.Errorf("%s: %s: %.300q", what, problem, out)
	}
}

// TestBadRules: a malformed --reply or --replies is one line naming what
// is wrong, exit 2, before listen binds anything.
func TestBadRules(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules")
	if err := os.WriteFile(rulesFile, []byte("# ok\nEHLO=>250\\r\\n\nQUIT=>221;close;more\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--reply", "EHLO"}, `bad --reply "EHLO": a rule is MATCH=>ACTIONS`},
		{[]string{"--reply", "a=>close;x"}, `bad --reply "a=>close;x": action 2: nothing can follow close`},
		{[]string{"--reply", "re:(=>x"}, `bad --reply "re:(=>x": match: bad regular expression: missing closing )`},
		{[]string{"--reply", `a=>\q`}, `bad --reply "a=>\\q": action 1: unknown escape`},
		{[]string{"--reply", "a=>;delay=1y"}, `action 2: "delay=1y" is not delay=DUR`},
		{[]string{"--reply", "hex:0g=>x"}, `match: 'g' is not a hex digit at offset 1`},
		{[]string{"--reply", "a=>{rand:0}"}, `{rand:0}: the count must be 1 to 65536`},
		{[]string{"--replies", rulesFile}, `line 3: action 3: nothing can follow close`},
		{[]string{"--replies", filepath.Join(dir, "none")}, "cannot read --replies: open"},
		{[]string{"--type", "dgram", "--reply", "x=>;close"}, `rule 1 ("x=>;close") needs a connection`},
		{[]string{"--type", "dgram", "--reply", "a=>b", "--reply", "=>hello"}, `rule 2 ("=>hello") needs a connection`},
	}
	for _, tt := range tests {
		res := runCLI(t, append(append([]string{"listen"}, tt.args...), "127.0.0.1:0")...)
		oneLine(t, res.stderr)
		if res.code != exitUsage || res.stdout != "" || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 2 and %q", tt.args, res.code, res.stdout, res.stderr, tt.want)
		}
	}
}
