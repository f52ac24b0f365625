package netcore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Only loopback exists where these tests run: no test resolves a real
// internet name. The unknown names end in ".invalid".

// rtGetentFlags are the hints `getent ahosts` passes to getaddrinfo (glibc's
// nss/getent.c, ahosts_keys_int: AI_V4MAPPED | AI_ADDRCONFIG |
// AI_CANONNAME, plus AI_IDN, which does nothing for ASCII names).
const rtGetentFlags = AIV4Mapped | AIAddrConfig | AICanonName

type rtGetentRow struct {
	addr, sockType, canon string
}

// rtGetent runs getent(1) and returns its output lines split into fields;
// ok is false when getent finds nothing (exit status 2).
func rtGetent(t *testing.T, args ...string) (lines [][]string, ok bool) {
	t.Helper()
	path, err := exec.LookPath("getent")
	if err != nil {
		t.Skip("getent not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		return nil, false
	}
	if err != nil {
		t.Fatalf("getent %v: %v", args, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		lines = append(lines, strings.Fields(line))
	}
	return lines, true
}

func rtGetentAhosts(t *testing.T, db, key string) ([]rtGetentRow, bool) {
	t.Helper()
	lines, ok := rtGetent(t, db, key)
	if !ok {
		return nil, false
	}
	var rows []rtGetentRow
	for _, f := range lines {
		if len(f) < 2 {
			t.Fatalf("getent %s %s: odd line %q", db, key, f)
		}
		r := rtGetentRow{addr: f[0], sockType: f[1]}
		if len(f) > 2 {
			r.canon = f[2]
		}
		rows = append(rows, r)
	}
	return rows, true
}

// rtGetentService returns the port of a service for a protocol per getent.
func rtGetentService(t *testing.T, name, proto string) (string, bool) {
	t.Helper()
	lines, ok := rtGetent(t, "services", name+"/"+proto)
	if !ok || len(lines) == 0 || len(lines[0]) < 2 {
		return "", false
	}
	port, _, _ := strings.Cut(lines[0][1], "/")
	return port, true
}

func rtCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var rtSockTypes = map[string]SockType{"STREAM": SockStream, "DGRAM": SockDgram, "RAW": SockRaw}

// rtDefaultProtocol is the protocol glibc reports for each socket type.
var rtDefaultProtocol = map[SockType]Protocol{SockStream: ProtoTCP, SockDgram: ProtoUDP, SockRaw: ProtoDefault}

// rtRows formats rows compactly for failure messages.
func rtRows(rows []AddrInfo) string {
	var b strings.Builder
	for i, r := range rows {
		fmt.Fprintf(&b, "\n  %d: %s %s %s %s flags=%s canon=%q", i, r.Family, r.SockType, r.Protocol, r.Addr, r.Flags, r.CanonName)
	}
	return b.String()
}

func TestResolveMatchesGetent(t *testing.T) {
	cases := []struct {
		db     string
		key    string
		family Family
	}{
		{"ahosts", "localhost", FamilyUnspec},
		{"ahosts", "127.0.0.1", FamilyUnspec},
		{"ahosts", "::1", FamilyUnspec},
		{"ahostsv4", "localhost", FamilyInet},
		{"ahostsv4", "127.0.0.1", FamilyInet},
		{"ahostsv4", "::1", FamilyInet},
		{"ahostsv6", "localhost", FamilyInet6},
		{"ahostsv6", "::1", FamilyInet6},
		{"ahostsv6", "127.0.0.1", FamilyInet6},
	}
	for _, c := range cases {
		t.Run(c.db+"/"+c.key, func(t *testing.T) {
			want, found := rtGetentAhosts(t, c.db, c.key)
			hints := Hints{Family: c.family, Flags: rtGetentFlags}
			got, err := Resolve(rtCtx(t), c.key, "", hints)
			if !found {
				var re *ResolveError
				if !errors.As(err, &re) {
					t.Fatalf("getent finds nothing, Resolve: %v, %v", rtRows(got), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, getent has %d: %v\ngetent: %v", len(got), len(want), rtRows(got), want)
			}
			for i, w := range want {
				g := got[i]
				wantType, ok := rtSockTypes[w.sockType]
				if !ok {
					t.Fatalf("getent row %d: unknown socket type %q", i, w.sockType)
				}
				wantFamily := FamilyInet
				if strings.Contains(w.addr, ":") {
					wantFamily = FamilyInet6
				}
				if g.Addr.Host() != w.addr || g.SockType != wantType || g.Family != wantFamily ||
					g.Protocol != rtDefaultProtocol[wantType] || g.Addr.Port() != 0 || g.Flags != hints.Flags ||
					g.CanonName != w.canon {
					t.Errorf("row %d = %s %s %s %s flags=%s canon=%q; getent: %s %s canon=%q",
						i, g.Family, g.SockType, g.Protocol, g.Addr, g.Flags, g.CanonName, w.addr, w.sockType, w.canon)
				}
			}
		})
	}
}

// rtWantRows checks rows against "family socktype protocol addr" strings.
func rtWantRows(t *testing.T, got []AddrInfo, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	var gs []string
	for _, r := range got {
		gs = append(gs, r.String())
	}
	if strings.Join(gs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:%s\nwant:\n  %s", rtRows(got), strings.Join(want, "\n  "))
	}
}

func TestResolveLiterals(t *testing.T) {
	ctx := rtCtx(t)
	got, err := Resolve(ctx, "127.0.0.1", "", Hints{})
	rtWantRows(t, got, err, "inet stream tcp 127.0.0.1:0", "inet dgram udp 127.0.0.1:0", "inet raw ip 127.0.0.1:0")
	got, err = Resolve(ctx, "::1", "22", Hints{})
	rtWantRows(t, got, err, "inet6 stream tcp [::1]:22", "inet6 dgram udp [::1]:22", "inet6 raw ip [::1]:22")
	got, err = Resolve(ctx, "::1", "22", Hints{SockType: SockStream})
	rtWantRows(t, got, err, "inet6 stream tcp [::1]:22")
	for _, r := range got {
		if r.CanonName != "" || r.Flags != 0 {
			t.Errorf("row %s: canon %q flags %s without AICanonName", r, r.CanonName, r.Flags)
		}
	}
}

func TestResolveNullHost(t *testing.T) {
	ctx := rtCtx(t)
	// The order is glibc's RFC 3484 sort on Linux, measured with a C
	// program calling getaddrinfo(NULL, "8080", ...).
	got, err := Resolve(ctx, "", "8080", Hints{SockType: SockStream, Flags: AIPassive})
	rtWantRows(t, got, err, "inet stream tcp 0.0.0.0:8080", "inet6 stream tcp [::]:8080")
	for _, r := range got {
		if r.Flags != AIPassive {
			t.Errorf("row %s: flags %s, want passive", r, r.Flags)
		}
	}
	got, err = Resolve(ctx, "", "8080", Hints{SockType: SockStream})
	rtWantRows(t, got, err, "inet6 stream tcp [::1]:8080", "inet stream tcp 127.0.0.1:8080")
	got, err = Resolve(ctx, "", "8080", Hints{Family: FamilyInet6, SockType: SockStream, Flags: AIPassive})
	rtWantRows(t, got, err, "inet6 stream tcp [::]:8080")
	got, err = Resolve(ctx, "", "8080", Hints{Family: FamilyInet, Flags: AIPassive})
	rtWantRows(t, got, err, "inet stream tcp 0.0.0.0:8080", "inet dgram udp 0.0.0.0:8080", "inet raw ip 0.0.0.0:8080")
}

func TestResolveServices(t *testing.T) {
	ctx := rtCtx(t)
	httpTCP, ok := rtGetentService(t, "http", "tcp")
	if !ok || httpTCP != "80" {
		t.Skipf("this system's services database has no http/tcp 80 (%q)", httpTCP)
	}
	_, httpUDP := rtGetentService(t, "http", "udp")

	got, err := Resolve(ctx, "127.0.0.1", "http", Hints{SockType: SockStream})
	rtWantRows(t, got, err, "inet stream tcp 127.0.0.1:80")

	// A named service with no type: one row per protocol that has it.
	got, err = Resolve(ctx, "127.0.0.1", "http", Hints{})
	if httpUDP {
		rtWantRows(t, got, err, "inet stream tcp 127.0.0.1:80", "inet dgram udp 127.0.0.1:80")
	} else {
		rtWantRows(t, got, err, "inet stream tcp 127.0.0.1:80")
	}

	if p, ok := rtGetentService(t, "domain", "udp"); !ok || p != "53" {
		t.Skip("no domain/udp 53 in the services database")
	}
	got, err = Resolve(ctx, "::1", "domain", Hints{SockType: SockDgram})
	rtWantRows(t, got, err, "inet6 dgram udp [::1]:53")
	got, err = Resolve(ctx, "::1", "domain", Hints{Protocol: ProtoUDP})
	rtWantRows(t, got, err, "inet6 dgram udp [::1]:53")
	got, err = Resolve(ctx, "::1", "domain", Hints{})
	rtWantRows(t, got, err, "inet6 stream tcp [::1]:53", "inet6 dgram udp [::1]:53")

	// Numeric services give every default socket type.
	got, err = Resolve(ctx, "127.0.0.1", "8080", Hints{})
	rtWantRows(t, got, err, "inet stream tcp 127.0.0.1:8080", "inet dgram udp 127.0.0.1:8080", "inet raw ip 127.0.0.1:8080")
	got, err = Resolve(ctx, "127.0.0.1", "8080", Hints{Flags: AINumericServ, SockType: SockDgram})
	rtWantRows(t, got, err, "inet dgram udp 127.0.0.1:8080")

	_, err = Resolve(ctx, "127.0.0.1", "http", Hints{Flags: AINumericServ})
	rtWantResolveError(t, err, "EAI_NONAME")
	_, err = Resolve(ctx, "127.0.0.1", "no-such-service-sockbench", Hints{})
	rtWantResolveError(t, err, "EAI_SERVICE")
}

// rtWantResolveError checks that err is a *ResolveError with the code, from
// getaddrinfo, and that errors.Is(err, ErrNoName) agrees with the code.
func rtWantResolveError(t *testing.T, err error, code string) *ResolveError {
	t.Helper()
	var re *ResolveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T), want a *ResolveError %s", err, err, code)
	}
	if re.Code != code {
		t.Fatalf("code %s (%v), want %s", re.Code, err, code)
	}
	if re.Msg == "" || re.Op == "" {
		t.Errorf("empty Op or Msg: %#v", re)
	}
	if errors.Is(err, ErrNoName) != (code == "EAI_NONAME") {
		t.Errorf("errors.Is(%v, ErrNoName) = %v", err, errors.Is(err, ErrNoName))
	}
	return re
}

// rtSkipIfNoDNS skips when a name lookup failed for want of a DNS server
// (in a network namespace of its own, say): glibc then reports EAI_AGAIN,
// even for getnameinfo without NI_NAMEREQD, and so does the pure-Go
// emulation.
func rtSkipIfNoDNS(t *testing.T, err error) {
	t.Helper()
	var re *ResolveError
	if errors.As(err, &re) && re.Code == "EAI_AGAIN" {
		t.Skipf("no DNS server answers here: %v", err)
	}
}

func TestResolveErrors(t *testing.T) {
	ctx := rtCtx(t)
	_, err := Resolve(ctx, "localhost", "", Hints{Flags: AINumericHost})
	re := rtWantResolveError(t, err, "EAI_NONAME")
	if re.Op != "getaddrinfo" || re.Name != "localhost" {
		t.Errorf("Op %q Name %q, want getaddrinfo localhost", re.Op, re.Name)
	}

	t.Run("unknown-name", func(t *testing.T) {
		_, err := Resolve(ctx, "no-such-host.sockbench.invalid", "80", Hints{SockType: SockStream})
		rtSkipIfNoDNS(t, err)
		re := rtWantResolveError(t, err, "EAI_NONAME")
		if re.Name != "no-such-host.sockbench.invalid:80" {
			t.Errorf("Name %q", re.Name)
		}
		if !strings.Contains(err.Error(), "no-such-host.sockbench.invalid") {
			t.Errorf("message %q does not name the host", err)
		}
	})

	_, err = Resolve(ctx, "", "", Hints{})
	rtWantResolveError(t, err, "EAI_NONAME")

	_, err = Resolve(ctx, "local\x00host", "", Hints{})
	if ClassOf(err) != ClassInvalid {
		t.Errorf("NUL in host: %v, want class invalid", err)
	}
}

// TestResolveGlibc holds getaddrinfo results measured on glibc 2.36 with a
// C program; the pure-Go resolver must give the same.
func TestResolveGlibc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc's results")
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no interface lo")
	}
	loIndex := fmt.Sprint(lo.Index)
	const nh = AINumericHost
	cases := []struct {
		host, service string
		hints         Hints
		want          string // rows joined by "; ", or an EAI code
	}{
		{"", "80", Hints{Family: FamilyUnix}, "EAI_FAMILY"},
		{"", "80", Hints{SockType: 4}, "EAI_SOCKTYPE"},
		{"", "80", Hints{SockType: SockStream, Protocol: ProtoUDP}, "EAI_SOCKTYPE"},
		{"", "80", Hints{Flags: AICanonName}, "EAI_BADFLAGS"},
		{"127.0.0.1", "", Hints{Flags: 0x800}, "EAI_BADFLAGS"},
		{"127.0.0.1", "", Hints{Family: FamilyInet6}, "EAI_ADDRFAMILY"},
		{"::1", "", Hints{Family: FamilyInet}, "EAI_ADDRFAMILY"},
		{"127.0.0.1", "", Hints{Family: FamilyInet6, SockType: SockStream, Flags: AIV4Mapped}, "inet6 stream tcp [::ffff:127.0.0.1]:0"},
		{"::ffff:127.0.0.1", "", Hints{Family: FamilyInet, SockType: SockStream}, "inet stream tcp 127.0.0.1:0"},
		{"127.1", "", Hints{SockType: SockStream, Flags: nh}, "inet stream tcp 127.0.0.1:0"},
		{"0x7f.0.0.1", "", Hints{SockType: SockStream, Flags: nh}, "inet stream tcp 127.0.0.1:0"},
		{"017.0.0.1", "", Hints{SockType: SockStream, Flags: nh}, "inet stream tcp 15.0.0.1:0"},
		{"1.16777215", "", Hints{SockType: SockStream, Flags: nh}, "inet stream tcp 1.255.255.255:0"},
		{"4294967295", "", Hints{SockType: SockStream, Flags: nh}, "inet stream tcp 255.255.255.255:0"},
		{"08.0.0.1", "", Hints{SockType: SockStream, Flags: nh}, "EAI_NONAME"},
		{"0x", "", Hints{SockType: SockStream, Flags: nh}, "EAI_NONAME"},
		{"1.2.3.256", "", Hints{SockType: SockStream, Flags: nh}, "EAI_NONAME"},
		{"127.0.0.1 ", "", Hints{SockType: SockStream, Flags: nh}, "EAI_NONAME"},
		{"fe80::1%lo", "", Hints{SockType: SockStream, Flags: nh}, "inet6 stream tcp [fe80::1%lo]:0"},
		{"fe80::1%" + loIndex, "", Hints{SockType: SockStream, Flags: nh}, "inet6 stream tcp [fe80::1%lo]:0"},
		{"fe80::1%no-such-if", "", Hints{SockType: SockStream, Flags: nh}, "EAI_NONAME"},
		{"fd00::2%lo", "", Hints{SockType: SockStream, Flags: nh}, "EAI_NONAME"},
		{"::1", "+80", Hints{SockType: SockStream}, "inet6 stream tcp [::1]:80"},
		{"::1", " 80", Hints{SockType: SockStream, Flags: AINumericServ}, "inet6 stream tcp [::1]:80"},
		{"::1", "4294967376", Hints{SockType: SockStream}, "inet6 stream tcp [::1]:80"},
		{"::1", "70000", Hints{SockType: SockStream}, "inet6 stream tcp [::1]:4464"},
		{"::1", "-1", Hints{SockType: SockStream}, "EAI_SERVICE"},
		{"::1", "-80", Hints{SockType: SockStream}, "EAI_SERVICE"},
		{"::1", "4294967294", Hints{SockType: SockStream}, "EAI_SERVICE"},
		{"::1", "0x50", Hints{SockType: SockStream}, "EAI_SERVICE"},
		{"::1", "80x", Hints{SockType: SockStream, Flags: AINumericServ}, "EAI_NONAME"},
		{"::1", "HTTP", Hints{SockType: SockStream}, "EAI_SERVICE"},
		{"::1", "80", Hints{SockType: SockRaw}, "EAI_SERVICE"},
		{"::1", "", Hints{SockType: SockRaw, Protocol: 99}, "inet6 raw 99 [::1]:0"},
		{"::1", "80", Hints{SockType: SockSeqpacket}, "inet6 seqpacket 132 [::1]:80"},
		{"::1", "80", Hints{Protocol: ProtoUDP}, "inet6 dgram udp [::1]:80"},
		{"::1", "80", Hints{Protocol: 132}, "inet6 stream 132 [::1]:80"},
		{"::1", "", Hints{Flags: AICanonName | AINumericHost, SockType: SockStream}, "inet6 stream tcp [::1]:0"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s|%s|%d/%d/%d/%#x", c.host, c.service, c.hints.Family, c.hints.SockType, c.hints.Protocol, int(c.hints.Flags)), func(t *testing.T) {
			got, err := Resolve(rtCtx(t), c.host, c.service, c.hints)
			if strings.HasPrefix(c.want, "EAI_") {
				rtWantResolveError(t, err, c.want)
				return
			}
			rtWantRows(t, got, err, strings.Split(c.want, "; ")...)
			if c.hints.Flags&AICanonName != 0 && got[0].CanonName != c.host {
				t.Errorf("canon %q, want %q", got[0].CanonName, c.host)
			}
		})
	}

	// glibc's gai_strerror texts.
	_, err = Resolve(rtCtx(t), "localhost", "", Hints{Flags: AINumericHost})
	if re := rtWantResolveError(t, err, "EAI_NONAME"); re.Msg != "Name or service not known" {
		t.Errorf("message %q", re.Msg)
	}
	_, err = Resolve(rtCtx(t), "::1", "no-such-service-sockbench", Hints{})
	if re := rtWantResolveError(t, err, "EAI_SERVICE"); re.Msg != "Servname not supported for ai_socktype" {
		t.Errorf("message %q", re.Msg)
	}

	// A named service with every protocol that has it, SCTP included.
	if _, ok := rtGetentService(t, "amqp", "sctp"); ok {
		if p, ok := rtGetentService(t, "amqp", "tcp"); ok && p == "5672" {
			got, err := Resolve(rtCtx(t), "::1", "amqp", Hints{})
			rtWantRows(t, got, err, "inet6 stream tcp [::1]:5672", "inet6 stream 132 [::1]:5672", "inet6 seqpacket 132 [::1]:5672")
		}
	}
}

func TestResolveCanonName(t *testing.T) {
	ctx := rtCtx(t)
	want, found := rtGetentAhosts(t, "ahosts", "localhost")
	if !found {
		t.Skip("localhost does not resolve here")
	}
	got, err := Resolve(ctx, "localhost", "", Hints{Flags: AICanonName})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 {
		t.Fatalf("want several rows: %s", rtRows(got))
	}
	if got[0].CanonName != want[0].canon || got[0].CanonName == "" {
		t.Errorf("first row canon %q, getent %q", got[0].CanonName, want[0].canon)
	}
	for _, r := range got[1:] {
		if r.CanonName != "" {
			t.Errorf("later row %s has canon %q", r, r.CanonName)
		}
	}
	got, err = Resolve(ctx, "localhost", "", Hints{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.CanonName != "" {
			t.Errorf("row %s has canon %q without AICanonName", r, r.CanonName)
		}
	}
	got, err = Resolve(ctx, "127.0.0.1", "", Hints{Flags: AICanonName, SockType: SockStream})
	rtWantRows(t, got, err, "inet stream tcp 127.0.0.1:0")
	if got[0].CanonName != "127.0.0.1" {
		t.Errorf("canon of a numeric host %q, want the host itself", got[0].CanonName)
	}
}

func TestResolveContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Resolve(ctx, "localhost", "", Hints{})
	if ClassOf(err) != ClassCancelled || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v (class %s)", err, ClassOf(err))
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "getaddrinfo" {
		t.Errorf("want *Error with Op getaddrinfo, got %#v", err)
	}

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = Resolve(ctx, "localhost", "", Hints{})
	if ClassOf(err) != ClassTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline passed: %v (class %s)", err, ClassOf(err))
	}
	_, _, err = NameInfo(ctx, rtInet(t, "127.0.0.1", 80), 0)
	if ClassOf(err) != ClassTimeout {
		t.Errorf("NameInfo, deadline passed: %v (class %s)", err, ClassOf(err))
	}
}

// TestResolveCancelInFlight holds a lookup before it starts, cancels the
// context, and checks that Resolve returns while the lookup is still
// held (so it did not wait for it); the lookup then runs and ends on its
// own. The order of events is the proof, not a clock.
func TestResolveCancelInFlight(t *testing.T) {
	const held = "held.sockbench.invalid"
	entered := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan struct{})
	hook := func(name string) {
		if name != held {
			return
		}
		close(entered)
		<-release
	}
	testLookupHook.Store(&hook)
	defer testLookupHook.Store(nil)

	ctx, cancel := context.WithCancel(context.Background())
	var err error
	go func() {
		defer close(finished)
		_, err = Resolve(ctx, held, "", Hints{Flags: AINumericHost})
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("lookup never started")
	}
	cancel()
	select {
	case <-finished:
	case <-time.After(30 * time.Second): // a cap for a hang, not a speed test
		close(release)
		t.Fatal("Resolve did not return after cancel while the lookup was held")
	}
	close(release)
	if ClassOf(err) != ClassCancelled || !errors.Is(err, context.Canceled) {
		t.Errorf("err %v (class %s), want cancelled", err, ClassOf(err))
	}
}

func rtInet(t *testing.T, host string, port int) Addr {
	t.Helper()
	a, err := InetAddr(host, port)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNameInfo(t *testing.T) {
	ctx := rtCtx(t)
	lo := rtInet(t, "127.0.0.1", 80)

	check := func(a Addr, flags NIFlags, wantHost, wantServ string) {
		t.Helper()
		h, s, err := NameInfo(ctx, a, flags)
		if err != nil || h != wantHost || s != wantServ {
			t.Errorf("NameInfo(%s, %s) = %q, %q, %v; want %q, %q", a, flags, h, s, err, wantHost, wantServ)
		}
	}
	check(lo, NINumericHost|NINumericServ, "127.0.0.1", "80")
	check(rtInet(t, "::1", 8080), NINumericHost|NINumericServ, "::1", "8080")
	check(lo.WithPort(0), NINumericHost, "127.0.0.1", "0")

	if p, ok := rtGetentService(t, "http", "tcp"); ok && p == "80" {
		check(lo, NINumericHost, "127.0.0.1", "http")
	}
	if p, ok := rtGetentService(t, "domain", "udp"); ok && p == "53" {
		check(lo.WithPort(53), NINumericHost|NIDgram, "127.0.0.1", "domain")
	}

	// The name of 127.0.0.1 is what gethostbyaddr gives: getent hosts.
	if lines, ok := rtGetent(t, "hosts", "127.0.0.1"); ok && len(lines[0]) >= 2 {
		check(lo, NINumericServ, lines[0][1], "80")
		check(lo, NINumericServ|NINameReqd, lines[0][1], "80")
	}

	// NINameReqd on an address without a name.
	var nameless string
	for _, c := range []string{"127.0.0.9", "127.0.0.99", "127.1.2.3", "127.254.253.252"} {
		if _, ok := rtGetent(t, "hosts", c); !ok {
			nameless = c
			break
		}
	}
	if nameless == "" {
		t.Fatal("every candidate address has a name here")
	}
	na := rtInet(t, nameless, 80)
	_, _, err := NameInfo(ctx, na, NINameReqd|NINumericHost)
	rtWantResolveError(t, err, "EAI_NONAME")
	t.Run("namereqd", func(t *testing.T) {
		_, _, err := NameInfo(ctx, na, NINameReqd)
		rtSkipIfNoDNS(t, err)
		re := rtWantResolveError(t, err, "EAI_NONAME")
		if re.Op != "getnameinfo" || re.Name != na.String() {
			t.Errorf("Op %q Name %q", re.Op, re.Name)
		}
		check(na, NINumericServ, nameless, "80") // no name: the number
	})

	// Bad input.
	ua, err := UnixAddr("/tmp/x.sock")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := NameInfo(ctx, ua, 0); ClassOf(err) != ClassInvalid {
		t.Errorf("UNIX address: %v (class %s), want invalid", err, ClassOf(err))
	}
	if _, _, err := NameInfo(ctx, Addr{}, 0); ClassOf(err) != ClassInvalid {
		t.Errorf("zero Addr: %v (class %s), want invalid", err, ClassOf(err))
	}

	if runtime.GOOS == "linux" {
		_, _, err = NameInfo(ctx, lo, 0x1000)
		rtWantResolveError(t, err, "EAI_BADFLAGS")
		if ifi, err := net.InterfaceByName("lo"); err == nil {
			check(rtInet(t, "fe80::1%lo", 22), NINumericHost|NINumericServ, "fe80::1%lo", "22")
			check(rtInet(t, "fd00::2%lo", 22), NINumericHost|NINumericServ, fmt.Sprintf("fd00::2%%%d", ifi.Index), "22")
		}
	}
}

func TestNameInfoResolveRoundTrip(t *testing.T) {
	ctx := rtCtx(t)
	rows, err := Resolve(ctx, "::1", "443", Hints{SockType: SockStream})
	if err != nil {
		t.Fatal(err)
	}
	h, s, err := NameInfo(ctx, rows[0].Addr, NINumericHost|NINumericServ)
	if err != nil || h != "::1" || s != "443" {
		t.Errorf("NameInfo(%s) = %q, %q, %v", rows[0].Addr, h, s, err)
	}
	if rows[0].Addr != AddrFromAddrPort(netip.MustParseAddrPort("[::1]:443")) {
		t.Errorf("addr %#v", rows[0].Addr)
	}
}

func TestResolverImpl(t *testing.T) {
	switch ResolverImpl {
	case "libc getaddrinfo (cgo)", "Go net resolver (pure Go, CGO_ENABLED=0)":
	default:
		t.Errorf("ResolverImpl %q", ResolverImpl)
	}
	t.Logf("resolver: %s", ResolverImpl)
}
