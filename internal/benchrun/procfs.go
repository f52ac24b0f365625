//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// What the harness reads from /proc: whether a socket listens yet, a UDP
// socket's queue and drops, a process's CPU time, wakeups and memory.

// monotonicNow is CLOCK_MONOTONIC in nanoseconds: the same clock in every
// process, so that a child can stamp the moment it execs.
func monotonicNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// tcpListening reports whether a TCP socket listens on 127.0.0.1:port.
func tcpListening(port int) bool {
	want := fmt.Sprintf("0100007F:%04X", port)
	found := false
	eachProcLine("/proc/net/tcp", func(f []string) {
		found = found || len(f) > 3 && f[1] == want && f[3] == "0A" // TCP_LISTEN
	})
	return found
}

// unixListening reports whether a UNIX stream socket listens on path.
func unixListening(path string) bool {
	found := false
	eachProcLine("/proc/net/unix", func(f []string) {
		// Flags 00010000 is __SO_ACCEPTCON: a listening socket.
		found = found || len(f) > 7 && f[7] == path && f[3] == "00010000"
	})
	return found
}

// udpSocket is a UDP socket's line in /proc/net/udp.
type udpSocket struct {
	found   bool
	rxQueue int64 // bytes waiting to be received
	drops   int64 // datagrams dropped because the queue was full
}

// udpState finds the UDP socket bound to 127.0.0.1:port.
func udpState(port int) udpSocket {
	want := fmt.Sprintf("0100007F:%04X", port)
	var s udpSocket
	eachProcLine("/proc/net/udp", func(f []string) {
		if len(f) < 13 || f[1] != want {
			return
		}
		_, rx, _ := strings.Cut(f[4], ":")
		q, _ := strconv.ParseInt(rx, 16, 64)
		d, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
		s = udpSocket{found: true, rxQueue: q, drops: d}
	})
	return s
}

// eachProcLine calls fn with the fields of every line of a /proc table
// after its header.
func eachProcLine(path string, fn func(fields []string)) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for first := true; sc.Scan(); first = false {
		if !first {
			fn(strings.Fields(sc.Text()))
		}
	}
}

// procUsage is what a process has used so far.
type procUsage struct {
	cpu      time.Duration // all threads, from schedstat (nanoseconds)
	ticks    int64         // utime+stime from /proc/PID/stat, in clock ticks
	switches int64         // context switches of all threads: how often they slept or were put off
}

// usageOf reads a process's CPU time and context switches, summed over its
// threads.
func usageOf(pid int) (procUsage, error) {
	var u procUsage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name may hold spaces; the fields after it are plain.
	rest := stat[bytes.LastIndexByte(stat, ')')+2:]
	f := strings.Fields(string(rest))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	u.ticks = utime + stime
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil {
		return u, err
	}
	for _, task := range tasks {
		if data, err := os.ReadFile(task + "/schedstat"); err == nil {
			if ns, err := strconv.ParseInt(strings.Fields(string(data))[0], 10, 64); err == nil {
				u.cpu += time.Duration(ns)
			}
		}
		u.switches += statusField(task+"/status", "voluntary_ctxt_switches:") +
			statusField(task+"/status", "nonvoluntary_ctxt_switches:")
	}
	return u, nil
}

// memoryOf is a process's resident memory now and at its peak, in bytes.
func memoryOf(pid int) (rss, peak int64) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	return statusField(path, "VmRSS:") << 10, statusField(path, "VmHWM:") << 10
}

// statusField is the number after key in a /proc status file (kB for
// memory), or 0.
func statusField(path, key string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// clockTick is the length of a /proc/PID/stat tick (USER_HZ is 100 on
// Linux).
const clockTick = 10 * time.Millisecond
