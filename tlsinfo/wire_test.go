package tlsinfo

import (
	"bytes"
	"crypto/tls"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// tap is a net.Conn that keeps every chunk read and written, in order.
type tap struct {
	net.Conn
	mu     sync.Mutex
	chunks []chunk
}

type chunk struct {
	dir  Direction
	data []byte
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.keep(Received, p[:n])
	return n, err
}

func (t *tap) Write(p []byte) (int, error) {
	t.keep(Sent, p)
	return t.Conn.Write(p)
}

func (t *tap) keep(dir Direction, p []byte) {
	if len(p) == 0 {
		return
	}
	t.mu.Lock()
	t.chunks = append(t.chunks, chunk{dir, append([]byte(nil), p...)})
	t.mu.Unlock()
}

// transcript runs a client handshake with a Go TLS server and some data,
// and returns the bytes each way, in order.
func transcript(t *testing.T, maxVersion uint16) []chunk {
	t.Helper()
	ca, cert := testCA(t)
	s, peer := tcpPair(t)
	serveTLS(t, peer, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	c, err := newConnForTest(s)
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{Conn: c}
	sess, err := Client(t.Context(), tp, Config{ServerName: "localhost", Roots: roots(ca), ALPN: []string{"h2"}, MaxVersion: maxVersion, Timeout: patience})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Conn.Write(bytes.Repeat([]byte("x"), 40000)); err != nil { // several records
		t.Fatal(err)
	}
	got := 0
	buf := make([]byte, 65536)
	for got < 40000 {
		n, err := sess.Conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	_ = sess.Close()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.chunks
}

// replay feeds a transcript to a fresh Wire, each chunk cut in pieces of
// at most step bytes.
func replay(chunks []chunk, step int) *Wire {
	w := Watch(nil, nil, nil)
	for _, c := range chunks {
		for p := c.data; len(p) > 0; {
			n := min(step, len(p))
			w.feedLocked(c.dir, p[:n], time.Unix(0, 0))
			p = p[n:]
		}
	}
	return w
}

// TestWireReadsAnyCut: reading a transcript byte by byte, or in odd
// pieces, finds the same records and messages as reading it as it came.
func TestWireReadsAnyCut(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		chunks := transcript(t, version)
		whole := replay(chunks, 1<<30)
		records := whole.Records()
		if len(records) < 10 {
			t.Fatalf("%s: %d records", VersionName(version), len(records))
		}
		for _, step := range []int{1, 3, 7, 4096} {
			w := replay(chunks, step)
			if !reflect.DeepEqual(w.Records(), records) || !reflect.DeepEqual(w.Messages(), whole.Messages()) {
				t.Errorf("%s cut in %d-byte pieces: other records or messages", VersionName(version), step)
			}
		}
		appData := 0
		for _, r := range records {
			if r.Type == TypeApplicationData && r.Dir == Sent {
				appData += r.Length
			}
		}
		if appData < 40000 {
			t.Errorf("%s: %d bytes of application data records for our 40000 bytes", VersionName(version), appData)
		}
		for dir := range 2 {
			if whole.NotTLS(Direction(dir)) {
				t.Errorf("%s: %s not TLS", VersionName(version), Direction(dir))
			}
		}
	}
}

// TestWireKeepsBounds: a long connection keeps its first records and its
// latest MaxRecords, and counts the others.
func TestWireKeepsBounds(t *testing.T) {
	w := Watch(nil, nil, nil)
	record := []byte{23, 3, 3, 0, 1, 'x'}
	total := keepFirst + 3*MaxRecords + 10
	for range total {
		w.feedLocked(Received, record, time.Unix(0, 0))
	}
	records := w.Records()
	if len(records) > keepFirst+2*MaxRecords || w.Dropped() != total-len(records) {
		t.Fatalf("%d records kept, %d dropped, of %d", len(records), w.Dropped(), total)
	}
	for i := range keepFirst {
		if records[i].Seq != i {
			t.Fatalf("record %d is number %d", i, records[i].Seq)
		}
	}
	if last := records[len(records)-1]; last.Seq != total-1 {
		t.Fatalf("the last record is number %d", last.Seq)
	}
}

// TestWireSkipsHugeMessages: a handshake message over the limit is noted
// and skipped, and the message after it is read.
func TestWireSkipsHugeMessages(t *testing.T) {
	w := Watch(nil, nil, nil)
	huge := maxMessage + 10
	stream := append([]byte{byte(MsgCertificate), byte(huge >> 16), byte(huge >> 8), byte(huge)}, make([]byte, huge)...)
	stream = append(stream, byte(MsgServerHelloDone), 0, 0, 0)
	for len(stream) > 0 {
		n := min(len(stream), 1<<14)
		w.feedLocked(Received, append([]byte{22, 3, 3, byte(n >> 8), byte(n)}, stream[:n]...), time.Unix(0, 0))
		stream = stream[n:]
	}
	m := w.Messages()
	if len(m) != 2 || m[0].Type != MsgCertificate || m[0].Length != huge || m[1].Type != MsgServerHelloDone {
		t.Fatalf("messages %+v", m)
	}
}

func TestRecordWords(t *testing.T) {
	w := Watch(nil, nil, nil)
	w.feedLocked(Sent, []byte{22, 3, 1, 0, 4, 1, 0, 0, 0}, time.Unix(0, 0))
	w.feedLocked(Received, []byte{21, 3, 3, 0, 2, 2, 40, 23, 3, 3, 0, 1, 'x'}, time.Unix(0, 0))
	var got []string
	for _, r := range w.Records() {
		got = append(got, r.Words())
	}
	want := "#0 sent handshake TLS 1.0, 4 bytes: ClientHello|#1 received alert TLS 1.2, 2 bytes: fatal handshake_failure|" +
		"#2 received application_data TLS 1.2, 1 byte, encrypted"
	if strings.Join(got, "|") != want {
		t.Errorf("%q", got)
	}
}

func TestWireNotTLS(t *testing.T) {
	w := Watch(nil, nil, nil)
	w.feedLocked(Received, []byte("SSH-2.0-OpenSSH_9.2\r\n"), time.Unix(0, 0))
	if !w.NotTLS(Received) || len(w.Records()) != 0 || string(w.First(Received)) != "SSH-2.0-OpenSSH_9.2\r\n" || !w.answeredPlain() {
		t.Fatalf("not TLS %v, %d records, first %q", w.NotTLS(Received), len(w.Records()), w.First(Received))
	}
	if got := plaintextWords(w.First(Received)); got != "the peer answered in plaintext, not TLS: SSH-2.0-OpenSSH_9.2␍␊ (an SSH server)" {
		t.Errorf("%q", got)
	}
}

// FuzzWire feeds anything, cut anywhere: no panic, and the records add
// up to no more than what came.
func FuzzWire(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 3}, uint8(1))
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40, 23, 3, 3, 0, 0}, uint8(3))
	f.Add(append([]byte{22, 3, 3, 0, 60, 2, 0, 0, 56, 3, 3}, make([]byte, 60)...), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		w := Watch(nil, nil, nil)
		cut := max(int(step), 1)
		for p := data; len(p) > 0; p = p[min(cut, len(p)):] {
			w.feedLocked(Received, p[:min(cut, len(p))], time.Unix(0, 0))
			w.feedLocked(Sent, p[:min(cut, len(p))], time.Unix(0, 0))
		}
		sum := 0
		for _, r := range w.Records() {
			if r.Length > maxRecordBody {
				t.Fatalf("record of %d bytes", r.Length)
			}
			sum += r.Length + 5
		}
		if sum > 2*len(data) {
			t.Fatalf("records of %d bytes from %d", sum, len(data))
		}
		for _, m := range w.Messages() {
			if m.ClientHello != nil {
				_ = clientHelloDetail(m.ClientHello)
			}
		}
	})
}
