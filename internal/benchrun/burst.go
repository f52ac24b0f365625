//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// listenBurst makes idleSockets connections in one burst to listen
// --keep --json, which serves them in turn; once all are established
// they are closed, so that each exchange ends, and the harness counts
// listen's accepted events: every connection of the burst must be one.
func (h *harness) listenBurst() error {
	out, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer out.Close()
	p, err := h.start([]string{h.cfg.sockbench, "listen", "--keep", "--json", "127.0.0.1:0"}, nil, w)
	w.Close()
	if err != nil {
		return err
	}
	defer p.kill()
	events := make(chan listenEvent, 1024)
	go readEvents(out, events)
	var addr string
	select {
	case ev := <-events:
		addr = ev.Address
	case <-time.After(10 * time.Second):
		return fmt.Errorf("listen said nothing within 10s: %s", p.stderr.String())
	}
	start := time.Now()
	holder, err := h.hold(addr, h.cfg.idleSockets)
	if err != nil {
		return err
	}
	held := time.Since(start)
	holder.stop()
	accepted := 0
	deadline := time.After(120 * time.Second)
	for accepted < h.cfg.idleSockets {
		select {
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("listen ended after %d accepted: %s", accepted, p.stderr.String())
			}
			if ev.Event == "accepted" {
				accepted++
			}
		case <-deadline:
			return fmt.Errorf("%d of %d accepted within 120s", accepted, h.cfg.idleSockets)
		}
	}
	h.add(result{section: "burst", name: fmt.Sprintf("burst of %d connects to listen --keep", h.cfg.idleSockets),
		value: fmt.Sprintf("all established %.1f s after the burst began; all accepted and served in turn %.1f s after it",
			held.Seconds(), time.Since(start).Seconds()),
		target: "every one accepted", met: "yes"})
	return p.interrupt(10 * time.Second)
}

// listenEvent is the part of listen's JSON events the burst reads.
type listenEvent struct {
	Event   string `json:"event"`
	Address string `json:"address"`
}

// readEvents sends each JSON event read from r, and closes events at the
// end.
func readEvents(r *os.File, events chan<- listenEvent) {
	defer close(events)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var ev listenEvent
		if strings.HasPrefix(sc.Text(), "{") && json.Unmarshal(sc.Bytes(), &ev) == nil {
			events <- ev
		}
	}
}

// holder is the process holding connections open.
type holder struct {
	p     *proc
	stdin *os.File
}

// hold connects n times to addr from a process of its own and returns once
// all are connected.
func (h *harness) hold(addr string, n int) (*holder, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer outR.Close()
	inR, inW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return nil, err
	}
	p, err := h.start([]string{h.self, "hold", addr, fmt.Sprint(n)}, inR, outW)
	outW.Close()
	inR.Close()
	if err != nil {
		inW.Close()
		return nil, err
	}
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("hold: %v: %s", err, p.stderr.String())
	}
	if strings.TrimSpace(line) != fmt.Sprintf("held %d", n) {
		p.kill()
		return nil, fmt.Errorf("hold said %q", line)
	}
	return &holder{p: p, stdin: inW}, nil
}

func (k *holder) stop() {
	k.stdin.Close()
	k.p.kill()
	<-k.p.done
}
