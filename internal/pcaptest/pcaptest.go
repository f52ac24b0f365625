// Package pcaptest reads pcapng files with tshark (Debian's tshark
// package) for tests: the tests of the packet capture and of --pcap check
// what Wireshark makes of the files they write. Without tshark, the tests
// that need it are skipped, saying why.
package pcaptest

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
)

// Tshark returns the path of tshark, or skips the test, saying why.
func Tshark(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed (apt-get install tshark): the pcapng files cannot be checked")
	}
	return path
}

// Run runs tshark with args and returns its standard output.
func Run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(Tshark(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// FollowTCP returns the bytes of the first TCP stream of a pcapng file as
// tshark's "follow,tcp,raw" gives them: those node 0 (the side that sent
// the first packet) sent, and those node 1 sent (the lines indented by a
// tab).
func FollowTCP(t testing.TB, file string) (node0, node1 []byte) {
	t.Helper()
	out := Run(t, "-r", file, "-q", "-z", "follow,tcp,raw,0")
	_, body, ok := strings.Cut(out, "\nNode 1: ")
	if !ok {
		t.Fatalf("no follow output from tshark:\n%s", out)
	}
	for _, line := range strings.Split(body, "\n")[1:] {
		if strings.HasPrefix(line, "====") {
			return node0, node1
		}
		data, err := hex.DecodeString(strings.TrimPrefix(line, "\t"))
		if err != nil {
			t.Fatalf("tshark follow line %q: %v", line, err)
		}
		if strings.HasPrefix(line, "\t") {
			node1 = append(node1, data...)
		} else {
			node0 = append(node0, data...)
		}
	}
	t.Fatalf("tshark's follow output does not end:\n%s", out)
	return nil, nil
}
