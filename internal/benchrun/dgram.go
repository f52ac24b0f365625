//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// benchRun is one line of go test -bench output: the benchmark's name
// (without the -GOMAXPROCS suffix) and its metrics by unit.
type benchRun struct {
	name    string
	metrics map[string]float64
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// goBench runs the netcore test binary's benchmarks matching pattern,
// count times each, and returns every result line.
func (h *harness) goBench(pattern string, count int, extra ...string) ([]benchRun, error) {
	if h.cfg.netcoreTest == "" {
		return nil, fmt.Errorf("no netcore test binary (-netcore-test)")
	}
	args := append([]string{"-test.run", "^$", "-test.bench", pattern, "-test.count", strconv.Itoa(count),
		"-test.benchtime", h.cfg.goBenchtime}, extra...)
	cmd := exec.Command(h.cfg.netcoreTest, args...)
	cmd.Dir = filepath.Join(h.cfg.repo, "netcore")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out.String())
	}
	var runs []benchRun
	for line := range strings.Lines(out.String()) {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		r := benchRun{name: procsSuffix.ReplaceAllString(f[0], ""), metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				r.metrics[f[i+1]] = v
			}
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// metric collects one metric of the runs of one benchmark, in order.
func metric(runs []benchRun, name, unit string) samples {
	var s samples
	for _, r := range runs {
		if r.name == name {
			if v, ok := r.metrics[unit]; ok {
				s = append(s, v)
			}
		}
	}
	return s
}

// datagramsInProcess runs netcore's datagram benchmarks: ReceiveMessage
// (what the CLI and the workbench receive datagrams with) against Go's
// ReadFromUDPAddrPort, in alternating rounds in one process, each
// -test.count run one ratio; then each side alone for its allocations.
func (h *harness) datagramsInProcess() error {
	runs, err := h.goBench("^BenchmarkDatagramRatio$", h.cfg.rounds)
	if err != nil {
		return err
	}
	for _, c := range []string{"udp-64B", "udp-1400B", "unix-64B"} {
		name := "BenchmarkDatagramRatio/" + c
		ratio := metric(runs, name, "netcore/net")
		target, met := ">= 1.0x", metIf(ratio.median() >= 1.0)
		if strings.HasPrefix(c, "unix") {
			target, met = "", "-"
		}
		h.add(result{section: "dgram", name: "ReceiveMessage / net " + c, ratio: ratio,
			value:  fmt.Sprintf("netcore %.0f ns, net %.0f ns a datagram", metric(runs, name, "netcore-ns/dgram").median(), metric(runs, name, "net-ns/dgram").median()),
			target: target, met: met})
	}
	allocs, err := h.goBench("^BenchmarkReceiveOne$", 1, "-test.benchmem")
	if err != nil {
		return err
	}
	var parts []string
	zero := true
	for _, r := range allocs {
		side := strings.TrimPrefix(r.name, "BenchmarkReceiveOne/")
		parts = append(parts, fmt.Sprintf("%s %.0f", side, r.metrics["allocs/op"]))
		zero = zero && (!strings.HasPrefix(side, "netcore") || r.metrics["allocs/op"] == 0)
	}
	h.add(result{section: "dgram", name: "allocations per datagram", value: strings.Join(parts, ", "),
		target: "0 for netcore", met: metIf(zero && len(allocs) > 0)})
	return nil
}

// connectRate runs netcore's connect benchmark: its Dialer against
// net.Dialer, to the same listener, in alternating rounds.
func (h *harness) connectRate() error {
	runs, err := h.goBench("^BenchmarkConnectRatio$", h.cfg.rounds)
	if err != nil {
		return err
	}
	const name = "BenchmarkConnectRatio"
	h.add(result{section: "connect", name: "connects/s: netcore Dialer / net.Dialer", ratio: metric(runs, name, "netcore/net"),
		value: fmt.Sprintf("netcore %.0f/s, net %.0f/s", metric(runs, name, "netcore-conn/s").median(), metric(runs, name, "net-conn/s").median()),
		met:   "-"})
	return nil
}

// listenDatagrams compares sockbench listen --type dgram --recv-file
// /dev/null with a Go net receiver (64 KiB buffer, the sender learnt).
// This process sends a run of datagrams as fast as it can; the receiver's
// rate is what it took (sent less the kernel's drops for a full queue)
// over the time until its queue was empty.
func (h *harness) listenDatagrams() error {
	for _, size := range []int{64, 1400} {
		if err := h.listenDatagramSize(size); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) listenDatagramSize(size int) error {
	var addr string
	anchors := []anchor{
		{"sockbench", func() []string {
			return []string{h.cfg.sockbench, "listen", "--type", "dgram", "--recv-file", "/dev/null", addr}
		}},
		{"go-net", func() []string { return []string{h.self, "dgram-recv", addr} }},
	}
	rates, dropped, cpus := map[string]samples{}, map[string]samples{}, map[string]samples{}
	for r := range h.cfg.rounds {
		for _, a := range rotate(anchors, r) {
			port, err := freePort("udp4")
			if err != nil {
				return err
			}
			addr = fmt.Sprintf("127.0.0.1:%d", port)
			dr, err := h.datagramRound(a, port, size)
			if err != nil {
				return fmt.Errorf("%d B %s: %w", size, a.name, err)
			}
			rates[a.name] = append(rates[a.name], dr.rate)
			dropped[a.name] = append(dropped[a.name], dr.dropPct)
			cpus[a.name] = append(cpus[a.name], dr.cpuPerDgram.Seconds()*1e6)
		}
		fmt.Printf("   round %d %d B, kdgram/s (dropped %%, CPU µs a datagram): sockbench %.0f (%.0f, %.1f)  go-net %.0f (%.0f, %.1f)\n", r+1, size,
			last(rates["sockbench"])/1e3, last(dropped["sockbench"]), last(cpus["sockbench"]),
			last(rates["go-net"])/1e3, last(dropped["go-net"]), last(cpus["go-net"]))
	}
	ratio := ratios(rates["sockbench"], rates["go-net"])
	h.add(result{section: "listen-dgram", name: fmt.Sprintf("listen --type dgram / go-net, %d B", size), ratio: ratio,
		value: fmt.Sprintf("sockbench %.0fk/s (%.0f%% dropped), go-net %.0fk/s (%.0f%% dropped), %d sent a round",
			rates["sockbench"].median()/1e3, dropped["sockbench"].median(), rates["go-net"].median()/1e3, dropped["go-net"].median(), h.cfg.dgrams),
		target: ">= 0.9x", met: metIf(ratio.median() >= 0.9)})
	h.addCPU("listen-dgram", fmt.Sprintf("%d B", size), "datagram (µs)", cpus, "go-net")
	return nil
}

// dgramRound is one receiver's round.
type dgramRound struct {
	rate        float64 // datagrams received a second
	dropPct     float64 // of those sent, dropped for a full queue
	cpuPerDgram time.Duration
}

// datagramRound starts a receiver, sends it the round's datagrams, waits
// until its queue is empty, and returns its rate, the share dropped and
// its CPU time (start-up included) per datagram received.
func (h *harness) datagramRound(a anchor, port, size int) (dgramRound, error) {
	p, err := h.start(a.argv(), nil, nil)
	if err != nil {
		return dgramRound{}, err
	}
	defer p.kill()
	if err := waitUntil("bound UDP socket", 10*time.Second, func() bool { return udpState(port).found }); err != nil {
		return dgramRound{}, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return dgramRound{}, err
	}
	defer unix.Close(fd)
	to := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	msg := make([]byte, size)
	start := time.Now()
	for range h.cfg.dgrams {
		if err := unix.Sendto(fd, msg, 0, to); err != nil {
			return dgramRound{}, err
		}
	}
	if err := waitUntil("empty receive queue", 30*time.Second, func() bool { return udpState(port).rxQueue == 0 }); err != nil {
		return dgramRound{}, err
	}
	elapsed := time.Since(start)
	drops := udpState(port).drops
	select {
	case <-p.done:
		return dgramRound{}, fmt.Errorf("the receiver ended early: %v %s", p.err, p.stderr.String())
	default:
	}
	if err := p.interrupt(10 * time.Second); err != nil {
		return dgramRound{}, err
	}
	received := h.cfg.dgrams - int(drops)
	return dgramRound{
		rate:        float64(received) / elapsed.Seconds(),
		dropPct:     100 * float64(drops) / float64(h.cfg.dgrams),
		cpuPerDgram: p.cpu() / time.Duration(max(received, 1)),
	}, nil
}
