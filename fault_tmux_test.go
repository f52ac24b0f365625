package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sockbench/internal/testpeer"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The workbench under two faults of the matrix, end to end: a
// peer that stops reading while we send, and a listener whose process
// runs out of file descriptors.

// stubbornPeer listens on loopback with a small receive buffer and hands
// the one connection it accepts to the test, which decides when (if ever)
// it reads.
func stubbornPeer(t *testing.T) (addr string, conn <-chan *net.TCPConn) {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *net.TCPConn, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err == nil {
			ch <- c.(*net.TCPConn)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		select {
		case c := <-ch:
			_ = c.Close()
		default:
		}
	})
	return ln.Addr().String(), ch
}

// queuedIn is what waits, unread, in the receive queue of c (SIOCINQ).
func queuedIn(t *testing.T, c *net.TCPConn) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ierr error
	if err := raw.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil || ierr != nil {
		t.Fatalf("SIOCINQ: %v %v", err, ierr)
	}
	return n
}

// paste puts text on the workbench's focused line as a terminal paste.
func (s *tmuxSession) paste(text string) {
	s.t.Helper()
	path := filepath.Join(s.t.TempDir(), "paste")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	s.tmux("load-buffer", "-b", "paste", path)
	s.tmux("paste-buffer", "-p", "-d", "-b", "paste", "-t", "app")
}

// selectOption moves down the options overlay, one row at a time, until
// the option is the selected one (its help line shows).
func (s *tmuxSession) selectOption(name string) {
	s.t.Helper()
	s.keys("Home")
	selected := regexp.MustCompile(`(?m)^│(\S+): `)
	for range 60 {
		m := selected.FindStringSubmatch(s.waitFor("a selected option", func(sc string) bool { return selected.MatchString(sc) }))
		if m[1] == name {
			return
		}
		s.keys("Down")
		s.waitFor("the next option", func(sc string) bool {
			m2 := selected.FindStringSubmatch(sc)
			return m2 != nil && m2[1] != m[1]
		})
	}
	s.t.Fatalf("%s is not in the options", name)
}

// TestTmuxPeerStopsReading sends 600,002 bytes to a peer that reads
// nothing, with both kernel buffers small, so that the send stalls. While
// it is stalled the socket stays usable: what the peer says arrives and
// shows, and another line can be queued. When the peer reads at last it
// gets every byte, in order, and the workbench reports both sends done.
func TestTmuxPeerStopsReading(t *testing.T) {
	addr, conns := stubbornPeer(t)
	s := startTmux(t, "--no-lab", addr)
	s.waitText("connected to " + addr)
	var peer *net.TCPConn
	select {
	case peer = <-conns:
	case <-time.After(patience):
		t.Fatal("the peer accepted nothing")
	}

	// A small send buffer, set from the options overlay (the kernel
	// doubles it): with the peer's small receive buffer, what the two
	// kernels hold is far less than what is sent.
	s.keys("Escape")
	s.waitFor("the hex focus", func(sc string) bool { return strings.Contains(sc, "f filter") })
	s.keys("BTab", "BTab")
	s.waitFor("the sockets focus", func(sc string) bool { return strings.Contains(sc, "l listen") })
	s.keys("o")
	s.waitText("TCP_NODELAY")
	s.selectOption("SO_SNDBUF")
	s.keys("Enter", "C-u")
	s.text("4096")
	s.keys("Enter")
	s.waitText("SO_SNDBUF set to")
	s.keys("Escape")
	s.waitFor("the options to close", func(sc string) bool { return !strings.Contains(sc, "TCP_NODELAY") })
	s.keys("Enter") // from the sockets panel to the send line
	s.waitText("type text, then enter")

	big := strings.Repeat("a", 600000)
	s.paste(big)
	s.waitText("enter sends 600002 bytes")
	s.keys("Enter")
	s.waitText("sending 600002 bytes on #1")
	deadline := time.Now().Add(patience)
	for queuedIn(t, peer) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing reached the peer")
		}
		time.Sleep(10 * time.Millisecond) // polling the peer's queue, not a synchronisation
	}

	if sc := s.screen(); strings.Contains(sc, "sent 600002 bytes") {
		t.Fatalf("the send did not stall: the kernels took it all\n%s", sc)
	}
	s.waitText("the send makes no progress: the peer is not reading")

	// Stalled: the peer's words still arrive, and the line takes more.
	if _, err := peer.Write([]byte("pong from a peer that never reads\n")); err != nil {
		t.Fatal(err)
	}
	s.waitText("pong from a peer that ne")
	s.text("after")
	s.keys("Enter")

	if err := peer.SetReadDeadline(time.Now().Add(patience)); err != nil {
		t.Fatal(err)
	}
	want := big + "\r\n" + "after\r\n"
	got := make([]byte, len(want))
	if n, err := io.ReadFull(peer, got); err != nil {
		t.Fatalf("the peer read %d of %d bytes: %v", n, len(want), err)
	}
	if string(got) != want {
		t.Fatalf("the peer got other bytes than were sent (%d bytes)", len(got))
	}
	// The transcript, not the status line, which a later event may take.
	s.waitText("offset 600002  7 bytes")
}

// workbenchPID returns the process id of the workbench in the session:
// the shell tmux started runs it as its child.
func (s *tmuxSession) workbenchPID() int {
	s.t.Helper()
	shell := strings.TrimSpace(s.tmux("display", "-p", "-t", "app", "#{pane_pid}"))
	deadline := time.Now().Add(patience)
	for {
		children, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
		if err != nil {
			s.t.Skipf("cannot find the workbench's process: %v", err)
		}
		for _, f := range strings.Fields(string(children)) {
			if exe, err := os.Readlink("/proc/" + f + "/exe"); err == nil && filepath.Base(exe) == "sockbench" {
				pid, _ := strconv.Atoi(f)
				return pid
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no sockbench process under the shell %s", shell)
		}
		time.Sleep(20 * time.Millisecond) // polling for the exec, not a synchronisation
	}
}

// emfileAccept is an accept that failed for want of a descriptor, as the
// system calls overlay shows it: its time of day first.
var emfileAccept = regexp.MustCompile(`(?m)^│(\d\d):(\d\d):(\d\d\.\d{6}) +\S+ +accept\(\d+\) = -1 EMFILE`)

// TestTmuxListenerOutOfDescriptors lowers the workbench's descriptor
// limit (prlimit), once it has accepted a first client, so that no
// descriptor is left for a second; the listener says in its notes
// that it is out of descriptors and trying again, retries no faster than
// its pause (so it does not spin), its row says EMFILE, and it accepts
// the second client, which waited in the kernel's queue, once the first
// one is closed.
func TestTmuxListenerOutOfDescriptors(t *testing.T) {
	s := startTmux(t, "--no-lab")
	s.focusSockets()
	s.keys("l")
	s.waitText("listen on")
	s.keys("Enter")
	screen := s.waitText("(0 accepted)")
	m := regexp.MustCompile(`127\.0\.0\.1:(\d+) +\(0 accepted\)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no listener row:\n%s", screen)
	}
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	dial := func() {
		c, err := net.Dial("tcp4", "127.0.0.1:"+m[1])
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	dial()
	s.waitText("(1 accepted)")
	// Now that all it keeps open is open, no descriptor is left.
	pid := s.workbenchPID()
	free, err := testpeer.LowestFreeFD(pid)
	if err != nil {
		t.Skipf("cannot read the workbench's descriptors: %v", err)
	}
	limit := unix.Rlimit{Cur: uint64(free), Max: uint64(free)}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &limit, nil); err != nil {
		t.Skipf("cannot lower the workbench's RLIMIT_NOFILE: %v", err)
	}
	dial() // waits in the kernel's queue
	s.keys("Home")
	s.waitText("accept failed: accept: too many open files (EMFILE); trying again until it works")
	s.waitFor("the listener's row to say EMFILE", func(sc string) bool {
		return regexp.MustCompile(`\(1 accepted\) +EMFILE`).MatchString(sc)
	})

	// The system calls of the listener: the failed accepts, paced.
	s.keys("s")
	s.waitText("System calls")
	s.keys("End")
	// No key from here: the open log draws the new calls by itself.
	screen = s.waitFor("three failed accepts", func(sc string) bool { return len(emfileAccept.FindAllString(sc, -1)) >= 3 })
	var last time.Duration
	for i, m := range emfileAccept.FindAllStringSubmatch(screen, -1) {
		hours, _ := strconv.Atoi(m[1])
		minutes, _ := strconv.Atoi(m[2])
		seconds, _ := strconv.ParseFloat(m[3], 64)
		at := time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute + time.Duration(seconds*float64(time.Second))
		if gap := at - last; i > 0 && gap >= 0 && gap < 99*time.Millisecond {
			t.Errorf("failed accepts %v apart: the listener spins\n%s", gap, screen)
		}
		last = at
	}
	s.keys("Escape")
	s.waitFor("the log to close", func(sc string) bool { return !strings.Contains(sc, "System calls") })

	// Closing the first connection frees a descriptor: the second is
	// accepted.
	s.keys("Down", "x")
	s.waitText("(2 accepted)") // and out of descriptors again: it took the one freed
	if n := strings.Count(s.screen(), "└tcp"); n != 2 {
		t.Errorf("%d accepted rows:\n%s", n, s.screen())
	}
}
