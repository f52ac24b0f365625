package netcore

import (
	"errors"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawSockaddr is an address as the kernel writes it (getsockname,
// getpeername, accept, recvfrom), with the length it gave. x/sys's own
// conversion reads an AF_UNIX address only up to its first NUL and ignores
// the length, so it shows an unnamed socket as "@" and cuts abstract names
// at their first NUL; netcore reads these calls' results itself.
type rawSockaddr struct {
	any unix.RawSockaddrAny
	len uint32
}

// reset makes room for the kernel to write a whole address.
func (r *rawSockaddr) reset() { r.len = unix.SizeofSockaddrAny }

// bytes returns the address as the kernel wrote it.
func (r *rawSockaddr) bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&r.any)), min(r.len, unix.SizeofSockaddrAny))
}

// unixPathOffset is where sun_path starts in a sockaddr_un.
var unixPathOffset = uint32(unsafe.Offsetof(unix.RawSockaddrUnix{}.Path))

// addr converts the address. A length of 0 (no address: a connected stream
// socket's receive-from) and unknown families give the zero Addr.
func (r *rawSockaddr) addr() Addr {
	if r.len == 0 {
		return Addr{}
	}
	switch int(r.any.Addr.Family) {
	case unix.AF_INET:
		return r.inet4()
	case unix.AF_INET6:
		sin6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(&r.any))
		return inet6Addr(sin6.Addr, sin6.Scope_id, netPort(unsafe.Pointer(&sin6.Port)))
	case unix.AF_UNIX:
		sun := (*unix.RawSockaddrUnix)(unsafe.Pointer(&r.any))
		n := min(r.len, uint32(unsafe.Sizeof(*sun))) - min(r.len, unixPathOffset)
		return unixAddrFromPath(unsafe.Slice((*byte)(unsafe.Pointer(&sun.Path[0])), n))
	}
	return Addr{}
}

// inet4 converts an AF_INET address.
func (r *rawSockaddr) inet4() Addr {
	sin := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.any))
	return Addr{ip: netip.AddrFrom4(sin.Addr), port: uint16(netPort(unsafe.Pointer(&sin.Port)))}
}

// inet6Addr builds an IPv6 address; a scope becomes the zone, named after
// its interface.
func inet6Addr(ip [16]byte, scope uint32, port int) Addr {
	a := netip.AddrFrom16(ip)
	if scope != 0 {
		a = a.WithZone(zoneName(scope))
	}
	return Addr{ip: a, port: uint16(port)}
}

// set writes a into r for a system call that takes an address (bind,
// connect, sendmsg). x/sys's own conversion refuses an abstract name of the
// full 107 bytes, so netcore writes addresses itself.
func (r *rawSockaddr) set(a Addr) error {
	r.any = unix.RawSockaddrAny{}
	switch {
	case a.unix:
		sun := (*unix.RawSockaddrUnix)(unsafe.Pointer(&r.any))
		path := unsafe.Slice((*byte)(unsafe.Pointer(&sun.Path[0])), len(sun.Path))
		n := copy(path, a.path)
		if a.IsAbstract() {
			path[0] = 0 // the abstract namespace: the name is every byte after it
		} else if n > 0 {
			n++ // a path ends with a NUL
		}
		setFamily(&r.any, unix.AF_UNIX, unixPathOffset+uint32(n))
		r.len = unixPathOffset + uint32(n)
	case a.ip.Is4():
		sin := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.any))
		sin.Addr = a.ip.As4()
		putNetPort(unsafe.Pointer(&sin.Port), a.port)
		r.len = unix.SizeofSockaddrInet4
		setFamily(&r.any, unix.AF_INET, r.len)
	case a.ip.Is6():
		zone, err := zoneIndex(a.ip.Zone())
		if err != nil {
			return err
		}
		sin6 := (*unix.RawSockaddrInet6)(unsafe.Pointer(&r.any))
		sin6.Addr = a.ip.As16()
		sin6.Scope_id = zone
		putNetPort(unsafe.Pointer(&sin6.Port), a.port)
		r.len = unix.SizeofSockaddrInet6
		setFamily(&r.any, unix.AF_INET6, r.len)
	default:
		return errors.New("no address")
	}
	return nil
}

// unixAddrFromPath converts the sun_path bytes of a UNIX address, as long as
// the kernel's length says: none is the unnamed address of an unbound
// socket, a leading NUL an abstract name (every byte after it is the name,
// NULs included), anything else a file path, which ends at its first NUL.
func unixAddrFromPath(path []byte) Addr {
	switch {
	case len(path) == 0:
		return Addr{unix: true}
	case path[0] == 0:
		return Addr{path: "@" + string(path[1:]), unix: true}
	}
	for i, b := range path {
		if b == 0 {
			path = path[:i]
			break
		}
	}
	return Addr{path: string(path), unix: true}
}

// netPort reads a port in network byte order.
func netPort(p unsafe.Pointer) int {
	b := (*[2]byte)(p)
	return int(b[0])<<8 | int(b[1])
}

// putNetPort writes a port in network byte order.
func putNetPort(p unsafe.Pointer, port uint16) {
	b := (*[2]byte)(p)
	b[0], b[1] = byte(port>>8), byte(port)
}

// errnoOf returns the error of a raw system call's errno, nil for 0.
func errnoOf(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// sysSockname is getsockname(2) or getpeername(2) (trap) into r.
func sysSockname(trap uintptr, fd int, r *rawSockaddr) error {
	r.reset()
	_, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&r.any)), uintptr(unsafe.Pointer(&r.len)))
	return errnoOf(e)
}

// sysAddrCall is bind(2) or connect(2) (trap) with the address in r.
func sysAddrCall(trap uintptr, fd int, r *rawSockaddr) error {
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&r.any)), uintptr(r.len))
	return errnoOf(e)
}
