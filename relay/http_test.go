package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sockbench/capture"
)

// httpServerScript is Python's http.server serving a directory, its
// handler made to hash every byte it reads from and writes to the
// connection, and to print both hashes once it is done.
const httpServerScript = `
import functools, hashlib, http.server, io, sys

class Hashed(io.RawIOBase):
    def __init__(self, sock, h):
        self.sock, self.h = sock, h
    def readable(self):
        return True
    def readinto(self, b):
        n = self.sock.recv_into(b)
        self.h.update(memoryview(b)[:n])
        return n

class Handler(http.server.SimpleHTTPRequestHandler):
    def setup(self):
        super().setup()
        self.rx, self.tx = hashlib.sha256(), hashlib.sha256()
        self.rfile = io.BufferedReader(Hashed(self.connection, self.rx))
        writer, tx = self.wfile, self.tx
        class W(io.RawIOBase):
            def writable(self):
                return True
            def write(self, b):
                tx.update(b)
                return writer.write(b)
        self.wfile = W()
    def finish(self):
        super().finish()
        print("served", self.rx.hexdigest(), self.tx.hexdigest(), flush=True)
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=sys.argv[1]))
print("port", server.server_address[1], flush=True)
server.serve_forever()
`

// httpClientScript fetches a path with Python's http.client, hashing
// every byte it sends and receives (to the server's close), and prints
// the status, the body's hash and both.
const httpClientScript = `
import hashlib, http.client, io, sys

tx, rx = hashlib.sha256(), hashlib.sha256()

class Hashed(io.RawIOBase):
    def __init__(self, sock):
        self.sock = sock
    def readable(self):
        return True
    def readinto(self, b):
        n = self.sock.recv_into(b)
        rx.update(memoryview(b)[:n])
        return n

class Sock:
    def __init__(self, sock):
        self.raw = sock
    def makefile(self, *args, **kwargs):
        return io.BufferedReader(Hashed(self.raw))
    def sendall(self, data):
        tx.update(data)
        return self.raw.sendall(data)
    def close(self):
        pass  # the script closes the socket once it has read to the end
    def __getattr__(self, name):
        return getattr(self.raw, name)

class Conn(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        self.raw = self.sock
        self.sock = Sock(self.sock)

conn = Conn(sys.argv[1], int(sys.argv[2]), timeout=30)
conn.request("GET", sys.argv[3])
resp = conn.getresponse()
body = resp.read()
while True:
    data = conn.raw.recv(65536)
    if not data:
        break
    rx.update(data)
conn.raw.close()
print(resp.status, hashlib.sha256(body).hexdigest(), tx.hexdigest(), rx.hexdigest())
`

// startPythonHTTP starts the hashing http.server on loopback serving dir,
// and returns its address and its output lines; the test stops it.
func startPythonHTTP(t *testing.T, dir string) (string, <-chan string) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	cmd := exec.Command("python3", "-u", "-c", httpServerScript, dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done; _ = cmd.Wait() })
	select {
	case line := <-lines:
		port, ok := strings.CutPrefix(line, "port ")
		if !ok {
			t.Fatalf("http.server said %q", line)
		}
		return "127.0.0.1:" + port, lines
	case <-time.After(testDeadline):
		t.Fatal("http.server did not say its port")
		return "", nil
	}
}

func sha(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

// TestRelayHTTP relays Python's http.client to Python's http.server
// serving 1 MiB: the client gets the file whole; what each side received
// is, by SHA-256, what the other sent; and the conversation holds the
// request, then the whole response, in order, and the same bytes.
func TestRelayHTTP(t *testing.T) {
	dir := t.TempDir()
	body := make([]byte, 1<<20)
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	server, served := startPythonHTTP(t, dir)
	h := startRelay(t, "127.0.0.1:0", server)
	host, port, _ := strings.Cut(h.addr, ":")

	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", httpClientScript, host, port, "/big.bin").CombinedOutput()
	if err != nil {
		t.Fatalf("the client: %v\n%s", err, out)
	}
	var status, bodySum, clientTx, clientRx string
	if _, err := fmt.Sscan(string(out), &status, &bodySum, &clientTx, &clientRx); err != nil {
		t.Fatalf("the client said %q", out)
	}
	if status != "200" || bodySum != sha(body) {
		t.Fatalf("the client got status %s and a body of hash %s; the file's is %s", status, bodySum, sha(body))
	}
	var serverRx, serverTx string
	select {
	case line := <-served:
		if _, err := fmt.Sscan(strings.TrimPrefix(line, "served "), &serverRx, &serverTx); err != nil {
			t.Fatalf("the server said %q", line)
		}
	case <-time.After(testDeadline):
		t.Fatal("the server did not say what it served")
	}
	if clientTx != serverRx || serverTx != clientRx {
		t.Errorf("client sent %s, server received %s; server sent %s, client received %s", clientTx, serverRx, serverTx, clientRx)
	}
	sum := h.summary()
	if sum.Legs[ClientToServer].End != EndEOF || sum.Legs[ServerToClient].End != EndEOF {
		t.Errorf("summary %+v", sum)
	}
	conv, _, _ := h.stores()
	checkConversation(t, conv, clientTx, serverTx, body)
}

// checkConversation checks that the conversation is the request, then
// the response, then the ends, with the bytes the endpoints hashed.
func checkConversation(t *testing.T, conv *capture.Store, requestSum, responseSum string, body []byte) {
	t.Helper()
	var order []capture.Dir
	for i := range conv.NumChunks() {
		if d := conv.Chunk(i).Dir; d != capture.Note && (len(order) == 0 || order[len(order)-1] != d) {
			order = append(order, d)
		}
	}
	if len(order) != 2 || order[0] != capture.Sent || order[1] != capture.Received {
		t.Errorf("the legs alternate as %v, want the request, then the response", order)
	}
	request, response := bytesOf(conv, capture.Sent), bytesOf(conv, capture.Received)
	if sha(request) != requestSum || sha(response) != responseSum {
		t.Errorf("the conversation's request is %s, response %s", sha(request), sha(response))
	}
	if !bytes.HasPrefix(request, []byte("GET /big.bin HTTP/1.1\r\n")) || !bytes.HasPrefix(response, []byte("HTTP/1.0 200 OK\r\n")) ||
		!bytes.HasSuffix(response, body) {
		t.Errorf("request %.40q, response %.40q", request, response)
	}
	last := conv.Chunk(conv.NumChunks() - 2)
	if last.Dir != capture.Note || !strings.HasPrefix(last.Peer, "end of stream: the client") {
		t.Errorf("the client's close is not after the response: %+v", last)
	}
}
