//go:build linux

package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// firstFrameMarker ends the workbench's first frame: the last word of the
// key help on its bottom line, which is drawn last.
const firstFrameMarker = "quit"

// startWorkbench opens the workbench (with args) in a pane and waits for
// marker in what it draws.
func (h *harness) startWorkbench(marker string, args ...string) (*pane, time.Duration, error) {
	p, w, err := h.openPane(append([]string{h.cfg.sockbench}, args...), marker)
	if err != nil {
		return nil, 0, err
	}
	at, err := w.wait(30 * time.Second)
	if err != nil {
		p.close()
		return nil, 0, err
	}
	return p, time.Duration(at - p.execAt), nil
}

// idleUsage is what a process did over a quiet window.
type idleUsage struct {
	cpuPct   float64 // CPU time over wall time, in percent
	tickPct  float64 // the same from /proc/PID/stat's ticks
	wakeups  float64 // context switches a second
	outBytes int64   // bytes written to the terminal
}

func (u idleUsage) String() string {
	return fmt.Sprintf("%.3f%% CPU (stat ticks %.2f%%), %.0f wakeups/s, %d bytes to the terminal", u.cpuPct, u.tickPct, u.wakeups, u.outBytes)
}

// measureIdle watches the pane's program for the idle window.
func (h *harness) measureIdle(p *pane) (idleUsage, error) {
	window := time.Duration(h.cfg.idleSeconds * float64(time.Second))
	u0, err := usageOf(p.pid)
	if err != nil {
		return idleUsage{}, err
	}
	b0, t0 := p.out.bytes(), time.Now()
	time.Sleep(window) // the quantity measured is what happens in this window
	u1, err := usageOf(p.pid)
	if err != nil {
		return idleUsage{}, err
	}
	wall := time.Since(t0)
	return idleUsage{
		cpuPct:   100 * (u1.cpu - u0.cpu).Seconds() / wall.Seconds(),
		tickPct:  100 * (time.Duration(u1.ticks-u0.ticks) * clockTick).Seconds() / wall.Seconds(),
		wakeups:  float64(u1.switches-u0.switches) / wall.Seconds(),
		outBytes: p.out.bytes() - b0,
	}, nil
}

// settle lets a program finish what it started (lab services, a garbage
// collection) before a quiet window.
const settle = 3 * time.Second

// idle measures the workbench (with its lab) doing nothing: CPU, wakeups
// and output; then with idleSockets connections accepted by a listener
// opened in it: memory per socket, CPU, wakeups and output again.
func (h *harness) idle() error {
	if err := need("tmux"); err != nil {
		return err
	}
	p, _, err := h.startWorkbench(firstFrameMarker)
	if err != nil {
		return err
	}
	defer p.close()
	time.Sleep(settle)
	empty, err := h.measureIdle(p)
	if err != nil {
		return err
	}
	h.add(result{section: "idle", name: "workbench idle, nothing open", value: empty.String(),
		target: "< 0.3% CPU, no output", met: metIf(empty.cpuPct < 0.3 && empty.outBytes == 0)})
	return h.idleSockets(p)
}

// listenerRow finds the listener's port and its accepted count.
var listenerRow = regexp.MustCompile(`127\.0\.0\.1:(\d+) +\((\d+) accepted\)`)

// openListener opens a listener on 127.0.0.1:0 in the sockets panel and
// returns its address.
func openListener(p *pane) (string, error) {
	for range 8 { // tab through the panels to the sockets panel, whose keys the bottom line shows
		s, err := p.screen()
		if err != nil {
			return "", err
		}
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		if strings.Contains(lines[len(lines)-1], "l listen") {
			break
		}
		if err := p.keys("Tab"); err != nil {
			return "", err
		}
		time.Sleep(200 * time.Millisecond) // a frame's time, then look again
	}
	if err := p.keys("l"); err != nil {
		return "", err
	}
	if _, err := p.waitScreen("listen prompt", 10*time.Second, func(s string) bool { return strings.Contains(s, "listen on") }); err != nil {
		return "", err
	}
	if err := p.keys("Enter"); err != nil {
		return "", err
	}
	s, err := p.waitScreen("listener row", 10*time.Second, listenerRow.MatchString)
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + listenerRow.FindStringSubmatch(s)[1], nil
}

// idleSockets opens a listener, has idleSockets connections made to it
// in one burst and held, checks that every one is listed, then measures
// memory and the idle window again.
func (h *harness) idleSockets(p *pane) error {
	addr, err := openListener(p)
	if err != nil {
		return err
	}
	time.Sleep(settle)
	before, _ := memoryOf(p.pid)
	start := time.Now()
	holder, err := h.hold(addr, h.cfg.idleSockets)
	if err != nil {
		return err
	}
	defer holder.stop()
	want := fmt.Sprintf("(%d accepted)", h.cfg.idleSockets)
	if _, err := p.waitScreen(want, 120*time.Second, func(s string) bool { return strings.Contains(s, want) }); err != nil {
		return err
	}
	h.add(result{section: "burst", name: fmt.Sprintf("burst of %d connects to a workbench listener", h.cfg.idleSockets),
		value:  fmt.Sprintf("all accepted and listed in the sockets panel %.1f s after the burst began", time.Since(start).Seconds()),
		target: "every one accepted and listed", met: "yes"})
	time.Sleep(settle)
	after, _ := memoryOf(p.pid)
	perSocket := float64(after-before) / float64(h.cfg.idleSockets)
	h.add(result{section: "idle", name: fmt.Sprintf("memory per idle socket (%d accepted)", h.cfg.idleSockets),
		value: fmt.Sprintf("%.1f KiB a socket; RSS %.0f MiB -> %.0f MiB (+%.0f MiB)",
			perSocket/1024, float64(before)/(1<<20), float64(after)/(1<<20), float64(after-before)/(1<<20)),
		target: "< 16 KiB", met: metIf(perSocket < 16<<10)})
	busy, err := h.measureIdle(p)
	if err != nil {
		return err
	}
	h.add(result{section: "idle", name: fmt.Sprintf("workbench idle, %d sockets open", h.cfg.idleSockets), value: busy.String(),
		target: "< 0.3% CPU, no output", met: metIf(busy.cpuPct < 0.3 && busy.outBytes == 0)})
	return nil
}

// startup compares the time from exec to the workbench's first frame with
// the time from exec to an echo's line, in the same kind of pane; and
// sockbench resolve with getent ahosts.
func (h *harness) startup() error {
	if err := need("tmux"); err != nil {
		return err
	}
	anchors := []struct {
		name, marker string
		argv         []string
	}{
		{"sockbench", firstFrameMarker, []string{h.cfg.sockbench}},
		{"echo", "sockbench-echo-marker", []string{"echo", "sockbench-echo-marker"}},
	}
	times := map[string]samples{}
	for r := range h.cfg.startupRounds {
		for i := range anchors {
			a := anchors[(r+i)%len(anchors)]
			p, w, err := h.openPane(a.argv, a.marker)
			if err != nil {
				return err
			}
			at, err := w.wait(30 * time.Second)
			p.close()
			if err != nil {
				return fmt.Errorf("%s: %w", a.name, err)
			}
			times[a.name] = append(times[a.name], float64(at-p.execAt)/1e6)
		}
	}
	fmt.Printf("   first frame ms: sockbench %s\n   echo ms: %s\n", times["sockbench"].list("%.0f"), times["echo"].list("%.0f"))
	h.add(result{section: "startup", name: "first frame at 120x40 in tmux, from exec", ratio: ratios(times["sockbench"], times["echo"]),
		value:  fmt.Sprintf("sockbench %s ms; echo %s ms (ratio: sockbench / echo)", times["sockbench"].spread("%.0f"), times["echo"].spread("%.0f")),
		target: "< 60 ms", met: metIf(times["sockbench"].median() < 60)})
	return h.resolveTime()
}

// resolveTime compares sockbench resolve localhost 80 with getent ahosts
// localhost, exec to exit.
func (h *harness) resolveTime() error {
	if err := need("getent"); err != nil {
		return err
	}
	anchors := []anchor{
		{"sockbench", func() []string { return []string{h.cfg.sockbench, "resolve", "localhost", "80"} }},
		{"getent", func() []string { return []string{"getent", "ahosts", "localhost"} }},
	}
	times := map[string]samples{}
	for r := range h.cfg.startupRounds * 2 {
		for _, a := range rotate(anchors, r) {
			start := time.Now()
			p, err := h.start(a.argv(), nil, nil)
			if err != nil {
				return err
			}
			if err := p.wait(30 * time.Second); err != nil {
				return err
			}
			times[a.name] = append(times[a.name], float64(time.Since(start).Microseconds())/1e3)
		}
	}
	ratio := ratios(times["sockbench"], times["getent"])
	h.add(result{section: "startup", name: "resolve localhost 80 / getent ahosts localhost", ratio: ratio,
		value:  fmt.Sprintf("sockbench %s ms, getent %s ms", times["sockbench"].spread("%.1f"), times["getent"].spread("%.1f")),
		target: "<= 2.0x", met: metIf(ratio.median() <= 2.0)})
	return nil
}
