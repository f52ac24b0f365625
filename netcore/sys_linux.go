package netcore

import "golang.org/x/sys/unix"

// msgNoSignal keeps a send to a closed peer from raising SIGPIPE.
const msgNoSignal = unix.MSG_NOSIGNAL

// sysSocket creates a non-blocking, close-on-exec socket in one call.
func sysSocket(family Family, typ SockType, proto Protocol) (int, error) {
	return unix.Socket(int(family), int(typ)|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(proto))
}

// sysSocketpair creates a non-blocking, close-on-exec pair.
func sysSocketpair(family Family, typ SockType, proto Protocol) ([2]int, error) {
	return unix.Socketpair(int(family), int(typ)|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(proto))
}

// sysAccept accepts a connection as a non-blocking, close-on-exec socket.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
