package snippets

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"sockbench/payload"
)

// testDeadline bounds every wait of these tests.
const testDeadline = 30 * time.Second

// netConn runs a snippet over a Go net.Conn: a reader goroutine pushes
// what arrives into a Feed.
type netConn struct {
	c    net.Conn
	feed *Feed
	done chan struct{}
}

func dialConn(t *testing.T, addr string) *netConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testDeadline)
	if err != nil {
		t.Fatal(err)
	}
	n := &netConn{c: c, feed: NewFeed(), done: make(chan struct{})}
	go func() {
		defer close(n.done)
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			n.feed.Push(buf[:k])
			if err != nil {
				n.feed.End(err)
				return
			}
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-n.done })
	return n
}

func (n *netConn) Send(ctx context.Context, p []byte) error {
	_, err := n.c.Write(p)
	return err
}

func (n *netConn) Receive(ctx context.Context) ([]byte, error) { return n.feed.Receive(ctx) }

// fakeSMTP is a scripted server: a greeting, then an answer to each line
// from script (a line it does not know closes the connection). It keeps
// every line it received, in order.
type fakeSMTP struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	lines []string
}

func startFakeSMTP(t *testing.T, script map[string]string) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	f.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Go(func() { f.serve(c, script) })
		}
	})
	t.Cleanup(func() { _ = ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeSMTP) serve(c net.Conn, script map[string]string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testDeadline))
	if _, err := io.WriteString(c, "220 fake ready\r\n"); err != nil {
		return
	}
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			f.mu.Lock()
			f.lines = append(f.lines, line)
			f.mu.Unlock()
		}
		if err != nil {
			return
		}
		answer, ok := script[line]
		if !ok {
			return
		}
		if _, err := io.WriteString(c, answer); err != nil {
			return
		}
	}
}

func (f *fakeSMTP) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func smtpSnippet(t *testing.T) Snippet {
	t.Helper()
	b := Parse([]byte("[smtp]\nsend EHLO x\\r\\n\ntimeout 30s\nwait 250\nsend QUIT\\r\\n\nwait 221\n"))
	if len(b.Problems) > 0 {
		t.Fatal(b.Problems)
	}
	return b.Snippets[0]
}

// TestRunTwoStepHandshake: the snippet's sends reach the server in order,
// each wait matches the server's answer, and the progress says so.
func TestRunTwoStepHandshake(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "250-fake\r\n250 ok\r\n", "QUIT\r\n": "221 bye\r\n"})
	conn := dialConn(t, server.ln.Addr().String())
	var progress []string
	err := Run(context.Background(), smtpSnippet(t), conn, &payload.Expander{}, func(p Progress) {
		if p.Done {
			progress = append(progress, string(p.Data))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(progress, "|"); got != "EHLO x\r\n|250|QUIT\r\n|221" {
		t.Errorf("progress %q", got)
	}
	_ = conn.c.Close()
	<-conn.done
	server.ln.Close()
	server.wg.Wait()
	if got := strings.Join(server.received(), ""); got != "EHLO x\r\nQUIT\r\n" {
		t.Errorf("the server received %q", got)
	}
}

// TestRunWaitHoldsTheNextSend: a server that never answers 250 never sees
// QUIT; the run fails naming the step, its line and the pattern.
func TestRunWaitHoldsTheNextSend(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "450 try later\r\n"})
	conn := dialConn(t, server.ln.Addr().String())
	b := Parse([]byte("[smtp]\nsend EHLO x\\r\\n\ntimeout 100ms\nwait 250\nsend QUIT\\r\\n\n"))
	err := Run(context.Background(), b.Snippets[0], conn, &payload.Expander{}, nil)
	var se *StepError
	if !errors.As(err, &se) || se.Step != 1 || se.Line != 4 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	// At most "220 fake ready\r\n450 try later\r\n" arrived in the 100ms
	// (how much depends on the machine's load), without 250 in it.
	if se.Unmatched > 31 || !strings.Contains(err.Error(), `step 2 (line 4): no text "250" came in time`) {
		t.Errorf("err %q, %d unmatched", err, se.Unmatched)
	}
	_ = conn.c.Close()
	<-conn.done
	server.ln.Close()
	server.wg.Wait()
	if got := strings.Join(server.received(), ""); got != "EHLO x\r\n" {
		t.Errorf("the server received %q", got)
	}
}

// TestRunWaitSeesEarlyAndPipelinedAnswers: an answer that came before its
// wait began is matched, and one match is not matched twice.
func TestRunWaitSeesEarlyAndPipelinedAnswers(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "250 one\r\n250 two\r\n", "QUIT\r\n": "221 bye\r\n"})
	conn := dialConn(t, server.ln.Addr().String())
	b := Parse([]byte("[s]\nwait 220\nsend EHLO x\\r\\n\nwait-regex 250 \\w+\nwait-regex 250 \\w+\nsend QUIT\\r\\n\nwait-hex 32 32 31\n"))
	var matched []string
	err := Run(context.Background(), b.Snippets[0], conn, &payload.Expander{}, func(p Progress) {
		if p.Done && b.Snippets[0].Steps[p.Step].Kind == Wait {
			matched = append(matched, string(p.Data))
		}
	})
	if err != nil || strings.Join(matched, "|") != "220|250 one|250 two|221" {
		t.Errorf("matched %q, %v", matched, err)
	}
}

// TestRunMeetsTheClose: a wait for what never comes ends at the peer's
// close, at once, not at the timeout.
func TestRunMeetsTheClose(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{}) // closes at the first line
	conn := dialConn(t, server.ln.Addr().String())
	b := Parse([]byte("[s]\nsend HELO\\r\\n\ntimeout 1h\nwait 250\n"))
	err := Run(context.Background(), b.Snippets[0], conn, &payload.Expander{}, nil)
	if !errors.Is(err, io.EOF) || !strings.Contains(err.Error(), `the peer closed before text "250" came`) {
		t.Errorf("err %v", err)
	}
}

// TestRunCancelled: cancelling the context ends a wait at once.
func TestRunCancelled(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"EHLO x\r\n": "450 no\r\n"})
	conn := dialConn(t, server.ln.Addr().String())
	b := Parse([]byte("[s]\nsend EHLO x\\r\\n\ntimeout 1h\nwait 250\n"))
	ctx, cancel := context.WithCancel(context.Background())
	err := Run(ctx, b.Snippets[0], conn, &payload.Expander{}, func(p Progress) {
		if p.Step == 1 && !p.Done {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

// TestRunExpandsPlaceholdersPerSend: each send of a run takes the next
// counter value.
func TestRunExpandsPlaceholdersPerSend(t *testing.T) {
	server := startFakeSMTP(t, map[string]string{"a 1\r\n": "ok\r\n", "a 2\r\n": "ok\r\n"})
	conn := dialConn(t, server.ln.Addr().String())
	b := Parse([]byte("[s]\nsend a {n}\\r\\n\nwait ok\nsend a {n}\\r\\n\nwait ok\n"))
	if err := Run(context.Background(), b.Snippets[0], conn, &payload.Expander{}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestFeedKeepsTheNewest(t *testing.T) {
	f := NewFeed()
	f.Push([]byte("a"))
	f.Push(make([]byte, MaxWaitBuffer))
	f.End(io.EOF)
	data, err := f.Receive(context.Background())
	if err != nil || len(data) != MaxWaitBuffer || data[0] != 0 {
		t.Fatalf("%d bytes, %v", len(data), err)
	}
	if _, err := f.Receive(context.Background()); err != io.EOF {
		t.Errorf("then %v", err)
	}
}
