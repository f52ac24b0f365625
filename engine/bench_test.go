package engine

import (
	"context"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"sockbench/netcore"
)

// idleSockets is how many connections BenchmarkIdleSocketMemory holds.
const idleSockets = 1000

// BenchmarkIdleSocketMemory has a listener of the engine accept
// idleSockets connections that then stay idle, and reports what each
// costs the process once accepted: live heap and goroutine stacks, in
// bytes a socket, and goroutines a socket. Run it with -memprofile to see
// where the heap goes.
func BenchmarkIdleSocketMemory(b *testing.B) {
	var heap, stack, goroutines float64
	for b.Loop() {
		h, s, g := idleSocketCost(b)
		heap, stack, goroutines = heap+h, stack+s, goroutines+g
	}
	n := float64(b.N)
	b.ReportMetric(heap/n, "heap-B/socket")
	b.ReportMetric(stack/n, "stack-B/socket")
	b.ReportMetric(goroutines/n, "goroutines/socket")
}

// idleSocketCost opens an engine and a listener, measures, has
// idleSockets connections accepted and measures again.
func idleSocketCost(b *testing.B) (heap, stack, goroutines float64) {
	e := New(Config{})
	defer e.Close()
	l := listenLoopback(b, e)
	before, g0 := liveMemory()
	conns := make([]net.Conn, 0, idleSockets)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idleSockets {
		c, err := net.Dial("tcp4", l.Local().String())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	drainUntil(b, e, func(Event) bool { return l.Status().Accepted == idleSockets })
	after, g1 := liveMemory()
	return float64(after.HeapInuse-before.HeapInuse) / idleSockets,
		float64(after.StackInuse-before.StackInuse) / idleSockets,
		float64(g1-g0) / idleSockets
}

// listenLoopback opens a listener of e on 127.0.0.1 and returns it once
// it is open.
func listenLoopback(b *testing.B, e *Engine) *Sock {
	at, err := netcore.ParseAddr("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	e.Listen(at)
	var l *Sock
	drainUntil(b, e, func(ev Event) bool {
		if o, ok := ev.(Opened); ok {
			l = o.Socks[0]
		}
		return l != nil
	})
	return l
}

// drainUntil takes the engine's events, each given to done, until done
// says so, at most 30 s.
func drainUntil(b *testing.B, e *Engine, done func(Event) bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		for _, ev := range e.Next(ctx) {
			if done(ev) {
				return
			}
		}
		if ctx.Err() != nil {
			b.Fatal("the engine's events did not come within 30s")
		}
	}
}

// liveMemory collects the garbage and returns the memory statistics and
// the number of goroutines.
func liveMemory() (runtime.MemStats, int) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m, runtime.NumGoroutine()
}

// ingestChunk is what the flood's peer writes at a time, and one op of
// BenchmarkIngest.
const ingestChunk = 64 << 10

// BenchmarkIngest measures the engine's read path under a flood: a peer
// in this process writes 64 KiB at a time as fast as the engine reads,
// and the engine records every byte in the socket's store (64 MiB, let
// run on once full, as the workbench's user does with space). One op is
// 64 KiB recorded. cpu-ms/GB is the CPU of the whole process (the peer's
// writing included) per gigabyte recorded: the number to compare when
// changing the read path, since a rate on a shared machine moves more.
func BenchmarkIngest(b *testing.B) {
	e := New(Config{CaptureLimit: 64 << 20})
	defer e.Close()
	l := listenLoopback(b, e)
	conn, err := net.Dial("tcp4", l.Local().String())
	if err != nil {
		b.Fatal(err)
	}
	peerDone := make(chan struct{})
	go func() {
		defer close(peerDone)
		chunk := make([]byte, ingestChunk)
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	defer func() { conn.Close(); <-peerDone }()

	var k *Sock
	drainUntil(b, e, func(ev Event) bool {
		if a, ok := ev.(Accepted); ok {
			k = a.Sock
		}
		return k != nil
	})
	b.SetBytes(ingestChunk)
	start := k.Store().Stats().RxBytes
	want := start + int64(b.N)*ingestChunk
	cpu0 := cpuTime(b)
	b.ResetTimer()
	drainUntil(b, e, func(ev Event) bool {
		if p, ok := ev.(Paused); ok && p.Sock == k {
			e.SetPaused(k, false)
		}
		return k.Store().Stats().RxBytes >= want
	})
	b.StopTimer()
	got := k.Store().Stats().RxBytes - start
	b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/(float64(got)/1e9), "cpu-ms/GB")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
