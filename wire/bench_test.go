//go:build linux

package wire

import (
	"io"
	"net"
	"net/netip"
	"testing"

	"sockbench/internal/testpeer"
)

// BenchmarkLoopbackTransfer moves 16 MiB per operation through a loopback
// TCP connection to a server that discards it, without and with a capture
// of the connection, and reports what the capture kept and lost.
func BenchmarkLoopbackTransfer(b *testing.B) {
	chunk := make([]byte, 64<<10)
	const perOp = 16 << 20
	for _, capturing := range []bool{false, true} {
		b.Run(map[bool]string{false: "no capture", true: "capture"}[capturing], func(b *testing.B) {
			remote := testpeer.AddrPort(testpeer.Serve(b, "tcp4", "127.0.0.1:0", func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }))
			var c *Capture
			if capturing {
				var err error
				if c, err = Start(Config{Filter: Filter{Proto: TCP, Remotes: []netip.AddrPort{remote}}}); err != nil {
					b.Skipf("cannot capture: %v", err)
				}
			}
			conn, err := net.Dial("tcp4", remote.String())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(perOp)
			for b.Loop() {
				for sent := 0; sent < perOp; sent += len(chunk) {
					if _, err := conn.Write(chunk); err != nil {
						b.Fatal(err)
					}
				}
			}
			conn.Close()
			if c != nil {
				_ = c.Stop()
				st := c.Stats()
				b.ReportMetric(float64(st.Seen)/float64(b.N), "packets/op")
				b.ReportMetric(float64(st.KernelDrops)/float64(b.N), "kernel-drops/op")
				b.ReportMetric(float64(st.Truncated)/float64(b.N), "cut/op")
			}
		})
	}
}
