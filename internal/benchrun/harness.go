//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// harness runs the sections and keeps their results and every process it
// started, so that it can stop them all.
type harness struct {
	cfg  config
	self string // this program, for the peers

	mu       sync.Mutex
	children map[*exec.Cmd]bool
	results  []result
	seq      int  // for unique names of files and sessions
	tmuxUp   bool // the private tmux server runs
}

func newHarness(cfg config) (*harness, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return &harness{cfg: cfg, self: self, children: map[*exec.Cmd]bool{}}, nil
}

// section is one group of measurements.
type section struct {
	name, what string
	run        func(h *harness) error
}

var sections = []section{
	{"bulk", "bulk TCP and AF_UNIX receive: listen --once --recv-file /dev/null vs a Go net receiver vs socat", (*harness).bulkReceive},
	{"sendfile", "connect --send-file of a sparse file vs socat and a Go net sender, with peak RSS", (*harness).sendFile},
	{"dgram", "datagram receive: netcore ReceiveMessage vs Go net in one process, allocations", (*harness).datagramsInProcess},
	{"listen-dgram", "listen --type dgram --recv-file /dev/null vs a Go net receiver", (*harness).listenDatagrams},
	{"connect", "connects per second: netcore's Dialer vs net.Dialer", (*harness).connectRate},
	{"burst", "a burst of connections to listen --keep, all to be accepted", (*harness).listenBurst},
	{"idle", "the workbench idle in tmux: CPU, wakeups, output; a burst of connections to a listener in it; memory per idle socket", (*harness).idle},
	{"startup", "start-up: first frame in tmux vs echo; resolve vs getent ahosts", (*harness).startup},
	{"flood", "the workbench under a flood vs connect --recv-file /dev/null; key-to-frame during and after it", (*harness).flood},
}

func sectionNames() []string {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	return names
}

func (h *harness) wants(name string) bool {
	if h.cfg.sections == "all" {
		return true
	}
	for _, s := range strings.Split(h.cfg.sections, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

// next returns a number not used before in this run.
func (h *harness) next() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	return h.seq
}

// path names a new file in the work directory.
func (h *harness) path(prefix string) string {
	return filepath.Join(h.cfg.work, fmt.Sprintf("%s-%d", prefix, h.next()))
}

// proc is a process the harness started, with its stderr kept for errors.
type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// start starts argv in a process group of its own, with stdin and stdout
// from and to /dev/null unless given, and keeps it to be stopped later.
func (h *harness) start(argv []string, stdin, stdout *os.File) (*proc, error) {
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), done: make(chan struct{})}
	p.cmd.Stdin, p.cmd.Stdout = stdin, stdout
	p.cmd.Stderr = &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.children[p.cmd] = true
	h.mu.Unlock()
	go func() {
		p.err = p.cmd.Wait()
		h.mu.Lock()
		delete(h.children, p.cmd)
		h.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// wait waits for the process to end, at most limit; past it the process
// is killed and that is an error.
func (p *proc) wait(limit time.Duration) error {
	select {
	case <-p.done:
	case <-time.After(limit):
		p.kill()
		<-p.done
		return fmt.Errorf("%s still running after %v", filepath.Base(p.cmd.Path), limit)
	}
	if p.err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(p.cmd.Path), p.err, strings.TrimSpace(p.stderr.String()))
	}
	return nil
}

// cpu is the CPU time the process used, user and system, once it ended.
func (p *proc) cpu() time.Duration {
	<-p.done
	if p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// kill kills the process's group.
func (p *proc) kill() { _ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// interrupt sends SIGINT, as Ctrl+C would, and waits for the end, at
// most limit; how the process ended is not a failure, only not ending.
func (p *proc) interrupt(limit time.Duration) error {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
		return nil
	case <-time.After(limit):
		p.kill()
		<-p.done
		return fmt.Errorf("%s did not end on SIGINT within %v", filepath.Base(p.cmd.Path), limit)
	}
}

// stopAll kills every process still running and the tmux server.
func (h *harness) stopAll() {
	h.mu.Lock()
	for cmd := range h.children {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	h.mu.Unlock()
	_ = exec.Command("tmux", "-L", h.cfg.tmuxSocket, "kill-server").Run()
}

// launched runs argv under the launcher, a small process of its own, so
// that its peak memory is its own: Linux counts the memory of the process
// a child was forked from in the child's peak, and this one is larger.
// The launcher writes the peak and the CPU time to the file returned.
func (h *harness) launched(argv []string) (*proc, string, error) {
	usage := h.path("usage")
	p, err := h.start(append([]string{h.self, "launch", usage, "--"}, argv...), nil, nil)
	return p, usage, err
}

// readUsage reads what the launcher wrote: peak memory in bytes, CPU time.
func readUsage(path string) (maxRSS int64, cpu time.Duration, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var ns int64
	if _, err := fmt.Sscanf(string(data), "%d %d", &maxRSS, &ns); err != nil {
		return 0, 0, fmt.Errorf("launcher's usage %q: %v", data, err)
	}
	return maxRSS, time.Duration(ns), nil
}

// freePort finds a port free on 127.0.0.1 for network ("tcp4", "udp4"),
// for a program that takes a port number and cannot say which it got.
func freePort(network string) (int, error) {
	if network == "udp4" {
		c, err := net.ListenPacket(network, "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	ln, err := net.Listen(network, "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitUntil polls cond every millisecond until it holds, at most limit.
func waitUntil(what string, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %v", what, limit)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

var errNoTool = errors.New("not installed")

// need checks that a program is installed.
func need(tool string) error {
	if _, err := exec.LookPath(tool); err != nil {
		return fmt.Errorf("%s: %w", tool, errNoTool)
	}
	return nil
}
