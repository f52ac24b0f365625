//go:build linux

// The expected values in these tests are Linux's.

package netcore

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sockKinds make the sockets the option tests run on.
var sockKinds = map[string]func() (*Socket, error){
	"tcp4": func() (*Socket, error) { return NewSocket(FamilyInet, SockStream, ProtoDefault) },
	"tcp6": func() (*Socket, error) { return NewSocket(FamilyInet6, SockStream, ProtoDefault) },
	"udp4": func() (*Socket, error) { return NewSocket(FamilyInet, SockDgram, ProtoDefault) },
	"udp6": func() (*Socket, error) { return NewSocket(FamilyInet6, SockDgram, ProtoDefault) },
	"unix": func() (*Socket, error) { return NewSocket(FamilyUnix, SockStream, ProtoDefault) },
	"raw4": func() (*Socket, error) { return NewSocket(FamilyInet, SockRaw, ProtoICMP) },
}

// newKind makes a socket of a kind, closed when the test ends. It skips
// when the system cannot make one (no IPv6, or no CAP_NET_RAW for raw).
func newKind(t *testing.T, kind string) *Socket {
	t.Helper()
	s, err := sockKinds[kind]()
	switch {
	case errors.Is(err, unix.EAFNOSUPPORT):
		t.Skipf("no %s sockets on this system: %v", kind, err)
	case kind == "raw4" && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)):
		t.Skipf("raw sockets need CAP_NET_RAW: %v", err)
	case err != nil:
		t.Fatalf("socket %s: %v", kind, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustLookup(t *testing.T, name string) SockOpt {
	t.Helper()
	o, ok := LookupOption(name)
	if !ok {
		t.Fatalf("LookupOption(%q): not found", name)
	}
	return o
}

// wantClass fails unless err is an *Error of class c whose message
// contains text.
func wantClass(t *testing.T, err error, c Class, text string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a %s *Error", err, err, c)
	}
	if e.Class != c || !strings.Contains(e.Error(), text) {
		t.Fatalf("error = %q (class %s), want class %s containing %q", e, e.Class, c, text)
	}
	return e
}

func wantOption(t *testing.T, s *Socket, name, want string) {
	t.Helper()
	got, err := s.GetOptionString(name)
	if err != nil {
		t.Fatalf("get %s: %v", name, err)
	}
	if got != want {
		t.Fatalf("%s = %q, want %q", name, got, want)
	}
}

// congestionToSet picks reno, which Linux always builds in, unless the
// system does not list it.
func congestionToSet(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		t.Skipf("cannot read the available congestion controls: %v", err)
	}
	avail := strings.Fields(string(b))
	for _, name := range []string{"reno", "cubic"} {
		if slices.Contains(avail, name) {
			return name
		}
	}
	t.Skipf("neither reno nor cubic in %q", avail)
	return ""
}

func TestOptSetAndReadBack(t *testing.T) {
	rows := []struct{ opt, kind, set, want string }{
		{"SO_REUSEADDR", "tcp4", "on", "on"},
		{"SO_REUSEPORT", "udp4", "yes", "on"},
		{"SO_DEBUG", "tcp4", "true", "on"},
		{"SO_KEEPALIVE", "tcp6", "1", "on"},
		{"SO_DONTROUTE", "udp4", "on", "on"},
		{"SO_BROADCAST", "udp4", "on", "on"},
		{"SO_OOBINLINE", "tcp4", "on", "on"},
		{"SO_LINGER", "tcp4", "on,5", "on, 5s"},
		{"SO_LINGER", "unix", "on 0", "on, 0s"},
		{"SO_SNDBUF", "tcp4", "8192", "16384"}, // Linux doubles it
		{"SO_SNDBUF", "unix", "8192", "16384"},
		{"SO_RCVBUF", "udp6", "8192", "16384"},
		{"SO_RCVLOWAT", "tcp4", "10", "10"},
		{"SO_RCVTIMEO", "tcp4", "1.5s", "1.5s"},
		{"SO_SNDTIMEO", "unix", "2", "2s"},
		{"SO_TIMESTAMP", "udp4", "on", "on"},
		{"SO_PRIORITY", "tcp4", "3", "3"},
		{"SO_BINDTODEVICE", "udp4", "lo", "lo"},
		{"IP_HDRINCL", "raw4", "on", "on"},
		{"IP_TOS", "tcp4", "0x10", "16"},
		{"IP_TTL", "udp4", "32", "32"},
		{"IP_MULTICAST_TTL", "udp4", "4", "4"},
		{"IP_MULTICAST_LOOP", "udp4", "off", "off"},
		{"IP_FREEBIND", "tcp4", "on", "on"},
		{"IP_RECVERR", "udp4", "on", "on"},
		{"IP_PKTINFO", "udp4", "on", "on"},
		{"IPV6_V6ONLY", "tcp6", "on", "on"},
		{"IPV6_UNICAST_HOPS", "udp6", "32", "32"},
		{"IPV6_TCLASS", "tcp6", "0x20", "32"},
		{"IPV6_MULTICAST_HOPS", "udp6", "5", "5"},
		{"IPV6_MULTICAST_LOOP", "udp6", "off", "off"},
		{"TCP_NODELAY", "tcp4", "off", "off"},
		{"TCP_MAXSEG", "tcp4", "1000", "1000"},
		{"TCP_KEEPIDLE", "tcp4", "60", "60"},
		{"TCP_KEEPINTVL", "tcp4", "10", "10"},
		{"TCP_KEEPCNT", "tcp6", "3", "3"},
		{"TCP_USER_TIMEOUT", "tcp4", "1500", "1.5s"},
		{"TCP_USER_TIMEOUT", "tcp6", "250ms", "250ms"},
		{"TCP_CONGESTION", "tcp4", "", ""}, // filled in below
		{"TCP_QUICKACK", "tcp4", "off", "off"},
		{"TCP_CORK", "tcp4", "on", "on"},
		{"TCP_FASTOPEN", "tcp4", "5", "5"},
		{"UDP_CORK", "udp4", "on", "on"},
	}
	covered := map[string]bool{"SO_SNDLOWAT": true} // Linux refuses it: TestOptUnsupported
	for _, r := range rows {
		covered[r.opt] = true
	}
	for _, o := range Options() {
		if o.Available && !o.ReadOnly && !o.WriteOnly() && !covered[o.Name] {
			t.Errorf("%s is settable here but has no read-back row", o.Name)
		}
	}
	for _, r := range rows {
		t.Run(r.opt+"/"+r.kind, func(t *testing.T) {
			if r.opt == "TCP_CONGESTION" {
				r.set = congestionToSet(t)
				r.want = r.set
			}
			s := newKind(t, r.kind)
			err := s.SetOptionString(r.opt, r.set)
			if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
				t.Skipf("%s needs a privilege this test lacks (SO_DEBUG wants CAP_NET_ADMIN): %v", r.opt, err)
			}
			if err != nil {
				t.Fatalf("set %s %q: %v", r.opt, r.set, err)
			}
			wantOption(t, s, r.opt, r.want)
		})
	}
}

func TestOptUnsupported(t *testing.T) {
	t.Run("SO_SNDLOWAT", func(t *testing.T) {
		s := newKind(t, "tcp4")
		err := s.SetOptionString("so-send-low-water", "4096")
		e := wantClass(t, err, ClassUnsupported, "setsockopt: SO_SNDLOWAT:")
		if e.Errno != unix.ENOPROTOOPT || !errors.Is(err, unix.ENOPROTOOPT) {
			t.Fatalf("errno = %v, want ENOPROTOOPT", e.Errno)
		}
		wantOption(t, s, "SO_SNDLOWAT", "1")
	})
	t.Run("absent on linux", func(t *testing.T) {
		s := newKind(t, "tcp4")
		for _, name := range []string{"TCP_NOPUSH", "TCP_NOOPT", "TCP_KEEPALIVE", "SO_USELOOPBACK", "SO_EXCLUSIVEADDRUSE", "IP_RECVDSTADDR", "IPV6_PORTRANGE"} {
			o := mustLookup(t, name)
			if o.Available || o.Opt != -1 {
				t.Errorf("%s: Available %v, Opt %d; want false, -1", name, o.Available, o.Opt)
			}
			want := name + " is not available on linux"
			wantClass(t, s.SetOptionString(name, "1"), ClassUnsupported, "setsockopt: "+want)
			_, err := s.GetOption(o)
			wantClass(t, err, ClassUnsupported, "getsockopt: "+want)
		}
	})
	t.Run("TCP_NODELAY on UDP", func(t *testing.T) {
		s := newKind(t, "udp4")
		e := wantClass(t, s.SetOptionString("TCP_NODELAY", "on"), ClassUnsupported, "TCP_NODELAY")
		if e.Errno != unix.ENOPROTOOPT {
			t.Fatalf("set errno = %v, want ENOPROTOOPT", e.Errno)
		}
		_, err := s.GetOptionString("tcp-no-delay?")
		e = wantClass(t, err, ClassUnsupported, "getsockopt: TCP_NODELAY:")
		if e.Errno != unix.EOPNOTSUPP { // Linux's do_ip_getsockopt, for a level other than SOL_IP
			t.Fatalf("get errno = %v, want EOPNOTSUPP", e.Errno)
		}
	})
	t.Run("unknown option number", func(t *testing.T) {
		s := newKind(t, "tcp4")
		_, err := s.GetsockoptInt(unix.IPPROTO_TCP, 9999)
		wantClass(t, err, ClassUnsupported, "getsockopt: 9999:")
	})
}

func TestOptReadOnly(t *testing.T) {
	s := newKind(t, "tcp4")
	wants := map[string]string{"SO_TYPE": "1", "SO_DOMAIN": "2", "SO_PROTOCOL": "6", "SO_ERROR": "0", "SO_ACCEPTCONN": "off"}
	for name, want := range wants {
		wantOption(t, s, name, want)
		o := mustLookup(t, name)
		wantClass(t, s.SetOption(o, OptValue{Type: o.Type, Int: 2, Bool: true}), ClassInvalid, "setsockopt: "+name+" is read-only")
		wantOption(t, s, name, want)
	}
	wantClass(t, s.SetOptionString("so-type", "2"), ClassInvalid, "SO_TYPE is read-only")
	wantOption(t, s, "SO_TYPE", "1")
	info := mustLookup(t, "TCP_INFO")
	wantClass(t, s.SetOption(info, OptValue{Type: OptTCPInfo, TCPInfo: &TCPInfo{}}), ClassInvalid, "TCP_INFO is read-only")
	wantClass(t, s.SetOptionString("TCP_INFO", "x"), ClassInvalid, "TCP_INFO is read-only")
}

func TestOptFailureChangesNothing(t *testing.T) {
	s := newKind(t, "tcp4")
	linger := mustLookup(t, "SO_LINGER")
	wantClass(t, s.SetOption(linger, OptValue{Type: OptLinger, Linger: Linger{On: true, Seconds: -1}}), ClassInvalid, "-1 seconds is out of range")
	wantClass(t, s.SetOption(linger, OptValue{Type: OptBool, Bool: true}), ClassInvalid, "SO_LINGER takes a linger value, not a bool")
	wantOption(t, s, "SO_LINGER", "off")

	before, err := s.GetOptionString("TCP_CONGESTION")
	if err != nil {
		t.Fatal(err)
	}
	err = s.SetOptionString("TCP_CONGESTION", "no-such-algorithm")
	e := wantClass(t, err, ClassFatal, "setsockopt: TCP_CONGESTION:")
	if e.Errno != unix.ENOENT {
		t.Fatalf("errno = %v, want ENOENT", e.Errno)
	}
	wantOption(t, s, "TCP_CONGESTION", before)

	wantClass(t, s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVLOWAT, 1<<40), ClassInvalid, "does not fit a C int")
	wantClass(t, s.SetOptionString("SO_RCVLOWAT", "1099511627776"), ClassInvalid, "SO_RCVLOWAT wants a whole number")
	wantOption(t, s, "SO_RCVLOWAT", "1")

	_, err = s.GetOption(mustLookup(t, "IP_ADD_MEMBERSHIP"))
	wantClass(t, err, ClassInvalid, "getsockopt: IP_ADD_MEMBERSHIP is write-only")
	wantClass(t, s.SetOptionString("no-such-option", "1"), ClassInvalid, `unknown socket option "no-such-option"`)
	_, err = s.GetOptionString("NO_SUCH")
	wantClass(t, err, ClassInvalid, `unknown socket option "NO_SUCH"`)
}

func TestOptClosedSocket(t *testing.T) {
	s, err := NewSocket(FamilyInet, SockStream, ProtoDefault)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetOptionString("TCP_NODELAY")
	if !errors.Is(err, ErrClosed) || ClassOf(err) != ClassFatal {
		t.Fatalf("get on a closed socket: %v, want ErrClosed", err)
	}
}

func TestOptTCPNoDelayDefault(t *testing.T) {
	client, server := connected(t, "127.0.0.1")
	for _, s := range []*Socket{newKind(t, "tcp4"), newKind(t, "tcp6"), client, server} {
		wantOption(t, s, "TCP_NODELAY", "on")
		if err := s.SetOptionString("tcp-no-delay?", "off"); err != nil {
			t.Fatal(err)
		}
		wantOption(t, s, "TCP_NODELAY", "off")
	}
}

func TestTCPInfoState(t *testing.T) {
	client, server := connected(t, "127.0.0.1")
	listener, err := Listen(mustParse(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listener.Close() })
	for _, c := range []struct {
		s    *Socket
		want string
	}{{listener, "LISTEN"}, {client, "ESTABLISHED"}, {server, "ESTABLISHED"}, {newKind(t, "tcp4"), "CLOSE"}} {
		state, err := c.s.TCPState()
		if err != nil || state != c.want {
			t.Fatalf("TCPState = %q, %v; want %q", state, err, c.want)
		}
	}
	wantOption(t, listener, "SO_ACCEPTCONN", "on")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := client.SendAll(ctx, []byte("hello"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := server.ReceiveN(ctx, 5, 0); err != nil || string(got) != "hello" {
		t.Fatalf("receive = %q, %v", got, err)
	}
	info, err := server.TCPInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.State != "ESTABLISHED" || info.BytesReceived != 5 || info.RcvMSS == 0 || info.SndMSS == 0 {
		t.Fatalf("server TCP_INFO = %+v; want ESTABLISHED, 5 bytes received, MSS set", info)
	}
	text, err := server.GetOptionString("TCP_INFO")
	if err != nil || !strings.HasPrefix(text, "ESTABLISHED rtt ") || !strings.HasSuffix(text, " received 5") {
		t.Fatalf("TCP_INFO text = %q, %v", text, err)
	}

	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ReceiveN(ctx, 1, 0); err != nil {
		t.Fatal(err) // end of stream: the FIN has arrived
	}
	if state, err := server.TCPState(); err != nil || state != "CLOSE_WAIT" {
		t.Fatalf("after the peer closed: %q, %v; want CLOSE_WAIT", state, err)
	}
}

func TestListOptions(t *testing.T) {
	order := map[string]int{}
	for i, o := range Options() {
		order[o.Name] = i
	}
	for _, kind := range []string{"tcp4", "tcp6", "udp4", "udp6", "unix"} {
		t.Run(kind, func(t *testing.T) {
			s := newKind(t, kind)
			readings := s.ListOptions()
			got := map[string]OptionReading{}
			for i, r := range readings {
				got[r.Opt.Name] = r
				if i > 0 && order[r.Opt.Name] <= order[readings[i-1].Opt.Name] {
					t.Errorf("%s listed after %s, not in Options order", r.Opt.Name, readings[i-1].Opt.Name)
				}
				if !r.Opt.Applies.Match(s.Family(), s.Type()) {
					t.Errorf("%s (for %s) listed for a %s %s socket", r.Opt.Name, r.Opt.Applies, s.Family(), s.Type())
				}
				switch {
				case !r.Opt.Available:
					wantClass(t, r.Err, ClassUnsupported, "not available on linux")
				case r.Err != nil:
					t.Errorf("%s: %v", r.Opt.Name, r.Err)
				case r.Opt.WriteOnly() != (r.Value.Type == OptNone):
					t.Errorf("%s: value %+v", r.Opt.Name, r.Value)
				}
			}
			checkListed(t, kind, got)
		})
	}
}

// checkListed checks what the options view shows for each kind of socket.
func checkListed(t *testing.T, kind string, got map[string]OptionReading) {
	t.Helper()
	want := map[string]map[string]string{ // option -> value ("-" for no value); absent: "!"
		"tcp4": {"TCP_NODELAY": "on", "SO_TYPE": "1", "IPV6_V6ONLY": "!", "IP_ADD_MEMBERSHIP": "!", "UDP_CORK": "!"},
		"tcp6": {"TCP_NODELAY": "on", "IPV6_V6ONLY": "off", "IP_TTL": "!"},
		"udp4": {"IP_ADD_MEMBERSHIP": "-", "IP_MULTICAST_LOOP": "on", "SO_TYPE": "2", "TCP_NODELAY": "!"},
		"udp6": {"IPV6_JOIN_GROUP": "-", "IP_ADD_MEMBERSHIP": "!"},
		"unix": {"SO_TYPE": "1", "SO_DOMAIN": "1", "SO_REUSEADDR": "!", "TCP_NODELAY": "!", "IP_TTL": "!"},
	}[kind]
	for name, w := range want {
		r, listed := got[name]
		switch {
		case w == "!" && listed:
			t.Errorf("%s is listed", name)
		case w == "!":
		case !listed:
			t.Errorf("%s is not listed", name)
		case w == "-" && (r.Value.Type != OptNone || r.Err != nil):
			t.Errorf("%s = %v, %v; want no value", name, r.Value, r.Err)
		case w != "-" && r.Value.String() != w:
			t.Errorf("%s = %q, %v; want %q", name, r.Value, r.Err, w)
		}
	}
}

func TestOptMulticast(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo interface: %v", err)
	}
	for _, c := range []struct{ kind, host, join, leave, group string }{
		{"udp4", "0.0.0.0", "IP_ADD_MEMBERSHIP", "IP_DROP_MEMBERSHIP", "224.0.0.251%lo"},
		{"udp6", "::", "IPV6_JOIN_GROUP", "IPV6_LEAVE_GROUP", "ff02::fb%lo"},
	} {
		t.Run(c.kind, func(t *testing.T) {
			s := newKind(t, c.kind)
			addr, err := InetAddr(c.host, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Bind(addr); err != nil {
				t.Fatal(err)
			}
			err = s.SetOptionString(c.join, c.group)
			if err != nil && lo.Flags&net.FlagMulticast == 0 {
				t.Skipf("lo has no MULTICAST flag (%v) and the join failed: %v", lo.Flags, err)
			}
			if err != nil {
				t.Fatalf("join %s: %v", c.group, err)
			}
			if err := s.SetOptionString(c.leave, c.group); err != nil {
				t.Fatalf("leave %s: %v", c.group, err)
			}
			e := wantClass(t, s.SetOptionString(c.leave, c.group), ClassFatal, "setsockopt: "+c.leave+":")
			if e.Errno != unix.EADDRNOTAVAIL {
				t.Fatalf("second leave: errno %v, want EADDRNOTAVAIL", e.Errno)
			}
		})
	}
}

func TestOptRawBytes(t *testing.T) {
	s := newKind(t, "tcp4")
	if err := s.SetOptionString("SO_LINGER", "on,5"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetsockoptBytes(unix.SOL_SOCKET, unix.SO_LINGER, 64)
	if err != nil {
		t.Fatal(err)
	}
	want := binary.NativeEndian.AppendUint32(binary.NativeEndian.AppendUint32(nil, 1), 5)
	if string(got) != string(want) {
		t.Fatalf("raw SO_LINGER = %x, want %x (struct linger, trimmed to its 8 bytes)", got, want)
	}
	raw := binary.NativeEndian.AppendUint32(binary.NativeEndian.AppendUint32(nil, 1), 7)
	if err := s.SetsockoptBytes(unix.SOL_SOCKET, unix.SO_LINGER, raw); err != nil {
		t.Fatal(err)
	}
	wantOption(t, s, "SO_LINGER", "on, 7s")

	if err := s.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVLOWAT, 64); err != nil {
		t.Fatal(err)
	}
	if n, err := s.GetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVLOWAT); err != nil || n != 64 {
		t.Fatalf("SO_RCVLOWAT = %d, %v; want 64", n, err)
	}
	_, err = s.GetsockoptBytes(unix.SOL_SOCKET, unix.SO_LINGER, 0)
	wantClass(t, err, ClassInvalid, "buffer size 0 is not positive")
}

func TestOptTrace(t *testing.T) {
	var mu sync.Mutex
	var calls []Syscall
	s, err := NewSocket(FamilyInet, SockDgram, ProtoDefault, WithTrace(func(c Syscall) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, c)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.SetOptionString("SO_LINGER", "on,5")
	_, _ = s.GetOptionString("SO_LINGER")
	_ = s.SetOptionString("TCP_NODELAY", "on")
	mu.Lock()
	defer mu.Unlock()
	fd := s.Fd()
	want := []Syscall{
		{Name: "setsockopt", Args: itoa(fd) + ", SOL_SOCKET, SO_LINGER, on, 5s"},
		{Name: "getsockopt", Args: itoa(fd) + ", SOL_SOCKET, SO_LINGER -> on, 5s"},
		{Name: "setsockopt", Args: itoa(fd) + ", IPPROTO_TCP, TCP_NODELAY, on", Result: -1, Errno: unix.ENOPROTOOPT},
	}
	got := calls[len(calls)-len(want):]
	for i, w := range want {
		g := got[i]
		if g.Name != w.Name || g.Args != w.Args || g.Result != w.Result || g.Errno != w.Errno {
			t.Errorf("call %d = %s, want %s", i, g, w)
		}
	}
}

func itoa(n int) string { return OptValue{Type: OptInt, Int: n}.String() }

func TestParseOptValue(t *testing.T) {
	good := []struct{ opt, in, want string }{
		{"SO_KEEPALIVE", "ON", "on"}, {"SO_KEEPALIVE", "no", "off"}, {"SO_KEEPALIVE", " 0 ", "off"},
		{"IP_TTL", "-1", "-1"}, {"IP_TOS", "0x2e", "46"}, {"SO_SNDBUF", "2147483647", "2147483647"},
		{"SO_RCVTIMEO", "200ms", "200ms"}, {"SO_RCVTIMEO", "1.5", "1.5s"}, {"SO_RCVTIMEO", "0", "0s"},
		{"TCP_USER_TIMEOUT", "120", "120ms"}, {"TCP_USER_TIMEOUT", "2s", "2s"},
		{"SO_LINGER", "off", "off"}, {"SO_LINGER", "on,5", "on, 5s"}, {"SO_LINGER", "on, 10s", "on, 10s"},
		{"SO_BINDTODEVICE", "lo", "lo"}, {"SO_BINDTODEVICE", "", "(none)"},
		{"IP_ADD_MEMBERSHIP", "224.0.0.251", "224.0.0.251"}, {"IP_ADD_MEMBERSHIP", "224.0.0.251%lo", "224.0.0.251%lo"},
		{"IPV6_JOIN_GROUP", "ff02::fb%lo", "ff02::fb%lo"},
	}
	for _, g := range good {
		v, err := ParseOptValue(mustLookup(t, g.opt), g.in)
		if err != nil || v.String() != g.want || v.Type != mustLookup(t, g.opt).Type {
			t.Errorf("ParseOptValue(%s, %q) = %q (%s), %v; want %q", g.opt, g.in, v, v.Type, err, g.want)
		}
	}
	bytesOpt := SockOpt{Name: "RAW", Type: OptBytes}
	if v, err := ParseOptValue(bytesOpt, "0x01:00 ff"); err != nil || string(v.Bytes) != "\x01\x00\xff" || v.String() != "0100ff" {
		t.Errorf("bytes = %v, %v", v, err)
	}

	bad := []struct{ opt, in, msg string }{
		{"SO_KEEPALIVE", "maybe", `SO_KEEPALIVE wants on or off (true/false, yes/no, 1/0), not "maybe"`},
		{"IP_TTL", "12x", `IP_TTL wants a whole number from -2147483648 to 2147483647, not "12x"`},
		{"IP_TTL", "99999999999", "IP_TTL wants a whole number"},
		{"SO_RCVTIMEO", "-1s", "SO_RCVTIMEO: negative duration -1s"},
		{"SO_RCVTIMEO", "soon", `SO_RCVTIMEO wants a duration such as 1.5s or 200ms, or a number of seconds, not "soon"`},
		{"SO_RCVTIMEO", "NaN", "SO_RCVTIMEO wants a duration"},
		{"SO_RCVTIMEO", "9223372036.854775807", "SO_RCVTIMEO wants a duration"}, // 2⁶³ ns: not "negative"
		{"TCP_USER_TIMEOUT", "1.5ms", "TCP_USER_TIMEOUT takes whole 1ms units, not 1.5ms"},
		{"SO_LINGER", "on", `SO_LINGER wants off, or on and seconds such as on,5, not "on"`},
		{"SO_LINGER", "on,x", "SO_LINGER wants off, or on and seconds"},
		{"SO_LINGER", "on,1.5s", "SO_LINGER wants off, or on and seconds"},
		{"SO_LINGER", "on,-1", "SO_LINGER wants off, or on and seconds"},
		{"SO_BINDTODEVICE", "lo\x00", "SO_BINDTODEVICE: the value contains a NUL byte"},
		{"IP_ADD_MEMBERSHIP", "10.0.0.1", "IP_ADD_MEMBERSHIP: 10.0.0.1 is not a multicast address"},
		{"IP_ADD_MEMBERSHIP", "ff02::fb", "IP_ADD_MEMBERSHIP: ff02::fb is not an IPv4 group"},
		{"IPV6_JOIN_GROUP", "224.0.0.251", "IPV6_JOIN_GROUP: 224.0.0.251 is not an IPv6 group"},
		{"IP_ADD_MEMBERSHIP", "224.0.0.251%nosuchif0", `IP_ADD_MEMBERSHIP: no network interface "nosuchif0"`},
		{"IP_ADD_MEMBERSHIP", "mdns", `IP_ADD_MEMBERSHIP wants a group such as 224.0.0.251%lo or ff02::fb%lo, not "mdns"`},
		{"TCP_INFO", "", "TCP_INFO is read-only: it takes no value"},
	}
	for _, b := range bad {
		_, err := ParseOptValue(mustLookup(t, b.opt), b.in)
		e := wantClass(t, err, ClassInvalid, b.msg)
		if e.Op != "parse-option" {
			t.Errorf("%s %q: Op %q", b.opt, b.in, e.Op)
		}
	}
	_, err := ParseOptValue(bytesOpt, "zz")
	wantClass(t, err, ClassInvalid, `RAW wants bytes in hex such as 01000000, not "zz"`)
}

func TestOptValueString(t *testing.T) {
	for _, c := range []struct {
		v    OptValue
		want string
	}{
		{OptValue{}, ""},
		{OptValue{Type: OptBool, Bool: true}, "on"},
		{OptValue{Type: OptInt, Int: -3}, "-3"},
		{OptValue{Type: OptBytes}, "(empty)"},
		{OptValue{Type: OptLinger, Linger: Linger{Seconds: 5}}, "off"},
		{OptValue{Type: OptDuration, Duration: 120 * time.Millisecond}, "120ms"},
		{OptValue{Type: OptString, Text: "cubic"}, "cubic"},
		{OptValue{Type: OptTCPInfo}, ""},
		{OptValue{Type: OptTCPInfo, TCPInfo: &TCPInfo{State: "LISTEN", RTT: time.Millisecond, SndCwnd: 10}},
			"LISTEN rtt 1ms (var 0s) cwnd 10 mss 0/0 retrans 0/0 sent 0 acked 0 received 0"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.v, got, c.want)
		}
	}
}

func TestLookupOption(t *testing.T) {
	eggs := map[string]string{ // the egg's accessors (socket-api.md 1.10)
		"so-reuse-address?": "SO_REUSEADDR", "so-debug?": "SO_DEBUG", "so-keep-alive?": "SO_KEEPALIVE",
		"so-dont-route?": "SO_DONTROUTE", "so-broadcast?": "SO_BROADCAST", "so-oob-inline?": "SO_OOBINLINE",
		"so-accept-connections?": "SO_ACCEPTCONN", "so-send-buffer": "SO_SNDBUF", "so-receive-buffer": "SO_RCVBUF",
		"so-send-low-water": "SO_SNDLOWAT", "so-receive-low-water": "SO_RCVLOWAT", "so-error": "SO_ERROR",
		"so-type": "SO_TYPE", "tcp-no-delay?": "TCP_NODELAY", "tcp-max-segment-size": "TCP_MAXSEG",
		"tcp-no-push?": "TCP_NOPUSH", "tcp-no-options?": "TCP_NOOPT", "tcp-keep-alive": "TCP_KEEPALIVE",
		"ip-header-included?": "IP_HDRINCL", "ip-type-of-service": "IP_TOS", "ip-time-to-live": "IP_TTL",
		"ipv6-v6-only?": "IPV6_V6ONLY",
	}
	for egg, cname := range eggs {
		o, ok := LookupOption(strings.ToUpper(egg))
		if !ok || o.Name != cname || o.Egg != egg {
			t.Errorf("LookupOption(%q) = %s (egg %q), %v; want %s", egg, o.Name, o.Egg, ok, cname)
		}
	}
	readOnly := []string{"SO_ACCEPTCONN", "SO_ERROR", "SO_TYPE", "SO_DOMAIN", "SO_PROTOCOL", "TCP_INFO"}
	for _, name := range []string{"so_reuseport", "SO_LINGER", "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_PRIORITY", "SO_BINDTODEVICE",
		"SO_TIMESTAMP", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT", "TCP_CONGESTION", "TCP_QUICKACK",
		"TCP_CORK", "TCP_FASTOPEN", "IPV6_UNICAST_HOPS", "IPV6_MULTICAST_HOPS", "IPV6_MULTICAST_LOOP", "IP_MULTICAST_TTL",
		"IP_MULTICAST_LOOP", "IP_FREEBIND", "IP_RECVERR", "IP_PKTINFO", "IPV6_TCLASS", "SO_DOMAIN", "SO_PROTOCOL"} {
		o := mustLookup(t, name)
		if !o.Available || o.ReadOnly != slices.Contains(readOnly, o.Name) {
			t.Errorf("%s: Available %v, ReadOnly %v", name, o.Available, o.ReadOnly)
		}
	}
	for _, name := range []string{"IP_ADD_MEMBERSHIP", "IP_DROP_MEMBERSHIP", "IPV6_JOIN_GROUP", "IPV6_LEAVE_GROUP"} {
		if o := mustLookup(t, name); !o.WriteOnly() || o.Type != OptMreq || !o.Available {
			t.Errorf("%s: %+v", name, o)
		}
	}
	if _, ok := LookupOption("SO_NOSUCH"); ok {
		t.Error("SO_NOSUCH found")
	}
}

func TestOptRegistry(t *testing.T) {
	opts := Options()
	opts[0].Name = "changed"
	if Options()[0].Name == "changed" {
		t.Fatal("Options returns the registry itself")
	}
	seen := map[[2]int]string{}
	levels := []string{"SOL_SOCKET", "IPPROTO_IP", "IPPROTO_IPV6", "IPPROTO_TCP", "IPPROTO_UDP"}
	last := 0
	for _, o := range Options() {
		rank := slices.Index(levels, o.LevelName())
		if rank < last {
			t.Errorf("%s (%s) comes after level %s", o.Name, o.LevelName(), levels[last])
		}
		last = max(last, rank)
		if o.Help == "" || strings.Contains(o.Help, "\n") || o.Applies == 0 || o.Type == OptNone {
			t.Errorf("%s: help %q, applies %v, type %s", o.Name, o.Help, o.Applies, o.Type)
		}
		key := [2]int{o.Level, o.Opt}
		if prev, dup := seen[key]; dup && o.Available {
			t.Errorf("%s and %s share level and number", o.Name, prev)
		}
		if o.Available {
			seen[key] = o.Name
		}
	}
	if AppliesTCP.Match(FamilyInet, SockDgram) || !AppliesTCP.Match(FamilyInet6, SockStream) || AppliesIPv6.Match(FamilyInet, SockStream) {
		t.Error("Applies.Match")
	}
	if AppliesTCP.String() != "TCP" || (OnUnix|OnDgram).String() != "unix,dgram" {
		t.Errorf("Applies.String: %q %q", AppliesTCP, OnUnix|OnDgram)
	}
}

// TestQueued: bytes the peer sent and nobody read wait in the kernel, and
// Queued counts them.
func TestQueued(t *testing.T) {
	client, server := connected(t, "127.0.0.1")
	if _, err := client.SendAll(context.Background(), make([]byte, 1000), 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		in, _, err := server.Queued()
		if err != nil {
			t.Fatal(err)
		}
		if in == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes queued, want 1000", in)
		}
		time.Sleep(time.Millisecond) // polling, not a synchronisation
	}
	server.Close()
	if _, _, err := server.Queued(); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}
