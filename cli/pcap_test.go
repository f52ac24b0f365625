package cli

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockbench/internal/pcaptest"
)

// pcapPath is where a test's --pcap file goes.
func pcapPath(t *testing.T) string { return filepath.Join(t.TempDir(), "out.pcapng") }

// checkPcapFile checks that the --pcap file is private and that tshark
// follows its stream to the bytes each side sent.
func checkPcapFile(t *testing.T, path, fromClient, fromServer string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s has mode %o, want 600", path, mode)
	}
	client, server := pcaptest.FollowTCP(t, path)
	if string(client) != fromClient || string(server) != fromServer {
		t.Errorf("tshark follows %q and %q, want %q and %q", client, server, fromClient, fromServer)
	}
}

// TestConnectPcap connects with --pcap to an echo server, over IPv4 and
// IPv6: a JSON event says what is captured before the first attempt, the
// last says how many packets went to the file, and tshark follows the
// stream to the bytes exchanged.
func TestConnectPcap(t *testing.T) {
	pcaptest.Tshark(t)
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			p := startPeer(t, network, echoN(5))
			path := pcapPath(t)
			r := runCLI(t, "connect", "--json", "--send", "hello", "--pcap", path, p.Addr())
			if r.code != exitOK {
				t.Fatalf("status %d; stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			events := jsonLines(t, r.stdout)
			first, last := events[0], events[len(events)-1]
			source := first["source"]
			wantFields(t, first, map[string]any{"event": "pcap", "file": path})
			wantFields(t, last, map[string]any{"event": "pcap-written", "file": path, "source": source})
			if source == "capture" && !strings.Contains(first["filter"].(string), "port "+p.Addr()[strings.LastIndex(p.Addr(), ":")+1:]) {
				t.Errorf("filter %v", first["filter"])
			}
			packets, _ := last["packets"].(float64)
			if listed := strings.Count(pcaptest.Run(t, "-r", path), "\n"); packets < 7 || float64(listed) != packets {
				t.Errorf("%v packets written, tshark lists %d", last["packets"], listed)
			}
			checkPcapFile(t, path, "hello", "hello")
		})
	}
}

// TestConnectPcapRefused: the file of a refused connect holds the SYN and
// the RST ACK that answered it, when a capture ran.
func TestConnectPcapRefused(t *testing.T) {
	pcaptest.Tshark(t)
	path := pcapPath(t)
	r := runCLI(t, "connect", "--pcap", path, closedPort(t))
	if r.code != exitNetwork {
		t.Fatalf("status %d; stdout %q", r.code, r.stdout)
	}
	if strings.Contains(r.stdout, "pcap: no capture") {
		t.Skipf("no capture here: %s", r.stdout)
	}
	flags := pcaptest.Run(t, "-r", path, "-T", "fields", "-e", "tcp.flags.syn", "-e", "tcp.flags.reset", "-e", "tcp.flags.ack")
	if flags != "1\t0\t0\n0\t1\t1\n" {
		t.Errorf("tshark lists the flags\n%s\nwant a SYN, then a RST ACK; stdout:\n%s", flags, r.stdout)
	}
	if !strings.Contains(r.stdout, "pcap: wrote 2 packets captured on the wire to "+path) {
		t.Errorf("stdout %q", r.stdout)
	}
}

// unprivileged returns the command that runs sockbench without
// CAP_NET_RAW, or skips the test.
func unprivileged(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot drop CAP_NET_RAW")
	}
	return exec.Command(setpriv, append([]string{"--bounding-set=-net_raw", sockbenchBinary(t)}, args...)...)
}

// TestConnectPcapWithoutCapNetRaw runs sockbench without CAP_NET_RAW: it
// says in one line that it cannot capture and how to allow it, the
// exchange goes on as ever, and the file holds synthesised packets that
// tshark follows to the same bytes.
func TestConnectPcapWithoutCapNetRaw(t *testing.T) {
	pcaptest.Tshark(t)
	for _, network := range []string{"tcp4", "tcp6"} {
		t.Run(network, func(t *testing.T) {
			p := startPeer(t, network, echoN(5))
			path := pcapPath(t)
			c := start(t, unprivileged(t, "connect", "--send", "hello", "--pcap", path, p.Addr()))
			if code := c.wait(t); code != exitOK {
				t.Fatalf("status %d; stdout %s; stderr %s", code, c.stdout, c.stderr)
			}
			out := c.stdout.String()
			for _, want := range []string{
				"pcap: no capture: packet capture needs CAP_NET_RAW: run as root, or grant it with " +
					"sudo setcap cap_net_raw+ep $(which sockbench); " + path + " gets packets synthesised from the exchange\n",
				"00000000  68 65 6c 6c 6f", "closed: eof (received 5 bytes, sent 5 bytes)\n",
				"pcap: wrote 7 packets synthesised from the exchange to " + path + "\n",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			checkPcapFile(t, path, "hello", "hello")
			comments := pcaptest.Run(t, "-r", path, "-T", "fields", "-e", "frame.comment")
			if !strings.Contains(comments, "the exchange ended: eof") {
				t.Errorf("the end is not noted: %q", comments)
			}
		})
	}
}

// TestListenPcap serves one client with --pcap, captured and, without
// CAP_NET_RAW, synthesised: the client is the first node of the stream.
func TestListenPcap(t *testing.T) {
	pcaptest.Tshark(t)
	for _, privileged := range []bool{true, false} {
		t.Run(map[bool]string{true: "as is", false: "without CAP_NET_RAW"}[privileged], func(t *testing.T) {
			path := pcapPath(t)
			args := []string{"listen", "--once", "--send", "welcome", "--pcap", path, "127.0.0.1:0"}
			cmd := exec.Command(sockbenchBinary(t), args...)
			if !privileged {
				cmd = unprivileged(t, args...)
			}
			c := start(t, cmd)
			addr := strings.TrimPrefix(c.stdout.waitLine(t, "listening on "), "listening on ")
			if got := talk(t, "tcp", addr, "ping"); got != "welcome" {
				t.Errorf("the client received %q", got)
			}
			if code := c.wait(t); code != exitOK {
				t.Fatalf("status %d; stdout %s; stderr %s", code, c.stdout, c.stderr)
			}
			if !strings.Contains(c.stdout.String(), "pcap: wrote ") {
				t.Errorf("stdout %s", c.stdout)
			}
			checkPcapFile(t, path, "ping", "welcome")
		})
	}
}

// TestListenDatagramPcap answers a datagram with --pcap, captured and
// synthesised: tshark lists both datagrams with their bytes.
func TestListenDatagramPcap(t *testing.T) {
	pcaptest.Tshark(t)
	for _, privileged := range []bool{true, false} {
		t.Run(map[bool]string{true: "as is", false: "without CAP_NET_RAW"}[privileged], func(t *testing.T) {
			path := pcapPath(t)
			args := []string{"listen", "--type", "dgram", "--once", "--send", "pong", "--pcap", path, "127.0.0.1:0"}
			cmd := exec.Command(sockbenchBinary(t), args...)
			if !privileged {
				cmd = unprivileged(t, args...)
			}
			c := start(t, cmd)
			addr := strings.TrimPrefix(c.stdout.waitLine(t, "listening on "), "listening on ")
			conn, err := net.Dial("udp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(testDeadline))
			buf := make([]byte, 10)
			if _, err := conn.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if n, err := conn.Read(buf); err != nil || string(buf[:n]) != "pong" {
				t.Fatalf("answer %q, %v", buf[:n], err)
			}
			if code := c.wait(t); code != exitOK {
				t.Fatalf("status %d; stdout %s; stderr %s", code, c.stdout, c.stderr)
			}
			got := pcaptest.Run(t, "-r", path, "-Y", "udp", "-T", "fields", "-e", "udp.payload")
			if got != "70696e67\n706f6e67\n" {
				t.Errorf("tshark lists the datagrams\n%s\nwant ping and pong; stdout:\n%s", got, c.stdout)
			}
		})
	}
}

// TestPcapBadInput: what --pcap refuses ends with exit 2 and one line,
// before anything is sent, and leaves an existing file as it was.
func TestPcapBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	existing := filepath.Join(dir, "taken.pcapng")
	if err := os.WriteFile(existing, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startPeer(t, "tcp4", echoN(1))
	for what, args := range map[string][]string{
		"existing file":             {"connect", "--send", "x", "--pcap", existing, p.Addr()},
		"listen, existing file":     {"listen", "--pcap", existing, "127.0.0.1:0"},
		"stdout":                    {"connect", "--pcap", "-", p.Addr()},
		"unix target":               {"connect", "--pcap", "new.pcapng", "unix:" + filepath.Join(dir, "sock")},
		"listen on unix":            {"listen", "--pcap", "new.pcapng", "unix:@sockbench-pcap-test"},
		"seqpacket":                 {"connect", "--type", "seqpacket", "--pcap", "new.pcapng", p.Addr()},
		"capture-limit alone":       {"connect", "--capture-limit", "1M", p.Addr()},
		"capture-limit, bad":        {"connect", "--capture-limit", "-1", "--pcap", "new.pcapng", p.Addr()},
		"a directory":               {"connect", "--pcap", dir, p.Addr()},
		"recv-file fails after it":  {"connect", "--recv-file", filepath.Join(dir, "no", "such"), "--pcap", "new.pcapng", p.Addr()},
		"recv-file kept":            {"connect", "--recv-file", existing, "--pcap", existing, p.Addr()},
		"listen, capture-limit bad": {"listen", "--capture-limit", "0", "--pcap", "new.pcapng", "127.0.0.1:0"},
	} {
		checkBadInput(t, what, args)
	}
	if data, err := os.ReadFile(existing); err != nil || string(data) != "mine" {
		t.Errorf("the existing file holds %q, %v", data, err)
	}
	if _, err := os.Stat("new.pcapng"); err == nil {
		t.Error("a refused command created its --pcap file")
	}
	p.assertNoConnection(t)
	if !bytes.Contains([]byte(runCLI(t, "connect", "--pcap", existing, p.Addr()).stderr), []byte("exists")) {
		t.Error("the message does not say the file exists")
	}
}
