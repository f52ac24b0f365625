package wire

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel stamps packets only while some socket asks for timestamps,
// and it turns stamping on a moment after the first one asks (it defers
// the switch to a worker). Until then a packet socket's packets are
// stamped when they are read, which can be long after they passed: the
// first packets of a capture would then look later than the ones after
// them. So the first capture of the process opens one socket that asks
// for timestamps and keeps it for the life of the process (stamping stays
// on), and waits until a probe shows stamping is on.

// stampProbeGap parts a probe datagram's send from its read, so that a
// stamp made as it passed and one made by the read cannot meet.
const stampProbeGap = time.Millisecond

// stampProbes bounds the wait for stamping (about 50 ms); a kernel that
// never stamps early only costs that once.
const stampProbes = 50

var stampsOn sync.Once

// ensureStamps makes sure the kernel stamps packets as they pass.
func ensureStamps() {
	stampsOn.Do(func() {
		fd, err := stampKeeper()
		if err != nil {
			return // no worse than before: stamps at read time
		}
		for range stampProbes {
			if stampedEarly(fd) {
				return
			}
		}
	})
}

// stampKeeper opens the UDP socket on 127.0.0.1 that asks for
// timestamps; it is never closed.
func stampKeeper() (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// stampedEarly sends the keeper a datagram and reports whether its stamp
// is from before the read: made as it passed, not by the read.
func stampedEarly(fd int) bool {
	self, err := unix.Getsockname(fd)
	if err != nil {
		return true // cannot tell: do not wait
	}
	if err := unix.Sendto(fd, []byte{0}, 0, self); err != nil {
		return true
	}
	time.Sleep(stampProbeGap)
	readAt := time.Now()
	buf, oob := make([]byte, 1), make([]byte, unix.CmsgSpace(64))
	_, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_DONTWAIT)
	if err != nil {
		return true // lost (it cannot be, on loopback): do not wait
	}
	return timestamp(oob[:oobn]).Before(readAt)
}
