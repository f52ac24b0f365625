//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The workbench runs in a private tmux server at 120x40. Everything the
// program writes to its terminal is copied (tmux pipe-pane) into a fifo
// this process reads, so that the moment a frame arrives is known to the
// read, without polling the screen.

// startTmux starts the private tmux server with a session that keeps it
// running between the panes (a server ends with its last session).
func (h *harness) startTmux() error {
	if h.tmuxUp {
		return nil
	}
	if _, err := h.tmux("new-session", "-d", "-s", "keep", "cat"); err != nil {
		return err
	}
	h.tmuxUp = true
	return nil
}

// tmux runs a command of the private tmux server.
func (h *harness) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", h.cfg.tmuxSocket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// pane is a program running in a tmux session.
type pane struct {
	h      *harness
	name   string
	pid    int   // the program's process
	execAt int64 // CLOCK_MONOTONIC at its exec, in nanoseconds
	out    *paneStream
}

// shellQuote quotes words for sh.
func shellQuote(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// openPane runs argv in a new 120x40 session, in a terminal that says it
// has 256 colours and true colour, and returns once it has exec'd; first,
// if given, is watched for from the first byte the program writes.
func (h *harness) openPane(argv []string, first string) (*pane, *watch, error) {
	if err := h.startTmux(); err != nil {
		return nil, nil, err
	}
	p := &pane{h: h, name: fmt.Sprintf("bench%d", h.next())}
	gate, stamp, out := h.path("gate"), h.path("stamp"), h.path("pane")
	for _, fifo := range []string{gate, out} {
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			return nil, nil, err
		}
	}
	cmd := "TERM=xterm-256color COLORTERM=truecolor exec " + shellQuote(append([]string{h.self, "exec-stamped", gate, stamp, "--"}, argv...)...)
	if _, err := h.tmux("new-session", "-d", "-s", p.name, "-x", "120", "-y", "40", cmd); err != nil {
		return nil, nil, err
	}
	p.out = readStream(out)
	var w *watch
	if first != "" {
		w = p.out.expect(first)
	}
	_, err := h.tmux("set-option", "-t", p.name, "remain-on-exit", "on")
	if err == nil {
		_, err = h.tmux("pipe-pane", "-t", p.name, "exec cat > "+shellQuote(out))
	}
	if err == nil {
		err = openGate(gate)
	}
	if err == nil {
		err = p.readStamp(stamp)
	}
	if err != nil {
		p.close()
		return nil, nil, err
	}
	return p, w, nil
}

// openGate lets the program in the pane exec: it waits on the fifo.
func openGate(gate string) error {
	var fd int
	err := waitUntil("program waiting at the gate", 10*time.Second, func() bool {
		var err error
		fd, err = unix.Open(gate, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		return err == nil
	})
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte{1})
	return err
}

// readStamp reads the process and the moment of its exec.
func (p *pane) readStamp(stamp string) error {
	var data []byte
	err := waitUntil("exec stamp", 10*time.Second, func() bool {
		data, _ = os.ReadFile(stamp)
		return bytes.HasSuffix(data, []byte("\n"))
	})
	if err != nil {
		return err
	}
	f := strings.Fields(string(data))
	p.pid, _ = strconv.Atoi(f[0])
	p.execAt, err = strconv.ParseInt(f[1], 10, 64)
	return err
}

// keys sends keys to the pane.
func (p *pane) keys(keys ...string) error {
	_, err := p.h.tmux(append([]string{"send-keys", "-t", p.name}, keys...)...)
	return err
}

// screen is the pane's text now.
func (p *pane) screen() (string, error) { return p.h.tmux("capture-pane", "-t", p.name, "-p") }

// waitScreen polls the screen every 100 ms until cond holds, at most limit.
func (p *pane) waitScreen(what string, limit time.Duration, cond func(string) bool) (string, error) {
	deadline := time.Now().Add(limit)
	for {
		s, err := p.screen()
		if err != nil {
			return "", err
		}
		if cond(s) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no %s on the screen within %v; it shows:\n%s", what, limit, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// close ends the session and the program in it.
func (p *pane) close() {
	_, _ = p.h.tmux("kill-session", "-t", p.name)
	if p.out != nil {
		p.out.stop()
	}
}

// paneStream reads what a pane's program writes, counting the bytes and
// watching for one marker at a time.
type paneStream struct {
	mu    sync.Mutex
	total int64
	w     *watch
	file  *os.File
	ended chan struct{}
}

// watch waits for a marker in the stream.
type watch struct {
	marker []byte
	tail   []byte
	seen   chan int64 // CLOCK_MONOTONIC of the read that brought the marker
}

func readStream(path string) *paneStream {
	s := &paneStream{ended: make(chan struct{})}
	go s.run(path)
	return s
}

func (s *paneStream) run(path string) {
	defer close(s.ended)
	// Opened for reading and writing, the fifo opens at once, whether
	// tmux's cat has opened it yet or not, and never reads an end: stop
	// ends the reading.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.file = f
	s.mu.Unlock()
	buf := make([]byte, 256<<10)
	for {
		n, err := f.Read(buf)
		at := monotonicNow()
		s.mu.Lock()
		s.total += int64(n)
		if w := s.w; w != nil {
			w.tail = append(w.tail, buf[:n]...)
			if bytes.Contains(w.tail, w.marker) {
				w.seen <- at
				s.w = nil
			} else if keep := len(w.marker) - 1; len(w.tail) > keep {
				w.tail = append(w.tail[:0], w.tail[len(w.tail)-keep:]...)
			}
		}
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// expect starts watching for marker in what is written from now on.
func (s *paneStream) expect(marker string) *watch {
	w := &watch{marker: []byte(marker), seen: make(chan int64, 1)}
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
	return w
}

// bytes is how many bytes the program has written so far.
func (s *paneStream) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *paneStream) stop() {
	s.mu.Lock()
	if s.file != nil {
		s.file.Close()
	}
	s.mu.Unlock()
}

var errNoMarker = errors.New("marker not seen")

// wait returns the moment the marker arrived.
func (w *watch) wait(limit time.Duration) (int64, error) {
	select {
	case at := <-w.seen:
		return at, nil
	case <-time.After(limit):
		return 0, fmt.Errorf("%w within %v: %q", errNoMarker, limit, w.marker)
	}
}
