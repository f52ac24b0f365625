package netcore

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Family is an address family (AF_*).
type Family int

// Address families.
const (
	FamilyUnspec Family = unix.AF_UNSPEC
	FamilyInet   Family = unix.AF_INET
	FamilyInet6  Family = unix.AF_INET6
	FamilyUnix   Family = unix.AF_UNIX
)

// SockType is a socket type (SOCK_*). The zero value means "any" in hints.
type SockType int

// Socket types.
const (
	SockAny       SockType = 0
	SockStream    SockType = unix.SOCK_STREAM
	SockDgram     SockType = unix.SOCK_DGRAM
	SockRaw       SockType = unix.SOCK_RAW
	SockSeqpacket SockType = unix.SOCK_SEQPACKET
)

// Protocol is an IP protocol number (IPPROTO_*). Zero (IPPROTO_IP, named
// "ip") lets the system choose.
type Protocol int

// Protocols.
const (
	ProtoDefault Protocol = 0
	ProtoICMP    Protocol = unix.IPPROTO_ICMP
	ProtoTCP     Protocol = unix.IPPROTO_TCP
	ProtoUDP     Protocol = unix.IPPROTO_UDP
	ProtoIPv6    Protocol = unix.IPPROTO_IPV6
	ProtoICMPv6  Protocol = unix.IPPROTO_ICMPV6
	ProtoRaw     Protocol = unix.IPPROTO_RAW
)

// AIFlags are getaddrinfo hint flags. Their values are glibc's; the resolver
// translates them to the platform's own values.
type AIFlags int

// getaddrinfo flags.
const (
	AIPassive     AIFlags = 0x1
	AICanonName   AIFlags = 0x2
	AINumericHost AIFlags = 0x4
	AIV4Mapped    AIFlags = 0x8
	AIAll         AIFlags = 0x10
	AIAddrConfig  AIFlags = 0x20
	AINumericServ AIFlags = 0x400
)

// NIFlags are getnameinfo flags, with glibc's values.
type NIFlags int

// getnameinfo flags.
const (
	NINumericHost NIFlags = 0x1
	NINumericServ NIFlags = 0x2
	NINoFQDN      NIFlags = 0x4
	NINameReqd    NIFlags = 0x8
	NIDgram       NIFlags = 0x10
)

// ShutHow says which direction Shutdown closes.
type ShutHow int

// Shutdown directions.
const (
	ShutRD   ShutHow = unix.SHUT_RD
	ShutWR   ShutHow = unix.SHUT_WR
	ShutRDWR ShutHow = unix.SHUT_RDWR
)

// MsgFlags are flags for send and receive calls (MSG_*). They are passed to
// the system as they are.
type MsgFlags int

// Message flags.
const (
	MsgOOB      MsgFlags = unix.MSG_OOB
	MsgPeek     MsgFlags = unix.MSG_PEEK
	MsgDontWait MsgFlags = unix.MSG_DONTWAIT
	MsgWaitAll  MsgFlags = unix.MSG_WAITALL
	MsgTrunc    MsgFlags = unix.MSG_TRUNC
)

// constName ties a constant to its short name (as the command line spells
// it) and its C name.
type constName[T ~int] struct {
	value T
	name  string
	cname string
}

var familyNames = []constName[Family]{
	{FamilyUnspec, "unspec", "AF_UNSPEC"},
	{FamilyInet, "inet", "AF_INET"},
	{FamilyInet6, "inet6", "AF_INET6"},
	{FamilyUnix, "unix", "AF_UNIX"},
}

var sockTypeNames = []constName[SockType]{
	{SockAny, "any", "0"},
	{SockStream, "stream", "SOCK_STREAM"},
	{SockDgram, "dgram", "SOCK_DGRAM"},
	{SockRaw, "raw", "SOCK_RAW"},
	{SockSeqpacket, "seqpacket", "SOCK_SEQPACKET"},
}

var protocolNames = []constName[Protocol]{
	{ProtoDefault, "ip", "IPPROTO_IP"},
	{ProtoICMP, "icmp", "IPPROTO_ICMP"},
	{ProtoTCP, "tcp", "IPPROTO_TCP"},
	{ProtoUDP, "udp", "IPPROTO_UDP"},
	{ProtoIPv6, "ipv6", "IPPROTO_IPV6"},
	{ProtoICMPv6, "icmpv6", "IPPROTO_ICMPV6"},
	{ProtoRaw, "raw", "IPPROTO_RAW"},
}

var aiFlagNames = []constName[AIFlags]{
	{AIPassive, "passive", "AI_PASSIVE"},
	{AICanonName, "canonname", "AI_CANONNAME"},
	{AINumericHost, "numerichost", "AI_NUMERICHOST"},
	{AIV4Mapped, "v4mapped", "AI_V4MAPPED"},
	{AIAll, "all", "AI_ALL"},
	{AIAddrConfig, "addrconfig", "AI_ADDRCONFIG"},
	{AINumericServ, "numericserv", "AI_NUMERICSERV"},
}

var niFlagNames = []constName[NIFlags]{
	{NINumericHost, "numerichost", "NI_NUMERICHOST"},
	{NINumericServ, "numericserv", "NI_NUMERICSERV"},
	{NINoFQDN, "nofqdn", "NI_NOFQDN"},
	{NINameReqd, "namereqd", "NI_NAMEREQD"},
	{NIDgram, "dgram", "NI_DGRAM"},
}

var shutNames = []constName[ShutHow]{
	{ShutRD, "rd", "SHUT_RD"},
	{ShutWR, "wr", "SHUT_WR"},
	{ShutRDWR, "rdwr", "SHUT_RDWR"},
}

var msgFlagNames = []constName[MsgFlags]{
	{MsgOOB, "oob", "MSG_OOB"},
	{MsgPeek, "peek", "MSG_PEEK"},
	{MsgDontWait, "dontwait", "MSG_DONTWAIT"},
	{MsgWaitAll, "waitall", "MSG_WAITALL"},
	{MsgTrunc, "trunc", "MSG_TRUNC"},
}

// nameOf returns the short name of v, or its number when it has none.
func nameOf[T ~int](table []constName[T], v T) string {
	for _, c := range table {
		if c.value == v {
			return c.name
		}
	}
	return fmt.Sprint(int(v))
}

// parseName accepts a short name ("inet"), a C name ("AF_INET"), the egg's
// form ("af/inet") or a number, case-insensitively.
func parseName[T ~int](what string, table []constName[T], s string) (T, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexByte(key, '/'); i >= 0 {
		key = key[i+1:]
	}
	for _, c := range table {
		if key == c.name || key == strings.ToLower(c.cname) {
			return c.value, nil
		}
	}
	if n, ok := parseCIntText(key); ok {
		return T(n), nil
	}
	return 0, invalidf("parse", "unknown %s %s (one of %s)", what, QuoteInput(s), namesOf(table))
}

// parseCIntText reads a number as String writes one, in decimal or, for
// the unnamed bits of flags, in hex after "0x". The number must fit the C
// int the system takes, so that no bits are cut off on the way.
func parseCIntText(key string) (int, bool) {
	digits, base := key, 10
	if hex, ok := strings.CutPrefix(key, "0x"); ok {
		digits, base = hex, 16
	}
	if digits == "" || base == 16 && (digits[0] == '+' || digits[0] == '-') {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, base, 32)
	if err != nil || base == 10 && strconv.FormatInt(n, 10) != key {
		return 0, false // "+5" and "007" are not numbers String writes
	}
	return int(n), true
}

func namesOf[T ~int](table []constName[T]) string {
	names := make([]string, len(table))
	for i, c := range table {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// flagsString joins the names of the set bits with "|", with any unnamed
// remainder in hex.
func flagsString[T ~int](table []constName[T], v T) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for _, c := range table {
		if v&c.value != 0 {
			parts = append(parts, c.name)
			v &^= c.value
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", int(v)))
	}
	return strings.Join(parts, "|")
}

// parseFlags reads a comma- or "|"-separated list of flag names.
func parseFlags[T ~int](what string, table []constName[T], s string) (T, error) {
	var v T
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		f, err := parseName(what, table, part)
		if err != nil {
			return 0, err
		}
		if f < 0 {
			return 0, invalidf("parse", "%s %s: flags are bits, not a negative number", what, QuoteInput(part))
		}
		v |= f
	}
	return v, nil
}

// String returns the short name: "inet", "inet6", "unix", "unspec".
func (f Family) String() string { return nameOf(familyNames, f) }

// String returns the short name: "stream", "dgram", "raw", "seqpacket", "any".
func (t SockType) String() string { return nameOf(sockTypeNames, t) }

// String returns the short name ("tcp", "udp", "ip" for 0) or the number.
func (p Protocol) String() string { return nameOf(protocolNames, p) }

// String returns "rd", "wr" or "rdwr".
func (h ShutHow) String() string { return nameOf(shutNames, h) }

// String joins the flag names with "|", such as "passive|canonname".
func (f AIFlags) String() string { return flagsString(aiFlagNames, f) }

// String joins the flag names with "|".
func (f NIFlags) String() string { return flagsString(niFlagNames, f) }

// String joins the flag names with "|"; unnamed bits are shown in hex.
func (f MsgFlags) String() string { return flagsString(msgFlagNames, f) }

// CName returns the C name of the family, such as "AF_INET".
func (f Family) CName() string { return cnameOf(familyNames, f) }

// CName returns the C name of the socket type, such as "SOCK_STREAM".
func (t SockType) CName() string { return cnameOf(sockTypeNames, t) }

func cnameOf[T ~int](table []constName[T], v T) string {
	for _, c := range table {
		if c.value == v {
			return c.cname
		}
	}
	return fmt.Sprint(int(v))
}

// ParseFamily reads a family name: "inet", "AF_INET", "af/inet" or a number.
func ParseFamily(s string) (Family, error) { return parseName("family", familyNames, s) }

// ParseSockType reads a socket type name: "stream", "SOCK_STREAM", "any", ...
func ParseSockType(s string) (SockType, error) { return parseName("socket type", sockTypeNames, s) }

// ParseProtocol reads a protocol name ("tcp", "IPPROTO_UDP") or number.
func ParseProtocol(s string) (Protocol, error) { return parseName("protocol", protocolNames, s) }

// ParseShutHow reads "rd", "wr" or "rdwr" (or SHUT_RD, ...).
func ParseShutHow(s string) (ShutHow, error) { return parseName("shutdown direction", shutNames, s) }

// ParseAIFlags reads a list such as "passive,canonname" or "AI_ALL|AI_V4MAPPED".
func ParseAIFlags(s string) (AIFlags, error) { return parseFlags("AI flag", aiFlagNames, s) }

// ParseNIFlags reads a list such as "numerichost,numericserv".
func ParseNIFlags(s string) (NIFlags, error) { return parseFlags("NI flag", niFlagNames, s) }

// ParseMsgFlags reads a list such as "peek,dontwait".
func ParseMsgFlags(s string) (MsgFlags, error) { return parseFlags("MSG flag", msgFlagNames, s) }
