package netcore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sockbench/internal/testpeer"
)

func TestErrnoClasses(t *testing.T) {
	for errno, want := range map[unix.Errno]Class{
		unix.ECONNREFUSED:  ClassTransient,
		unix.ENETUNREACH:   ClassTransient,
		unix.EHOSTUNREACH:  ClassTransient,
		unix.ENETDOWN:      ClassTransient,
		unix.ETIMEDOUT:     ClassTransient,
		unix.ENOENT:        ClassFatal,
		unix.EACCES:        ClassFatal,
		unix.EHOSTDOWN:     ClassFatal,
		unix.EADDRNOTAVAIL: ClassFatal,
	} {
		err := connectError("connect", Addr{}, errno)
		if err.Class != want || !errors.Is(err, want) || !errors.Is(err, errno) || err.Errno != errno {
			t.Errorf("%s: class %v, want %v", ErrnoName(errno), err.Class, want)
		}
	}
	if c := connectError("connect", Addr{}, context.Canceled).Class; c != ClassCancelled {
		t.Errorf("context.Canceled: class %v", c)
	}
	if c := connectError("connect", Addr{}, context.DeadlineExceeded).Class; c != ClassTimeout {
		t.Errorf("context.DeadlineExceeded: class %v", c)
	}
}

func TestConnectCancelled(t *testing.T) {
	hole := addrOf(t, testpeer.BlackHole(t, "127.0.0.1"))
	ctx, cancel := context.WithCancel(context.Background())
	var rec []Attempt
	d := Dialer{Observe: func(a Attempt) {
		rec = append(rec, a)
		if !a.Done() {
			time.AfterFunc(50*time.Millisecond, cancel) // cancel while the connect waits
		}
	}}
	_, err := d.ConnectList(ctx, []AddrInfo{row(hole), row(hole)})
	if !errors.Is(err, ClassCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
	if len(rec) != 2 || rec[1].Result != ResultCancelled {
		t.Errorf("events = %v, want one attempt, started then cancelled; no second attempt", rec)
	}
}

func TestConnectUnixFatal(t *testing.T) {
	missing, _ := UnixAddr(t.TempDir() + "/absent.sock")
	s, err := NewSocket(FamilyUnix, SockStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Connect(context.Background(), missing)
	if !errors.Is(err, ClassFatal) || !errors.Is(err, unix.ENOENT) || resultOf(err) != ResultError {
		t.Fatalf("err = %v (%v), want fatal ENOENT", err, resultOf(err))
	}
}

func TestRaceBlackHoleLosesToLive(t *testing.T) {
	hole := addrOf(t, testpeer.BlackHole(t, "127.0.0.1"))
	live := addrOf(t, testpeer.AddrPort(testpeer.Echo(t, "tcp6", "[::1]:0")))
	var events []Attempt
	var mu sync.Mutex
	lastCall := map[int]Syscall{}
	const delay = 100 * time.Millisecond
	d := Dialer{Race: true, RaceDelay: delay,
		Observe: func(a Attempt) { events = append(events, a) },
		Trace: func(i int, c Syscall) {
			mu.Lock()
			lastCall[i] = c
			mu.Unlock()
		}}
	start := time.Now()
	s, err := d.ConnectList(context.Background(), []AddrInfo{row(hole), row(live)})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	peer, _ := s.PeerAddr()
	if peer != live {
		t.Errorf("winner = %s, want %s", peer, live)
	}
	if took < delay {
		t.Errorf("won after %v: the second attempt must wait for the %v delay", took, delay)
	}
	var results []string
	for _, e := range events {
		results = append(results, e.Result.String()+"#"+string(rune('0'+e.Index)))
	}
	want := []string{"connecting#0", "connecting#1", "connected#1", "cancelled#0"}
	if len(results) != len(want) {
		t.Fatalf("events = %v, want %v", results, want)
	}
	for i := range want {
		if results[i] != want[i] {
			t.Fatalf("events = %v, want %v", results, want)
		}
	}
	mu.Lock()
	loser := lastCall[0]
	mu.Unlock()
	if loser.Name != "close" || loser.Errno != 0 {
		t.Errorf("the loser's last call was %v, want a successful close", loser)
	}
	if !s.IsClosed() {
		s.Close()
	}
}

func TestRaceMovesOnAtOnceAfterFailure(t *testing.T) {
	refused := addrOf(t, testpeer.Refused(t, "127.0.0.1"))
	live := addrOf(t, testpeer.AddrPort(testpeer.Echo(t, "tcp4", "127.0.0.1:0")))
	d := Dialer{Race: true, RaceDelay: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := d.ConnectList(ctx, []AddrInfo{row(refused), row(live)})
	if err != nil {
		t.Fatalf("a refusal must start the next attempt at once, not after the delay: %v", err)
	}
	s.Close()
}

func TestRaceAllFail(t *testing.T) {
	r1 := addrOf(t, testpeer.Refused(t, "127.0.0.1"))
	r2 := addrOf(t, testpeer.Refused(t, "::1"))
	d := Dialer{Race: true}
	_, err := d.ConnectList(context.Background(), []AddrInfo{row(r1), row(r2)})
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("err = %v, want the refusal", err)
	}
}

func TestInterleaveFamilies(t *testing.T) {
	fams := []Family{FamilyInet6, FamilyInet6, FamilyInet6, FamilyInet, FamilyInet}
	got := interleaveFamilies(len(fams), func(i int) Family { return fams[i] })
	want := []int{0, 3, 1, 4, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}

func TestTraceShowsTheConnectSteps(t *testing.T) {
	refused := addrOf(t, testpeer.Refused(t, "127.0.0.1"))
	var calls []string
	d := Dialer{Trace: func(_ int, c Syscall) { calls = append(calls, c.Name) }}
	_, _ = d.ConnectList(context.Background(), []AddrInfo{row(refused)})
	want := []string{"socket", "setsockopt", "connect", "getsockopt", "getsockname", "close"}
	if len(calls) < len(want) {
		t.Fatalf("calls = %v, want %v", calls, want)
	}
	for i, name := range []string{"socket", "setsockopt", "connect"} {
		if calls[i] != name {
			t.Fatalf("calls = %v, want them to start with %v", calls, want[:3])
		}
	}
	if calls[len(calls)-1] != "close" {
		t.Errorf("calls = %v, want close last", calls)
	}
}
