package relay

import (
	"io"
	"net"
	"testing"
)

// BenchmarkRelayThroughput pushes bytes from a client through the relay
// to a server that discards them: recorded into nothing (as the command
// line without dumps does) and into three capture stores (as the
// workbench does).
func BenchmarkRelayThroughput(b *testing.B) {
	for _, name := range []string{"unrecorded", "recorded"} {
		b.Run(name, func(b *testing.B) {
			upstream := upstreamPeer(b, "tcp", "127.0.0.1:0", func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
			h := startRelay(b, "127.0.0.1:0", upstream)
			h.mu.Lock()
			h.unrecorded = name == "unrecorded"
			h.mu.Unlock()
			c, err := net.Dial("tcp", h.addr)
			if err != nil {
				b.Fatal(err)
			}
			chunk := make([]byte, 256<<10)
			b.SetBytes(int64(len(chunk)))
			b.ResetTimer()
			for range b.N {
				if _, err := c.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			c.Close()
			<-h.summaries
		})
	}
}
