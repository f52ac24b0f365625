package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"go.uber.org/goleak"

	"sockbench/model"
)

func TestParseWorkbenchArgs(t *testing.T) {
	cfg, err := parseWorkbenchArgs([]string{"--theme", "light", "127.0.0.1:7", "--no-lab", "--capture-limit", "1MiB", "--timeout", "250ms"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Theme != "light" || !cfg.noLab || cfg.CaptureLimit != 1<<20 || cfg.Timeout != 250*time.Millisecond || cfg.Target != "127.0.0.1:7" {
		t.Errorf("%+v", cfg)
	}
	def, err := parseWorkbenchArgs(nil, io.Discard)
	if err != nil || def.Timeout != model.DefaultTimeout || def.CaptureLimit != 256<<20 || def.Target != "" || def.noLab {
		t.Errorf("defaults %+v %v", def, err)
	}
	for _, bad := range [][]string{
		{"--theme", "purple"}, {"--capture-limit", "lots"}, {"--capture-limit", "0"}, {"--timeout", "-1s"},
		{"a:1", "b:2"}, {"--bogus"}, {"127.0.0.1"}, {"[::1"}, {"unix:"},
	} {
		if _, err := parseWorkbenchArgs(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNoColorForcesASCII(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	cfg, err := parseWorkbenchArgs(nil, io.Discard)
	if err != nil || !cfg.NoColor || len(programOptions(cfg)) != 1 {
		t.Fatalf("NO_COLOR: %+v %v", cfg, err)
	}
}

// screenText strips styling and blanks from terminal output, so that text
// the renderer wrote with cursor moves between words still matches.
func screenText(out []byte) string {
	return strings.Join(strings.Fields(ansi.Strip(string(out))), "")
}

// TestWorkbenchEndToEnd runs the whole program with the lab: pick the echo
// service, resolve it, connect, type hello and Enter, and see the bytes go
// out and come back.
func TestWorkbenchEndToEnd(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("os/signal.signal_recv"),
		goleak.IgnoreAnyFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"))

	cfg, err := parseWorkbenchArgs([]string{"--timeout", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := newWorkbench(cfg)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor)))
	defer m.Shutdown()

	wait := func(what string, cond func(string) bool) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return cond(screenText(b)) },
			teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	wait("the lab", func(s string) bool { return strings.Contains(s, "echo/tcp127.0.0.1:") })
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) // the first service: echo/tcp on 127.0.0.1
	wait("the resolved row", func(s string) bool { return strings.Contains(s, "1rowin") })
	tm.Type("c")
	wait("connected", func(s string) bool { return strings.Contains(s, "connectedto127.0.0.1:") })
	tm.Type("hello")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("hello sent and echoed", func(s string) bool { return strings.Count(s, "68656c6c6f0d0a") >= 2 })

	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second)).(*model.Model)
	final.Shutdown()
	out, _ := io.ReadAll(tm.FinalOutput(t))
	if bytes.Contains(out, []byte("\x1b]0;")) && !bytes.Contains(out, []byte("\x1b]0;sockbench")) {
		t.Error("the window title was set to something else than sockbench")
	}
}
