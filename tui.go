package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"sockbench/capture"
	"sockbench/cli"
	"sockbench/lab"
	"sockbench/model"
	"sockbench/netcore"
	"sockbench/safe"
	"sockbench/themes"
)

// workbenchUsage is printed by -h, before the flags and the commands.
const workbenchUsage = `usage: sockbench [flags] [TARGET]

The workbench: resolve, connect, listen and exchange bytes in a full-screen
terminal UI. With TARGET (HOST:SERVICE, [V6ADDR]:SERVICE, unix:PATH or
unix:@NAME) it resolves and connects at once and puts the cursor on the send
line. Without one, the lab services on loopback are ready to try.

Flags (one or two dashes):
`

// errVersion is parseWorkbenchArgs' answer to --version.
var errVersion = errors.New("version asked")

// workbenchConfig is what the workbench's command line says.
type workbenchConfig struct {
	model.Config
	noLab bool
}

// workbenchFlags registers the workbench's flags.
type workbenchFlags struct {
	theme, limit, snippets  string
	noLab, version, packets bool
	snippetsSet             bool // --snippets was given, if empty
	timeout                 time.Duration
}

func (f *workbenchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.theme, "theme", themes.Default, "colour `theme`: "+strings.Join(themes.Names(), ", "))
	fs.BoolVar(&f.noLab, "no-lab", false, "do not start the lab services on loopback")
	fs.StringVar(&f.limit, "capture-limit", "256MiB", "`bytes` of traffic kept per socket (e.g. 64MiB, 1G, 1048576); the oldest are dropped")
	fs.DurationVar(&f.timeout, "timeout", model.DefaultTimeout, "connect timeout per address, `DUR` (0 = none)")
	fs.BoolVar(&f.packets, "capture-packets", false, "capture every socket's packets from its start (needs CAP_NET_RAW; W does it for one socket)")
	fs.StringVar(&f.snippets, "snippets", "", "the snippets `FILE` (default: sockbench/snippets in the user's config directory)")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
}

// parseWorkbenchArgs reads the workbench's flags, before or after TARGET,
// with the command line's own parser. After -h it writes the usage to
// help and returns flag.ErrHelp; after --version, errVersion.
func parseWorkbenchArgs(args []string, help io.Writer) (workbenchConfig, error) {
	var cfg workbenchConfig
	var f workbenchFlags
	fs := flag.NewFlagSet("sockbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	f.register(fs)
	positional, err := cli.ParseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printWorkbenchUsage(help, fs)
		return cfg, err
	case err != nil:
		return cfg, err
	case f.version:
		return cfg, errVersion
	}
	fs.Visit(func(fl *flag.Flag) { f.snippetsSet = f.snippetsSet || fl.Name == "snippets" })
	if err := checkPositional(positional); err != nil {
		return cfg, err
	}
	if err := f.apply(&cfg); err != nil {
		return cfg, err
	}
	if len(positional) == 1 {
		cfg.Target = positional[0]
	}
	return cfg, nil
}

// checkPositional accepts one TARGET at most. A malformed TARGET is
// refused here, with one line, rather than after the screen has been
// taken over; a word close to a command name is taken for a mistyped
// command.
func checkPositional(positional []string) error {
	if len(positional) == 0 {
		return nil
	}
	if _, err := netcore.ParseTarget(positional[0]); err != nil {
		if cli.SuggestCommand(positional[0]) != "" {
			return cli.UnknownCommand(positional[0])
		}
		return err
	}
	if len(positional) > 1 {
		return fmt.Errorf("one TARGET at most, got %d: %s", len(positional), netcore.QuoteInput(strings.Join(positional, " ")))
	}
	return nil
}

// apply checks the flags' values and puts them in cfg.
func (f *workbenchFlags) apply(cfg *workbenchConfig) error {
	if _, err := themes.Lookup(f.theme); err != nil {
		return fmt.Errorf("--theme: %s is not one of %s", netcore.QuoteInput(f.theme), strings.Join(themes.Names(), ", "))
	}
	n, err := cli.ParseSize(f.limit)
	if err != nil {
		return fmt.Errorf("--capture-limit: %w", err)
	}
	if f.timeout < 0 {
		return errors.New("--timeout must not be negative")
	}
	if err := checkSnippetsFile(f.snippets, f.snippetsSet); err != nil {
		return err
	}
	cfg.Theme = f.theme
	cfg.CaptureLimit = n
	cfg.Timeout = f.timeout
	cfg.noLab = f.noLab
	cfg.CapturePackets = f.packets
	cfg.SnippetsPath = f.snippets
	cfg.NoColor = themes.NoColor()
	return nil
}

// checkSnippetsFile refuses a --snippets that names no regular file: the
// workbench reads it only when a snippet is picked, too late to say so.
func checkSnippetsFile(path string, given bool) error {
	switch {
	case !given:
		return nil // the user's own file
	case path == "":
		return errors.New("--snippets: the FILE is empty")
	}
	st, err := os.Stat(path)
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is quoted safely below
	}
	switch {
	case err != nil:
		return fmt.Errorf("--snippets: cannot use %s: %v (create the file first, even empty)", netcore.QuoteInput(path), err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("--snippets: %s is not a regular file", netcore.QuoteInput(path))
	}
	return nil
}

// printWorkbenchUsage writes -h's text: the workbench, its flags, then the
// commands.
func printWorkbenchUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, workbenchUsage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintln(w, "\nCommands:")
	fmt.Fprint(w, cli.Overview)
}

// versionLine names the build: the module version, or "devel", with the
// VCS revision and its date when the build recorded them.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "sockbench devel"
	}
	version := info.Main.Version
	if version == "" || version == "(devel)" {
		version = "devel"
	}
	var rev, when, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	line := "sockbench " + version
	if rev != "" {
		line += fmt.Sprintf(" (%s %s%s)", rev, when, dirty)
	}
	return line + " " + info.GoVersion
}

// labAdapter gives the model the lab's services.
type labAdapter struct{ l *lab.Lab }

func (a labAdapter) Services() []model.LabService {
	var out []model.LabService
	for _, s := range a.l.Services() {
		out = append(out, model.LabService{Name: s.Name, Kind: string(s.Kind), Network: s.Network, Addr: s.Addr, Help: s.Help,
			TLS: s.TLS, StartTLS: s.StartTLS})
	}
	return out
}

func (a labAdapter) RootsFor(addr netcore.Addr) []*x509.Certificate { return a.l.RootsFor(addr) }

func (a labAdapter) Close() error { return a.l.Close() }

// startLab starts the lab services for the model.
func startLab(ctx context.Context) (model.Lab, error) {
	l, err := lab.Start(ctx)
	if err != nil {
		return nil, err
	}
	return labAdapter{l}, nil
}

// newWorkbench builds the model for a configuration.
func newWorkbench(cfg workbenchConfig) *model.Model {
	mc := cfg.Config
	if !cfg.noLab {
		mc.StartLab = startLab
	}
	if mc.CaptureLimit <= 0 {
		mc.CaptureLimit = capture.DefaultLimit
	}
	return model.New(mc)
}

// programOptions are the Bubble Tea options of the workbench: no colour
// at all under NO_COLOR.
func programOptions(cfg workbenchConfig) []tea.ProgramOption {
	if cfg.NoColor {
		return []tea.ProgramOption{tea.WithColorProfile(colorprofile.Ascii)}
	}
	// Lip Gloss found the terminal's colours already, when it was loaded;
	// finding them again costs another "tmux info" inside tmux (20-30 ms
	// of start-up).
	return []tea.ProgramOption{tea.WithColorProfile(lipgloss.Writer.Profile)}
}

// runWorkbench starts the full-screen workbench and returns the exit code.
// Quitting closes every socket and the lab and restores the terminal.
func runWorkbench(args []string) int {
	cfg, err := parseWorkbenchArgs(args, os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errVersion):
		fmt.Println(versionLine())
		return 0
	case err != nil:
		fmt.Fprintln(os.Stderr, argumentErrorLine(err))
		return 2
	}
	m := newWorkbench(cfg)
	p := tea.NewProgram(m, programOptions(cfg)...)
	_, runErr := p.Run()
	m.Shutdown()
	if runErr != nil && !errors.Is(runErr, tea.ErrInterrupted) {
		fmt.Fprintln(os.Stderr, "sockbench:", safe.Text(runErr.Error()))
		return 1
	}
	return 0
}

// argumentErrorLine is the one line for a bad workbench command line; the
// arguments in it are from outside, so it goes through package safe.
func argumentErrorLine(err error) string {
	return "sockbench: " + safe.Text(err.Error()) + " (run 'sockbench -h' for usage)"
}
