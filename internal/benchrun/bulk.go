//go:build linux

package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// anchor is one program in a comparison: its name and how to run it.
type anchor struct {
	name string
	argv func() []string
}

// rotate gives round r's order of the anchors, so that none always runs
// first (into a cold cache) or last.
func rotate(anchors []anchor, r int) []anchor {
	out := make([]anchor, len(anchors))
	for i := range anchors {
		out[i] = anchors[(r+i)%len(anchors)]
	}
	return out
}

// bulkReceive compares receiving a bulk stream: sockbench listen --once
// --recv-file /dev/null, a Go net receiver and socat, each reading 64 KiB
// at a time, over TCP and AF_UNIX. The sender is the same for all: this
// process, writing 64 KiB at a time. A round's time runs from the connect
// to the receiver's exit.
func (h *harness) bulkReceive() error {
	if err := need("socat"); err != nil {
		return err
	}
	for _, family := range []string{"tcp", "unix"} {
		if err := h.bulkFamily(family); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) bulkFamily(family string) error {
	size := int64(h.cfg.bulkMiB) << 20
	var addr, sockbenchAddr, socatAddr, goNet string // set per round
	anchors := []anchor{
		{"sockbench", func() []string {
			return []string{h.cfg.sockbench, "listen", "--once", "--recv-file", "/dev/null", sockbenchAddr}
		}},
		{"go-net", func() []string { return []string{h.self, "recv", goNet, addr} }},
		{"socat", func() []string { return []string{"socat", "-u", "-b65536", socatAddr, "OPEN:/dev/null"} }},
	}
	rates, cpus := map[string]samples{}, map[string]samples{}
	for r := range h.cfg.rounds {
		for _, a := range rotate(anchors, r) {
			if family == "tcp" {
				port, err := freePort("tcp4")
				if err != nil {
					return err
				}
				addr = fmt.Sprintf("127.0.0.1:%d", port)
				sockbenchAddr, socatAddr, goNet = addr, fmt.Sprintf("TCP4-LISTEN:%d,bind=127.0.0.1,reuseaddr", port), "tcp4"
			} else {
				addr = h.path("bulk.sock")
				sockbenchAddr, socatAddr, goNet = "unix:"+addr, "UNIX-LISTEN:"+addr, "unix"
			}
			d, cpu, err := h.bulkRound(a, family, addr, size)
			if err != nil {
				return fmt.Errorf("%s %s: %w", family, a.name, err)
			}
			rates[a.name] = append(rates[a.name], float64(size)/1e6/d.Seconds())
			cpus[a.name] = append(cpus[a.name], cpu.Seconds()/(float64(size)/1e9))
		}
		fmt.Printf("   round %d %s MB/s (CPU-s/GB): sockbench %.0f (%.2f)  go-net %.0f (%.2f)  socat %.0f (%.2f)\n", r+1, family,
			last(rates["sockbench"]), last(cpus["sockbench"]), last(rates["go-net"]), last(cpus["go-net"]), last(rates["socat"]), last(cpus["socat"]))
	}
	value := fmt.Sprintf("sockbench %.0f MB/s, go-net %.0f, socat %.0f (%d MiB a round)",
		rates["sockbench"].median(), rates["go-net"].median(), rates["socat"].median(), h.cfg.bulkMiB)
	for _, other := range []string{"go-net", "socat"} {
		ratio := ratios(rates["sockbench"], rates[other])
		h.add(result{section: "bulk", name: fmt.Sprintf("%s receive: listen / %s", family, other), ratio: ratio,
			value: value, target: ">= 1.0x", met: metIf(ratio.median() >= 1.0)})
	}
	h.addCPU("bulk", family+" receive", "GB", cpus, "go-net", "socat")
	return nil
}

// addCPU adds the context row of a comparison's CPU cost: each anchor's
// CPU time per unit over sockbench's, round by round (above 1: sockbench
// spends less). Unlike a rate, it barely moves with the load of others.
func (h *harness) addCPU(section, name, unit string, cpus map[string]samples, others ...string) {
	value := fmt.Sprintf("CPU-s/%s: sockbench %.3g", unit, cpus["sockbench"].median())
	for _, o := range others {
		value += fmt.Sprintf(", %s %.3g", o, cpus[o].median())
	}
	for _, o := range others {
		h.add(result{section: section, name: fmt.Sprintf("%s CPU per %s: %s / sockbench", name, unit, o),
			ratio: ratios(cpus[o], cpus["sockbench"]), value: value, met: "-"})
	}
}

func last(s samples) float64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// bulkRound starts the receiver, waits until it listens, sends size bytes
// and returns the time from the connect to the receiver's exit, and the
// receiver's CPU time.
func (h *harness) bulkRound(a anchor, family, addr string, size int64) (time.Duration, time.Duration, error) {
	p, err := h.start(a.argv(), nil, nil)
	if err != nil {
		return 0, 0, err
	}
	defer p.kill()
	if family == "unix" {
		defer os.Remove(addr)
	}
	listening := func() bool { return unixListening(addr) }
	if family == "tcp" {
		var port int
		fmt.Sscanf(addr, "127.0.0.1:%d", &port)
		listening = func() bool { return tcpListening(port) }
	}
	if err := waitUntil("listening socket", 10*time.Second, listening); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := sendZeros(family, addr, size); err != nil {
		return 0, 0, err
	}
	if err := p.wait(60 * time.Second); err != nil {
		return 0, 0, err
	}
	return time.Since(start), p.cpu(), nil
}

// sendZeros connects and sends size zero bytes, 64 KiB a write, then
// shuts down its sending side. The connection is closed once the
// receiver has closed its own.
func sendZeros(family, addr string, size int64) error {
	network := "tcp4"
	if family == "unix" {
		network = "unix"
	}
	c, err := net.Dial(network, addr)
	if err != nil {
		return err
	}
	buf := make([]byte, recvChunk)
	for sent := int64(0); sent < size; sent += int64(len(buf)) {
		if _, err := c.Write(buf[:min(int64(len(buf)), size-sent)]); err != nil {
			c.Close()
			return err
		}
	}
	type closeWriter interface{ CloseWrite() error }
	err = c.(closeWriter).CloseWrite()
	go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
	return err
}

// sendFile compares sending a large sparse file, the whole command from
// exec to exit: sockbench connect --send-file --shutdown-after-send,
// socat and a Go net sender, each reading and writing 256 KiB at a time,
// to the same receiver (this process, reading 64 KiB at a time). Each
// runs under the launcher, which reports its peak memory.
func (h *harness) sendFile() error {
	if err := need("socat"); err != nil {
		return err
	}
	size := int64(h.cfg.sendFileMiB) << 20
	file := h.path("sparse")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		return err
	}
	defer os.Remove(file)
	if err := os.Truncate(file, size); err != nil {
		return err
	}
	// The first read of a sparse file fills the page cache with zeroed
	// pages, at a cost that would fall on whichever sender ran first.
	if err := readThrough(file); err != nil {
		return err
	}
	rx, err := newDiscardServer()
	if err != nil {
		return err
	}
	defer rx.close()
	addr := rx.ln.Addr().String()
	anchors := []anchor{
		{"sockbench", func() []string {
			return []string{h.cfg.sockbench, "connect", "--send-file", file, "--shutdown-after-send", addr}
		}},
		{"socat", func() []string { return []string{"socat", "-u", "-b262144", "OPEN:" + file, "TCP4:" + addr} }},
		{"go-net", func() []string { return []string{h.self, "send-file", file, addr} }},
	}
	rates, peaks, cpus := map[string]samples{}, map[string]samples{}, map[string]samples{}
	for r := range h.cfg.rounds {
		for _, a := range rotate(anchors, r) {
			d, rss, cpu, err := h.sendFileRound(a, rx, size)
			if err != nil {
				return fmt.Errorf("%s: %w", a.name, err)
			}
			rates[a.name] = append(rates[a.name], float64(size)/1e6/d.Seconds())
			peaks[a.name] = append(peaks[a.name], float64(rss)/(1<<20))
			cpus[a.name] = append(cpus[a.name], cpu.Seconds()/(float64(size)/1e9))
		}
		fmt.Printf("   round %d MB/s (peak RSS MiB): sockbench %.0f (%.1f)  socat %.0f (%.1f)  go-net %.0f (%.1f)\n", r+1,
			last(rates["sockbench"]), last(peaks["sockbench"]), last(rates["socat"]), last(peaks["socat"]),
			last(rates["go-net"]), last(peaks["go-net"]))
	}
	value := fmt.Sprintf("sockbench %.0f MB/s, socat %.0f, go-net %.0f (%d MiB file, exec to exit)",
		rates["sockbench"].median(), rates["socat"].median(), rates["go-net"].median(), h.cfg.sendFileMiB)
	for _, other := range []string{"socat", "go-net"} {
		ratio := ratios(rates["sockbench"], rates[other])
		h.add(result{section: "sendfile", name: "connect --send-file / " + other, ratio: ratio, value: value,
			target: ">= 1.0x", met: metIf(ratio.median() >= 1.0)})
	}
	h.add(result{section: "sendfile", name: "connect --send-file peak RSS",
		value:  fmt.Sprintf("sockbench max %.1f MiB (socat %.1f, go-net %.1f)", peaks["sockbench"].max(), peaks["socat"].max(), peaks["go-net"].max()),
		target: "< 64 MiB", met: metIf(peaks["sockbench"].max() < 64)})
	h.addCPU("sendfile", "send", "GB", cpus, "socat", "go-net")
	return nil
}

// readThrough reads a file to its end, for the page cache.
func readThrough(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyBuffer(io.Discard, f, make([]byte, sendChunk))
	return err
}

// sendFileRound runs one sender to the end and checks that every byte
// arrived; it returns the time, the sender's peak memory and CPU time.
func (h *harness) sendFileRound(a anchor, rx *discardServer, size int64) (time.Duration, int64, time.Duration, error) {
	start := time.Now()
	p, usage, err := h.launched(a.argv())
	if err != nil {
		return 0, 0, 0, err
	}
	if err := p.wait(120 * time.Second); err != nil {
		return 0, 0, 0, err
	}
	d := time.Since(start)
	got, err := rx.next(30 * time.Second)
	if err != nil {
		return 0, 0, 0, err
	}
	if got != size {
		return 0, 0, 0, fmt.Errorf("the receiver got %d bytes of %d", got, size)
	}
	rss, cpu, err := readUsage(usage)
	return d, rss, cpu, err
}

// discardServer accepts connections one at a time, reads each to its end
// with 64 KiB reads, and reports how many bytes each brought.
type discardServer struct {
	ln   net.Listener
	done chan int64
}

func newDiscardServer() (*discardServer, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &discardServer{ln: ln, done: make(chan int64, 1)}
	go s.serve()
	return s, nil
}

func (s *discardServer) serve() {
	buf := make([]byte, recvChunk)
	for {
		c, err := s.ln.Accept()
		if err != nil {
			close(s.done)
			return
		}
		var n int64
		for {
			m, err := c.Read(buf)
			n += int64(m)
			if err != nil {
				break
			}
		}
		c.Close()
		s.done <- n
	}
}

// next is the byte count of the next connection served.
func (s *discardServer) next(limit time.Duration) (int64, error) {
	select {
	case n, ok := <-s.done:
		if !ok {
			return 0, fmt.Errorf("the receiver stopped")
		}
		return n, nil
	case <-time.After(limit):
		return 0, fmt.Errorf("no connection ended at the receiver within %v", limit)
	}
}

func (s *discardServer) close() { s.ln.Close() }
