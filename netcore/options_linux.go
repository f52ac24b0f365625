package netcore

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Options of the BSDs (and the egg) that Linux does not have.
const (
	optTCPNoPush     = noOpt // Linux's nearest is TCP_CORK
	optTCPNoOpt      = noOpt
	optTCPKeepAlive  = noOpt // Linux's name is TCP_KEEPIDLE
	optSOUseLoopback = noOpt
	optIPRecvDstAddr = noOpt // Linux's nearest is IP_PKTINFO
	optIPv6PortRange = noOpt
)

// platformOptions are the options only Linux has.
var platformOptions = []SockOpt{
	{Name: "SO_PRIORITY", Level: unix.SOL_SOCKET, Opt: unix.SO_PRIORITY, Type: OptInt, Applies: AppliesAll,
		Help: "Priority of the socket's packets for queueing, 0 to 6 (higher needs CAP_NET_ADMIN)"},
	{Name: "SO_BINDTODEVICE", Level: unix.SOL_SOCKET, Opt: unix.SO_BINDTODEVICE, Type: OptString, Applies: AppliesInet,
		Help: "Send and receive only through this network interface; empty for any"},
	{Name: "SO_DOMAIN", Level: unix.SOL_SOCKET, Opt: unix.SO_DOMAIN, Type: OptInt, ReadOnly: true, Applies: AppliesAll,
		Help: "The address family: 1 unix, 2 inet, 10 inet6"},
	{Name: "SO_PROTOCOL", Level: unix.SOL_SOCKET, Opt: unix.SO_PROTOCOL, Type: OptInt, ReadOnly: true, Applies: AppliesAll,
		Help: "The protocol number: 6 TCP, 17 UDP, 0 for UNIX sockets"},

	{Name: "IP_FREEBIND", Level: unix.IPPROTO_IP, Opt: unix.IP_FREEBIND, Type: OptBool, Applies: AppliesIPv4,
		Help: "Allow binding an address this host does not have (yet)"},
	{Name: "IP_RECVERR", Level: unix.IPPROTO_IP, Opt: unix.IP_RECVERR, Type: OptBool, Applies: AppliesIPv4,
		Help: "Queue ICMP errors in detail, to be read with MSG_ERRQUEUE"},
	{Name: "IP_PKTINFO", Level: unix.IPPROTO_IP, Opt: unix.IP_PKTINFO, Type: OptBool, Applies: AppliesUDP4,
		Help: "Report each datagram's destination address and interface, as a control message"},

	{Name: "TCP_KEEPIDLE", Level: unix.IPPROTO_TCP, Opt: unix.TCP_KEEPIDLE, Type: OptInt, Applies: AppliesTCP,
		Help: "Idle seconds before the first keep-alive probe (with SO_KEEPALIVE on)"},
	{Name: "TCP_USER_TIMEOUT", Level: unix.IPPROTO_TCP, Opt: unix.TCP_USER_TIMEOUT, Type: OptDuration, Unit: time.Millisecond, Applies: AppliesTCP,
		Help: "Drop the connection when sent data stays unacknowledged this long; 0 for the system's rule"},
	{Name: "TCP_CONGESTION", Level: unix.IPPROTO_TCP, Opt: unix.TCP_CONGESTION, Type: OptString, Applies: AppliesTCP,
		Help: "Congestion control algorithm, such as cubic, reno or bbr"},
	{Name: "TCP_QUICKACK", Level: unix.IPPROTO_TCP, Opt: unix.TCP_QUICKACK, Type: OptBool, Applies: AppliesTCP,
		Help: "Acknowledge at once rather than delaying ACKs (the kernel may turn it off again)"},
	{Name: "TCP_CORK", Level: unix.IPPROTO_TCP, Opt: unix.TCP_CORK, Type: OptBool, Applies: AppliesTCP,
		Help: "Hold partial segments back until this is turned off (at most 200 ms)"},
	{Name: "TCP_FASTOPEN", Level: unix.IPPROTO_TCP, Opt: unix.TCP_FASTOPEN, Type: OptInt, Applies: AppliesTCP,
		Help: "On a listener, how many TCP Fast Open requests (data in the SYN) may wait; 0 turns it off"},
	{Name: "TCP_INFO", Level: unix.IPPROTO_TCP, Opt: unix.TCP_INFO, Type: OptTCPInfo, ReadOnly: true, Applies: AppliesTCP,
		Help: "The connection's state, round-trip time, congestion window and counters"},

	{Name: "UDP_CORK", Level: unix.IPPROTO_UDP, Opt: unix.UDP_CORK, Type: OptBool, Applies: AppliesUDP,
		Help: "Gather everything sent into one datagram until this is turned off"},
}

// tcpStateNames are the kernel's TCP states (include/net/tcp_states.h).
var tcpStateNames = [...]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
	7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
	13: "BOUND_INACTIVE",
}

func tcpStateName(state uint8) string {
	if int(state) < len(tcpStateNames) && tcpStateNames[state] != "" {
		return tcpStateNames[state]
	}
	return fmt.Sprintf("STATE(%d)", state)
}

func usec(n uint32) time.Duration { return time.Duration(n) * time.Microsecond }

// readTCPInfo reads struct tcp_info.
func readTCPInfo(fd int) (*TCPInfo, error) {
	ti, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return nil, err
	}
	return &TCPInfo{
		State: tcpStateName(ti.State), RTT: usec(ti.Rtt), RTTVar: usec(ti.Rttvar), MinRTT: usec(ti.Min_rtt), RTO: usec(ti.Rto),
		SndMSS: ti.Snd_mss, RcvMSS: ti.Rcv_mss, SndCwnd: ti.Snd_cwnd, SndSsthresh: ti.Snd_ssthresh,
		Unacked: ti.Unacked, Lost: ti.Lost, Retransmits: ti.Retransmits, TotalRetrans: ti.Total_retrans,
		BytesSent: ti.Bytes_sent, BytesAcked: ti.Bytes_acked, BytesReceived: ti.Bytes_received, BytesRetrans: ti.Bytes_retrans,
		SegsOut: ti.Segs_out, SegsIn: ti.Segs_in, PMTU: ti.Pmtu, NotSentBytes: ti.Notsent_bytes, DeliveryRate: ti.Delivery_rate,
	}, nil
}
