package cli

import (
	"bytes"
	"testing"

	"sockbench/netcore"
)

// TestPlainReporterLines pins the lines built without fmt, with senders
// that change from one datagram to the next (the sender's text is
// remembered), one that carries control bytes in its name, and a read.
func TestPlainReporterLines(t *testing.T) {
	var out bytes.Buffer
	p := &plainReporter{w: &out, traffic: true}
	a, err := netcore.ParseAddr("127.0.0.1:4000")
	if err != nil {
		t.Fatal(err)
	}
	b, err := netcore.ParseAddr("[::1]:5000")
	if err != nil {
		t.Fatal(err)
	}
	hostile, err := netcore.UnixAddr("/tmp/x\x1b[2Jy")
	if err != nil {
		t.Fatal(err)
	}
	p.datagram(a, make([]byte, 64))
	p.datagram(a, nil)
	p.datagram(b, make([]byte, 1400))
	p.datagram(hostile, []byte("z"))
	p.datagram(a, []byte("zz"))
	p.received(make([]byte, 65536), 131072)
	want := "datagram from 127.0.0.1:4000: 64 bytes\n" +
		"datagram from 127.0.0.1:4000: 0 bytes\n" +
		"datagram from [::1]:5000: 1400 bytes\n" +
		"datagram from /tmp/x␛[2Jy: 1 bytes\n" +
		"datagram from 127.0.0.1:4000: 2 bytes\n" +
		"received 65536 bytes (total 131072)\n"
	if got := out.String(); got != want {
		t.Fatalf("lines:\n%q\nwant\n%q", got, want)
	}
}
