package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// sockbenchBinary builds sockbench once per test run. The build has no
// deadline of its own: on a busy machine it may take a minute, and that
// says nothing about sockbench.
func sockbenchBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sockbench-cli-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "sockbench")
		build := exec.Command("go", "build", "-o", builtBin, ".")
		build.Dir = ".." // the module root: the tests run in cli/
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// child is a sockbench process started by a test, with its output in
// line writers. The test's cleanup kills it if it is still running.
type child struct {
	cmd            *exec.Cmd
	stdout, stderr *lineWriter
	done           chan error
}

func startChild(t *testing.T, stdin *os.File, args ...string) *child {
	t.Helper()
	cmd := exec.Command(sockbenchBinary(t), args...)
	cmd.Stdin = stdin
	return start(t, cmd)
}

// start starts cmd with its output going to line writers.
func start(t *testing.T, cmd *exec.Cmd) *child {
	t.Helper()
	c := &child{cmd: cmd, stdout: newLineWriter(), stderr: newLineWriter(), done: make(chan error, 1)}
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
		c.done <- nil
	})
	return c
}

// wait returns the exit status once the process ends by itself, or fails
// the test at the deadline.
func (c *child) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			return exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(testDeadline):
		t.Fatalf("sockbench did not end; stdout:\n%s\nstderr:\n%s", c.stdout, c.stderr)
		return -1
	}
}

// signal sends sig to the process.
func (c *child) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// launcherEnv makes the test binary a launcher (see launch).
const launcherEnv = "SOCKBENCH_TEST_LAUNCHER"

// startMeasured starts sockbench through a launcher: a fresh, small copy
// of the test binary that runs it and then writes its peak memory on
// stderr. Linux counts the memory of the process a child was forked from
// in the child's peak (the exec happens in a copy of the parent that
// shares its memory), so the test process, grown by earlier tests, must
// not be the parent.
func startMeasured(t *testing.T, args ...string) *child {
	t.Helper()
	bin := sockbenchBinary(t)
	spec, err := json.Marshal(append([]string{bin}, args...))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], string(spec))
	cmd.Env = append(os.Environ(), launcherEnv+"=1")
	return start(t, cmd)
}

// launch runs the command spec (a JSON list) with this process's stdin,
// stdout and stderr, then writes "maxrss N" (its peak memory in bytes) on
// stderr and exits with its status.
func launch(spec string) int {
	var argv []string
	if err := json.Unmarshal([]byte(spec), &argv); err != nil || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "launcher: bad command", spec)
		return 2
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "launcher:", err)
		return 2
	}
	fmt.Fprintf(os.Stderr, "maxrss %d\n", cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss*1024) // KiB on Linux
	return cmd.ProcessState.ExitCode()
}

// maxRSS is the peak memory the launcher reported, in bytes.
func (c *child) maxRSS(t *testing.T) int64 {
	t.Helper()
	for line := range strings.Lines(c.stderr.String()) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "maxrss "); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no maxrss from the launcher; stderr %q", c.stderr)
	return 0
}

// TestBinaryExitStatus runs sockbench, to check the real exit statuses and
// that a usage error is one line on stderr.
func TestBinaryExitStatus(t *testing.T) {
	bin := sockbenchBinary(t)
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
