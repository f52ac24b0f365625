//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The peers the harness runs as processes of their own, on Go's net
// package: the anchors it compares sockbench with, and helpers.

// recvChunk is the read size of every receiving anchor: sockbench's own
// (64 KiB), Go's here, socat's -b.
const recvChunk = 64 << 10

// sendChunk is the chunk every file-sending anchor reads and writes at a
// time: sockbench's own (256 KiB), Go's here, socat's -b.
const sendChunk = 256 << 10

// peerRoles are the subcommands that run one peer.
var peerRoles = map[string]func(args []string) error{
	"recv":         recvPeer,
	"dgram-recv":   dgramRecvPeer,
	"send-file":    sendFilePeer,
	"hold":         holdPeer,
	"exec-stamped": execStamped,
	"launch":       launchPeer,
}

// recvPeer is the Go receiver: it listens on NETWORK ADDRESS ("tcp4
// 127.0.0.1:4000", "unix /tmp/s"), accepts one connection, reads it to
// the end with 64 KiB reads, writing each read to /dev/null (the job of
// listen --recv-file /dev/null and of socat's OPEN:/dev/null), and exits.
func recvPeer(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: recv NETWORK ADDRESS")
	}
	sink, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer sink.Close()
	ln, err := net.Listen(args[0], args[1])
	if err != nil {
		return err
	}
	defer ln.Close()
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, recvChunk)
	for {
		n, err := c.Read(buf)
		if _, werr := sink.Write(buf[:n]); werr != nil {
			return werr
		}
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// dgramRecvPeer is the Go datagram receiver: it receives on a UDP
// ADDRESS, each datagram into a 64 KiB buffer with its sender, and writes
// it to /dev/null (as listen --recv-file /dev/null does), until it is
// stopped.
func dgramRecvPeer(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: dgram-recv ADDRESS")
	}
	sink, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer sink.Close()
	at, err := net.ResolveUDPAddr("udp4", args[0])
	if err != nil {
		return err
	}
	c, err := net.ListenUDP("udp4", at)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, recvChunk)
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return err
		}
		if _, err := sink.Write(buf[:n]); err != nil {
			return err
		}
	}
}

// sendFilePeer is the Go sender: it connects to a TCP ADDRESS, sends
// FILE 256 KiB at a time (read, then write, as sockbench and socat do;
// not sendfile), shuts down its sending side and exits.
func sendFilePeer(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: send-file FILE ADDRESS")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := net.Dial("tcp4", args[1])
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, sendChunk)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return c.(*net.TCPConn).CloseWrite()
		} else if err != nil {
			return err
		}
	}
}

// holdPeer makes N connections to a TCP ADDRESS in one burst: N
// non-blocking connects, one after the other, none waited for. Once every
// one is established it says "held N", and keeps them open until its
// stdin ends.
func holdPeer(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: hold ADDRESS N")
	}
	ap, err := netip.ParseAddrPort(args[0])
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	if err := raiseFileLimit(n + 100); err != nil {
		return err
	}
	to := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		fds = append(fds, fd)
		if err := unix.Connect(fd, to); err != nil && err != unix.EINPROGRESS {
			return err
		}
	}
	if err := awaitConnected(fds, 60*time.Second); err != nil {
		return err
	}
	fmt.Printf("held %d\n", n)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// awaitConnected waits until every socket's connect has ended, at most
// limit, and fails if one failed.
func awaitConnected(fds []int, limit time.Duration) error {
	pending := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pending[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT}
	}
	deadline := time.Now().Add(limit)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d connects still under way after %v", len(pending), len(fds), limit)
		}
		if _, err := unix.Poll(pending, 100); err != nil && err != unix.EINTR {
			return err
		}
		left := pending[:0]
		for _, p := range pending {
			if p.Revents == 0 {
				left = append(left, p)
				continue
			}
			errno, err := unix.GetsockoptInt(int(p.Fd), unix.SOL_SOCKET, unix.SO_ERROR)
			if err == nil && errno != 0 {
				err = syscall.Errno(errno)
			}
			if err != nil {
				return fmt.Errorf("connect: %w", err)
			}
		}
		pending = left
	}
	return nil
}

// raiseFileLimit raises the soft descriptor limit to at least n, if the
// hard limit allows.
func raiseFileLimit(n int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= uint64(n) {
		return nil
	}
	if lim.Max < uint64(n) {
		return fmt.Errorf("RLIMIT_NOFILE hard limit %d is below the %d needed", lim.Max, n)
	}
	lim.Cur = lim.Max
	return unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
}

// execStamped waits for a byte on the fifo GO, writes "PID NANOSECONDS"
// (CLOCK_MONOTONIC) to STAMP and execs the program after "--": a
// start-up timed from the moment of exec, in a terminal already set up.
func execStamped(args []string) error {
	if slices.Index(args, "--") != 2 || len(args) < 4 {
		return errors.New("usage: exec-stamped GO STAMP -- PROGRAM [ARG]")
	}
	prog := args[3]
	if !strings.Contains(prog, "/") {
		p, err := exec.LookPath(prog)
		if err != nil {
			return err
		}
		prog = p
	}
	gate, err := os.Open(args[0])
	if err != nil {
		return err
	}
	_, _ = gate.Read(make([]byte, 1))
	gate.Close()
	stamp := fmt.Sprintf("%d %d\n", os.Getpid(), monotonicNow())
	if err := os.WriteFile(args[1], []byte(stamp), 0o600); err != nil {
		return err
	}
	return syscall.Exec(prog, args[3:], os.Environ())
}

// launchPeer runs PROGRAM with this process's stdin, stdout and stderr,
// then writes its peak resident memory in bytes and the CPU time it used
// in nanoseconds to USAGEFILE: launch USAGEFILE -- PROGRAM ARGS...
func launchPeer(args []string) error {
	if len(args) < 3 || args[1] != "--" {
		return errors.New("usage: launch USAGEFILE -- PROGRAM [ARG]")
	}
	cmd := exec.Command(args[2], args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	if cmd.ProcessState == nil {
		return err
	}
	st := cmd.ProcessState
	maxrss := st.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	usage := fmt.Sprintf("%d %d\n", maxrss, (st.UserTime() + st.SystemTime()).Nanoseconds())
	if werr := os.WriteFile(args[0], []byte(usage), 0o600); werr != nil {
		return werr
	}
	return err
}
