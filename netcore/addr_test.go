package netcore

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAddrRoundTrip(t *testing.T) {
	for _, s := range []string{
		"127.0.0.1:22", "0.0.0.0:0", "[::1]:22", "[::]:65535", "[fe80::1%lo]:22",
		"[::ffff:1.2.3.4]:80", "/run/x.sock", "@name", "@",
	} {
		in := s
		if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "@") {
			in = "unix:" + s
		}
		a, err := ParseAddr(in)
		if err != nil {
			t.Errorf("ParseAddr(%q): %v", in, err)
			continue
		}
		if a.String() != s {
			t.Errorf("ParseAddr(%q).String() = %q, want %q", in, a.String(), s)
		}
		var sa rawSockaddr
		if err := sa.set(a); err != nil {
			t.Errorf("%s: sockaddr: %v", s, err)
			continue
		}
		if back := sa.addr(); back != a {
			t.Errorf("%s: through sockaddr became %s", s, back)
		}
	}
}

func TestAddrAccessors(t *testing.T) {
	a := mustParse(t, "[fe80::1%lo]:22")
	if a.Family() != FamilyInet6 || a.Port() != 22 || a.IP().Zone() != "lo" || a.Host() != "fe80::1%lo" {
		t.Errorf("fe80 accessors: %v %v %q %q", a.Family(), a.Port(), a.IP().Zone(), a.Host())
	}
	u := mustParse(t, "unix:@bench")
	if u.Family() != FamilyUnix || !u.IsAbstract() || u.Path() != "@bench" || u.Port() != 0 {
		t.Errorf("abstract accessors: %v %v %q", u.Family(), u.IsAbstract(), u.Path())
	}
	v4 := mustParse(t, "127.0.0.1:80")
	if v4.Family() != FamilyInet || v4.WithPort(81).String() != "127.0.0.1:81" {
		t.Errorf("v4 accessors: %v %s", v4.Family(), v4.WithPort(81))
	}
	if (Addr{}).IsValid() || (Addr{}).Family() != FamilyUnspec || (Addr{}).String() != "" {
		t.Error("zero Addr is not empty")
	}
}

func TestInetAddr(t *testing.T) {
	a, err := InetAddr("", 0)
	if err != nil || a.String() != "0.0.0.0:0" {
		t.Errorf(`InetAddr("", 0) = %v, %v`, a, err)
	}
	for _, tc := range []struct {
		host string
		port int
	}{{"localhost", 1}, {"1.2.3", 1}, {"127.0.0.1", -1}, {"127.0.0.1", 65536}, {"fe80::1%nosuchif0", 1}} {
		_, err := InetAddr(tc.host, tc.port)
		if !errors.Is(err, ClassInvalid) {
			t.Errorf("InetAddr(%q, %d) = %v, want an invalid-input error", tc.host, tc.port, err)
		}
	}
}

func TestUnixAddrLimits(t *testing.T) {
	long := "/" + strings.Repeat("x", maxUnixPath-1)
	if _, err := UnixAddr(long); err != nil {
		t.Errorf("a %d-byte path must fit: %v", len(long), err)
	}
	if _, err := UnixAddr(long + "x"); !errors.Is(err, ClassInvalid) || !strings.Contains(err.Error(), "longer") {
		t.Errorf("a %d-byte path: err = %v, want an error, not a truncation", len(long)+1, err)
	}
	for _, bad := range []string{"", "a\x00b"} {
		if _, err := UnixAddr(bad); !errors.Is(err, ClassInvalid) {
			t.Errorf("UnixAddr(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestParseAddrRefuses(t *testing.T) {
	for _, s := range []string{"", "127.0.0.1", "[::1]", "[::1", "::1", "127.0.0.1:http", "127.0.0.1:70000", "host:22", "unix:", "1.2.3.4:-1"} {
		if a, err := ParseAddr(s); !errors.Is(err, ClassInvalid) {
			t.Errorf("ParseAddr(%q) = %v, %v; want an invalid-input error", s, a, err)
		}
	}
}

// The egg's parse-inet-address: the port stays a string.
func TestParseInetAddress(t *testing.T) {
	for _, tc := range []struct{ in, host, port string }{
		{"[::1]:80", "::1", "80"},
		{"[::1]", "::1", ""},
		{"localhost:http", "localhost", "http"},
		{"::1", "::1", ""},
		{"fe80::1:22", "fe80::1:22", ""},
		{"example", "example", ""},
		{"", "", ""},
		{"[::1", "[::1", ""},
		{"host:", "host", ""},
	} {
		host, port := ParseInetAddress(tc.in)
		if host != tc.host || port != tc.port {
			t.Errorf("ParseInetAddress(%q) = %q, %q; want %q, %q", tc.in, host, port, tc.host, tc.port)
		}
	}
}

func TestConstantNamesBothWays(t *testing.T) {
	for _, s := range []string{"inet", "AF_INET", "af/inet", "2"} {
		if f, err := ParseFamily(s); err != nil || f != FamilyInet {
			t.Errorf("ParseFamily(%q) = %v, %v", s, f, err)
		}
	}
	if FamilyInet6.String() != "inet6" || FamilyUnix.CName() != "AF_UNIX" || SockDgram.String() != "dgram" || ProtoUDP.String() != "udp" {
		t.Error("constant names are wrong")
	}
	flags, err := ParseAIFlags("passive,canonname|AI_V4MAPPED")
	if err != nil || flags != AIPassive|AICanonName|AIV4Mapped || flags.String() != "passive|canonname|v4mapped" {
		t.Errorf("AI flags = %v (%s), %v", int(flags), flags, err)
	}
	if _, err := ParseSockType("streem"); !errors.Is(err, ClassInvalid) {
		t.Errorf("unknown socket type: %v", err)
	}
	if (NINumericHost|NINumericServ).String() != "numerichost|numericserv" || ShutWR.String() != "wr" {
		t.Error("flag names are wrong")
	}
	if (MsgPeek | 0x100000).String() != "peek|0x100000" {
		t.Errorf("unnamed bits: %s", MsgPeek|0x100000)
	}
}

// Flags print their unnamed bits in hex and read them back; numbers are
// what a C int holds, and flags are never negative, so that what is
// parsed is what reaches the system.
func TestConstantNumbers(t *testing.T) {
	if f, err := ParseMsgFlags((MsgPeek | 0x100000).String()); err != nil || f != MsgPeek|0x100000 {
		t.Errorf("MSG flags read back as %v, %v", int(f), err)
	}
	if f, err := ParseAIFlags("0x40,passive"); err != nil || f != 0x41 {
		t.Errorf("AI flags 0x40,passive = %v, %v", int(f), err)
	}
	if p, err := ParseProtocol("-1"); err != nil || p != -1 {
		t.Errorf("protocol -1 = %v, %v", p, err)
	}
	for _, bad := range []struct {
		parse func(string) (int, error)
		in    string
	}{
		{parseAs(ParseFamily), "2147483648"}, {parseAs(ParseProtocol), "-2147483649"},
		{parseAs(ParseSockType), "4294967297"}, {parseAs(ParseShutHow), "0x-1"}, {parseAs(ParseFamily), "0x"},
		{parseAs(ParseFamily), "+2"}, {parseAs(ParseFamily), "02"}, {parseAs(ParseMsgFlags), "0x80000000"},
		{parseAs(ParseAIFlags), "-1"}, {parseAs(ParseNIFlags), "dgram,-8"},
	} {
		if v, err := bad.parse(bad.in); ClassOf(err) != ClassInvalid {
			t.Errorf("%q = %d, %v; want bad input", bad.in, v, err)
		}
	}
}

// FuzzParseAddr: the parser never panics, and what it accepts prints in a
// form it reads back as the same address.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:22", "[::1]:80", "[fe80::1%lo]:22", "unix:@x", `unix:@a\x00b\\c`, "unix:/tmp/s", "[::ffff:1.2.3.4]:0", "1:2:3", "[", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddr(s)
		if err != nil {
			checkInputError(t, "ParseAddr", s, err)
			return
		}
		text := a.String()
		if a.Family() == FamilyUnix {
			text = "unix:" + text
		}
		b, err := ParseAddr(text)
		if err != nil || b != a {
			t.Fatalf("ParseAddr(%q) = %v; its text %q reads back as %v, %v", s, a, text, b, err)
		}
	})
}

// An unbound UNIX socket's address is the unnamed address, not the
// abstract name "@": the client's own address, the peer Accept reports,
// and the sender of a datagram from an unbound socket.
func TestUnboundUnixAddressIsUnnamed(t *testing.T) {
	wantUnnamed := func(what string, a Addr, err error) {
		t.Helper()
		if err != nil || !a.IsValid() || a.Family() != FamilyUnix || a.String() != "(unnamed)" || a.IsAbstract() || a.Path() != "" {
			t.Errorf("%s = %q (abstract %v, path %q), %v; want the unnamed address", what, a, a.IsAbstract(), a.Path(), err)
		}
	}
	at := mustParse(t, "unix:"+t.TempDir()+"/s.sock")
	ln, err := Listen(at)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := NewSocket(FamilyUnix, SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Connect(ctx0, at); err != nil {
		t.Fatal(err)
	}
	mine, err := c.LocalAddr()
	wantUnnamed("client's local address", mine, err)
	s, peer, err := ln.Accept(ctx0)
	wantUnnamed("accepted peer", peer, err)
	defer s.Close()
	back, err := s.PeerAddr()
	wantUnnamed("server's peer address", back, err)

	d1, d2, err := SocketPair(FamilyUnix, SockDgram, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	defer d2.Close()
	d1.Send(ctx0, []byte("x"), 0)
	_, from, err := d2.ReceiveFrom(ctx0, make([]byte, 8), 0)
	wantUnnamed("sender of a datagram", from, err)
}

// Abstract names are bytes: NULs inside, and all 107 bytes after the
// leading NUL, bind, connect and come back exactly; String escapes them
// and ParseAddr reads the escapes back.
func TestAbstractNamesAreExactBytes(t *testing.T) {
	long := "@" + strings.Repeat("L", maxUnixPath)
	for _, tc := range []struct{ name, text string }{
		{"@sb\x00nul\x00", `@sb\x00nul\x00`},
		{"@\x00", `@\x00`},
		{long, long},
		{"@back\\slash\x1b\x7f", `@back\\slash\x1b\x7f`},
		{"@caf\xc3\xa9\xff", `@caf` + "\xc3\xa9" + `\xff`},
	} {
		a, err := UnixAddr(tc.name)
		if err != nil {
			t.Errorf("UnixAddr(%q): %v", tc.name, err)
			continue
		}
		if a.Path() != tc.name || !a.IsAbstract() || a.String() != tc.text {
			t.Errorf("UnixAddr(%q): path %q, string %q; want the exact bytes and %q", tc.name, a.Path(), a.String(), tc.text)
		}
		if back, err := ParseAddr("unix:" + a.String()); err != nil || back != a {
			t.Errorf("ParseAddr(unix:%s) = %q, %v; want %q", a.String(), back.Path(), err, tc.name)
		}
		ln, err := Listen(a)
		if err != nil {
			t.Errorf("listen on %q: %v", tc.name, err)
			continue
		}
		got, err := ln.LocalAddr()
		if err != nil || got != a {
			t.Errorf("listener's address = %q, %v; want %q", got.Path(), err, tc.name)
		}
		c, err := NewSocket(FamilyUnix, SockStream, 0)
		if err == nil {
			err = c.Connect(ctx0, a)
		}
		if err != nil {
			t.Errorf("connect to %q: %v", tc.name, err)
		} else if peer, err := c.PeerAddr(); err != nil || peer != a {
			t.Errorf("peer address = %q, %v; want %q", peer.Path(), err, tc.name)
		}
		c.Close()
		ln.Close()
	}
	if _, err := UnixAddr(long + "x"); !errors.Is(err, ClassInvalid) {
		t.Errorf("a 108-byte abstract name: %v, want invalid", err)
	}
	if a, err := ParseAddr(`unix:@a\x0`); err == nil {
		t.Errorf(`ParseAddr("unix:@a\x0") = %q, want an error for the cut escape`, a.Path())
	}
}

// IPv6 addresses print as libc's inet_ntop prints them: an IPv4-compatible
// address (the first 96 bits zero) and an IPv4-mapped one end in a dotted
// quad, while "::1" and "::" stay as they are.
func TestIPv6TextAsLibc(t *testing.T) {
	for in, want := range map[string]string{
		"::1.2.3.4":      "::1.2.3.4",
		"::0.1.0.0":      "::0.1.0.0",
		"::ffff:1.2.3.4": "::ffff:1.2.3.4",
		"::ffff:0:0":     "::ffff:0.0.0.0",
		"::0.0.1.2":      "::102",
		"::1":            "::1",
		"::":             "::",
		"::1:102:304":    "::1:102:304",
		"2001:db8::1":    "2001:db8::1",
	} {
		a, err := InetAddr(in, 80)
		if err != nil {
			t.Fatal(err)
		}
		if a.Host() != want || a.String() != "["+want+"]:80" {
			t.Errorf("%s: host %q, string %q; want %q", in, a.Host(), a.String(), want)
		}
		if back, err := ParseAddr(a.String()); err != nil || back != a {
			t.Errorf("%s: %s reads back as %v, %v", in, a, back, err)
		}
	}
}

// getnameinfo with NI_NUMERICHOST writes the same text, through libc or
// through the pure-Go emulation.
func TestNameInfoNumericIPv4Compatible(t *testing.T) {
	for _, host := range []string{"::1.2.3.4", "::ffff:1.2.3.4", "::1"} {
		a, _ := InetAddr(host, 80)
		got, _, err := NameInfo(ctx0, a, NINumericHost|NINumericServ)
		if err != nil || got != host {
			t.Errorf("NameInfo(%s) = %q, %v; want %q", a, got, err, host)
		}
	}
}
