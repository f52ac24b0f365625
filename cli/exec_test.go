package cli

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBinaryExitStatus builds sockbench and runs it, to check the real
// exit statuses and that a usage error is one line on stderr.
func TestBinaryExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	// The build has no deadline of its own: on a busy machine it may take
	// a minute, and that says nothing about sockbench.
	bin := filepath.Join(t.TempDir(), "sockbench")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Dir = ".." // the module root: the tests run in cli/
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cases := []struct {
		args []string
		code int
	}{
		{[]string{"connect", "127.0.0.1"}, exitUsage},
		{[]string{"connect", "--send", `\q`, "127.0.0.1:9"}, exitUsage},
		{[]string{"connect", closedPort(t)}, exitNetwork},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(t.Context(), testDeadline)
		cmd := exec.CommandContext(ctx, bin, c.args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != c.code {
			t.Errorf("%q: %v, want exit status %d; stderr %q", c.args, err, c.code, stderr.String())
			continue
		}
		if c.code == exitUsage {
			oneLine(t, stderr.String())
			if stdout.Len() != 0 {
				t.Errorf("%q: stdout %q", c.args, stdout.String())
			}
		}
	}
}
