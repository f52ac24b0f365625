package netcore

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Addr is a socket address: IPv4, IPv6 (with an optional zone), a UNIX path,
// or an abstract UNIX name. It is a comparable value; the zero Addr is not a
// valid address. Abstract names are written with a leading '@', as Linux
// tools show them.
type Addr struct {
	ip   netip.Addr
	port uint16
	path string
	unix bool
}

// maxUnixPath is the longest UNIX path (or '@' plus abstract name) that fits
// sun_path with room for its terminating NUL.
var maxUnixPath = len(unix.RawSockaddrUnix{}.Path) - 1

// InetAddr builds an internet address from a numeric host and a port, like
// the egg's inet-address. An empty host is the unspecified address 0.0.0.0,
// which is what getaddrinfo returns first for a passive lookup. A name is
// not looked up: use Resolve for that.
func InetAddr(host string, port int) (Addr, error) {
	const op = "inet-address"
	if port < 0 || port > 65535 {
		return Addr{}, invalidf(op, "port %d out of range 0..65535", port)
	}
	if host == "" {
		return Addr{ip: netip.IPv4Unspecified(), port: uint16(port)}, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return Addr{}, invalidf(op, "invalid internet address %q (a numeric IPv4 or IPv6 address is needed)", host)
	}
	if ip.Zone() != "" {
		if _, err := zoneIndex(ip.Zone()); err != nil {
			return Addr{}, invalidf(op, "unknown zone %q in %q: %v", ip.Zone(), host, err)
		}
	}
	return Addr{ip: ip, port: uint16(port)}, nil
}

// UnixAddr builds a UNIX address from a path, or from "@name" for Linux's
// abstract namespace. A path too long for sun_path is an error, never
// truncated.
func UnixAddr(path string) (Addr, error) {
	const op = "unix-address"
	switch {
	case path == "":
		return Addr{}, invalidf(op, "empty UNIX socket path")
	case len(path) > maxUnixPath:
		return Addr{}, invalidf(op, "UNIX socket path is %d bytes, longer than the %d that fit", len(path), maxUnixPath)
	case strings.IndexByte(path, 0) >= 0:
		return Addr{}, invalidf(op, "UNIX socket path contains a NUL byte")
	}
	return Addr{path: path, unix: true}, nil
}

// AddrFromAddrPort converts a netip.AddrPort.
func AddrFromAddrPort(ap netip.AddrPort) Addr {
	return Addr{ip: ap.Addr(), port: ap.Port()}
}

// ParseInetAddress splits "host:port", "[v6]:port", "[v6]" or a bare host the
// way the egg's parse-inet-address does: the port stays a string and is ""
// when there is none; two or more colons outside brackets mean a bare IPv6
// address.
func ParseInetAddress(s string) (host, port string) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return s, ""
		}
		host, rest := s[1:end], s[end+1:]
		if strings.HasPrefix(rest, ":") {
			return host, rest[1:]
		}
		if rest == "" {
			return host, ""
		}
		return s, ""
	}
	if strings.Count(s, ":") == 1 {
		i := strings.IndexByte(s, ':')
		return s[:i], s[i+1:]
	}
	return s, ""
}

// ParseAddr reads a numeric socket address: "127.0.0.1:80", "[::1]:80",
// "[fe80::1%lo]:22", "unix:/run/x.sock" or "unix:@name". Names are not
// resolved; the port must be a number.
func ParseAddr(s string) (Addr, error) {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		return UnixAddr(path)
	}
	host, port := ParseInetAddress(s)
	if port == "" {
		return Addr{}, invalidf("parse-address", "%q has no port (want HOST:PORT, [V6]:PORT or unix:PATH)", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return Addr{}, invalidf("parse-address", "port %q in %q is not a number", port, s)
	}
	return InetAddr(host, n)
}

// IsValid reports whether a is an address rather than the zero Addr.
func (a Addr) IsValid() bool { return a.unix || a.ip.IsValid() }

// Family returns the address family; FamilyUnspec for the zero Addr. An
// IPv4-mapped IPv6 address is inet6.
func (a Addr) Family() Family {
	switch {
	case a.unix:
		return FamilyUnix
	case a.ip.Is4():
		return FamilyInet
	case a.ip.Is6():
		return FamilyInet6
	}
	return FamilyUnspec
}

// IP returns the internet address, with its zone; invalid for UNIX addresses.
func (a Addr) IP() netip.Addr { return a.ip }

// Port returns the port; 0 for UNIX addresses.
func (a Addr) Port() int { return int(a.port) }

// AddrPort returns the internet address and port as a netip.AddrPort.
func (a Addr) AddrPort() netip.AddrPort { return netip.AddrPortFrom(a.ip, a.port) }

// Path returns the UNIX path ("@name" for an abstract name), "" otherwise.
func (a Addr) Path() string { return a.path }

// IsAbstract reports whether a is a name in Linux's abstract UNIX namespace.
func (a Addr) IsAbstract() bool { return a.unix && strings.HasPrefix(a.path, "@") }

// Host returns what the egg's sockaddr-address does: the numeric host
// (with zone) of an internet address or the path of a UNIX address.
func (a Addr) Host() string {
	if a.unix {
		return a.path
	}
	if a.ip.IsValid() {
		return a.ip.String()
	}
	return ""
}

// WithPort returns a copy of an internet address with another port.
func (a Addr) WithPort(port uint16) Addr {
	a.port = port
	return a
}

// String formats a as "127.0.0.1:22", "[::1]:22", "[fe80::1%lo]:22",
// "/run/x.sock", "@name", "(unnamed)" for an unbound UNIX socket, or "" for
// the zero Addr.
func (a Addr) String() string {
	switch {
	case a.unix && a.path == "":
		return "(unnamed)"
	case a.unix:
		return a.path
	case a.ip.IsValid():
		return a.AddrPort().String()
	}
	return ""
}

// MarshalText writes a as String does, for JSON.
func (a Addr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// sockaddr converts a to the x/sys form for a system call.
func (a Addr) sockaddr() (unix.Sockaddr, error) {
	switch {
	case a.unix:
		// x/sys turns a leading '@' into the abstract namespace's NUL.
		return &unix.SockaddrUnix{Name: a.path}, nil
	case a.ip.Is4():
		return &unix.SockaddrInet4{Port: int(a.port), Addr: a.ip.As4()}, nil
	case a.ip.Is6():
		zone, err := zoneIndex(a.ip.Zone())
		if err != nil {
			return nil, err
		}
		return &unix.SockaddrInet6{Port: int(a.port), ZoneId: zone, Addr: a.ip.As16()}, nil
	}
	return nil, invalidf("sockaddr", "no address")
}

// addrFromSockaddr converts an address the system returned. Unknown
// families give the zero Addr.
func addrFromSockaddr(sa unix.Sockaddr) Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return Addr{ip: netip.AddrFrom4(sa.Addr), port: uint16(sa.Port)}
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			ip = ip.WithZone(zoneName(sa.ZoneId))
		}
		return Addr{ip: ip, port: uint16(sa.Port)}
	case *unix.SockaddrUnix:
		return Addr{path: sa.Name, unix: true}
	}
	return Addr{}
}

// zoneIndex turns an IPv6 zone ("lo" or "1") into an interface index.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}

// zoneName turns an interface index into its name, or the number as text
// when the interface is gone.
func zoneName(index uint32) string {
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(index), 10)
}
