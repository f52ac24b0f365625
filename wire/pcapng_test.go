package wire

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"sockbench/capture"
	"sockbench/internal/pcaptest"
)

// tempFile returns a path in the test's temporary directory.
func tempFile(t *testing.T, name string) string {
	t.Helper()
	return t.TempDir() + string(os.PathSeparator) + name
}

// writeFile writes a pcapng file with write and returns its path and the
// number of packets written.
func writeFile(t *testing.T, write func(*os.File) (int, error)) (string, int) {
	t.Helper()
	path := tempFile(t, "out.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("writing the pcapng file: %v", err)
	}
	return path, n
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// TestSynthesizedTCPFollows writes a store's exchange as synthesised
// packets, for a connect and for an accepted socket, over IPv4 and IPv6:
// tshark follows the stream and gives back exactly the bytes of each
// direction, and the file says it is synthesised.
func TestSynthesizedTCPFollows(t *testing.T) {
	pcaptest.Tshark(t)
	sent := [][]byte{[]byte("GET / HTTP/1.0\r\n\r\n"), {0}, randomBytes(70000)}
	received := [][]byte{randomBytes(100000), []byte("bye")}
	store := capture.NewStore(0)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 3 {
		at = at.Add(time.Millisecond)
		store.Append(capture.Sent, at, "", sent[i])
		if i < len(received) {
			store.Append(capture.Received, at.Add(time.Microsecond), "", received[i])
		}
	}
	store.AppendNote(at, "the peer closed (end of stream)")
	for _, c := range []struct {
		local, remote string
		accepted      bool
	}{{"127.0.0.1:40000", "127.0.0.1:7", false}, {"[::1]:40000", "[::1]:7", false}, {"0.0.0.0:7", "127.0.0.1:40000", true}} {
		t.Run(fmt.Sprintf("%s accepted=%v", c.remote, c.accepted), func(t *testing.T) {
			t.Parallel()
			conv := Conversation{Proto: TCP, Local: netip.MustParseAddrPort(c.local),
				Remote: netip.MustParseAddrPort(c.remote), Accepted: c.accepted, Reason: "not permitted"}
			path, n := writeFile(t, func(f *os.File) (int, error) { return WriteSynthesized(f, store, conv) })
			node0, node1 := pcaptest.FollowTCP(t, path)
			if c.accepted { // the peer sent the SYN: it is node 0
				node0, node1 = node1, node0
			}
			checkBytes(t, "sent", node0, bytes.Join(sent, nil))
			checkBytes(t, "received", node1, bytes.Join(received, nil))
			listed := pcaptest.Run(t, "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.comment")
			if got := strings.Count(listed, "\n"); got != n {
				t.Errorf("tshark lists %d packets, %d written:\n%s", got, n, listed)
			}
			if !strings.Contains(listed, "the peer closed") || !strings.Contains(listed, "made up") {
				t.Errorf("the notes are not in the comments:\n%s", listed)
			}
		})
	}
}

func checkBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: tshark gives %d bytes, want %d (first difference at %d)", what, len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSynthesizedUDP writes datagrams (one empty, one from another peer)
// as synthesised packets: tshark lists each, with its endpoints and its
// bytes.
func TestSynthesizedUDP(t *testing.T) {
	pcaptest.Tshark(t)
	store := capture.NewStore(0)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	store.Append(capture.Sent, at, "", []byte("ping"))
	store.Append(capture.Received, at.Add(time.Millisecond), "", []byte("pong"))
	store.Append(capture.Sent, at.Add(2*time.Millisecond), "", nil)
	store.Append(capture.Received, at.Add(3*time.Millisecond), "[::1]:6000", []byte("other"))
	conv := Conversation{Proto: UDP, Local: netip.MustParseAddrPort("[::]:5000"), Remote: netip.MustParseAddrPort("[::1]:5353")}
	path, n := writeFile(t, func(f *os.File) (int, error) { return WriteSynthesized(f, store, conv) })
	out := pcaptest.Run(t, "-r", path, "-Y", "udp", "-T", "fields", "-e", "ipv6.src", "-e", "udp.srcport",
		"-e", "ipv6.dst", "-e", "udp.dstport", "-e", "udp.payload")
	want := "::1\t5000\t::1\t5353\t70696e67\n" +
		"::1\t5353\t::1\t5000\t706f6e67\n" +
		"::1\t5000\t::1\t5353\t\n" +
		"::1\t6000\t::1\t5000\t6f74686572\n"
	if out != want || n != 4 {
		t.Errorf("%d packets; tshark lists\n%s\nwant\n%s", n, out, want)
	}
}

// TestSynthesizedNeedsAPeer refuses a stream without a remote address.
func TestSynthesizedNeedsAPeer(t *testing.T) {
	store := capture.NewStore(0)
	store.Append(capture.Sent, time.Now(), "", []byte("x"))
	var out bytes.Buffer
	if _, err := WriteSynthesized(&out, store, Conversation{Proto: TCP}); err == nil {
		t.Error("synthesised packets to nowhere")
	}
	if _, err := WriteSynthesized(&out, store, Conversation{Proto: ICMP}); err == nil {
		t.Error("synthesised ICMP")
	}
}
