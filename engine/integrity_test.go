package engine

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"sockbench/capture"
)

// stream is a deterministic stream of random bytes.
func stream(seed uint64) io.Reader {
	var key [32]byte
	key[0] = byte(seed)
	return rand.NewChaCha8(key)
}

// sendRandom writes n random bytes to c and returns their SHA-256, and
// that of the last tail bytes.
func sendRandom(t *testing.T, c net.Conn, n, tail int64) (all, last [32]byte) {
	t.Helper()
	h, lastBuf := sha256.New(), make([]byte, 0, tail)
	src := io.LimitReader(stream(7), n)
	buf := make([]byte, 256<<10)
	for sent := int64(0); sent < n; {
		m, _ := io.ReadFull(src, buf[:min(int64(len(buf)), n-sent)])
		if _, err := c.Write(buf[:m]); err != nil {
			t.Errorf("write: %v", err)
			return
		}
		h.Write(buf[:m])
		if rest := n - sent - int64(m); rest < tail { // the bytes from here on are in the tail
			from := max(0, int64(m)-(tail-rest-int64(len(lastBuf))))
			lastBuf = append(lastBuf, buf[from:m]...)
		}
		sent += int64(m)
	}
	copy(all[:], h.Sum(nil))
	return all, sha256.Sum256(lastBuf)
}

// TestIntegrity256MiB sends 256 MiB of random bytes to a socket of the
// engine and checks, by SHA-256, that the capture's export holds exactly
// them; then, with a capture limit that forces drops, that it holds
// exactly the newest bytes and that the counters and the drop are exact.
func TestIntegrity256MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 512 MiB")
	}
	const total = 256 << 20
	for _, c := range []struct {
		name  string
		limit int64
	}{{"whole", total + readSize}, {"drops", 16 << 20}} {
		t.Run(c.name, func(t *testing.T) {
			e := New(Config{CaptureLimit: c.limit})
			defer e.Close()
			col := &collector{t: t, e: e}
			e.Listen(addr(t, "127.0.0.1:0"))
			l := col.await("the listener", is[Opened]).(Opened).Socks[0]
			peer, err := net.Dial("tcp", l.Local().String())
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			server := col.await("the accept", is[Accepted]).(Accepted).Sock
			sums := make(chan [2][32]byte, 1)
			go func() {
				all, last := sendRandom(t, peer, total, c.limit)
				sums <- [2][32]byte{all, last}
			}()
			if c.limit < total {
				// The full capture pauses reading; resuming lets it run on,
				// dropping the oldest bytes.
				p := col.await("the pause", is[Paused]).(Paused)
				if p.Sock != server {
					t.Fatalf("paused %s", p.Sock.Describe())
				}
				e.SetPaused(server, false)
			}
			waitCount(t, server.Store(), total)
			want := <-sums
			kept := min(c.limit, total)
			st := server.Store().Stats()
			if st.RxBytes != total || st.DroppedBytes != total-kept {
				t.Fatalf("stats %+v, want %d received and %d dropped", st, total, total-kept)
			}
			h := sha256.New()
			if n, err := server.Store().WriteDir(h, capture.Received); err != nil || n != kept {
				t.Fatalf("export: %d bytes, %v", n, err)
			}
			got := [32]byte(h.Sum(nil))
			if wantSum := want[0]; c.limit < total {
				wantSum = want[1]
				if got != wantSum {
					t.Fatal("the kept bytes are not the newest bytes sent")
				}
			} else if got != wantSum {
				t.Fatal("the export is not what was sent")
			}
		})
	}
}

// waitCount polls a store until it has received n bytes: up to ten
// minutes, since the race detector and a busy machine slow 256 MiB down a
// lot.
func waitCount(t *testing.T, st *capture.Store, n int64) {
	t.Helper()
	waitUntil(t, "the bytes", 10*time.Minute, func() bool { return st.Stats().RxBytes >= n })
}
