//go:build !linux

package netcore

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// msgNoSignal is 0 here: sockets get SO_NOSIGPIPE instead.
const msgNoSignal = 0

// setFamily writes the family and length of a raw address.
func setFamily(rsa *unix.RawSockaddrAny, family int, length uint32) {
	rsa.Addr.Family = uint8(family)
	rsa.Addr.Len = uint8(length)
}

// sysSocket creates a socket and makes it non-blocking and close-on-exec.
// The fork lock keeps a concurrent exec from inheriting it in between.
func sysSocket(family Family, typ SockType, proto Protocol) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(int(family), int(typ), int(proto))
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	return fd, prepare(fd)
}

func sysSocketpair(family Family, typ SockType, proto Protocol) ([2]int, error) {
	syscall.ForkLock.RLock()
	fds, err := unix.Socketpair(int(family), int(typ), int(proto))
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return fds, err
	}
	for _, fd := range fds {
		if err := prepare(fd); err != nil {
			unix.Close(fds[0])
			unix.Close(fds[1])
			return fds, err
		}
	}
	return fds, nil
}

func sysAccept(fd int, peer *rawSockaddr) (int, error) {
	syscall.ForkLock.RLock()
	peer.reset()
	nfd, _, e := unix.Syscall(unix.SYS_ACCEPT, uintptr(fd), uintptr(unsafe.Pointer(&peer.any)), uintptr(unsafe.Pointer(&peer.len)))
	if e == 0 {
		unix.CloseOnExec(int(nfd))
	}
	syscall.ForkLock.RUnlock()
	if e != 0 {
		return -1, e
	}
	return int(nfd), prepare(int(nfd))
}

// prepare makes fd non-blocking and keeps writes from raising SIGPIPE; it
// closes fd when it fails.
func prepare(fd int) error {
	err := unix.SetNonblock(fd, true)
	if err == nil {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
	}
	if err != nil {
		unix.Close(fd)
	}
	return err
}
