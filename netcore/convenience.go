package netcore

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// DefaultBacklog is the listen backlog of Listen, as chibi's
// make-listener-socket has it.
const DefaultBacklog = 128

// ListenConfig says how Listen makes its socket. The zero value is what
// chibi's make-listener-socket does: SO_REUSEADDR and a backlog of 128.
type ListenConfig struct {
	SockType SockType // SockStream when 0
	Backlog  int      // DefaultBacklog when 0
	Options  []Option // given to NewSocket
}

// Listen creates a socket, sets SO_REUSEADDR (internet families), binds it
// to addr and, for stream and seqpacket sockets, listens. A datagram socket
// is returned bound. On failure the socket is closed.
func (lc ListenConfig) Listen(addr Addr) (*Socket, error) {
	typ := lc.SockType
	if typ == SockAny {
		typ = SockStream
	}
	backlog := lc.Backlog
	if backlog == 0 {
		backlog = DefaultBacklog
	}
	s, err := NewSocket(addr.Family(), typ, ProtoDefault, lc.Options...)
	if err != nil {
		return nil, err
	}
	if addr.Family() != FamilyUnix {
		err = s.setInt("setsockopt", unix.SOL_SOCKET, unix.SO_REUSEADDR, "SOL_SOCKET, SO_REUSEADDR", 1)
		if err != nil {
			err = sysError("setsockopt", addr, err)
		}
	}
	if err == nil {
		err = s.Bind(addr)
	}
	if err == nil && typ != SockDgram && typ != SockRaw {
		err = s.Listen(backlog)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Listen is ListenConfig{}.Listen: a stream listener on addr with
// SO_REUSEADDR and a backlog of 128 (chibi's make-listener-socket).
func Listen(addr Addr) (*Socket, error) { return ListenConfig{}.Listen(addr) }

// SocketPair creates a pair of connected sockets (chibi's
// open-socket-pair). Family is normally FamilyUnix.
func SocketPair(family Family, typ SockType, proto Protocol, opts ...Option) (*Socket, *Socket, error) {
	proto0 := configured(family, typ, proto, opts)
	var fds [2]int
	_, err := proto0.sys("socketpair", noFD, func() (int, error) {
		var err error
		fds, err = sysSocketpair(family, typ, proto)
		return 0, err
	}, func(c *Syscall) {
		c.Args = fmt.Sprintf("%s, %s|SOCK_NONBLOCK|SOCK_CLOEXEC, %d -> [%d, %d]", family.CName(), typ.CName(), int(proto), fds[0], fds[1])
		if c.Errno == 0 {
			c.NewFDs = fds[:]
		}
	})
	if err != nil {
		return nil, nil, sysError("socketpair", Addr{}, err)
	}
	return proto0.derive(fds[0], family), proto0.derive(fds[1], family), nil
}
