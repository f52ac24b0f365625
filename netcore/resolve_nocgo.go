//go:build !cgo || !(linux || darwin || freebsd)

package netcore

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// ResolverImpl names the resolver Resolve and NameInfo use in this build.
const ResolverImpl = "Go net resolver (pure Go, CGO_ENABLED=0)"

// This file emulates glibc 2.36's getaddrinfo and getnameinfo on top of
// Go's net.Resolver, so that a build without cgo gives the same rows, in
// the same order, with the same error codes, wherever it reasonably can.
// The names of glibc's source (gaih_inet, gai_protocols, ...) are used in
// comments so the two can be compared.

// glibc's gai_strerror texts for the codes this file returns.
var eaiMessages = map[string]string{
	"EAI_BADFLAGS":   "Bad value for ai_flags",
	"EAI_NONAME":     "Name or service not known",
	"EAI_AGAIN":      "Temporary failure in name resolution",
	"EAI_FAIL":       "Non-recoverable failure in name resolution",
	"EAI_FAMILY":     "ai_family not supported",
	"EAI_SOCKTYPE":   "ai_socktype not supported",
	"EAI_SERVICE":    "Servname not supported for ai_socktype",
	"EAI_ADDRFAMILY": "Address family for hostname not supported",
}

func eaiError(op, name, code string) *ResolveError {
	return &ResolveError{Op: op, Name: name, Code: code, Msg: eaiMessages[code]}
}

// The flags glibc accepts: ours plus its IDN flags (0x40, 0x80 and the
// deprecated 0x100, 0x200), which change nothing for ASCII names.
const (
	glibcAIMask AIFlags = 0x7ff
	glibcNIMask NIFlags = 0xff
)

// gaiProto is a row of glibc's gai_protocols table: which socket types
// and protocols getaddrinfo knows, and which it returns by default.
type gaiProto struct {
	sockType SockType
	protocol Protocol
	name     string // the protocol's name in the services database
	dflt     bool   // returned when the hints give neither type nor protocol
	protoAny bool   // takes whatever protocol the hints give
	noServ   bool   // cannot have a service
}

func gaiProtocols() []gaiProto {
	t := []gaiProto{
		{sockType: SockStream, protocol: ProtoTCP, name: "tcp", dflt: true},
		{sockType: SockDgram, protocol: ProtoUDP, name: "udp", dflt: true},
	}
	if runtime.GOOS == "linux" {
		t = append(t,
			gaiProto{sockType: 6, protocol: 33, name: "dccp"},             // SOCK_DCCP, IPPROTO_DCCP
			gaiProto{sockType: SockDgram, protocol: 136, name: "udplite"}, // IPPROTO_UDPLITE
		)
	}
	return append(t,
		gaiProto{sockType: SockStream, protocol: 132, name: "sctp"}, // IPPROTO_SCTP
		gaiProto{sockType: SockSeqpacket, protocol: 132, name: "sctp"},
		gaiProto{sockType: SockRaw, protocol: 0, name: "raw", dflt: true, protoAny: true, noServ: true},
	)
}

// servTuple is one (socket type, protocol, port) that every address is
// paired with.
type servTuple struct {
	sockType SockType
	protocol Protocol
	port     int
}

func getaddrinfo(ctx context.Context, host, service string, hints Hints) ([]AddrInfo, error) {
	const op = "getaddrinfo"
	name := resolveName(host, service)
	fail := func(code string) ([]AddrInfo, error) { return nil, eaiError(op, name, code) }

	// The checks of glibc's getaddrinfo(), in its order.
	if host == "" && service == "" {
		return fail("EAI_NONAME")
	}
	if hints.Flags&^glibcAIMask != 0 {
		return fail("EAI_BADFLAGS")
	}
	if hints.Flags&AICanonName != 0 && host == "" {
		return fail("EAI_BADFLAGS")
	}
	family := hints.Family
	if family != FamilyUnspec && family != FamilyInet && family != FamilyInet6 {
		return fail("EAI_FAMILY")
	}
	if hints.Flags&AIAddrConfig != 0 {
		seen4, seen6 := configuredFamilies()
		switch {
		case family == FamilyUnspec && (seen4 || seen6):
			if seen4 != seen6 {
				family = FamilyInet6
				if seen4 {
					family = FamilyInet
				}
			}
		case family == FamilyInet && !seen4, family == FamilyInet6 && !seen6:
			return fail("EAI_NONAME")
		}
	}
	num, isNum := 0, false
	if service != "" {
		n, parsed := parseServiceNumber(service)
		if !parsed && hints.Flags&AINumericServ != 0 {
			return fail("EAI_NONAME")
		}
		num, isNum = n, parsed && n >= 0
	}

	tuples, code := serviceTuples(service, num, isNum, hints)
	if code != "" {
		return fail(code)
	}
	addrs, canon, code, err := hostAddrs(ctx, host, family, hints.Flags)
	if err != nil {
		return nil, err
	}
	if code != "" {
		return fail(code)
	}

	out := make([]AddrInfo, 0, len(addrs)*len(tuples))
	for _, ip := range addrs {
		fam := FamilyInet
		if ip.Is6() {
			fam = FamilyInet6
		}
		for _, st := range tuples {
			out = append(out, AddrInfo{
				Flags:    hints.Flags,
				Family:   fam,
				SockType: st.sockType,
				Protocol: st.protocol,
				Addr:     Addr{ip: ip, port: uint16(st.port)},
			})
		}
	}
	if hints.Flags&AICanonName != 0 && len(out) > 0 {
		out[0].CanonName = canon
	}
	return out, nil
}

// parseServiceNumber reads service as glibc does: strtoul(service, &end,
// 10) must use the whole string (leading blanks and a sign are allowed) and
// the result is kept in an int, where a negative value ("-1", an overflow,
// 2147483648) means "not a number, look the name up". parsed reports
// whether strtoul used the whole string; the port is num's low 16 bits.
func parseServiceNumber(s string) (num int, parsed bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (^uint64(0)-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	if i == start || i != len(s) {
		return 0, false
	}
	switch {
	case overflow:
		v = ^uint64(0)
	case neg:
		v = -v
	}
	return int(int32(uint32(v))), true
}

// serviceTuples is the service half of glibc's gaih_inet: it picks the
// protocol table rows the hints allow and finds the port of the service.
// code is an EAI_* name on failure.
func serviceTuples(service string, num int, isNum bool, hints Hints) (tuples []servTuple, code string) {
	table := gaiProtocols()
	var tp *gaiProto // nil: the hints name neither type nor protocol
	if hints.SockType != SockAny || hints.Protocol != ProtoDefault {
		for i := range table {
			e := &table[i]
			if (hints.SockType != SockAny && hints.SockType != e.sockType) ||
				(hints.Protocol != ProtoDefault && !e.protoAny && hints.Protocol != e.protocol) {
				continue
			}
			tp = e
			break
		}
		if tp == nil {
			if hints.SockType != SockAny {
				return nil, "EAI_SOCKTYPE"
			}
			return nil, "EAI_SERVICE"
		}
	}
	one := func(port int) []servTuple {
		proto := tp.protocol
		if tp.protoAny {
			proto = hints.Protocol
		}
		return []servTuple{{tp.sockType, proto, port}}
	}

	port := 0
	if service != "" {
		if tp != nil && tp.noServ {
			return nil, "EAI_SERVICE"
		}
		if !isNum {
			entries := loadServices()
			if tp != nil {
				p, ok := servicePort(entries, service, tp.name)
				if !ok {
					return nil, "EAI_SERVICE"
				}
				return one(p), ""
			}
			// Every protocol that knows the name, not only the defaults.
			for _, e := range table {
				if e.noServ {
					continue
				}
				if p, ok := servicePort(entries, service, e.name); ok {
					tuples = append(tuples, servTuple{e.sockType, e.protocol, p})
				}
			}
			if len(tuples) == 0 {
				return nil, "EAI_SERVICE"
			}
			return tuples, ""
		}
		port = int(uint16(num))
	}
	if tp != nil {
		return one(port), ""
	}
	for _, e := range table {
		if e.dflt {
			tuples = append(tuples, servTuple{e.sockType, e.protocol, port})
		}
	}
	return tuples, ""
}

// configuredFamilies is glibc's __check_pf for AI_ADDRCONFIG: whether the
// system has an IPv4 address other than 127.0.0.1 and an IPv6 address
// other than ::1. When the interfaces cannot be read, both are assumed.
func configuredFamilies() (seen4, seen6 bool) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true, true
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		if ip.Is4() || ip.Is4In6() {
			seen4 = seen4 || ip.Unmap() != netip.AddrFrom4([4]byte{127, 0, 0, 1})
		} else {
			seen6 = seen6 || ip != netip.IPv6Loopback()
		}
	}
	return seen4, seen6
}

// hostAddrs is the host half of gaih_inet: the NULL host, numeric hosts,
// then a name lookup. canon is what AI_CANONNAME reports. code is an EAI_*
// name; err is a failure of the context.
func hostAddrs(ctx context.Context, host string, family Family, flags AIFlags) (addrs []netip.Addr, canon, code string, err error) {
	v4mapped := flags&AIV4Mapped != 0
	if host == "" {
		any4, any6 := netip.IPv4Unspecified(), netip.IPv6Unspecified()
		if flags&AIPassive == 0 {
			any4, any6 = netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()
		}
		switch family {
		case FamilyInet:
			return []netip.Addr{any4}, "", "", nil
		case FamilyInet6:
			return []netip.Addr{any6}, "", "", nil
		}
		// The order glibc's RFC 3484 sort gives on Linux.
		if flags&AIPassive != 0 {
			return []netip.Addr{any4, any6}, "", "", nil
		}
		return []netip.Addr{any6, any4}, "", "", nil
	}

	if ip, ok := parseInetAton(host); ok {
		switch {
		case family != FamilyInet6:
		case v4mapped:
			ip = netip.AddrFrom16(ip.As16())
		default:
			return nil, "", "EAI_ADDRFAMILY", nil
		}
		return []netip.Addr{ip}, host, "", nil
	}
	if ip, isV6, ok := parseInet6Scoped(host); isV6 {
		if !ok {
			// A bad scope: glibc tries the string as a name, which fails.
			return nil, "", "EAI_NONAME", nil
		}
		switch {
		case family != FamilyInet:
		case ip.Is4In6():
			ip = ip.Unmap()
		default:
			return nil, "", "EAI_ADDRFAMILY", nil
		}
		return []netip.Addr{ip}, host, "", nil
	}
	if flags&AINumericHost != 0 {
		return nil, "", "EAI_NONAME", nil
	}

	network := "ip"
	switch {
	case family == FamilyInet:
		network = "ip4"
	case family == FamilyInet6 && !v4mapped:
		network = "ip6"
	}
	found, lerr := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if lerr != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, "", "", cerr
		}
		return nil, "", lookupErrorCode(lerr), nil
	}
	var v4, v6 []netip.Addr
	for _, ip := range found {
		if ip.Is4() || ip.Is4In6() {
			v4 = append(v4, ip.Unmap())
		} else {
			v6 = append(v6, normalizeZone(ip))
		}
	}
	switch family {
	case FamilyInet:
		addrs = v4
	case FamilyInet6:
		addrs = v6
		if v4mapped && (len(v6) == 0 || flags&AIAll != 0) {
			for _, ip := range v4 {
				addrs = append(addrs, netip.AddrFrom16(ip.As16()))
			}
		}
	default:
		for _, ip := range found {
			if ip.Is4In6() {
				ip = ip.Unmap()
			} else if ip.Is6() {
				ip = normalizeZone(ip)
			}
			addrs = append(addrs, ip)
		}
	}
	if len(addrs) == 0 {
		return nil, "", "EAI_NONAME", nil
	}
	canon = host
	if flags&AICanonName != 0 {
		if c, cerr := net.DefaultResolver.LookupCNAME(ctx, host); cerr == nil && c != "" {
			canon = strings.TrimSuffix(c, ".")
		}
	}
	return addrs, canon, "", nil
}

// lookupErrorCode maps a Go resolver error to the EAI code glibc would give.
func lookupErrorCode(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "EAI_NONAME"
		case dnsErr.IsTimeout, dnsErr.IsTemporary:
			return "EAI_AGAIN"
		}
		return "EAI_FAIL"
	}
	var addrErr *net.AddrError // "no suitable address found"
	if errors.As(err, &addrErr) {
		return "EAI_NONAME"
	}
	return "EAI_FAIL"
}

// normalizeZone writes an IPv6 zone the way inet6Addr does: the
// interface name when there is one, else the index.
func normalizeZone(ip netip.Addr) netip.Addr {
	if ip.Zone() == "" {
		return ip
	}
	idx, err := zoneIndex(ip.Zone())
	if err != nil || idx == 0 {
		return ip.WithZone("")
	}
	return ip.WithZone(zoneName(idx))
}

// parseInetAton is glibc's __inet_aton_exact: one to four parts separated
// by dots, each decimal, octal (leading 0) or hex (leading 0x), the last
// part filling the remaining bytes ("127.1" is 127.0.0.1).
func parseInetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseCNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	n := len(vals)
	for _, v := range vals[:n-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
	}
	if vals[n-1] > 0xffffffff>>(8*(n-1)) {
		return netip.Addr{}, false
	}
	v := uint32(vals[n-1])
	for i, part := range vals[:n-1] {
		v |= uint32(part) << (24 - 8*i)
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// parseCNumber reads one inet_aton part as strtoul(s, &end, 0) must read
// all of it: it starts with a digit; "0x" and at least one hex digit is
// hex, another leading "0" octal.
func parseCNumber(s string) (uint64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	base := uint64(10)
	if s[0] == '0' {
		base, s = 8, s[1:]
		if len(s) > 0 && (s[0] == 'x' || s[0] == 'X') {
			base, s = 16, s[1:]
			if s == "" {
				return 0, false // strtoul reads just the "0" and stops at 'x'
			}
		}
	}
	var v uint64
	for _, c := range []byte(s) {
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		v = v*base + d
		if v > 0xffffffff {
			return 0, false
		}
	}
	return v, true
}

// parseInet6Scoped reads an IPv6 literal with an optional "%scope", as
// glibc's getaddrinfo does: the scope is an interface name (link-local and
// interface- or link-local multicast addresses only) or a number. isV6
// reports whether the part before '%' is an IPv6 address; ok whether the
// scope is good too.
func parseInet6Scoped(s string) (ip netip.Addr, isV6, ok bool) {
	addrPart, scope, hasScope := strings.Cut(s, "%")
	ip, err := netip.ParseAddr(addrPart)
	if err != nil || !ip.Is6() {
		return netip.Addr{}, false, false
	}
	if !hasScope {
		return ip, true, true
	}
	var idx uint64
	found := false
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		if ifi, err := net.InterfaceByName(scope); err == nil && ifi.Index > 0 {
			idx, found = uint64(ifi.Index), true
		}
	}
	if !found && scope != "" && scope[0] >= '0' && scope[0] <= '9' {
		if n, err := strconv.ParseUint(scope, 10, 32); err == nil {
			idx, found = n, true
		}
	}
	if !found {
		return netip.Addr{}, true, false
	}
	if idx != 0 {
		ip = ip.WithZone(zoneName(uint32(idx)))
	}
	return ip, true, true
}

func getnameinfo(ctx context.Context, a Addr, flags NIFlags) (host, service string, err error) {
	const op = "getnameinfo"
	name := a.String()
	if flags&^glibcNIMask != 0 {
		return "", "", eaiError(op, name, "EAI_BADFLAGS")
	}

	// glibc's gni_host: a name unless NI_NUMERICHOST, then the number
	// unless NI_NAMEREQD. A temporary failure fails even without it.
	if flags&NINumericHost == 0 {
		names, lerr := net.DefaultResolver.LookupAddr(ctx, a.ip.WithZone("").String())
		switch {
		case lerr == nil && len(names) > 0:
			host = strings.TrimSuffix(names[0], ".")
			if flags&NINoFQDN != 0 {
				host = trimLocalDomain(ctx, host)
			}
		case lerr != nil && ctx.Err() != nil:
			return "", "", ctx.Err()
		case lerr != nil && lookupErrorCode(lerr) == "EAI_AGAIN":
			return "", "", eaiError(op, name, "EAI_AGAIN")
		}
	}
	if host == "" {
		if flags&NINameReqd != 0 {
			return "", "", eaiError(op, name, "EAI_NONAME")
		}
		host = numericHost(a.ip)
	}

	service = strconv.Itoa(int(a.port))
	if flags&NINumericServ == 0 {
		proto := "tcp"
		if flags&NIDgram != 0 {
			proto = "udp"
		}
		if s, ok := serviceName(loadServices(), int(a.port), proto); ok {
			service = s
		}
	}
	return host, service, nil
}

// numericHost formats an address as glibc's getnameinfo does: an IPv6 scope
// is the interface name for link-local addresses and the index otherwise.
func numericHost(ip netip.Addr) string {
	zone := ip.Zone()
	s := IPText(ip.WithZone(""))
	if zone == "" {
		return s
	}
	idx, err := zoneIndex(zone)
	if err != nil || idx == 0 {
		return s
	}
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
		return s + "%" + zoneName(idx)
	}
	return s + "%" + strconv.FormatUint(uint64(idx), 10)
}

// trimLocalDomain is glibc's NI_NOFQDN: when the local domain occurs in the
// name after a dot, the name is cut before that dot.
func trimLocalDomain(ctx context.Context, name string) string {
	domain := localDomain(ctx)
	if domain == "" {
		return name
	}
	if i := strings.Index(name, domain); i > 0 && name[i-1] == '.' {
		return name[:i-1]
	}
	return name
}

// localDomain is glibc's nrl_domainname: what follows the first dot of the
// host name, or of its canonical name.
func localDomain(ctx context.Context) string {
	hn, err := os.Hostname()
	if err != nil {
		return ""
	}
	if _, d, ok := strings.Cut(hn, "."); ok {
		return d
	}
	c, err := net.DefaultResolver.LookupCNAME(ctx, hn)
	if err != nil {
		return ""
	}
	if _, d, ok := strings.Cut(strings.TrimSuffix(c, "."), "."); ok {
		return d
	}
	return ""
}
