package netcore

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// msgNoSignal keeps a send to a closed peer from raising SIGPIPE.
const msgNoSignal = unix.MSG_NOSIGNAL

// setFamily writes the family of a raw address; Linux's has no length.
func setFamily(rsa *unix.RawSockaddrAny, family int, _ uint32) { rsa.Addr.Family = uint16(family) }

// sysSocket creates a non-blocking, close-on-exec socket in one call.
func sysSocket(family Family, typ SockType, proto Protocol) (int, error) {
	return unix.Socket(int(family), int(typ)|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(proto))
}

// sysSocketpair creates a non-blocking, close-on-exec pair.
func sysSocketpair(family Family, typ SockType, proto Protocol) ([2]int, error) {
	return unix.Socketpair(int(family), int(typ)|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(proto))
}

// sysAccept accepts a connection as a non-blocking, close-on-exec socket
// and writes the peer's address to peer.
func sysAccept(fd int, peer *rawSockaddr) (int, error) {
	peer.reset()
	nfd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&peer.any)), uintptr(unsafe.Pointer(&peer.len)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(nfd), nil
}
