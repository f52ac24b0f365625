package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"sockbench/capture"
	"sockbench/lab"
	"sockbench/model"
	"sockbench/netcore"
	"sockbench/themes"
)

// workbenchUsage is printed by -h.
const workbenchUsage = `usage: sockbench [flags] [TARGET]

The workbench: resolve, connect, listen and exchange bytes in a full-screen
terminal UI. With TARGET (HOST:SERVICE, [V6ADDR]:SERVICE, unix:PATH or
unix:@NAME) it resolves and connects at once and puts the cursor on the send
line. Without one, the lab services on loopback are ready to try.

Flags:
`

// workbenchConfig is what the workbench's command line says.
type workbenchConfig struct {
	model.Config
	noLab bool
}

// parseWorkbenchArgs reads the workbench's flags, before or after TARGET.
func parseWorkbenchArgs(args []string, stderr io.Writer) (workbenchConfig, error) {
	var cfg workbenchConfig
	fs := flag.NewFlagSet("sockbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	theme := fs.String("theme", themes.Default, "colour theme: "+strings.Join(themes.Names(), ", "))
	noLab := fs.Bool("no-lab", false, "do not start the lab services on loopback")
	limit := fs.String("capture-limit", "256MiB", "bytes of traffic kept per socket (e.g. 64MiB, 1G, 1048576); the oldest are dropped")
	timeout := fs.Duration("timeout", model.DefaultTimeout, "connect timeout per address (0 = none)")
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stderr, workbenchUsage)
				fs.SetOutput(stderr)
				fs.PrintDefaults()
			}
			return cfg, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	if len(positional) > 1 {
		return cfg, fmt.Errorf("one TARGET at most, got %d: %s", len(positional), strings.Join(positional, " "))
	}
	if _, err := themes.Lookup(*theme); err != nil {
		return cfg, err
	}
	n, err := parseSize(*limit)
	if err != nil {
		return cfg, fmt.Errorf("--capture-limit: %w", err)
	}
	if *timeout < 0 {
		return cfg, errors.New("--timeout must not be negative")
	}
	cfg.Theme = *theme
	cfg.CaptureLimit = n
	cfg.Timeout = *timeout
	cfg.noLab = *noLab
	cfg.NoColor = themes.NoColor()
	if len(positional) == 1 {
		// A malformed TARGET is refused here, with one line, rather than
		// after the screen has been taken over.
		if _, err := netcore.ParseTarget(positional[0]); err != nil {
			return cfg, err
		}
		cfg.Target = positional[0]
	}
	return cfg, nil
}

// parseSize reads a byte count: 1048576, 64K, 64KiB, 256M, 256MiB, 1G.
// Both K and KiB mean 1024.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "B")
	t = strings.TrimSuffix(t, "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<46)/mult {
		return 0, fmt.Errorf("%q is not a size such as 64MiB, 1G or 1048576", s)
	}
	return n * mult, nil
}

// labAdapter gives the model the lab's services.
type labAdapter struct{ l *lab.Lab }

func (a labAdapter) Services() []model.LabService {
	var out []model.LabService
	for _, s := range a.l.Services() {
		out = append(out, model.LabService{Name: s.Name, Kind: string(s.Kind), Network: s.Network, Addr: s.Addr, Help: s.Help})
	}
	return out
}

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
	var opts []tea.ProgramOption
	if cfg.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return opts
}

// runWorkbench starts the full-screen workbench and returns the exit code.
// Quitting closes every socket and the lab and restores the terminal.
func runWorkbench(args []string) int {
	cfg, err := parseWorkbenchArgs(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockbench:", err)
		return 2
	}
	m := newWorkbench(cfg)
	p := tea.NewProgram(m, programOptions(cfg)...)
	_, runErr := p.Run()
	m.Shutdown()
	if runErr != nil && !errors.Is(runErr, tea.ErrInterrupted) {
		fmt.Fprintln(os.Stderr, "sockbench:", runErr)
		return 1
	}
	return 0
}
