// Package cli is sockbench's command line: the resolve, connect, listen
// and relay subcommands. They print one line per event, for people by
// default or as JSON objects with --json, and end with an exit status that
// scripts can test:
//
//	0  resolved, or connected and the exchange ended normally (the peer
//	   closed, or nothing arrived for the read timeout); listen ended by
//	   Ctrl+C
//	1  the network said no: unknown name, refused, timed out, reset, a
//	   peer that stopped reading (stalled), ...
//	2  bad usage or bad input; one line on stderr, nothing sent
//	130 connect interrupted by Ctrl+C or SIGTERM
//
// Everything from outside (received bytes, addresses, paths, names, system
// error strings) reaches plain output through package safe. Received bytes
// are written raw only to --recv-file.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"sockbench/netcore"
)

// Exit statuses.
const (
	exitOK          = 0
	exitNetwork     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// command is one subcommand.
type command struct {
	usage string                   // shown by -h, before the flags
	run   func(*env, []string) int // args after the subcommand's name
}

// commands maps subcommand names to their code. It is filled in init to
// let the help command list them.
var commands map[string]command

func init() {
	commands = map[string]command{
		"resolve": {resolveUsage, runResolve},
		"connect": {connectUsage, runConnect},
		"listen":  {listenUsage, runListen},
		"relay":   {relayUsage, runRelay},
		"help":    {helpUsage, runHelp},
	}
}

// IsCommand reports whether name is a subcommand Run handles: resolve,
// connect, listen, relay or help.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok
}

// SuggestCommand returns the command name word is most likely a typo of
// ("conect": "connect"), or "" when it is close to none.
func SuggestCommand(word string) string {
	best, bestDistance := "", 3 // at most two edits
	if len(word) < 3 || len(word) > 16 {
		return ""
	}
	for name := range commands {
		if d := editDistance(word, name); d < bestDistance || d == bestDistance && name < best {
			best, bestDistance = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// UnknownCommand is the usage error for a word that is not a command, with
// the command it may be a typo of.
func UnknownCommand(word string) error {
	if len(word) > 60 {
		word = netcore.QuoteInput(word)
	}
	if guess := SuggestCommand(word); guess != "" {
		return usagef("unknown command %s (did you mean %s?)", word, guess)
	}
	return usagef("unknown command %s", word)
}

// helpAlias turns -h, -help and --help into "help".
func helpAlias(name string) string {
	switch name {
	case "-h", "-help", "--help":
		return "help"
	}
	return name
}

// Run runs the subcommand args[0] with the arguments after it and returns
// the exit status. SIGINT and SIGTERM cancel what is under way: listen then
// ends cleanly, connect with status 130.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, stdin, stdout, stderr)
}

// run is Run with the context given, for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	out, stdout, stderr := newOutputs(stdout, stderr)
	defer out.Close()
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		return runHelp(e, nil)
	}
	cmd, ok := commands[helpAlias(args[0])]
	if !ok {
		return e.fail("", UnknownCommand(args[0]))
	}
	return cmd.run(e, args[1:])
}

// env is what a subcommand works with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// fail prints err as one line on stderr, with a pointer to -h for usage
// errors, and returns the exit status it calls for.
func (e *env) fail(cmd string, err error) int {
	line := "sockbench: " + errorText(err)
	if isUsageError(err) {
		line += usageHint(cmd)
	}
	fmt.Fprintln(e.stderr, line)
	return exitCodeOf(err)
}

// failAfterStart reports a failure that comes after the command line was
// accepted (a name that does not resolve): as a JSON "failed" event with
// --json when the network said no, else as fail does.
func (e *env) failAfterStart(cmd string, rep reporter, err error) int {
	code := exitCodeOf(err)
	if _, isJSON := rep.(*jsonReporter); isJSON && code == exitNetwork {
		rep.failed(err)
		return code
	}
	return e.fail(cmd, err)
}

// usageHint tells where the usage of cmd is.
func usageHint(cmd string) string {
	if cmd == "" {
		return " (run 'sockbench help' for usage)"
	}
	return fmt.Sprintf(" (run 'sockbench %s -h' for usage)", cmd)
}

const helpUsage = `usage: sockbench help [COMMAND]

Shows the usage of sockbench or of one of its commands.
`

// runHelp prints the list of commands, or one command's usage.
func runHelp(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, Overview)
		return exitOK
	}
	name := args[0]
	if _, ok := commands[name]; !ok || name == "help" {
		return e.fail("", UnknownCommand(name))
	}
	return commands[name].run(e, []string{"-h"})
}

// Overview lists the commands and the exit statuses, for the help of
// sockbench and of its workbench.
const Overview = `usage: sockbench [flags] [TARGET]     the workbench (sockbench -h lists its flags)
       sockbench resolve ...          getaddrinfo from the command line
       sockbench connect ...          connect over an address list, exchange bytes (nc-like)
       sockbench listen ...           accept connections, exchange bytes (or answer by rules)
       sockbench relay ...            sit between a client and a server, show both legs
       sockbench help COMMAND         the usage of a command

Exit status: 0 done, 1 the network said no, 2 bad usage or input,
130 interrupted (Ctrl+C, SIGTERM).
`
