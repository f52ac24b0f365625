package engine

import (
	"context"
	"net"
	"runtime"
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
