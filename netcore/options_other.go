//go:build !linux

package netcore

import "golang.org/x/sys/unix"

// Options of the BSDs that Linux lacks. TCP_KEEPALIVE is macOS's and not
// FreeBSD's, so this file, shared by both, leaves it out.
const (
	optTCPNoPush     = unix.TCP_NOPUSH
	optTCPNoOpt      = unix.TCP_NOOPT
	optTCPKeepAlive  = noOpt
	optSOUseLoopback = unix.SO_USELOOPBACK
	optIPRecvDstAddr = unix.IP_RECVDSTADDR
	optIPv6PortRange = unix.IPV6_PORTRANGE
)

// platformOptions: the Linux-only options are absent here.
var platformOptions []SockOpt

// readTCPInfo is never called here: TCP_INFO is not in the registry.
func readTCPInfo(int) (*TCPInfo, error) { return nil, unix.ENOPROTOOPT }
