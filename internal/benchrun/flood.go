//go:build linux

package main

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"
)

// defaultCaptureLimit is the workbench's --capture-limit when not given.
const defaultCaptureLimit = 256 << 20

// flood compares how fast the workbench takes a sustained flood (a
// chargen-like peer writing 64 KiB at a time as fast as it is read) with
// sockbench connect --recv-file /dev/null on the same peer, and what each
// costs in CPU; the workbench's peak memory under it; and how long a key
// takes to show on its screen during the flood and once it has ended.
//
// The workbench pauses reading when its capture is full (so as not to
// drop the oldest bytes unasked); the harness then resumes it with space,
// as a user would, which lets it run on dropping the oldest bytes. The
// window measured starts there, in that steady state; connect's starts a
// second after its connect.
func (h *harness) flood() error {
	if err := need("tmux"); err != nil {
		return err
	}
	names := []string{"connect", "workbench"}
	res := map[string][]floodResult{}
	for r := range h.cfg.rounds {
		for i := range names {
			name := names[(r+i)%len(names)]
			fr, err := h.floodRound(name)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			res[name] = append(res[name], fr)
		}
		c, w := res["connect"][r], res["workbench"][r]
		fmt.Printf("   round %d MB/s (CPU %%): connect %.0f (%.0f)  workbench %.0f (%.0f), workbench peak RSS %.0f MiB, filled its capture in %.1f s\n",
			r+1, c.rate, c.cpuPct(), w.rate, w.cpuPct(), float64(w.peak)/(1<<20), w.fill.Seconds())
	}
	h.floodResults(res)
	return nil
}

func (h *harness) floodResults(res map[string][]floodResult) {
	var rates, cpuPerGB, peaks [2]samples
	for i, name := range []string{"workbench", "connect"} {
		for _, fr := range res[name] {
			rates[i] = append(rates[i], fr.rate)
			cpuPerGB[i] = append(cpuPerGB[i], fr.cpu.Seconds()/(fr.rate*fr.window.Seconds()/1e3))
			peaks[i] = append(peaks[i], float64(fr.peak)/(1<<20))
		}
	}
	ratio := ratios(rates[0], rates[1])
	h.add(result{section: "flood", name: "workbench ingest / connect --recv-file /dev/null", ratio: ratio,
		value: fmt.Sprintf("workbench %.0f MB/s at %.2f CPU-s/GB, connect %.0f MB/s at %.2f CPU-s/GB (%.0f s windows)",
			rates[0].median(), cpuPerGB[0].median(), rates[1].median(), cpuPerGB[1].median(), h.cfg.floodSeconds),
		target: ">= 0.8x", met: metIf(ratio.median() >= 0.8)})
	h.add(result{section: "flood", name: "CPU per GB: connect / workbench", ratio: ratios(cpuPerGB[1], cpuPerGB[0]), met: "-",
		value: "above 1: the workbench spends less CPU per byte than connect"})
	h.addKeyToFrame(res["workbench"])
	limit := 1.3*defaultCaptureLimit/(1<<20) + 64
	h.add(result{section: "flood", name: "workbench peak RSS under the flood (--capture-limit 256MiB)",
		value:  fmt.Sprintf("max %.0f MiB (median %.0f); connect max %.0f MiB", peaks[0].max(), peaks[0].median(), peaks[1].max()),
		target: fmt.Sprintf("< 1.3 x limit + 64 MiB = %.0f MiB", limit), met: metIf(peaks[0].max() < limit)})
}

// addKeyToFrame adds the row of key-to-frame times: each round's p99
// during the flood over its p99 after it, in the same pane.
func (h *harness) addKeyToFrame(res []floodResult) {
	var ratio, during, after samples
	for _, fr := range res {
		ratio = append(ratio, fr.keysFlood.quantile(0.99)/fr.keysIdle.quantile(0.99))
		during = append(during, fr.keysFlood...)
		after = append(after, fr.keysIdle...)
	}
	h.add(result{section: "flood", name: "key-to-frame p99: during the flood / after it", ratio: ratio,
		value: fmt.Sprintf("during: p50 %.0f ms, p99 %.0f ms; after: p50 %.0f ms, p99 %.0f ms (%d presses of ? a round each)",
			during.median(), during.quantile(0.99), after.median(), after.quantile(0.99), keyPresses),
		target: "<= 1.5x", met: metIf(ratio.median() <= 1.5)})
}

// floodResult is one flood: how fast the receiver took it and what that
// cost.
type floodResult struct {
	rate   float64       // MB/s the peer could send, over the window
	window time.Duration // the window measured
	cpu    time.Duration // the receiver's CPU time over the window (connect: its whole life)
	peak   int64         // the receiver's peak resident memory
	fill   time.Duration // how long the workbench took to fill its capture

	keysFlood, keysIdle samples // the workbench's key-to-frame times (ms), during the flood and after it
}

func (f floodResult) cpuPct() float64 { return 100 * f.cpu.Seconds() / f.window.Seconds() }

// floodRound floods one receiver.
func (h *harness) floodRound(name string) (floodResult, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return floodResult{}, err
	}
	defer ln.Close()
	f := &chargen{ln: ln, accepted: make(chan struct{}), stopped: make(chan error, 1)}
	go f.run()
	defer f.stop()
	if name == "connect" {
		return h.floodConnect(f)
	}
	return h.floodWorkbench(f)
}

// floodConnect floods sockbench connect, run under the launcher for its
// CPU time and peak memory.
func (h *harness) floodConnect(f *chargen) (floodResult, error) {
	p, usage, err := h.launched([]string{h.cfg.sockbench, "connect", "--recv-file", "/dev/null", f.ln.Addr().String()})
	if err != nil {
		return floodResult{}, err
	}
	defer p.kill()
	if err := f.waitAccepted(); err != nil {
		return floodResult{}, err
	}
	time.Sleep(time.Second) // past the start: the window is the steady state
	rate, window := f.measure(h.floodWindow())
	if err := f.stop(); err != nil {
		return floodResult{}, err
	}
	if err := p.wait(30 * time.Second); err != nil {
		return floodResult{}, err
	}
	peak, cpu, err := readUsage(usage)
	// connect's CPU time is its whole life; the window's share of it:
	return floodResult{rate: rate, window: window, cpu: time.Duration(float64(cpu) * rate * window.Seconds() / (float64(f.sent.Load()) / 1e6)), peak: peak}, err
}

func (h *harness) floodWindow() time.Duration {
	return time.Duration(h.cfg.floodSeconds * float64(time.Second))
}

// floodWorkbench floods the workbench, which connects at start to the
// TARGET given, until its capture is full; then resumes it and measures.
func (h *harness) floodWorkbench(f *chargen) (floodResult, error) {
	p, _, err := h.startWorkbench("sockbench", "--no-lab", f.ln.Addr().String()) // its title: drawn before the flood
	if err != nil {
		return floodResult{}, err
	}
	defer p.close()
	if err := f.waitAccepted(); err != nil {
		return floodResult{}, err
	}
	start := time.Now()
	full := func(s string) bool { return strings.Contains(s, "capture is full") }
	if _, err := p.waitScreen("full capture", 120*time.Second, full); err != nil {
		return floodResult{}, err
	}
	fill := time.Since(start)
	// Esc leaves the send line for the hex view, where space resumes; the
	// two go one at a time, or they would read as alt+space.
	if err := p.keys("Escape"); err != nil {
		return floodResult{}, err
	}
	hexKeys := func(s string) bool { return strings.Contains(s, "f filter") }
	if _, err := p.waitScreen("the hex view's keys", 30*time.Second, hexKeys); err != nil {
		return floodResult{}, err
	}
	if err := p.keys("Space"); err != nil {
		return floodResult{}, err
	}
	if _, err := p.waitScreen("resumed reading", 30*time.Second, func(s string) bool { return !full(s) }); err != nil {
		return floodResult{}, err
	}
	u0, err := usageOf(p.pid)
	if err != nil {
		return floodResult{}, err
	}
	rate, window := f.measure(h.floodWindow())
	u1, err := usageOf(p.pid)
	if err != nil {
		return floodResult{}, err
	}
	_, peak := memoryOf(p.pid)
	fr := floodResult{rate: rate, window: window, cpu: u1.cpu - u0.cpu, peak: peak, fill: fill}
	if fr.keysFlood, err = keyToFrame(p); err != nil {
		return floodResult{}, fmt.Errorf("keys during the flood: %w", err)
	}
	if err := f.stop(); err != nil {
		return floodResult{}, err
	}
	time.Sleep(settle) // the end of the connection drawn, then quiet
	if fr.keysIdle, err = keyToFrame(p); err != nil {
		return floodResult{}, fmt.Errorf("keys after the flood: %w", err)
	}
	return fr, nil
}

// keyPresses is how many times keyToFrame opens the help.
const keyPresses = 30

// helpMarker is in the help overlay's first line, and nowhere else.
const helpMarker = "panel and everywhere"

// keyToFrame opens the help with ? and closes it with Esc, keyPresses
// times, and returns the milliseconds from each ? (the tmux command that
// sends it) to the frame that shows the help. Closing is not timed.
func keyToFrame(p *pane) (samples, error) {
	var ms samples
	open := func(s string) bool { return strings.Contains(s, helpMarker) }
	for range keyPresses {
		w := p.out.expect(helpMarker)
		start := monotonicNow()
		if err := p.keys("?"); err != nil {
			return nil, err
		}
		at, err := w.wait(30 * time.Second)
		if err != nil {
			return nil, err
		}
		ms = append(ms, float64(at-start)/1e6)
		if err := p.keys("Escape"); err != nil {
			return nil, err
		}
		if _, err := p.waitScreen("the help closed", 30*time.Second, func(s string) bool { return !open(s) }); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// chargen accepts one connection and writes to it as fast as it takes
// until stopped.
type chargen struct {
	ln       net.Listener
	sent     atomic.Int64
	accepted chan struct{}
	quit     atomic.Bool
	stopped  chan error
	once     atomic.Bool
}

func (f *chargen) run() {
	c, err := f.ln.Accept()
	if err != nil {
		f.stopped <- err
		return
	}
	defer c.Close()
	close(f.accepted)
	block := chargenBlock()
	for !f.quit.Load() {
		_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond)) // to look at quit while the reader is paused
		n, err := c.Write(block)
		f.sent.Add(int64(n))
		if err != nil && !isTimeout(err) {
			f.stopped <- err
			return
		}
	}
	f.stopped <- nil
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func (f *chargen) waitAccepted() error {
	select {
	case <-f.accepted:
		return nil
	case err := <-f.stopped:
		return fmt.Errorf("the flood's peer: %v", err)
	case <-time.After(30 * time.Second):
		return fmt.Errorf("no connection to the flood's peer within 30s")
	}
}

// measure counts what is sent over the window: MB/s and the window.
func (f *chargen) measure(d time.Duration) (float64, time.Duration) {
	n0, t0 := f.sent.Load(), time.Now()
	time.Sleep(d) // the quantity measured is what is sent in this window
	n1, window := f.sent.Load(), time.Since(t0)
	return float64(n1-n0) / 1e6 / window.Seconds(), window
}

// stop ends the flood (once) and closes the connection.
func (f *chargen) stop() error {
	if f.once.Swap(true) {
		return nil
	}
	f.quit.Store(true)
	f.ln.Close()
	select {
	case err := <-f.stopped:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("the flood's peer did not stop")
	}
}

// chargenBlock is what the flood sends, over and over: RFC 864's rotating
// lines of 72 printable characters.
func chargenBlock() []byte {
	var b []byte
	for i := 0; len(b) < recvChunk; i++ {
		for j := range 72 {
			b = append(b, byte(' '+1+(i+j)%94))
		}
		b = append(b, '\r', '\n')
	}
	return b[:recvChunk]
}
