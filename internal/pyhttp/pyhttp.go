// Package pyhttp runs Python's http.server and http.client for tests,
// each made to hash every byte it reads and writes on the connection, so
// that a test of a relay can check that what each side received is what
// the other sent. Without python3 the tests that need it are skipped.
package pyhttp

import (
	"bufio"
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
)

// deadline bounds every wait.
const deadline = 30 * time.Second

// serverScript is Python's http.server serving a directory, its handler
// made to hash every byte it reads from and writes to the connection, and
// to print both hashes once it is done.
const serverScript = `
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

// clientScript fetches a path with Python's http.client, hashing every
// byte it sends and receives (to the server's close), and prints the
// status, the body's hash and both.
const clientScript = `
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

// Served is what the server hashed of one connection: SHA-256 in hex.
type Served struct{ Received, Sent string }

// Server starts the hashing http.server on 127.0.0.1 serving dir, and
// returns its address and what it serves, one Served a connection; the
// test stops it.
func Server(t testing.TB, dir string) (string, <-chan Served) {
	t.Helper()
	python(t)
	cmd := exec.Command("python3", "-u", "-c", serverScript, dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	port := make(chan string, 1)
	served := make(chan Served, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var s Served
			if p, ok := strings.CutPrefix(sc.Text(), "port "); ok {
				port <- p
			} else if _, err := fmt.Sscanf(sc.Text(), "served %s %s", &s.Received, &s.Sent); err == nil {
				served <- s
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done; _ = cmd.Wait() })
	select {
	case p := <-port:
		return "127.0.0.1:" + p, served
	case <-time.After(deadline):
		t.Fatal("http.server did not say its port")
		return "", nil
	}
}

// Next waits for what the server hashed of its next connection.
func Next(t testing.TB, served <-chan Served) Served {
	t.Helper()
	select {
	case s := <-served:
		return s
	case <-time.After(deadline):
		t.Fatal("the server did not say what it served")
		return Served{}
	}
}

// Got is what the client hashed: SHA-256 in hex.
type Got struct {
	Status         string
	Body           string // the body's hash
	Sent, Received string // every byte on the connection
}

// Get fetches path from host:port with http.client and returns its
// hashes.
func Get(t testing.TB, host, port, path string) Got {
	t.Helper()
	python(t)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	out, err := exec.CommandContext(ctx, "python3", "-c", clientScript, host, port, path).CombinedOutput()
	if err != nil {
		t.Fatalf("http.client: %v\n%s", err, out)
	}
	var g Got
	if _, err := fmt.Sscan(string(out), &g.Status, &g.Body, &g.Sent, &g.Received); err != nil {
		t.Fatalf("http.client said %q", out)
	}
	return g
}

func python(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
}

// RandomFile writes size random bytes to the file name in dir, for the
// server to serve, and returns them.
func RandomFile(t testing.TB, dir, name string, size int) []byte {
	t.Helper()
	body := make([]byte, size)
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
	return body
}

// SHA256 is the hash of p in hex, as the scripts print theirs.
func SHA256(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}
