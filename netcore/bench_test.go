package netcore

import (
	"context"
	"net"
	"testing"
	"time"
)

// The bulk benchmarks move data over loopback TCP with 64 KiB writes and
// 64 KiB reads on both sides, through netcore and through Go's net package,
// in the same run. BenchmarkBulkRatio interleaves rounds of both and
// reports their throughputs and the ratio netcore/net (above 1: netcore is
// faster).

const bulkChunk = 64 << 10

// bulkNetcore sends n bytes from one netcore socket to another and returns
// how long it took.
func bulkNetcore(b *testing.B, n int, sendSize int) time.Duration {
	a, c := connected(b, "127.0.0.1")
	a.SetSendSize(sendSize)
	buf := make([]byte, bulkChunk)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		rbuf := make([]byte, bulkChunk)
		for got := 0; got < n; {
			m, err := c.Receive(context.Background(), rbuf, 0)
			if err != nil || m == 0 {
				done <- err
				return
			}
			got += m
		}
		done <- nil
	}()
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := a.SendAll(context.Background(), buf, 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// bulkNet does the same through Go's net package.
func bulkNet(b *testing.B, n int) time.Duration {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	c := <-accepted
	defer c.Close()
	buf := make([]byte, bulkChunk)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		// Read 64 KiB at a time as the netcore side does. (io.Copy into
		// io.Discard would read 8 KiB at a time, whatever buffer it is given.)
		rbuf := make([]byte, bulkChunk)
		for got := 0; got < n; {
			m, err := c.Read(rbuf)
			if err != nil {
				done <- err
				return
			}
			got += m
		}
		done <- nil
	}()
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := a.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func BenchmarkBulkNetcore(b *testing.B) {
	b.SetBytes(bulkChunk * 1024)
	for b.Loop() {
		bulkNetcore(b, bulkChunk*1024, 0)
	}
}

func BenchmarkBulkNetcoreSendSize16K(b *testing.B) {
	b.SetBytes(bulkChunk * 1024)
	for b.Loop() {
		bulkNetcore(b, bulkChunk*1024, DefaultSendSize)
	}
}

func BenchmarkBulkNet(b *testing.B) {
	b.SetBytes(bulkChunk * 1024)
	for b.Loop() {
		bulkNet(b, bulkChunk*1024)
	}
}

// BenchmarkBulkRatio alternates 64 MiB rounds of netcore and net, so both
// see the same machine load, and reports MB/s for each and netcore/net.
func BenchmarkBulkRatio(b *testing.B) {
	const n = bulkChunk * 1024
	var tCore, tNet time.Duration
	for b.Loop() {
		tCore += bulkNetcore(b, n, 0)
		tNet += bulkNet(b, n)
	}
	rounds := float64(b.N)
	mb := float64(n) / 1e6
	b.ReportMetric(mb*rounds/tCore.Seconds(), "netcore-MB/s")
	b.ReportMetric(mb*rounds/tNet.Seconds(), "net-MB/s")
	b.ReportMetric(tNet.Seconds()/tCore.Seconds(), "netcore/net")
}
