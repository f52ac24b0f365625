package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"sockbench/netcore"
)

// newFlagSet makes a silent flag set for a subcommand: errors come back to
// the caller, which prints them on one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseCommandLine parses a subcommand's flags and returns its other
// arguments. When ok is false the subcommand ends at once with code:
// after -h, which prints the usage to stdout (0), or after a usage error,
// which prints one line to stderr (2).
func (e *env) parseCommandLine(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	positional, err := ParseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		e.printUsage(fs)
		return nil, exitOK, false
	case err != nil:
		return nil, e.fail(fs.Name(), err), false
	}
	return positional, exitOK, true
}

// ParseArgs parses the flags of fs anywhere among args, not only before
// the first other argument as flag.Parse does ("--" ends the flags), and
// returns the other arguments. It returns flag.ErrHelp after -h or -help,
// and otherwise errors that read well on one line: "unknown flag -x", and
// any argument quoted in them cut short when it is long.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	positional, err := parseInterspersed(fs, args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return nil, flagError(err)
	}
	return positional, err
}

// flagError rewords the flag package's errors where they are unclear, and
// shortens the arguments they quote.
func flagError(err error) error {
	msg := err.Error()
	for _, prefix := range []string{"flag provided but not defined: ", "bad flag syntax: "} {
		if arg, ok := strings.CutPrefix(msg, prefix); ok {
			if len(arg) > 60 {
				arg = netcore.QuoteInput(arg)
			}
			if prefix == "bad flag syntax: " {
				return &usageError{"bad flag syntax " + arg}
			}
			return &usageError{"unknown flag " + arg}
		}
	}
	if name, value, reason, ok := cutValueError(msg); ok {
		switch {
		case reason == "parse error" && strings.HasPrefix(msg, "invalid boolean"):
			reason = shortenQuoted(value) + " is not true or false"
		case reason == "parse error":
			reason = shortenQuoted(value) + " is not a valid value"
		}
		return usagef("bad --%s: %s", name, shortenQuoted(reason))
	}
	return &usageError{shortenQuoted(msg)}
}

// cutValueError takes apart the flag package's `invalid value "V" for flag
// -NAME: REASON` (and its `invalid boolean value "V" for -NAME: REASON`).
func cutValueError(msg string) (name, value, reason string, ok bool) {
	rest, found := strings.CutPrefix(msg, "invalid value ")
	if !found {
		rest, found = strings.CutPrefix(msg, "invalid boolean value ")
	}
	if !found {
		return "", "", "", false
	}
	value, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", "", "", false
	}
	rest = strings.TrimPrefix(strings.TrimPrefix(rest[len(value):], " for flag -"), " for -")
	name, reason, ok = strings.Cut(rest, ": ")
	return name, value, reason, ok
}

// shortenQuoted replaces each Go-quoted string in msg that is long with
// its shortened form (netcore.QuoteInput).
func shortenQuoted(msg string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '"')
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:i])
		quoted, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			b.WriteString(msg[i:])
			return b.String()
		}
		short := quoted
		if s, err := strconv.Unquote(quoted); err == nil && len(quoted) > 70 {
			short = netcore.QuoteInput(s)
		}
		b.WriteString(short)
		msg = msg[i+len(quoted):]
	}
}

// printUsage writes the subcommand's usage and flags to stdout.
func (e *env) printUsage(fs *flag.FlagSet) {
	fmt.Fprint(e.stdout, commands[fs.Name()].usage)
	fmt.Fprintln(e.stdout, "\nFlags (one or two dashes):")
	fs.SetOutput(e.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseInterspersed parses flags anywhere among the arguments, not only
// before the first non-flag as flag.Parse does. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// familyFlag registers --family.
func familyFlag(fs *flag.FlagSet, family *netcore.Family) {
	fs.Func("family", "address `family`: inet, inet6, unix or unspec (default unspec)", func(s string) error {
		f, err := netcore.ParseFamily(s)
		if err != nil {
			return errors.New(reasonText(err))
		}
		*family = f
		return nil
	})
}

// sockTypeFlag registers --type with a default and the types allowed.
func sockTypeFlag(fs *flag.FlagSet, typ *netcore.SockType, def netcore.SockType, allowed ...netcore.SockType) {
	*typ = def
	names := make([]string, len(allowed))
	for i, t := range allowed {
		names[i] = t.String()
	}
	usage := fmt.Sprintf("socket `type`: %s (default %s)", strings.Join(names, ", "), def)
	fs.Func("type", usage, func(s string) error {
		t, err := netcore.ParseSockType(s)
		if err != nil {
			return errors.New(reasonText(err))
		}
		for _, a := range allowed {
			if t == a {
				*typ = t
				return nil
			}
		}
		return fmt.Errorf("socket type %s not supported here (one of %s)", t, strings.Join(names, ", "))
	})
}

// durationFlag registers a flag holding a Go duration ("1.5s", "250ms")
// that must not be negative.
func durationFlag(fs *flag.FlagSet, d *time.Duration, name string, def time.Duration, usage string) {
	*d = def
	fs.Func(name, usage, func(s string) error {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%s is not a duration such as 2s or 250ms", netcore.QuoteInput(s))
		}
		if v < 0 {
			return fmt.Errorf("negative duration %s", netcore.QuoteInput(s))
		}
		*d = v
		return nil
	})
}

// raceFlag is --race, --race=false or --race=DELAY: a boolean flag that
// also takes the connection attempt delay as its value.
type raceFlag struct {
	on    bool
	delay time.Duration
}

func (r *raceFlag) IsBoolFlag() bool { return true }

func (r *raceFlag) String() string {
	if r == nil || !r.on {
		return "false"
	}
	return r.delay.String()
}

func (r *raceFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1":
		r.on, r.delay = true, netcore.DefaultRaceDelay
		return nil
	case "false", "0":
		r.on = false
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s is not a positive delay such as 100ms", netcore.QuoteInput(s))
	}
	r.on, r.delay = true, d
	return nil
}

// stringFlag is a string flag that remembers whether it was given.
type stringFlag struct {
	value string
	set   bool
}

func (f *stringFlag) String() string {
	if f == nil {
		return ""
	}
	return f.value
}

func (f *stringFlag) Set(s string) error {
	f.value, f.set = s, true
	return nil
}

// flagGiven reports whether the command line set the flag name.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
