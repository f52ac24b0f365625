// Package lab runs the workbench's built-in services on loopback, so that a
// new user has something to connect to without a network: echo, discard,
// chargen and daytime over TCP and UDP, a refuser (a closed port), a
// black hole (a full accept queue), and TLS services that each teach one
// outcome of a handshake (a good certificate from the lab's own CA, an
// expired one, one for another name, a self-signed one, one sent without
// its intermediate, and an SMTP-like service that upgrades on STARTTLS),
// each on 127.0.0.1 and ::1 with ephemeral ports. Their certificates are
// made in memory at start. Everything is built on netcore.
package lab

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sockbench/netcore"
)

// Kind is what a service does.
type Kind string

// Kinds of service.
const (
	Echo      Kind = "echo"      // RFC 862
	Discard   Kind = "discard"   // RFC 863
	Chargen   Kind = "chargen"   // RFC 864
	Daytime   Kind = "daytime"   // RFC 867
	Refuser   Kind = "refuser"   // a bound TCP port with no listener: connect is refused
	Blackhole Kind = "blackhole" // a TCP listener with a full accept queue: connect hangs
)

// MaxConns bounds the connections one TCP service serves at once; further
// clients wait in the listen backlog until one ends.
const MaxConns = 64

// Service is one running lab service.
type Service struct {
	Name    string       // "echo/tcp", "echo/udp", ..., "refuser", "blackhole"
	Kind    Kind         // what it does
	Network string       // "tcp" or "udp"
	Addr    netcore.Addr // on 127.0.0.1 or ::1, ephemeral port
	Help    string       // one line: what connecting to it shows
	// TLS is set for a service that speaks TLS: from the first byte, or
	// after the plaintext protocol StartTLS names ("smtp").
	TLS      bool
	StartTLS string
}

// Lab is a set of running services. Close stops it.
type Lab struct {
	services []Service
	certs    *labCerts
	sockets  []*netcore.Socket // every socket the lab owns, closed by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // every goroutine the lab started

	closeOnce sync.Once
	closeErr  error
}

// Start starts every service on 127.0.0.1 and, when the system has IPv6,
// on ::1. On failure it closes what it started. Cancelling ctx stops the
// services (they no longer accept or answer); Close is still needed to
// release their sockets.
func Start(ctx context.Context) (_ *Lab, err error) {
	ctx, cancel := context.WithCancel(ctx)
	l := &Lab{cancel: cancel}
	defer func() {
		if err != nil {
			_ = l.Close()
		}
	}()
	hosts := loopbacks()
	for _, h := range handlers {
		for _, network := range []string{"tcp", "udp"} {
			for _, host := range hosts {
				if err := l.startService(ctx, h, network, host); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, start := range []func(context.Context, string) error{l.startRefuser, l.startBlackhole} {
		for _, host := range hosts {
			if err := start(ctx, host); err != nil {
				return nil, err
			}
		}
	}
	if err := l.startTLSServices(ctx, hosts); err != nil {
		return nil, err
	}
	return l, nil
}

// loopbacks returns the loopback hosts to serve on: 127.0.0.1, and ::1
// unless the system has no IPv6 (then the v6 services are left out).
func loopbacks() []string {
	a, _ := netcore.InetAddr("::1", 0)
	s, err := netcore.NewSocket(netcore.FamilyInet6, netcore.SockDgram, netcore.ProtoDefault)
	if err == nil {
		err = s.Bind(a)
		_ = s.Close()
	}
	if err != nil {
		return []string{"127.0.0.1"}
	}
	return []string{"127.0.0.1", "::1"}
}

// Services returns the running services: echo, discard, chargen, daytime
// (each TCP then UDP, each 127.0.0.1 then ::1), then the refusers and the
// black holes (127.0.0.1, ::1), then the TLS services (tls-echo,
// tls-expired, tls-wrongname, tls-selfsigned, tls-nochain, smtp-starttls;
// each 127.0.0.1 then ::1).
func (l *Lab) Services() []Service { return append([]Service(nil), l.services...) }

// Find returns the service of that name on that address family.
func (l *Lab) Find(name string, family netcore.Family) (Service, bool) {
	for _, s := range l.services {
		if s.Name == name && s.Addr.Family() == family {
			return s, true
		}
	}
	return Service{}, false
}

// Close stops every service, waits for every goroutine of the lab and
// closes every socket. Later calls return the first call's result.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.wg.Wait()
		var errs []error
		for _, s := range l.sockets {
			if err := s.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// bound returns a new socket of type typ bound to host on an ephemeral
// port, with its address. The lab owns it from then on. Its waits have no
// time limit: the lab's context ends them.
func (l *Lab) bound(host string, typ netcore.SockType) (*netcore.Socket, netcore.Addr, error) {
	a, err := netcore.InetAddr(host, 0)
	if err != nil {
		return nil, netcore.Addr{}, err
	}
	s, err := netcore.NewSocket(a.Family(), typ, netcore.ProtoDefault, netcore.WithTimeouts(netcore.Timeouts{}))
	if err != nil {
		return nil, netcore.Addr{}, err
	}
	l.sockets = append(l.sockets, s)
	if err := s.Bind(a); err != nil {
		return nil, netcore.Addr{}, err
	}
	local, err := s.LocalAddr()
	return s, local, err
}

func (l *Lab) add(name string, kind Kind, network string, addr netcore.Addr, help string) {
	l.services = append(l.services, Service{Name: name, Kind: kind, Network: network, Addr: addr, Help: help})
}

// startService starts the TCP or UDP service of handler h on host.
func (l *Lab) startService(ctx context.Context, h handler, network, host string) error {
	typ := netcore.SockDgram
	if network == "tcp" {
		typ = netcore.SockStream
	}
	s, addr, err := l.bound(host, typ)
	if err != nil {
		return fmt.Errorf("lab: %s/%s on %s: %w", h.kind, network, host, err)
	}
	if network == "tcp" {
		if err := s.Listen(netcore.DefaultBacklog); err != nil {
			return fmt.Errorf("lab: %s/tcp on %s: %w", h.kind, host, err)
		}
		l.wg.Go(func() { l.acceptLoop(ctx, s, h) })
	} else {
		l.wg.Go(func() { serveDatagrams(ctx, s, h.reply) })
	}
	l.add(string(h.kind)+"/"+network, h.kind, network, addr, h.help(network))
	return nil
}

// startRefuser reserves a TCP port on host without listening on it, so
// that connecting is refused at once.
func (l *Lab) startRefuser(_ context.Context, host string) error {
	_, addr, err := l.bound(host, netcore.SockStream)
	if err != nil {
		return fmt.Errorf("lab: refuser on %s: %w", host, err)
	}
	l.add(string(Refuser), Refuser, "tcp", addr,
		"a closed port: connecting is refused at once (ECONNREFUSED)")
	return nil
}

// startBlackhole makes a listener whose accept queue is full: listen(fd, 0)
// admits one connection, the lab's own filler, which it never accepts, so
// the kernel drops every later SYN and connects hang until the client's
// timeout.
func (l *Lab) startBlackhole(ctx context.Context, host string) error {
	ln, addr, err := l.bound(host, netcore.SockStream)
	if err == nil {
		err = ln.Listen(0)
	}
	if err == nil {
		err = l.fill(ctx, addr)
	}
	if err != nil {
		return fmt.Errorf("lab: black hole on %s: %w", host, err)
	}
	l.add(string(Blackhole), Blackhole, "tcp", addr,
		"a full accept queue: connecting hangs until your timeout")
	return nil
}

// fill connects the filler connection of a black hole at addr.
func (l *Lab) fill(ctx context.Context, addr netcore.Addr) error {
	c, err := netcore.NewSocket(addr.Family(), netcore.SockStream, netcore.ProtoDefault,
		netcore.WithTimeouts(netcore.Timeouts{Connect: 5 * time.Second}))
	if err != nil {
		return err
	}
	if err := c.Connect(ctx, addr); err != nil {
		return err // Connect closed c
	}
	l.sockets = append(l.sockets, c)
	return nil
}

// errorPause is how long a service waits after an unexpected error (such
// as EMFILE from accept) before trying again, so that it never spins.
const errorPause = 100 * time.Millisecond

// acceptLoop accepts connections on ln while ctx lasts and serves each in
// its own goroutine, at most MaxConns at a time.
func (l *Lab) acceptLoop(ctx context.Context, ln *netcore.Socket, h handler) {
	slots := make(chan struct{}, MaxConns)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		conn, _, err := ln.Accept(ctx)
		if err != nil {
			<-slots
			if !carryOn(ctx, err) {
				return
			}
			continue
		}
		l.wg.Go(func() {
			defer func() { <-slots }()
			defer func() { _ = conn.Close() }()
			_ = h.stream(ctx, conn, h.reply)
		})
	}
}

// serveDatagrams answers the datagrams arriving on s while ctx lasts.
func serveDatagrams(ctx context.Context, s *netcore.Socket, reply replyFunc) {
	buf := make([]byte, readSize)
	for n := uint64(0); ; {
		got, from, err := s.ReceiveFrom(ctx, buf, 0)
		if err != nil {
			if !carryOn(ctx, err) {
				return
			}
			continue
		}
		if out := reply(n, buf[:got]); out != nil && from.IsValid() {
			_, _ = s.SendTo(netcore.WithCallTimeout(ctx, time.Second), out, from, 0)
		}
		n++
	}
}

// carryOn reports whether a service loop should go on after err: not when
// the lab is stopping or the socket is closed; otherwise after a pause.
func carryOn(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, netcore.ErrClosed) {
		return false
	}
	t := time.NewTimer(errorPause)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
