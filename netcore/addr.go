package netcore

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// Addr is a socket address: IPv4, IPv6 (with an optional zone), a UNIX path,
// an abstract UNIX name, or the unnamed address of an unbound UNIX socket.
// It is a comparable value; the zero Addr is not a valid address.
//
// Abstract names are written with a leading '@', as Linux tools show them.
// Linux takes any bytes as an abstract name, NULs included, so Path keeps
// the exact bytes while String escapes them: a backslash is written `\\`,
// and each byte of a NUL, a control character, another unprintable
// character or invalid UTF-8 as `\xHH`. ParseAddr reads that form back.
type Addr struct {
	ip   netip.Addr
	port uint16
	path string
	unix bool
}

// maxUnixPath is the longest UNIX path that fits sun_path with room for its
// terminating NUL. An abstract name has no terminating NUL but a leading
// one, which leaves it as many bytes.
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
		return Addr{}, invalidf(op, "invalid internet address %s (a numeric IPv4 or IPv6 address is needed)", QuoteInput(host))
	}
	if ip.Zone() != "" {
		if _, err := zoneIndex(ip.Zone()); err != nil {
			return Addr{}, invalidf(op, "unknown zone %s in %s: %v", QuoteInput(ip.Zone()), QuoteInput(host), err)
		}
	}
	return Addr{ip: ip, port: uint16(port)}, nil
}

// UnixAddr builds a UNIX address from a path, or from "@name" for Linux's
// abstract namespace, where the name is any bytes (NULs too) up to 107 of
// them. A path or name too long for sun_path is an error, never truncated.
func UnixAddr(path string) (Addr, error) {
	const op = "unix-address"
	name, abstract := strings.CutPrefix(path, "@")
	switch {
	case path == "":
		return Addr{}, invalidf(op, "empty UNIX socket path")
	case abstract && len(name) > maxUnixPath:
		return Addr{}, invalidf(op, "abstract UNIX socket name is %d bytes, longer than the %d that fit", len(name), maxUnixPath)
	case abstract:
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
// resolved; the port must be a number. An abstract name may hold the
// escapes String writes (`\x00`, `\\`); a path is taken as it is.
func ParseAddr(s string) (Addr, error) {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if name, abstract := strings.CutPrefix(path, "@"); abstract {
			raw, err := unescapeName(name)
			if err != nil {
				return Addr{}, invalidf("parse-address", "abstract name in %s: %v", QuoteInput(s), err)
			}
			path = "@" + raw
		}
		return UnixAddr(path)
	}
	host, port := ParseInetAddress(s)
	if port == "" {
		return Addr{}, invalidf("parse-address", "%s has no port (want HOST:PORT, [V6]:PORT or unix:PATH)", QuoteInput(s))
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return Addr{}, invalidf("parse-address", "port %s in %s is not a number", QuoteInput(port), QuoteInput(s))
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

// Path returns the UNIX path, or "@" and the exact bytes of an abstract
// name; "" for the unnamed address and for internet addresses.
func (a Addr) Path() string { return a.path }

// IsAbstract reports whether a is a name in Linux's abstract UNIX namespace.
func (a Addr) IsAbstract() bool { return a.unix && strings.HasPrefix(a.path, "@") }

// Host returns what the egg's sockaddr-address does: the numeric host
// (with zone) of an internet address or the path of a UNIX address. IPv6
// addresses are written as libc's inet_ntop writes them: see IPText.
func (a Addr) Host() string {
	if a.unix {
		return a.path
	}
	if a.ip.IsValid() {
		return IPText(a.ip)
	}
	return ""
}

// IPText writes an IP address as libc's inet_ntop (and so getnameinfo, and
// the egg) does, which differs from netip in one case: an IPv4-compatible
// IPv6 address, whose first 96 bits are zero and whose next 16 are not,
// ends in a dotted quad ("::1.2.3.4", where netip writes "::102:304").
// "::1" and "::" are not of that kind, and IPv4-mapped addresses
// ("::ffff:1.2.3.4") read the same either way. A zone follows after '%'.
func IPText(ip netip.Addr) string {
	if !ip.Is6() || ip.Is4In6() {
		return ip.String()
	}
	b := ip.As16()
	if [12]byte(b[:12]) != [12]byte{} || b[12]|b[13] == 0 {
		return ip.String()
	}
	text := "::" + netip.AddrFrom4([4]byte(b[12:])).String()
	if zone := ip.Zone(); zone != "" {
		text += "%" + zone
	}
	return text
}

// WithPort returns a copy of an internet address with another port.
func (a Addr) WithPort(port uint16) Addr {
	a.port = port
	return a
}

// String formats a as "127.0.0.1:22", "[::1]:22", "[fe80::1%lo]:22",
// "/run/x.sock", "@name" (escaped as the Addr type says), "(unnamed)" for
// an unbound UNIX socket, or "" for the zero Addr.
func (a Addr) String() string {
	switch {
	case a.unix && a.path == "":
		return "(unnamed)"
	case a.IsAbstract():
		return "@" + escapeName(a.path[1:])
	case a.unix:
		return a.path
	case a.ip.Is4():
		return a.AddrPort().String()
	case a.ip.IsValid():
		return "[" + IPText(a.ip) + "]:" + strconv.Itoa(int(a.port))
	}
	return ""
}

// MarshalText writes a as String does, for JSON.
func (a Addr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

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

// escapeName writes an abstract name so that every byte shows and the text
// reads back unchanged: see Addr.
func escapeName(name string) string {
	if !needsEscape(name) {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case (r == utf8.RuneError && size == 1) || !unicode.IsPrint(r):
			for _, c := range []byte(name[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteString(name[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(name string) bool {
	for _, r := range name {
		if r == '\\' || r == utf8.RuneError || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}

// unescapeName reads what escapeName writes. A backslash that starts no
// escape stands for itself.
func unescapeName(text string) (string, error) {
	if !strings.Contains(text, `\`) {
		return text, nil
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch {
		case strings.HasPrefix(text[i:], `\\`):
			b.WriteByte('\\')
			i++
		case strings.HasPrefix(text[i:], `\x`):
			if i+4 > len(text) {
				return "", fmt.Errorf("escape %q is cut short", text[i:])
			}
			v, err := strconv.ParseUint(text[i+2:i+4], 16, 8)
			if err != nil {
				return "", fmt.Errorf("escape %q is not two hex digits", text[i:i+4])
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(text[i])
		}
	}
	return b.String(), nil
}
