package repeat

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testDeadline = 30 * time.Second

// loopbackPair is a connected TCP pair on loopback.
func loopbackPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	_ = server.SetDeadline(time.Now().Add(testDeadline))
	return client, server
}

func wait(t *testing.T, r *Repeat) error {
	t.Helper()
	select {
	case <-r.Done():
		return r.Err()
	case <-time.After(testDeadline):
		t.Fatal("the repetition did not end")
		return nil
	}
}

// TestTimesSendsExactlyN: N sends, numbered 1..N, all on the wire.
func TestTimesSendsExactlyN(t *testing.T) {
	client, server := loopbackPair(t)
	r := Start(context.Background(), Plan{Times: 5}, func(ctx context.Context, n int) error {
		_, err := client.Write([]byte{byte('0' + n)})
		return err
	})
	if err := wait(t, r); err != nil || r.Count() != 5 || r.Stopped() {
		t.Fatalf("err %v, count %d", err, r.Count())
	}
	client.Close()
	got, err := io.ReadAll(server)
	if err != nil || string(got) != "12345" {
		t.Errorf("the peer received %q, %v", got, err)
	}
}

// TestEveryUntilStopped: sends go on at the pace until Stop, which ends
// the repetition cleanly with the count of sends made.
func TestEveryUntilStopped(t *testing.T) {
	client, server := loopbackPair(t)
	r := Start(context.Background(), Plan{Every: time.Millisecond}, func(ctx context.Context, n int) error {
		_, err := client.Write([]byte("x"))
		return err
	})
	buf := make([]byte, 3)
	if _, err := io.ReadFull(server, buf); err != nil { // three sends arrived: it runs
		t.Fatal(err)
	}
	r.Stop()
	if err := wait(t, r); err != nil || !r.Stopped() || r.Count() < 3 {
		t.Fatalf("err %v, count %d", err, r.Count())
	}
	count := r.Count()
	client.Close()
	rest, _ := io.ReadAll(server)
	if 3+len(rest) != count {
		t.Errorf("%d sends counted, %d bytes arrived", count, 3+len(rest))
	}
}

// TestSendFailureEnds: the first failing send ends it with that error.
func TestSendFailureEnds(t *testing.T) {
	boom := errors.New("boom")
	r := Start(context.Background(), Plan{Times: 10}, func(ctx context.Context, n int) error {
		if n == 4 {
			return boom
		}
		return nil
	})
	if err := wait(t, r); !errors.Is(err, boom) || r.Count() != 3 {
		t.Errorf("err %v, count %d", err, r.Count())
	}
}

// TestContextEnds: a repetition whose context ends says so.
func TestContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := Start(ctx, Plan{Every: time.Hour}, func(ctx context.Context, n int) error {
		cancel()
		return nil
	})
	if err := wait(t, r); !errors.Is(err, context.Canceled) || r.Count() != 1 {
		t.Errorf("err %v, count %d", err, r.Count())
	}
}

func TestBadPlans(t *testing.T) {
	for _, p := range []Plan{{}, {Times: -1}, {Every: -time.Second}, {Times: 1, Every: -1}} {
		r := Start(context.Background(), p, func(context.Context, int) error {
			t.Error("a send of a bad plan")
			return nil
		})
		if err := wait(t, r); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
}
