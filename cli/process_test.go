//go:build linux

package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/internal/testpeer"
)

// discardingPeer reads and throws away everything on each connection.
func discardingPeer(t *testing.T) string {
	t.Helper()
	return testpeer.Serve(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }).String()
}

// TestSendFileStreamsInConstantMemory sends a 1 GiB file: it must be read
// as it is sent, not loaded first, so the process stays small.
func TestSendFileStreamsInConstantMemory(t *testing.T) {
	const size = 1 << 30
	c := startMeasured(t, "connect", "--json", "--send-file", sparseFile(t, size), "--shutdown-after-send",
		"--read-timeout", "0", discardingPeer(t))
	if code := c.wait(t); code != exitOK {
		t.Fatalf("status %d; stderr %q", code, c.stderr)
	}
	events := jsonLines(t, c.stdout.String())
	wantFields(t, events[len(events)-1], map[string]any{"event": "closed", "reason": "eof", "tx": float64(size)})
	rss := c.maxRSS(t)
	t.Logf("peak RSS %.1f MiB", float64(rss)/(1<<20))
	if rss >= 64<<20 {
		t.Errorf("peak RSS %d MiB sending a 1 GiB file, want under 64 MiB", rss>>20)
	}
}

// TestSIGTERMWhileStdinBlocks: connect --send-file - with a stdin that
// never gives anything must still end on SIGTERM, with status 130.
func TestSIGTERMWhileStdinBlocks(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := startChild(t, r, "connect", "--send-file", "-", discardingPeer(t))
	c.stdout.waitLine(t, "connected to ")
	c.signal(t, syscall.SIGTERM)
	if code := c.wait(t); code != exitInterrupted {
		t.Errorf("status %d after SIGTERM, want 130; stdout %q", code, c.stdout)
	}
}

// TestPipeThroughEcho is nc's use: stdin to the socket, the received
// bytes, and only they, to stdout.
func TestPipeThroughEcho(t *testing.T) {
	echo := testpeer.Echo(t, "tcp4", "127.0.0.1:0")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c := startChild(t, r, "connect", echo.String())
	if _, err := io.WriteString(w, "hello\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if code := c.wait(t); code != exitOK {
		t.Fatalf("status %d; stderr %q", code, c.stderr)
	}
	if got := c.stdout.String(); got != "hello\n" {
		t.Errorf("stdout %q, want exactly %q", got, "hello\n")
	}
	if !strings.Contains(c.stderr.String(), "connected to "+echo.String()) {
		t.Errorf("stderr %q lacks the connection report", c.stderr)
	}
}

// TestListenSurvivesEMFILE runs out of file descriptors in the listener.
// Once it has accepted a first client (so that everything it keeps open,
// the runtime's poller included, is open), its limit is lowered
// (prlimit) to its lowest free descriptor number: the second client's
// accept fails with EMFILE; listen must report it, wait, and accept that
// client once the first one's descriptor is free.
func TestListenSurvivesEMFILE(t *testing.T) {
	c := startChild(t, nil, "listen", "--json", "--concurrent", "--read-timeout", "0", "127.0.0.1:0")
	var ev struct{ Address string }
	if err := json.Unmarshal([]byte(c.stdout.waitLine(t, `{"event":"listening"`)), &ev); err != nil {
		t.Fatal(err)
	}
	first, err := net.Dial("tcp4", ev.Address)
	if err != nil {
		t.Fatal(err)
	}
	c.stdout.waitContains(t, `{"conn":1,"event":"accepted"`)
	free, err := testpeer.LowestFreeFD(c.cmd.Process.Pid)
	if err != nil {
		t.Skipf("cannot read the child's descriptors: %v", err)
	}
	limit := unix.Rlimit{Cur: uint64(free), Max: uint64(free)}
	if err := unix.Prlimit(c.cmd.Process.Pid, unix.RLIMIT_NOFILE, &limit, nil); err != nil {
		t.Skipf("cannot lower the child's RLIMIT_NOFILE: %v", err)
	}
	second, err := net.Dial("tcp4", ev.Address) // the kernel's queue takes it
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	c.stdout.waitContains(t, `"errno":"EMFILE","message":"accept: too many open files (EMFILE); accepting again when it passes"}`)
	first.Close()
	c.stdout.waitContains(t, `{"conn":2,"event":"accepted"`)
	c.signal(t, os.Interrupt)
	if code := c.wait(t); code != exitOK {
		t.Errorf("status %d after Ctrl+C; stderr %q", code, c.stderr)
	}
}

// countingWriter counts the lines written that contain a string.
type countingWriter struct {
	want    []byte
	partial []byte
	count   atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		if bytes.Contains(w.partial[:i], w.want) {
			w.count.Add(1)
		}
		w.partial = w.partial[i+1:]
	}
}

// TestListenAcceptsEveryConnectionOfABurst makes 10,000 connections to
// listen -k (served in turn) and to listen --concurrent, as fast as 16
// clients can, each closed at once, and checks from the JSON events that
// every one was accepted: the accept loop must keep the kernel's queue
// from overflowing, whatever is being served.
func TestListenAcceptsEveryConnectionOfABurst(t *testing.T) {
	for _, mode := range []string{"--keep", "--concurrent"} {
		t.Run(mode, func(t *testing.T) { burst(t, mode) })
	}
}

func burst(t *testing.T, mode string) {
	const conns, clients = 10000, 16
	var limit unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &limit); err != nil || limit.Max < 8192 {
		// listen raises its soft limit to the hard one at start; with
		// fewer descriptors it would be pausing on EMFILE, not testing
		// the accept loop.
		t.Skipf("RLIMIT_NOFILE hard limit %d (%v): too low to hold a burst of %d", limit.Max, err, conns)
	}
	accepted := &countingWriter{want: []byte(`"event":"accepted"`)}
	listening := newLineWriter()
	cmd := exec.Command(sockbenchBinary(t), "listen", "--json", mode, "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = io.MultiWriter(accepted, listening), io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	var ev struct{ Address string }
	if err := json.Unmarshal([]byte(listening.waitLine(t, `{"event":"listening"`)), &ev); err != nil {
		t.Fatal(err)
	}

	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			d := net.Dialer{Timeout: testDeadline}
			for next.Add(1) <= conns {
				c, err := d.Dial("tcp4", ev.Address)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				_ = c.Close()
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d connects failed, the first with %v", n, firstErr.Load())
	}
	deadline := time.Now().Add(testDeadline)
	for accepted.count.Load() < conns && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // a polling interval, not a synchronisation
	}
	if n := accepted.count.Load(); n != conns {
		t.Errorf("%d of %d connections accepted", n, conns)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the deferred wait
		if err != nil {
			t.Errorf("listen after Ctrl+C: %v", err)
		}
	case <-time.After(testDeadline):
		t.Error("listen did not end after Ctrl+C")
	}
}
