package netcore

import (
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OptType is the kind of value a socket option holds.
type OptType uint8

// Option value types. OptNone is the type of the zero OptValue: no value.
const (
	OptNone     OptType = iota
	OptBool             // an int, 0 or 1
	OptInt              // a C int
	OptBytes            // raw bytes
	OptLinger           // struct linger: on/off and seconds
	OptDuration         // struct timeval, or an int in SockOpt.Unit
	OptString           // a name, such as an interface or a congestion control
	OptTCPInfo          // struct tcp_info, read-only
	OptMreq             // a multicast group to join or leave, write-only
)

var optTypeNames = [...]string{"none", "bool", "int", "bytes", "linger", "duration", "string", "tcpinfo", "mreq"}

// String returns the type's name, such as "bool" or "linger".
func (t OptType) String() string {
	if int(t) < len(optTypeNames) {
		return optTypeNames[t]
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// Applies is the set of sockets an option is meant for: a set of families
// and a set of types, both of which must include the socket's.
type Applies uint16

// The families and types an Applies is made of.
const (
	OnInet4 Applies = 1 << iota
	OnInet6
	OnUnix
	OnStream
	OnDgram
	OnRaw
	OnSeqpacket
)

const (
	anyFamily = OnInet4 | OnInet6 | OnUnix
	anyType   = OnStream | OnDgram | OnRaw | OnSeqpacket
)

// The sets the registry uses. AppliesDgram4 and AppliesDgram6 are the
// sockets that broadcast and multicast options concern.
const (
	AppliesAll    = anyFamily | anyType
	AppliesInet   = OnInet4 | OnInet6 | anyType
	AppliesIPv4   = OnInet4 | anyType
	AppliesIPv6   = OnInet6 | anyType
	AppliesTCP    = OnInet4 | OnInet6 | OnStream
	AppliesUDP    = OnInet4 | OnInet6 | OnDgram
	AppliesUDP4   = OnInet4 | OnDgram
	AppliesDgram  = anyFamily | OnDgram
	AppliesDgram4 = OnInet4 | OnDgram | OnRaw
	AppliesDgram6 = OnInet6 | OnDgram | OnRaw
	AppliesRaw    = anyFamily | OnRaw
	AppliesRaw4   = OnInet4 | OnRaw
)

var appliesFamilies = []struct {
	bit    Applies
	family Family
}{{OnInet4, FamilyInet}, {OnInet6, FamilyInet6}, {OnUnix, FamilyUnix}}

var appliesTypes = []struct {
	bit Applies
	typ SockType
}{{OnStream, SockStream}, {OnDgram, SockDgram}, {OnRaw, SockRaw}, {OnSeqpacket, SockSeqpacket}}

// Match reports whether a socket of this family and type is one the option
// is meant for.
func (a Applies) Match(f Family, t SockType) bool {
	familyOK, typeOK := false, false
	for _, e := range appliesFamilies {
		familyOK = familyOK || (a&e.bit != 0 && e.family == f)
	}
	for _, e := range appliesTypes {
		typeOK = typeOK || (a&e.bit != 0 && e.typ == t)
	}
	return familyOK && typeOK
}

var appliesNames = map[Applies]string{
	AppliesAll: "all sockets", AppliesInet: "internet sockets", AppliesIPv4: "IPv4", AppliesIPv6: "IPv6",
	AppliesTCP: "TCP", AppliesUDP: "UDP", AppliesUDP4: "UDP over IPv4", AppliesDgram: "datagram sockets",
	AppliesDgram4: "IPv4 datagram and raw", AppliesDgram6: "IPv6 datagram and raw",
	AppliesRaw: "raw sockets", AppliesRaw4: "raw IPv4",
}

// String names the set, such as "TCP" or "all sockets".
func (a Applies) String() string {
	if name, ok := appliesNames[a]; ok {
		return name
	}
	var parts []string
	for _, e := range appliesFamilies {
		if a&e.bit != 0 {
			parts = append(parts, e.family.String())
		}
	}
	for _, e := range appliesTypes {
		if a&e.bit != 0 {
			parts = append(parts, e.typ.String())
		}
	}
	return strings.Join(parts, ",")
}

// SockOpt describes one socket option: the registry's entries come from
// Options and LookupOption. An option missing from the registry can be
// described by hand; it needs Available set to be used.
type SockOpt struct {
	Name      string        // the C name, such as "SO_REUSEADDR"
	Egg       string        // the egg's accessor, such as "so-reuse-address?"; "" when it has none
	Level     int           // SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP or IPPROTO_UDP
	Opt       int           // the option number; -1 when the system has none
	Type      OptType       // the kind of value
	Unit      time.Duration // for a duration the kernel keeps as an int, the int's unit; 0 for a struct timeval
	ReadOnly  bool          // the option can only be read
	Available bool          // the system has the option
	Applies   Applies       // the sockets the option is meant for
	Help      string        // what the option does, in one line
}

// String returns the option's C name.
func (o SockOpt) String() string { return o.Name }

// WriteOnly reports whether the option can only be set (multicast
// membership), so that it has no value to read.
func (o SockOpt) WriteOnly() bool { return o.Type == OptMreq }

// LevelName returns the C name of the option's level, such as "SOL_SOCKET".
func (o SockOpt) LevelName() string { return cnameOf(optLevels, o.Level) }

// noOpt is the Opt of an option this system does not have.
const noOpt = -1

// optLevels lists the option levels in the order Options gives them.
var optLevels = []constName[int]{
	{unix.SOL_SOCKET, "socket", "SOL_SOCKET"},
	{unix.IPPROTO_IP, "ip", "IPPROTO_IP"},
	{unix.IPPROTO_IPV6, "ipv6", "IPPROTO_IPV6"},
	{unix.IPPROTO_TCP, "tcp", "IPPROTO_TCP"},
	{unix.IPPROTO_UDP, "udp", "IPPROTO_UDP"},
}

func levelRank(level int) int {
	for i, l := range optLevels {
		if l.value == level {
			return i
		}
	}
	return len(optLevels)
}

// commonOptions are the options every supported system names (the BSD-only
// ones have a noOpt number on Linux). platformOptions adds the rest.
var commonOptions = []SockOpt{
	{Name: "SO_REUSEADDR", Egg: "so-reuse-address?", Level: unix.SOL_SOCKET, Opt: unix.SO_REUSEADDR, Type: OptBool, Applies: AppliesInet,
		Help: "Let bind take a local address that old connections (TIME_WAIT) still hold"},
	{Name: "SO_REUSEPORT", Level: unix.SOL_SOCKET, Opt: unix.SO_REUSEPORT, Type: OptBool, Applies: AppliesInet,
		Help: "Let several sockets bind the same address and port; the kernel shares the traffic among them"},
	{Name: "SO_EXCLUSIVEADDRUSE", Level: unix.SOL_SOCKET, Opt: noOpt, Type: OptBool, Applies: AppliesInet,
		Help: "Forbid other sockets to bind the same address (Windows only)"},
	{Name: "SO_DEBUG", Egg: "so-debug?", Level: unix.SOL_SOCKET, Opt: unix.SO_DEBUG, Type: OptBool, Applies: AppliesAll,
		Help: "Ask the protocol to record debugging information (Linux: needs CAP_NET_ADMIN)"},
	{Name: "SO_KEEPALIVE", Egg: "so-keep-alive?", Level: unix.SOL_SOCKET, Opt: unix.SO_KEEPALIVE, Type: OptBool, Applies: AppliesTCP,
		Help: "Probe an idle connection now and then to notice a peer that has gone"},
	{Name: "SO_DONTROUTE", Egg: "so-dont-route?", Level: unix.SOL_SOCKET, Opt: unix.SO_DONTROUTE, Type: OptBool, Applies: AppliesInet,
		Help: "Send only to hosts on a directly connected network, ignoring the routing table"},
	{Name: "SO_BROADCAST", Egg: "so-broadcast?", Level: unix.SOL_SOCKET, Opt: unix.SO_BROADCAST, Type: OptBool, Applies: AppliesDgram4,
		Help: "Allow sending datagrams to a broadcast address"},
	{Name: "SO_OOBINLINE", Egg: "so-oob-inline?", Level: unix.SOL_SOCKET, Opt: unix.SO_OOBINLINE, Type: OptBool, Applies: AppliesTCP,
		Help: "Receive urgent (out-of-band) data in the normal data stream"},
	{Name: "SO_USELOOPBACK", Level: unix.SOL_SOCKET, Opt: optSOUseLoopback, Type: OptBool, Applies: AppliesRaw,
		Help: "Have routing sockets see their own messages (BSD only)"},
	{Name: "SO_LINGER", Level: unix.SOL_SOCKET, Opt: unix.SO_LINGER, Type: OptLinger, Applies: AppliesAll,
		Help: "Make close wait this long for unsent data to go out; on with 0 seconds resets the connection"},
	{Name: "SO_SNDBUF", Egg: "so-send-buffer", Level: unix.SOL_SOCKET, Opt: unix.SO_SNDBUF, Type: OptInt, Applies: AppliesAll,
		Help: "Size of the kernel's send buffer in bytes (Linux doubles the value set)"},
	{Name: "SO_RCVBUF", Egg: "so-receive-buffer", Level: unix.SOL_SOCKET, Opt: unix.SO_RCVBUF, Type: OptInt, Applies: AppliesAll,
		Help: "Size of the kernel's receive buffer in bytes (Linux doubles the value set)"},
	{Name: "SO_SNDLOWAT", Egg: "so-send-low-water", Level: unix.SOL_SOCKET, Opt: unix.SO_SNDLOWAT, Type: OptInt, Applies: AppliesAll,
		Help: "Free send-buffer bytes needed before the socket counts as writable (fixed on Linux)"},
	{Name: "SO_RCVLOWAT", Egg: "so-receive-low-water", Level: unix.SOL_SOCKET, Opt: unix.SO_RCVLOWAT, Type: OptInt, Applies: AppliesAll,
		Help: "Bytes that must be queued before the socket counts as readable"},
	{Name: "SO_RCVTIMEO", Level: unix.SOL_SOCKET, Opt: unix.SO_RCVTIMEO, Type: OptDuration, Applies: AppliesAll,
		Help: "Kernel limit on a blocking receive (netcore's sockets do not block; they use Timeouts)"},
	{Name: "SO_SNDTIMEO", Level: unix.SOL_SOCKET, Opt: unix.SO_SNDTIMEO, Type: OptDuration, Applies: AppliesAll,
		Help: "Kernel limit on a blocking send (netcore's sockets do not block; they use Timeouts)"},
	{Name: "SO_TIMESTAMP", Level: unix.SOL_SOCKET, Opt: unix.SO_TIMESTAMP, Type: OptBool, Applies: AppliesDgram,
		Help: "Attach its arrival time to each received datagram, as a control message"},
	{Name: "SO_ACCEPTCONN", Egg: "so-accept-connections?", Level: unix.SOL_SOCKET, Opt: unix.SO_ACCEPTCONN, Type: OptBool, ReadOnly: true, Applies: AppliesAll,
		Help: "Whether the socket is listening for connections"},
	{Name: "SO_ERROR", Egg: "so-error", Level: unix.SOL_SOCKET, Opt: unix.SO_ERROR, Type: OptInt, ReadOnly: true, Applies: AppliesAll,
		Help: "The pending error as an errno number; reading it clears it"},
	{Name: "SO_TYPE", Egg: "so-type", Level: unix.SOL_SOCKET, Opt: unix.SO_TYPE, Type: OptInt, ReadOnly: true, Applies: AppliesAll,
		Help: "The socket type: 1 stream, 2 datagram, 3 raw, 5 seqpacket"},

	{Name: "IP_HDRINCL", Egg: "ip-header-included?", Level: unix.IPPROTO_IP, Opt: unix.IP_HDRINCL, Type: OptBool, Applies: AppliesRaw4,
		Help: "The program writes the IP header of each packet itself (raw sockets)"},
	{Name: "IP_TOS", Egg: "ip-type-of-service", Level: unix.IPPROTO_IP, Opt: unix.IP_TOS, Type: OptInt, Applies: AppliesIPv4,
		Help: "Type-of-service byte (DSCP and ECN bits) of outgoing packets"},
	{Name: "IP_TTL", Egg: "ip-time-to-live", Level: unix.IPPROTO_IP, Opt: unix.IP_TTL, Type: OptInt, Applies: AppliesIPv4,
		Help: "Time to live (hop limit) of outgoing packets"},
	{Name: "IP_MULTICAST_TTL", Level: unix.IPPROTO_IP, Opt: unix.IP_MULTICAST_TTL, Type: OptInt, Applies: AppliesDgram4,
		Help: "Time to live of outgoing multicast datagrams; 1 keeps them on the local network"},
	{Name: "IP_MULTICAST_LOOP", Level: unix.IPPROTO_IP, Opt: unix.IP_MULTICAST_LOOP, Type: OptBool, Applies: AppliesDgram4,
		Help: "Deliver our own multicast datagrams to listeners on this host too"},
	{Name: "IP_ADD_MEMBERSHIP", Level: unix.IPPROTO_IP, Opt: unix.IP_ADD_MEMBERSHIP, Type: OptMreq, Applies: AppliesDgram4,
		Help: "Join a multicast group, as group or group%interface"},
	{Name: "IP_DROP_MEMBERSHIP", Level: unix.IPPROTO_IP, Opt: unix.IP_DROP_MEMBERSHIP, Type: OptMreq, Applies: AppliesDgram4,
		Help: "Leave a multicast group joined before, as group or group%interface"},
	{Name: "IP_RECVDSTADDR", Level: unix.IPPROTO_IP, Opt: optIPRecvDstAddr, Type: OptBool, Applies: AppliesUDP4,
		Help: "Report each datagram's destination address (BSD; Linux has IP_PKTINFO)"},

	{Name: "IPV6_V6ONLY", Egg: "ipv6-v6-only?", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_V6ONLY, Type: OptBool, Applies: AppliesIPv6,
		Help: "Use IPv6 only; otherwise the socket also serves IPv4 through mapped addresses"},
	{Name: "IPV6_UNICAST_HOPS", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_UNICAST_HOPS, Type: OptInt, Applies: AppliesIPv6,
		Help: "Hop limit of outgoing unicast packets; -1 sets the system default"},
	{Name: "IPV6_TCLASS", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_TCLASS, Type: OptInt, Applies: AppliesIPv6,
		Help: "Traffic class (DSCP and ECN bits) of outgoing packets"},
	{Name: "IPV6_MULTICAST_HOPS", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_MULTICAST_HOPS, Type: OptInt, Applies: AppliesDgram6,
		Help: "Hop limit of outgoing multicast packets; 1 keeps them on the local network"},
	{Name: "IPV6_MULTICAST_LOOP", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_MULTICAST_LOOP, Type: OptBool, Applies: AppliesDgram6,
		Help: "Deliver our own multicast packets to listeners on this host too"},
	{Name: "IPV6_JOIN_GROUP", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_JOIN_GROUP, Type: OptMreq, Applies: AppliesDgram6,
		Help: "Join a multicast group, as group or group%interface"},
	{Name: "IPV6_LEAVE_GROUP", Level: unix.IPPROTO_IPV6, Opt: unix.IPV6_LEAVE_GROUP, Type: OptMreq, Applies: AppliesDgram6,
		Help: "Leave a multicast group joined before, as group or group%interface"},
	{Name: "IPV6_PORTRANGE", Level: unix.IPPROTO_IPV6, Opt: optIPv6PortRange, Type: OptInt, Applies: AppliesIPv6,
		Help: "Which range ephemeral ports come from: 0 default, 1 high, 2 low (BSD only)"},

	{Name: "TCP_NODELAY", Egg: "tcp-no-delay?", Level: unix.IPPROTO_TCP, Opt: unix.TCP_NODELAY, Type: OptBool, Applies: AppliesTCP,
		Help: "Send small segments at once instead of coalescing them (Nagle's algorithm off)"},
	{Name: "TCP_MAXSEG", Egg: "tcp-max-segment-size", Level: unix.IPPROTO_TCP, Opt: unix.TCP_MAXSEG, Type: OptInt, Applies: AppliesTCP,
		Help: "Largest segment to send, in bytes; set it before connecting"},
	{Name: "TCP_NOPUSH", Egg: "tcp-no-push?", Level: unix.IPPROTO_TCP, Opt: optTCPNoPush, Type: OptBool, Applies: AppliesTCP,
		Help: "Hold partial segments back until the buffer fills or this is turned off (BSD; Linux: TCP_CORK)"},
	{Name: "TCP_NOOPT", Egg: "tcp-no-options?", Level: unix.IPPROTO_TCP, Opt: optTCPNoOpt, Type: OptBool, Applies: AppliesTCP,
		Help: "Send no TCP options such as window scaling or timestamps (BSD only)"},
	{Name: "TCP_KEEPALIVE", Egg: "tcp-keep-alive", Level: unix.IPPROTO_TCP, Opt: optTCPKeepAlive, Type: OptInt, Applies: AppliesTCP,
		Help: "Idle seconds before the first keep-alive probe (macOS name; Linux: TCP_KEEPIDLE)"},
	{Name: "TCP_KEEPINTVL", Level: unix.IPPROTO_TCP, Opt: unix.TCP_KEEPINTVL, Type: OptInt, Applies: AppliesTCP,
		Help: "Seconds between keep-alive probes"},
	{Name: "TCP_KEEPCNT", Level: unix.IPPROTO_TCP, Opt: unix.TCP_KEEPCNT, Type: OptInt, Applies: AppliesTCP,
		Help: "Unanswered keep-alive probes after which the connection is dropped"},
}

// registry holds every known option, socket level first, then IP, IPv6,
// TCP and UDP.
var registry = buildRegistry()

func buildRegistry() []SockOpt {
	all := slices.Concat(commonOptions, platformOptions)
	for i := range all {
		all[i].Available = all[i].Opt != noOpt
	}
	slices.SortStableFunc(all, func(a, b SockOpt) int { return levelRank(a.Level) - levelRank(b.Level) })
	return all
}

// Options returns every option netcore knows, available or not: socket
// level first, then IP, IPv6, TCP and UDP, always in the same order.
func Options() []SockOpt { return slices.Clone(registry) }

// LookupOption finds an option by its C name ("SO_REUSEADDR", in any case)
// or by the egg's accessor name ("so-reuse-address?").
func LookupOption(name string) (SockOpt, bool) {
	key := strings.TrimSpace(name)
	for _, o := range registry {
		if strings.EqualFold(key, o.Name) || (o.Egg != "" && strings.EqualFold(key, o.Egg)) {
			return o, true
		}
	}
	return SockOpt{}, false
}

// optName returns the C name of an available option, or its number.
func optName(level, opt int) string {
	for _, o := range registry {
		if o.Available && o.Level == level && o.Opt == opt {
			return o.Name
		}
	}
	return strconv.Itoa(opt)
}

// Linger is the value of SO_LINGER.
type Linger struct {
	On      bool // close waits for unsent data
	Seconds int  // how long close waits
}

// String gives "off" or "on, 5s".
func (l Linger) String() string {
	if !l.On {
		return "off"
	}
	return fmt.Sprintf("on, %ds", l.Seconds)
}

// Group is a multicast group to join or leave, with the interface to do it
// on ("" lets the system choose).
type Group struct {
	IP        netip.Addr
	Interface string // an interface name or index
}

// String gives "224.0.0.251" or "ff02::fb%lo".
func (g Group) String() string {
	if g.Interface == "" {
		return g.IP.String()
	}
	return g.IP.String() + "%" + g.Interface
}

// TCPInfo is what the kernel reports about a TCP connection (TCP_INFO).
type TCPInfo struct {
	State         string        // the kernel's state name: "ESTABLISHED", "LISTEN", "CLOSE_WAIT", ...
	RTT           time.Duration // smoothed round-trip time
	RTTVar        time.Duration // its mean deviation
	MinRTT        time.Duration // the lowest round-trip time seen
	RTO           time.Duration // the retransmission timeout
	SndMSS        uint32        // segment size sent
	RcvMSS        uint32        // segment size received
	SndCwnd       uint32        // congestion window, in segments
	SndSsthresh   uint32        // slow-start threshold, in segments
	Unacked       uint32        // segments sent and not acknowledged
	Lost          uint32        // segments thought lost
	Retransmits   uint8         // retransmissions of the current segment
	TotalRetrans  uint32        // retransmissions over the connection's life
	BytesSent     uint64        // bytes sent, retransmissions included
	BytesAcked    uint64        // bytes the peer acknowledged
	BytesReceived uint64        // bytes received in order
	BytesRetrans  uint64        // bytes retransmitted
	SegsOut       uint32        // segments sent
	SegsIn        uint32        // segments received
	PMTU          uint32        // path MTU
	NotSentBytes  uint32        // bytes queued and not yet sent
	DeliveryRate  uint64        // recent delivery rate, bytes per second
}

// String summarizes the connection on one line.
func (t *TCPInfo) String() string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf("%s rtt %v (var %v) cwnd %d mss %d/%d retrans %d/%d sent %d acked %d received %d",
		t.State, t.RTT, t.RTTVar, t.SndCwnd, t.SndMSS, t.RcvMSS, t.Retransmits, t.TotalRetrans,
		t.BytesSent, t.BytesAcked, t.BytesReceived)
}

// OptValue is the value of a socket option. Type says which field holds it.
type OptValue struct {
	Type     OptType
	Bool     bool
	Int      int
	Bytes    []byte
	Linger   Linger
	Duration time.Duration
	Text     string // the value of an OptString option
	TCPInfo  *TCPInfo
	Group    Group
}

// String formats the value for people: "on"/"off", a number, "on, 5s",
// "120ms", hex for bytes, a one-line TCP_INFO summary, a group address.
func (v OptValue) String() string {
	switch v.Type {
	case OptBool:
		return onOff(v.Bool)
	case OptInt:
		return strconv.Itoa(v.Int)
	case OptBytes:
		return hexText(v.Bytes)
	case OptLinger:
		return v.Linger.String()
	case OptDuration:
		return v.Duration.String()
	case OptString:
		if v.Text == "" {
			return "(none)"
		}
		return v.Text
	case OptTCPInfo:
		return v.TCPInfo.String()
	case OptMreq:
		return v.Group.String()
	}
	return ""
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func hexText(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	return hex.EncodeToString(b)
}

const (
	opGet   = "getsockopt"
	opSet   = "setsockopt"
	opParse = "parse-option"
)

// optBufSize is the buffer for bytes and string options.
const optBufSize = 256

// sockopt runs one getsockopt or setsockopt call on the descriptor, traced,
// and turns its failure into an *Error. show formats the value: the one
// being set, or the one read (asked only after a successful read).
func (s *Socket) sockopt(op string, level, opt int, call func(fd int) error, show func() string) error {
	err := s.control(func(fd int) error {
		_, err := s.sys(op, fd, func() (int, error) { return 0, call(fd) }, func(c *Syscall) {
			c.Args = fmt.Sprintf("%d, %s, %s%s", fd, cnameOf(optLevels, level), optName(level, opt), shownValue(op, c.Errno != 0, show))
		})
		return err
	})
	if err != nil {
		return optError(op, optName(level, opt), err)
	}
	return nil
}

func shownValue(op string, failed bool, show func() string) string {
	switch {
	case op == opSet:
		return ", " + show()
	case !failed:
		return " -> " + show()
	}
	return ""
}

// optError classifies a failed option call as the egg does: ENOPROTOOPT and
// EINVAL are unsupported, other errnos fatal. EOPNOTSUPP is unsupported too:
// Linux gives it when getsockopt asks a socket about another protocol's
// option (TCP_NODELAY of a UDP socket), where setsockopt gives ENOPROTOOPT.
func optError(op, name string, err error) *Error {
	e := sysError(op, Addr{}, err)
	if e.Errno != 0 {
		e.Err = fmt.Errorf("%s: %w", name, e.Errno)
		if e.Errno == unix.ENOPROTOOPT || e.Errno == unix.EINVAL || e.Errno == unix.EOPNOTSUPP {
			e.Class = ClassUnsupported
		}
	}
	return e
}

// getTyped reads an option with a typed getter and converts what it read.
func getTyped[T any](s *Socket, level, opt int, read func(fd, level, opt int) (T, error), conv func(T) OptValue) (OptValue, error) {
	var v OptValue
	err := s.sockopt(opGet, level, opt, func(fd int) error {
		raw, err := read(fd, level, opt)
		if err == nil {
			v = conv(raw)
		}
		return err
	}, func() string { return v.String() })
	if err != nil {
		return OptValue{}, err
	}
	return v, nil
}

// setTyped sets an option with write, tracing the value v.
func setTyped(s *Socket, level, opt int, v OptValue, write func(fd, level, opt int) error) error {
	return s.sockopt(opSet, level, opt, func(fd int) error { return write(fd, level, opt) }, v.String)
}

// rawGetsockopt is getsockopt(2) into buf, binary-safe (x/sys's
// GetsockoptString stops at a NUL); it returns the length the kernel gave.
func rawGetsockopt(fd, level, opt int, buf []byte) (int, error) {
	n := uint32(len(buf))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// readBytes returns a getter of up to size raw bytes.
func readBytes(size int) func(fd, level, opt int) ([]byte, error) {
	return func(fd, level, opt int) ([]byte, error) {
		buf := make([]byte, size)
		n, err := rawGetsockopt(fd, level, opt, buf)
		return buf[:n], err
	}
}

func writeBytes(b []byte) func(fd, level, opt int) error {
	return func(fd, level, opt int) error { return unix.SetsockoptString(fd, level, opt, string(b)) }
}

func writeInt(n int) func(fd, level, opt int) error {
	return func(fd, level, opt int) error { return unix.SetsockoptInt(fd, level, opt, n) }
}

func intValue(n int) OptValue      { return OptValue{Type: OptInt, Int: n} }
func boolValue(n int) OptValue     { return OptValue{Type: OptBool, Bool: n != 0} }
func bytesValue(b []byte) OptValue { return OptValue{Type: OptBytes, Bytes: b} }

// GetsockoptInt reads an option kept in a C int (the egg's
// get-socket-option without a length).
func (s *Socket) GetsockoptInt(level, name int) (int, error) {
	v, err := getTyped(s, level, name, unix.GetsockoptInt, intValue)
	return v.Int, err
}

// SetsockoptInt sets an option kept in a C int.
func (s *Socket) SetsockoptInt(level, name, v int) error {
	if v < math.MinInt32 || v > math.MaxInt32 {
		return invalidf(opSet, "%s: %d does not fit a C int", optName(level, name), v)
	}
	return setTyped(s, level, name, intValue(v), writeInt(v))
}

// GetsockoptBytes reads an option into a size-byte buffer and returns the
// part the kernel filled (the egg's get-socket-option with a length).
func (s *Socket) GetsockoptBytes(level, name, size int) ([]byte, error) {
	if size <= 0 {
		return nil, invalidf(opGet, "%s: buffer size %d is not positive", optName(level, name), size)
	}
	v, err := getTyped(s, level, name, readBytes(size), bytesValue)
	return v.Bytes, err
}

// SetsockoptBytes sets an option to raw bytes, passed with their length.
func (s *Socket) SetsockoptBytes(level, name int, v []byte) error {
	return setTyped(s, level, name, bytesValue(v), writeBytes(v))
}

// optCodec reads, writes and parses the options of one OptType. A nil get
// means write-only; a nil set means read-only.
type optCodec struct {
	get   func(s *Socket, o SockOpt) (OptValue, error)
	set   func(s *Socket, o SockOpt, v OptValue) error
	parse func(o SockOpt, text string) (OptValue, error)
}

var codecs = [...]optCodec{
	OptBool:     {getBool, setBool, parseBool},
	OptInt:      {getInt, setInt, parseInt},
	OptBytes:    {getBytes, setBytes, parseBytes},
	OptLinger:   {getLinger, setLinger, parseLinger},
	OptDuration: {getDuration, setDuration, parseDuration},
	OptString:   {getString, setString, parseString},
	OptTCPInfo:  {get: getTCPInfo},
	OptMreq:     {set: setGroup, parse: parseGroup},
}

func codecOf(t OptType) optCodec {
	if int(t) < len(codecs) {
		return codecs[t]
	}
	return optCodec{}
}

func getBool(s *Socket, o SockOpt) (OptValue, error) {
	return getTyped(s, o.Level, o.Opt, unix.GetsockoptInt, boolValue)
}

func setBool(s *Socket, o SockOpt, v OptValue) error {
	n := 0
	if v.Bool {
		n = 1
	}
	return setTyped(s, o.Level, o.Opt, v, writeInt(n))
}

func getInt(s *Socket, o SockOpt) (OptValue, error) {
	return getTyped(s, o.Level, o.Opt, unix.GetsockoptInt, intValue)
}

func setInt(s *Socket, o SockOpt, v OptValue) error { return s.SetsockoptInt(o.Level, o.Opt, v.Int) }

func getBytes(s *Socket, o SockOpt) (OptValue, error) {
	return getTyped(s, o.Level, o.Opt, readBytes(optBufSize), bytesValue)
}

func setBytes(s *Socket, o SockOpt, v OptValue) error {
	return setTyped(s, o.Level, o.Opt, v, writeBytes(v.Bytes))
}

func getString(s *Socket, o SockOpt) (OptValue, error) {
	return getTyped(s, o.Level, o.Opt, readBytes(optBufSize), func(b []byte) OptValue {
		text, _, _ := strings.Cut(string(b), "\x00")
		return OptValue{Type: OptString, Text: text}
	})
}

func setString(s *Socket, o SockOpt, v OptValue) error {
	if err := checkText(opSet, o, v.Text); err != nil {
		return err
	}
	return setTyped(s, o.Level, o.Opt, v, writeBytes([]byte(v.Text)))
}

func getLinger(s *Socket, o SockOpt) (OptValue, error) {
	return getTyped(s, o.Level, o.Opt, unix.GetsockoptLinger, func(l *unix.Linger) OptValue {
		return OptValue{Type: OptLinger, Linger: Linger{On: l.Onoff != 0, Seconds: int(l.Linger)}}
	})
}

func setLinger(s *Socket, o SockOpt, v OptValue) error {
	if v.Linger.Seconds < 0 || v.Linger.Seconds > math.MaxInt32 {
		return invalidf(opSet, "%s: %d seconds is out of range 0..%d", o.Name, v.Linger.Seconds, math.MaxInt32)
	}
	l := unix.Linger{Linger: int32(v.Linger.Seconds)}
	if v.Linger.On {
		l.Onoff = 1
	}
	return setTyped(s, o.Level, o.Opt, v, func(fd, level, opt int) error { return unix.SetsockoptLinger(fd, level, opt, &l) })
}

func getDuration(s *Socket, o SockOpt) (OptValue, error) {
	if o.Unit > 0 {
		return getTyped(s, o.Level, o.Opt, unix.GetsockoptInt, func(n int) OptValue {
			return OptValue{Type: OptDuration, Duration: time.Duration(n) * o.Unit}
		})
	}
	return getTyped(s, o.Level, o.Opt, unix.GetsockoptTimeval, func(tv *unix.Timeval) OptValue {
		return OptValue{Type: OptDuration, Duration: time.Duration(tv.Nano())}
	})
}

func setDuration(s *Socket, o SockOpt, v OptValue) error {
	if err := checkDuration(opSet, o, v.Duration); err != nil {
		return err
	}
	if o.Unit > 0 {
		return setTyped(s, o.Level, o.Opt, v, writeInt(int(v.Duration/o.Unit)))
	}
	tv := unix.NsecToTimeval(v.Duration.Nanoseconds())
	return setTyped(s, o.Level, o.Opt, v, func(fd, level, opt int) error { return unix.SetsockoptTimeval(fd, level, opt, &tv) })
}

// checkDuration accepts a duration the option can hold exactly.
func checkDuration(op string, o SockOpt, d time.Duration) *Error {
	switch {
	case d < 0:
		return invalidf(op, "%s: negative duration %v", o.Name, d)
	case o.Unit > 0 && d%o.Unit != 0:
		return invalidf(op, "%s takes whole %v units, not %v", o.Name, o.Unit, d)
	case o.Unit > 0 && d/o.Unit > math.MaxInt32:
		return invalidf(op, "%s: %v is too long", o.Name, d)
	}
	return nil
}

func checkText(op string, o SockOpt, text string) *Error {
	if strings.IndexByte(text, 0) >= 0 {
		return invalidf(op, "%s: the value contains a NUL byte", o.Name)
	}
	return nil
}

func getTCPInfo(s *Socket, o SockOpt) (OptValue, error) {
	return getTyped(s, o.Level, o.Opt, func(fd, _, _ int) (*TCPInfo, error) { return readTCPInfo(fd) },
		func(t *TCPInfo) OptValue { return OptValue{Type: OptTCPInfo, TCPInfo: t} })
}

// setGroup joins or leaves a multicast group.
func setGroup(s *Socket, o SockOpt, v OptValue) error {
	if err := checkGroup(opSet, o, v.Group); err != nil {
		return err
	}
	write, err := groupWriter(v.Group)
	if err != nil {
		return invalidf(opSet, "%s: %v", o.Name, err)
	}
	return setTyped(s, o.Level, o.Opt, v, write)
}

// groupWriter builds the ip_mreq or ipv6_mreq of g.
func groupWriter(g Group) (func(fd, level, opt int) error, error) {
	if g.IP.Is4() {
		mreq := unix.IPMreq{Multiaddr: g.IP.As4()}
		var err error
		mreq.Interface, err = interfaceIPv4(g.Interface)
		return func(fd, level, opt int) error { return unix.SetsockoptIPMreq(fd, level, opt, &mreq) }, err
	}
	index, err := zoneIndex(g.Interface)
	mreq := unix.IPv6Mreq{Multiaddr: g.IP.As16(), Interface: uint32(index)}
	return func(fd, level, opt int) error { return unix.SetsockoptIPv6Mreq(fd, level, opt, &mreq) }, err
}

// interfaceIPv4 returns the first IPv4 address of an interface, which is
// how ip_mreq names it; the unspecified address for "".
func interfaceIPv4(name string) ([4]byte, error) {
	if name == "" {
		return [4]byte{}, nil
	}
	index, err := zoneIndex(name)
	if err != nil {
		return [4]byte{}, err
	}
	ifi, err := net.InterfaceByIndex(int(index))
	if err != nil {
		return [4]byte{}, err
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return [4]byte{}, err
	}
	for _, a := range addrs {
		if ipnet, ok := a.(*net.IPNet); ok && ipnet.IP.To4() != nil {
			return [4]byte(ipnet.IP.To4()), nil
		}
	}
	return [4]byte{}, fmt.Errorf("interface %s has no IPv4 address", name)
}

// checkGroup accepts a multicast group of the option's family.
func checkGroup(op string, o SockOpt, g Group) *Error {
	family := "IPv6"
	if o.Level == unix.IPPROTO_IP {
		family = "IPv4"
	}
	switch {
	case !g.IP.IsValid():
		return invalidf(op, "%s needs a group address", o.Name)
	case !g.IP.IsMulticast():
		return invalidf(op, "%s: %s is not a multicast address", o.Name, g.IP)
	case g.IP.Is4() != (family == "IPv4"):
		return invalidf(op, "%s: %s is not an %s group", o.Name, g.IP, family)
	}
	return nil
}

// unavailable is the error for an option this system does not have.
func (o SockOpt) unavailable(op string) *Error {
	return &Error{Op: op, Class: ClassUnsupported, Err: fmt.Errorf("%s is not available on %s", o.Name, runtime.GOOS)}
}

// GetOption reads an option. An option the system lacks is ClassUnsupported
// and so are the kernel's ENOPROTOOPT and EINVAL; a write-only option
// (multicast membership) is ClassInvalid. Reading SO_ERROR clears it.
func (s *Socket) GetOption(o SockOpt) (OptValue, error) {
	if !o.Available {
		return OptValue{}, o.unavailable(opGet)
	}
	c := codecOf(o.Type)
	if c.get == nil {
		return OptValue{}, invalidf(opGet, "%s is write-only: it has no value to read", o.Name)
	}
	return c.get(s, o)
}

// SetOption sets an option to v, whose Type must be the option's. A
// read-only option or a bad value is ClassInvalid, an option the system
// lacks (or refuses with ENOPROTOOPT or EINVAL) ClassUnsupported; on any
// failure nothing is changed.
func (s *Socket) SetOption(o SockOpt, v OptValue) error {
	if !o.Available {
		return o.unavailable(opSet)
	}
	c := codecOf(o.Type)
	switch {
	case o.ReadOnly || c.set == nil:
		return invalidf(opSet, "%s is read-only", o.Name)
	case v.Type != o.Type:
		return invalidf(opSet, "%s takes a %s value, not a %s", o.Name, o.Type, v.Type)
	}
	return c.set(s, o, v)
}

// lookupNamed finds an option for the string API; an unknown name is bad
// input.
func lookupNamed(op, name string) (SockOpt, error) {
	o, ok := LookupOption(name)
	if !ok {
		return SockOpt{}, invalidf(op, "unknown socket option %s", QuoteInput(name))
	}
	return o, nil
}

// SetOptionString sets an option named as LookupOption accepts to a value
// written as ParseOptValue reads it: SetOptionString("SO_LINGER", "on,5").
func (s *Socket) SetOptionString(name, value string) error {
	o, err := lookupNamed(opSet, name)
	if err != nil {
		return err
	}
	v, err := ParseOptValue(o, value)
	if err != nil {
		return err
	}
	return s.SetOption(o, v)
}

// GetOptionString reads an option named as LookupOption accepts and
// formats its value for people.
func (s *Socket) GetOptionString(name string) (string, error) {
	o, err := lookupNamed(opGet, name)
	if err != nil {
		return "", err
	}
	v, err := s.GetOption(o)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// OptionReading is one line of ListOptions: an option and its value, or
// why there is none. A write-only option has neither.
type OptionReading struct {
	Opt   SockOpt
	Value OptValue
	Err   error
}

// ListOptions reads every option meant for this socket's family and type,
// in the order of Options. Options the system lacks come with their
// ClassUnsupported error. Like any read of SO_ERROR, it clears a pending
// error.
func (s *Socket) ListOptions() []OptionReading {
	var out []OptionReading
	for _, o := range registry {
		if !o.Applies.Match(s.family, s.typ) {
			continue
		}
		r := OptionReading{Opt: o}
		if !o.Available || !o.WriteOnly() {
			r.Value, r.Err = s.GetOption(o)
		}
		out = append(out, r)
	}
	return out
}

// TCPInfo reads TCP_INFO: the state, round-trip times, window and counters
// of a TCP connection.
func (s *Socket) TCPInfo() (*TCPInfo, error) {
	o, ok := LookupOption("TCP_INFO")
	if !ok {
		o = SockOpt{Name: "TCP_INFO"}
	}
	v, err := s.GetOption(o)
	if err != nil {
		return nil, err
	}
	return v.TCPInfo, nil
}

// TCPState returns the kernel's name for the state of a TCP socket, such as
// "ESTABLISHED" or "LISTEN".
func (s *Socket) TCPState() (string, error) {
	info, err := s.TCPInfo()
	if err != nil {
		return "", err
	}
	return info.State, nil
}

// ParseOptValue reads a value for option o as people write it: on/off
// (true/false, yes/no, 1/0) for booleans; integers (0x for hex); Go
// durations ("1.5s", "200ms") or plain numbers in the option's unit
// (seconds for a struct timeval) for durations; "on,5" or "off" for
// SO_LINGER; hex for bytes; "224.0.0.251", "224.0.0.251%lo" or "ff02::fb%lo"
// for multicast groups. Bad input is a ClassInvalid *Error.
func ParseOptValue(o SockOpt, s string) (OptValue, error) {
	c := codecOf(o.Type)
	if c.parse == nil {
		return OptValue{}, invalidf(opParse, "%s is read-only: it takes no value", o.Name)
	}
	return c.parse(o, strings.TrimSpace(s))
}

var boolWords = map[string]bool{"on": true, "true": true, "yes": true, "1": true, "off": false, "false": false, "no": false, "0": false}

func parseBool(o SockOpt, s string) (OptValue, error) {
	b, ok := boolWords[strings.ToLower(s)]
	if !ok {
		return OptValue{}, invalidf(opParse, "%s wants on or off (true/false, yes/no, 1/0), not %s", o.Name, QuoteInput(s))
	}
	return OptValue{Type: OptBool, Bool: b}, nil
}

func parseInt(o SockOpt, s string) (OptValue, error) {
	n, err := parseCInt(s)
	if err != nil {
		return OptValue{}, invalidf(opParse, "%s wants a whole number from %d to %d, not %s", o.Name, math.MinInt32, math.MaxInt32, QuoteInput(s))
	}
	return OptValue{Type: OptInt, Int: n}, nil
}

// parseCInt reads a decimal, or 0x-prefixed hex, number that fits a C int.
func parseCInt(s string) (int, error) {
	base, digits := 10, s
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		base, digits = 16, s[2:]
	}
	n, err := strconv.ParseInt(digits, base, 32)
	return int(n), err
}

func parseDuration(o SockOpt, s string) (OptValue, error) {
	unit, unitName := o.Unit, "milliseconds"
	if unit <= 0 {
		unit, unitName = time.Second, "seconds"
	}
	d, err := durationText(s, unit)
	if err != nil {
		return OptValue{}, invalidf(opParse, "%s wants a duration such as 1.5s or 200ms, or a number of %s, not %s", o.Name, unitName, QuoteInput(s))
	}
	if err := checkDuration(opParse, o, d); err != nil {
		return OptValue{}, err
	}
	return OptValue{Type: OptDuration, Duration: d}, nil
}

// durationText reads a Go duration, or a plain number of units.
func durationText(s string, unit time.Duration) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.ParseDuration(s)
	}
	ns := f * float64(unit)
	// math.MaxInt64 as a float64 is 2⁶³, one past what a Duration holds.
	if math.IsNaN(ns) || math.Abs(ns) >= math.MaxInt64 {
		return 0, strconv.ErrRange
	}
	return time.Duration(math.Round(ns)), nil
}

func parseLinger(o SockOpt, s string) (OptValue, error) {
	bad := invalidf(opParse, "%s wants off, or on and seconds such as on,5, not %s", o.Name, QuoteInput(s))
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(parts) == 0 || len(parts) > 2 {
		return OptValue{}, bad
	}
	on, ok := boolWords[strings.ToLower(parts[0])]
	if !ok || (on && len(parts) != 2) {
		return OptValue{}, bad
	}
	l := Linger{On: on}
	if len(parts) == 2 {
		secs, err := parseSeconds(parts[1])
		if err != nil {
			return OptValue{}, bad
		}
		l.Seconds = secs
	}
	return OptValue{Type: OptLinger, Linger: l}, nil
}

// parseSeconds reads "5" or "5s": whole, non-negative seconds.
func parseSeconds(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > math.MaxInt32 {
			return 0, strconv.ErrRange
		}
		return n, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d%time.Second != 0 || d/time.Second > math.MaxInt32 {
		return 0, strconv.ErrSyntax
	}
	return int(d / time.Second), nil
}

func parseBytes(o SockOpt, s string) (OptValue, error) {
	digits := strings.NewReplacer(" ", "", ":", "").Replace(strings.TrimPrefix(strings.ToLower(s), "0x"))
	b, err := hex.DecodeString(digits)
	if err != nil {
		return OptValue{}, invalidf(opParse, "%s wants bytes in hex such as 01000000, not %s", o.Name, QuoteInput(s))
	}
	return OptValue{Type: OptBytes, Bytes: b}, nil
}

func parseString(o SockOpt, s string) (OptValue, error) {
	if err := checkText(opParse, o, s); err != nil {
		return OptValue{}, err
	}
	return OptValue{Type: OptString, Text: s}, nil
}

func parseGroup(o SockOpt, s string) (OptValue, error) {
	host, iface, _ := strings.Cut(s, "%")
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return OptValue{}, invalidf(opParse, "%s wants a group such as 224.0.0.251%%lo or ff02::fb%%lo, not %s", o.Name, QuoteInput(s))
	}
	g := Group{IP: ip, Interface: iface}
	if err := checkGroup(opParse, o, g); err != nil {
		return OptValue{}, err
	}
	if _, err := zoneIndex(iface); err != nil {
		return OptValue{}, invalidf(opParse, "%s: no network interface %s", o.Name, QuoteInput(iface))
	}
	return OptValue{Type: OptMreq, Group: g}, nil
}
