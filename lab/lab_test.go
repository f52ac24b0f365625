package lab

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var families = []netcore.Family{netcore.FamilyInet, netcore.FamilyInet6}

// wait bounds every wait of a test's client sockets.
const wait = 30 * time.Second

// start starts a lab that the test closes when it ends.
func start(t *testing.T) *Lab {
	t.Helper()
	l, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// service finds a service or fails the test.
func service(t *testing.T, l *Lab, name string, family netcore.Family) Service {
	t.Helper()
	s, ok := l.Find(name, family)
	if !ok {
		t.Fatalf("no %s on %s", name, family)
	}
	return s
}

// dial connects a client socket to s (a connected UDP socket for UDP).
func dial(t *testing.T, s Service) *netcore.Socket {
	t.Helper()
	c, err := dialErr(t.Context(), s, netcore.Timeouts{Connect: wait, Receive: wait, Send: wait})
	if err != nil {
		t.Fatalf("connect to %s at %s: %v", s.Name, s.Addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func dialErr(ctx context.Context, s Service, timeouts netcore.Timeouts) (*netcore.Socket, error) {
	typ := netcore.SockStream
	if s.Network == "udp" {
		typ = netcore.SockDgram
	}
	c, err := netcore.NewSocket(s.Addr.Family(), typ, netcore.ProtoDefault, netcore.WithTimeouts(timeouts))
	if err != nil {
		return nil, err
	}
	return c, c.Connect(ctx, s.Addr) // a failed Connect closes c
}

func send(t *testing.T, c *netcore.Socket, p []byte) {
	t.Helper()
	if _, err := c.SendAll(t.Context(), p, 0); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// readN reads exactly n bytes from a stream.
func readN(t *testing.T, c *netcore.Socket, n int) []byte {
	t.Helper()
	out := make([]byte, n)
	for got := 0; got < n; {
		m, err := c.Receive(t.Context(), out[got:], 0)
		if err != nil || m == 0 {
			t.Fatalf("after %d of %d bytes: %d, %v", got, n, m, err)
		}
		got += m
	}
	return out
}

// readToEOF reads a stream until the peer closes it.
func readToEOF(t *testing.T, c *netcore.Socket) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for range 1000 {
		m, err := c.Receive(t.Context(), buf, 0)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(out), err)
		}
		if m == 0 {
			return out
		}
		out = append(out, buf[:m]...)
	}
	t.Fatal("no end of stream")
	return nil
}

// datagram sends p on a connected UDP socket and returns the answer.
func datagram(t *testing.T, c *netcore.Socket, p []byte) []byte {
	t.Helper()
	send(t, c, p)
	buf := make([]byte, 65536)
	n, err := c.Receive(t.Context(), buf, 0)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return buf[:n]
}

// silent reports whether nothing arrives on c within d (a short wait: the
// services answer loopback traffic in microseconds).
func silent(t *testing.T, c *netcore.Socket, d time.Duration) bool {
	t.Helper()
	n, ok, err := c.ReceiveWithin(t.Context(), make([]byte, 64), d, 0)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return !ok && n == 0
}

func allBytes() []byte {
	p := make([]byte, 256)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

const firstLine = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n"
const secondLine = "\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi\r\n"

func TestServicesAnswer(t *testing.T) {
	l := start(t)
	for _, fam := range families {
		t.Run(fam.String(), func(t *testing.T) {
			t.Run("echo/tcp", func(t *testing.T) {
				c := dial(t, service(t, l, "echo/tcp", fam))
				send(t, c, allBytes())
				if got := readN(t, c, 256); !bytes.Equal(got, allBytes()) {
					t.Fatalf("echo gave %x", got)
				}
			})
			t.Run("echo/udp", func(t *testing.T) {
				c := dial(t, service(t, l, "echo/udp", fam))
				if got := datagram(t, c, allBytes()); !bytes.Equal(got, allBytes()) {
					t.Fatalf("echo gave %x", got)
				}
			})
			t.Run("discard/tcp", func(t *testing.T) {
				c := dial(t, service(t, l, "discard/tcp", fam))
				send(t, c, allBytes())
				if !silent(t, c, 200*time.Millisecond) {
					t.Fatal("discard answered")
				}
			})
			t.Run("discard/udp", func(t *testing.T) {
				c := dial(t, service(t, l, "discard/udp", fam))
				send(t, c, allBytes())
				if !silent(t, c, 200*time.Millisecond) {
					t.Fatal("discard answered")
				}
			})
			t.Run("chargen/tcp", func(t *testing.T) {
				c := dial(t, service(t, l, "chargen/tcp", fam))
				if got := string(readN(t, c, 2*len(firstLine))); got != firstLine+secondLine {
					t.Fatalf("chargen gave %q", got)
				}
			})
			t.Run("chargen/udp", func(t *testing.T) {
				c := dial(t, service(t, l, "chargen/udp", fam))
				first, second := datagram(t, c, nil), datagram(t, c, []byte("x"))
				if string(first) != firstLine || string(second) != secondLine {
					t.Fatalf("chargen gave %q then %q", first, second)
				}
			})
			t.Run("daytime/tcp", func(t *testing.T) {
				checkDaytime(t, readToEOF(t, dial(t, service(t, l, "daytime/tcp", fam))))
			})
			t.Run("daytime/udp", func(t *testing.T) {
				checkDaytime(t, datagram(t, dial(t, service(t, l, "daytime/udp", fam)), []byte("?")))
			})
		})
	}
}

func checkDaytime(t *testing.T, got []byte) {
	t.Helper()
	line, ok := strings.CutSuffix(string(got), "\r\n")
	if !ok || strings.ContainsAny(line, "\r\n") || len(line) < 20 {
		t.Fatalf("daytime gave %q, want one line ending in CR LF", got)
	}
	if _, err := time.Parse(daytimeLayout, line); err != nil {
		t.Fatalf("daytime line %q: %v", line, err)
	}
}

func TestChargenCycle(t *testing.T) {
	if len(chargenCycle) != 95*74 {
		t.Fatalf("cycle is %d bytes", len(chargenCycle))
	}
	if string(chargenCycle[94*74:]) != " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n" {
		t.Fatalf("line 94 = %q", chargenCycle[94*74:])
	}
	if string(chargenReply(95, nil)) != firstLine {
		t.Fatal("datagram 95 does not start the pattern again")
	}
}

func TestRefuser(t *testing.T) {
	l := start(t)
	for _, fam := range families {
		_, err := dialErr(t.Context(), service(t, l, "refuser", fam), netcore.Timeouts{Connect: wait})
		if !errors.Is(err, unix.ECONNREFUSED) || netcore.ClassOf(err) != netcore.ClassTransient {
			t.Errorf("%s: connect to the refuser: %v (class %s), want ECONNREFUSED, transient", fam, err, netcore.ClassOf(err))
		}
	}
}

func TestBlackhole(t *testing.T) {
	l := start(t)
	for _, fam := range families {
		_, err := dialErr(t.Context(), service(t, l, "blackhole", fam), netcore.Timeouts{Connect: 300 * time.Millisecond})
		if netcore.ClassOf(err) != netcore.ClassTimeout {
			t.Errorf("%s: connect to the black hole: %v (class %s), want class timeout", fam, err, netcore.ClassOf(err))
		}
	}
}

func TestServicesListing(t *testing.T) {
	l := start(t)
	var names []string
	seen := map[string]bool{}
	for _, s := range l.Services() {
		names = append(names, s.Name+" "+s.Addr.Family().String())
		key := s.Network + " " + s.Addr.String()
		if !s.Addr.IP().IsLoopback() || s.Addr.Port() == 0 || seen[key] {
			t.Errorf("%s at %s: not a distinct loopback address", s.Name, s.Addr)
		}
		seen[key] = true
		if s.Help == "" || strings.ContainsAny(s.Help, "\n\r") || !strings.HasPrefix(s.Name, string(s.Kind)) {
			t.Errorf("%+v", s)
		}
	}
	var want []string
	for _, kind := range []string{"echo", "discard", "chargen", "daytime"} {
		for _, network := range []string{"tcp", "udp"} {
			want = append(want, kind+"/"+network+" inet", kind+"/"+network+" inet6")
		}
	}
	want = append(want, "refuser inet", "refuser inet6", "blackhole inet", "blackhole inet6")
	for _, kind := range []string{"tls-echo", "tls-expired", "tls-wrongname", "tls-selfsigned", "tls-nochain", "smtp-starttls"} {
		want = append(want, kind+" inet", kind+" inet6")
	}
	if strings.Join(names, ", ") != strings.Join(want, ", ") {
		t.Fatalf("services:\n%v\nwant\n%v", names, want)
	}
	if _, ok := l.Find("echo/sctp", netcore.FamilyInet); ok {
		t.Error("found echo/sctp")
	}
}

// TestConnectionBound fills echo/tcp with MaxConns clients: one more waits
// unserved until one of them leaves.
func TestConnectionBound(t *testing.T) {
	l := start(t)
	echo := service(t, l, "echo/tcp", netcore.FamilyInet)
	clients := make([]*netcore.Socket, MaxConns)
	for i := range clients {
		clients[i] = dial(t, echo)
		send(t, clients[i], []byte{byte(i)})
		if got := readN(t, clients[i], 1); got[0] != byte(i) {
			t.Fatalf("client %d got %x", i, got)
		}
	}
	extra := dial(t, echo) // completes in the backlog
	send(t, extra, []byte("waiting"))
	if !silent(t, extra, 200*time.Millisecond) {
		t.Fatal("a connection past MaxConns was served")
	}
	_ = clients[0].Close()
	if got := string(readN(t, extra, 7)); got != "waiting" {
		t.Fatalf("extra client got %q", got)
	}
}

// TestCloseStopsEverything closes a lab while a chargen client never reads
// (the service is blocked in send) and an echo client is idle: Close must
// return promptly, and afterwards every address refuses.
func TestCloseStopsEverything(t *testing.T) {
	l, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stalled := dial(t, service(t, l, "chargen/tcp", netcore.FamilyInet6))
	readN(t, stalled, 1)
	dial(t, service(t, l, "echo/tcp", netcore.FamilyInet))

	done := make(chan error, 1)
	go func() { done <- l.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Close did not return")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, s := range l.Services() {
		if !refuses(t, s) {
			t.Errorf("%s at %s still answers after Close", s.Name, s.Addr)
		}
	}
}

// refuses reports whether s's address is closed: a TCP connect is refused;
// a datagram to it brings ECONNREFUSED back to a connected UDP socket.
func refuses(t *testing.T, s Service) bool {
	t.Helper()
	c, err := dialErr(t.Context(), s, netcore.Timeouts{Connect: wait, Receive: wait, Send: wait})
	if s.Network == "tcp" {
		if err == nil {
			_ = c.Close()
		}
		return errors.Is(err, unix.ECONNREFUSED)
	}
	if err != nil {
		t.Fatalf("udp connect: %v", err)
	}
	defer func() { _ = c.Close() }()
	if _, err := c.Send(t.Context(), []byte("x"), 0); err != nil {
		return errors.Is(err, unix.ECONNREFUSED)
	}
	_, err = c.Receive(t.Context(), make([]byte, 16), 0)
	return errors.Is(err, unix.ECONNREFUSED)
}

func TestTwoLabsAreIndependent(t *testing.T) {
	a, b := start(t), start(t)
	seen := map[string]bool{}
	for _, s := range append(a.Services(), b.Services()...) {
		key := s.Network + " " + s.Addr.String()
		if seen[key] {
			t.Fatalf("%s used twice", key)
		}
		seen[key] = true
	}
	c := dial(t, service(t, b, "echo/tcp", netcore.FamilyInet))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	send(t, c, []byte("still here"))
	if got := string(readN(t, c, 10)); got != "still here" {
		t.Fatalf("second lab after the first closed: %q", got)
	}
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	l, err := Start(ctx) // the black hole's filler connect sees the context
	if l != nil || netcore.ClassOf(err) != netcore.ClassCancelled {
		t.Fatalf("Start with a cancelled context: %v, %v", l, err)
	}
}
