package model

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/ui"
)

// burstSize is how many connections TestBurstAllAccepted makes at once.
const burstSize = 10000

// burstChild, in the child process of TestBurstAllAccepted, connects
// burstSize sockets to addr as fast as it can, without waiting for any,
// and holds them until its stdin closes.
func burstChild(addr string) {
	ap := strings.Split(addr, ":")
	var ip [4]byte
	fmt.Sscanf(ap[0], "%d.%d.%d.%d", &ip[0], &ip[1], &ip[2], &ip[3])
	var port int
	fmt.Sscanf(ap[1], "%d", &port)
	sa := &unix.SockaddrInet4{Port: port, Addr: ip}
	for range burstSize { // the descriptors stay open until the process ends
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "socket:", err)
			os.Exit(1)
		}
		if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
			fmt.Fprintln(os.Stderr, "connect:", err)
			os.Exit(1)
		}
	}
	fmt.Println("connecting")
	_, _ = os.Stdin.Read(make([]byte, 1))
	os.Exit(0)
}

// TestBurstAllAccepted opens a listener in the workbench and makes 10,000
// connections to it in a burst from another process: every one is
// accepted, and every one appears in the sockets panel.
func TestBurstAllAccepted(t *testing.T) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Max < burstSize+1000 {
		t.Skipf("the descriptor limit (%d) is below the %d the test needs", lim.Max, burstSize+1000)
	}
	if lim.Cur < burstSize+1000 {
		old := lim
		lim.Cur = lim.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("cannot raise the descriptor limit: %v", err)
		}
		defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
	}
	d := newDriver(t, Config{}, 120, 40)
	d.m.setFocus(ui.PanelSockets, true)
	// A fresh loopback address each run, so that the connections of an
	// earlier run, in TIME_WAIT, do not take the ports this one needs.
	host := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(250), rand.IntN(250), 1+rand.IntN(250))
	d.key("l")
	inject(d, host+":0")
	d.key("enter")
	d.pumpUntil("the listener", func() bool { return len(d.m.socks.all) == 1 })
	l := d.m.socks.all[0]

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "SOCKBENCH_BURST_TO="+l.Local().String())
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = child.Wait() }()
	// On a starved machine the kernel's queue may overflow for a moment:
	// the SYNs it drops are sent again, the last of them up to 63 s later
	// (1+2+4+8+16+32 s), and are accepted then. The cap waits for those.
	d.pumpWithin(150*time.Second, fmt.Sprintf("%d accepted rows", burstSize), func() bool { return len(d.m.socks.all) == burstSize+1 })
	if got := d.m.socks.accepted[l]; got != burstSize {
		t.Errorf("%d accepted", got)
	}
	if !strings.Contains(d.plain(), fmt.Sprintf("(%d accepted)", burstSize)) {
		t.Errorf("the listener's row:\n%s", d.plain())
	}
}
