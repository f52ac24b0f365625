package netcore_test

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// BenchmarkConnTLS writes through TLS to a Go TLS server that discards:
// the client on a netcore Conn, and on Go's net for comparison.
func BenchmarkConnTLS(b *testing.B) {
	cert, pool := selfSigned(b)
	chunk := make([]byte, 1<<20)
	for _, side := range []string{"netcore", "net"} {
		b.Run(side, func(b *testing.B) {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				_, _ = io.Copy(io.Discard, tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}}))
			}()
			var conn net.Conn
			if side == "net" {
				conn, err = net.Dial("tcp4", ln.Addr().String())
			} else {
				conn, err = dialNetcore(ln.Addr().String())
			}
			if err != nil {
				b.Fatal(err)
			}
			client := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				if _, err := client.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			_ = client.Close()
			<-done
		})
	}
}
