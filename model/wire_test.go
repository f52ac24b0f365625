package model

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockbench/netcore"
	"sockbench/ui"
	"sockbench/wire"
)

// canCapture reports whether this process may capture packets.
func canCapture(t *testing.T) bool {
	t.Helper()
	err := wire.Permitted()
	if err != nil && !errors.Is(err, wire.ErrNoCapNetRaw) {
		t.Fatal(err)
	}
	return err == nil
}

// listenTCP is a listener outside the workbench, so that the connect
// run's capture is the only one.
func listenTCP(t *testing.T) netcore.Addr {
	t.Helper()
	ln, err := netcore.Listen(mustAddr(t, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	addr, _ := ln.LocalAddr()
	return addr
}

// TestWireViewShowsTheHandshake: with --capture-packets, the attempt shows
// its three segments, and the wire view (v twice) shows them with their
// meaning among the socket's system calls.
func TestWireViewShowsTheHandshake(t *testing.T) {
	if !canCapture(t) {
		t.Skip("no CAP_NET_RAW: TestWireViewWithoutPermission covers this case")
	}
	d := newDriver(t, Config{Target: listenTCP(t).String(), Timeout: 5 * time.Second, CapturePackets: true}, 150, 50)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	d.pumpUntil("the handshake in the attempts", func() bool { return d.screenHas("▶ SYN  ◀ SYN ACK  ▶ ACK") })
	d.m.setFocus(ui.PanelHex, true)
	d.key("v", "v")
	if d.m.hex.mode != viewWire {
		t.Fatalf("mode %v after v v", d.m.hex.mode)
	}
	d.pumpUntil("the segments in the wire view", func() bool {
		return d.screenHas("▶ SYN seq 0") && d.screenHas("◀ SYN ACK seq 0 ack 1") && d.screenHas("handshake 1/3")
	})
	plain := d.plain()
	syn, connect := strings.Index(plain, "▶ SYN seq 0"), strings.Index(plain, "connect(")
	if connect < 0 || syn < connect {
		t.Errorf("want the connect call before its SYN:\n%s", plain)
	}

	path := exportPackets(d, t.TempDir())
	if !strings.Contains(d.m.c.status, "packets captured on the wire") {
		t.Errorf("status %q", d.m.c.status)
	}
	if flags := tsharkFlags(t, path); len(flags) < 3 || flags[0] != "0x0002" || flags[1] != "0x0012" || flags[2] != "0x0010" {
		t.Errorf("tshark reads the flags %v; want SYN, SYN ACK, ACK first", flags)
	}
}

// exportPackets exports the selected socket's packets (e p) to a file in
// dir and waits for the export to end.
func exportPackets(d *driver, dir string) string {
	d.t.Helper()
	path := filepath.Join(dir, "packets.pcapng")
	d.key("e", "p", "ctrl+u")
	d.typeText(path)
	d.key("enter")
	d.pumpUntil("the export", func() bool { return strings.Contains(d.m.c.status, path) })
	return path
}

// tsharkFlags reads a pcapng file with tshark, a reader nobody here
// wrote, and returns each packet's TCP flags (0x0002 is SYN).
func tsharkFlags(t *testing.T, path string) []string {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark is not installed: the pcapng file is not read back")
		return []string{"0x0002", "0x0012", "0x0010"}
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "tcp.flags").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	return strings.Fields(string(out))
}

// TestWireViewSaysWhyNoPackets: a TCP socket with no capture says how to
// start one, and W starts it; a UNIX socket says it sends no packets.
func TestWireViewSaysWhyNoPackets(t *testing.T) {
	d := newDriver(t, Config{Target: listenTCP(t).String(), Timeout: 5 * time.Second}, 150, 50)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	d.m.setFocus(ui.PanelHex, true)
	d.key("v", "v")
	if !d.screenHas("no packet capture for this socket: W captures from now on") || !d.screenHas("connect(") {
		t.Errorf("wire view without a capture:\n%s", d.plain())
	}
	k := d.m.socks.all[0]
	if err := d.m.c.engine.Send(k, []byte("hi"), netcore.Addr{}); err != nil {
		t.Fatal(err)
	}
	d.pumpUntil("the bytes sent", func() bool { return k.Store().Stats().TxBytes == 2 })
	path := exportPackets(d, t.TempDir())
	if !strings.Contains(d.m.c.status, "made up from the bytes") {
		t.Errorf("status %q", d.m.c.status)
	}
	if flags := tsharkFlags(t, path); len(flags) < 3 || flags[0] != "0x0002" {
		t.Errorf("tshark reads the flags %v of the made-up file; want a SYN first", flags)
	}
	// W starts the capture in a command, off the UI's goroutine (the
	// first one waits for the kernel's timestamps): nothing has started
	// when the key is handled.
	if cmd, ok := d.m.panels[ui.PanelHex].HandleKey(keyMsg("W")); !ok || cmd == nil || k.Packets() != nil {
		t.Fatalf("W handled %v, command %v, capture started %v", ok, cmd != nil, k.Packets() != nil)
	}
	d.key("W")
	if canCapture(t) {
		d.waitScreen("capturing: no packets yet")
	} else {
		d.waitScreen("no packets: packet capture needs CAP_NET_RAW")
	}
	d.m.setFocus(ui.PanelSockets, true)
	d.key("p")
	d.pumpUntil("the pair", func() bool { return len(d.m.socks.all) == 3 })
	d.m.socks.selectSock(d.m.socks.all[1])
	d.waitScreen("a UNIX socket sends no packets: its system calls only")
	if !d.screenHas("socketpair(") {
		t.Errorf("the pair's wire view has no socketpair call:\n%s", d.plain())
	}
	d.m.setFocus(ui.PanelHex, true)
	d.key("e", "p", "enter")
	if !strings.Contains(d.m.c.status, "UNIX socket: it sends no packets") {
		t.Errorf("pcapng of a pair end: status %q", d.m.c.status)
	}
}

// TestWireViewWithoutPermission runs the workbench in a child without
// CAP_NET_RAW: the attempts and the wire view say why there are no
// packets, in words that say how to get them.
func TestWireViewWithoutPermission(t *testing.T) {
	if os.Getenv("SOCKBENCH_NO_NET_RAW") != "" {
		d := newDriver(t, Config{Target: listenTCP(t).String(), Timeout: 5 * time.Second, CapturePackets: true}, 150, 50)
		d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
		d.waitScreen("no packets: packet capture needs CAP_NET_RAW")
		d.m.setFocus(ui.PanelHex, true)
		d.key("v", "v")
		d.waitScreen("no packets: packet capture needs CAP_NET_RAW: run as root")
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot drop CAP_NET_RAW")
	}
	cmd := exec.Command(setpriv, "--bounding-set=-net_raw", "--inh-caps=-net_raw", os.Args[0], "-test.run=^TestWireViewWithoutPermission$", "-test.v")
	cmd.Env = append(os.Environ(), "SOCKBENCH_NO_NET_RAW=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestWireViewWithoutPermission") {
		t.Fatalf("the child without CAP_NET_RAW: %v\n%s", err, out)
	}
}

// TestSegmentTrail: a trail names each segment with its direction, and
// counts a segment sent again with the gaps before each repeat.
func TestSegmentTrail(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	seg := func(dir wire.Dir, flags wire.Flags, after time.Duration, n int) wire.Segment {
		return wire.Segment{Time: at.Add(after), Dir: dir, Proto: wire.TCP, Flags: flags, Len: n}
	}
	cases := []struct {
		segs []wire.Segment
		want string
	}{
		{[]wire.Segment{seg(wire.Out, wire.SYN, 0, 0), seg(wire.In, wire.RST|wire.ACK, time.Millisecond, 0)}, "▶ SYN  ◀ RST ACK"},
		{[]wire.Segment{seg(wire.Out, wire.SYN, 0, 0), seg(wire.Out, wire.SYN, time.Second, 0), seg(wire.Out, wire.SYN, 3*time.Second, 0)},
			"▶ SYN ×3 (+1.00s +2.00s)"},
		{[]wire.Segment{seg(wire.Out, wire.PSH|wire.ACK, 0, 5), seg(wire.In, wire.ACK, 0, 0)}, "▶ PSH ACK 5B  ◀ ACK"},
		{nil, ""},
	}
	for _, c := range cases {
		if got := segmentTrail(c.segs); got != c.want {
			t.Errorf("segmentTrail = %q, want %q", got, c.want)
		}
	}
}

// TestAttemptSegmentsEndAtTheHandshake: an attempt's trail is its own
// flow up to the ACK that completes the handshake, whatever the packets'
// times say (the first ones of a capture may be stamped late), and
// without the connection's data that follows.
func TestAttemptSegmentsEndAtTheHandshake(t *testing.T) {
	local, remote := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:7")
	other := netip.MustParseAddrPort("127.0.0.1:40001")
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	late := start.Add(time.Second) // long after the attempt's 300µs
	seg := func(src, dst netip.AddrPort, dir wire.Dir, flags wire.Flags, ev wire.Event, n int) wire.Segment {
		return wire.Segment{Time: late, Src: src, Dst: dst, Dir: dir, Proto: wire.TCP, Flags: flags, Event: ev, Len: n}
	}
	segs := []wire.Segment{
		seg(other, remote, wire.Out, wire.SYN, wire.EventSYN, 0), // another attempt's
		seg(local, remote, wire.Out, wire.SYN, wire.EventSYN, 0),
		seg(remote, local, wire.In, wire.SYN|wire.ACK, wire.EventSYNACK, 0),
		seg(local, remote, wire.Out, wire.ACK, wire.EventEstablished, 0),
		seg(local, remote, wire.Out, wire.PSH|wire.ACK, wire.EventNone, 5),
	}
	r := attemptRow{ai: netcore.AddrInfo{Addr: netcore.AddrFromAddrPort(remote)}, started: true, finished: true,
		result: netcore.ResultConnected, start: start, elapsed: 300 * time.Microsecond, local: netcore.AddrFromAddrPort(local)}
	if got, want := segmentTrail(attemptSegments(segs, r)), "▶ SYN  ◀ SYN ACK  ▶ ACK"; got != want {
		t.Errorf("trail %q, want %q", got, want)
	}
}

// TestWireViewHomeAndEnd: Home shows the wire view from its first line
// (the connect), End follows the tail again.
func TestWireViewHomeAndEnd(t *testing.T) {
	d := newDriver(t, Config{Target: listenTCP(t).String(), Timeout: 5 * time.Second}, 120, 40)
	d.pumpUntil("the connection", func() bool { return len(d.m.socks.all) == 1 })
	k := d.m.socks.all[0]
	for i := range 40 { // more system calls than the view has rows
		if err := d.m.c.engine.Send(k, []byte{byte(i)}, netcore.Addr{}); err != nil {
			t.Fatal(err)
		}
		d.pumpUntil("the byte sent", func() bool { return k.Store().Stats().TxBytes == int64(i+1) })
	}
	d.m.setFocus(ui.PanelHex, true)
	d.key("v", "v")
	if v := d.m.hex.wireView(k); v.Top == 0 || !v.Following {
		t.Fatalf("before Home: top %d of %d, following %v", v.Top, v.Total, v.Following)
	}
	d.key("home")
	if v := d.m.hex.wireView(k); v.Top != 0 || v.Following || !strings.Contains(v.Lines[0].Text, "socket(") {
		t.Errorf("after Home: top %d, following %v, first line %+v", v.Top, v.Following, v.Lines[0])
	}
	d.key("end")
	if v := d.m.hex.wireView(k); v.Top == 0 || !v.Following {
		t.Errorf("after End: top %d of %d, following %v", v.Top, v.Total, v.Following)
	}
}
