package cli

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"sockbench/internal/pyhttp"
)

// relayAddr waits for relay's first line and returns the address.
func relayAddr(t *testing.T, w *lineWriter) string {
	t.Helper()
	return strings.TrimPrefix(w.waitLine(t, "listening on "), "listening on ")
}

// TestRelayHTTP relays Python's http.client to Python's http.server
// serving 1 MiB: the client gets the file; each side received what the
// other sent (SHA-256); the dumps hold exactly those bytes; the report
// shows the attempt, then the request, then the response, then the ends.
func TestRelayHTTP(t *testing.T) {
	dir := t.TempDir()
	body := pyhttp.RandomFile(t, dir, "big.bin", 1<<20)
	server, served := pyhttp.Server(t, dir)
	dumpClient, dumpServer := filepath.Join(dir, "c2s"), filepath.Join(dir, "s2c")
	b := runBackground(t, "relay", "--dump-client", dumpClient, "--dump-server", dumpServer, "127.0.0.1:0", server)
	host, port, _ := strings.Cut(relayAddr(t, b.stdout), ":")
	got := pyhttp.Get(t, host, port, "/big.bin")
	if got.Status != "200" || got.Body != pyhttp.SHA256(body) {
		t.Fatalf("the client got %s, a body of hash %s; the file's is %s", got.Status, got.Body, pyhttp.SHA256(body))
	}
	srv := pyhttp.Next(t, served)
	if got.Sent != srv.Received || srv.Sent != got.Received {
		t.Errorf("client sent %s, server received %s; server sent %s, client received %s", got.Sent, srv.Received, srv.Sent, got.Received)
	}
	if code := b.wait(t); code != exitOK {
		t.Fatalf("status %d; stderr %q", code, b.stderr)
	}
	c2s, _ := os.ReadFile(dumpClient)
	s2c, _ := os.ReadFile(dumpServer)
	if pyhttp.SHA256(c2s) != got.Sent || pyhttp.SHA256(s2c) != srv.Sent || !bytes.HasSuffix(s2c, body) {
		t.Errorf("the dumps: client->server %d bytes %s, server->client %d bytes %s", len(c2s), pyhttp.SHA256(c2s), len(s2c), pyhttp.SHA256(s2c))
	}
	out := b.stdout.String()
	wantInOrder(t, out, "accepted from 127.0.0.1:", "#0 "+server+"  connected", "connected to "+server,
		"client->server ", "server->client ",
		"server->client: end of stream (FIN), passed on as a shutdown of writing\n",
		"client->server: end of stream (FIN), passed on as a shutdown of writing\n")
	closed := regexp.MustCompile(`closed: client->server (\d+) bytes \(eof\), server->client (\d+) bytes \(eof\)\n$`).FindStringSubmatch(out)
	if closed == nil || closed[1] != strconv.Itoa(len(c2s)) || closed[2] != strconv.Itoa(len(s2c)) {
		t.Errorf("the last line of:\n%s", out[max(0, len(out)-300):])
	}
	chunks := regexp.MustCompile(`(?m)^(client->server|server->client) \d+ bytes`).FindAllStringSubmatch(out, -1)
	for i := 1; i < len(chunks); i++ {
		if chunks[i-1][1] == "server->client" && chunks[i][1] == "client->server" {
			t.Errorf("a chunk of the request after the response's: %q", chunks)
			break
		}
	}
	if strings.Contains(out, "00000000  ") {
		t.Error("hex dumps while the bytes are dumped to files")
	}
}

// TestRelayHalfCloseAndJSON: the client's shutdown of writing reaches the
// server as EOF while the server still answers; the JSON events say so,
// in order.
func TestRelayHalfCloseAndJSON(t *testing.T) {
	upstream := startPeer(t, "tcp4", func(c net.Conn) {
		got, err := io.ReadAll(c)
		if err == nil {
			_, _ = c.Write(bytes.ToUpper(got))
		}
	})
	b := runBackground(t, "relay", "--json", "--json-data", "hex", "127.0.0.1:0", upstream.Addr())
	line := b.stdout.waitLine(t, `{"event":"listening"`)
	addr := strings.TrimSuffix(strings.TrimPrefix(line, `{"event":"listening","address":"`), `"}`)
	if got := talk(t, "tcp", addr, "hello"); got != "HELLO" {
		t.Errorf("the client got %q", got)
	}
	if code := b.wait(t); code != exitOK {
		t.Fatalf("status %d; stderr %q", code, b.stderr)
	}
	var names []string
	for _, ev := range jsonLines(t, b.stdout.String()) {
		switch ev["event"] {
		case "relayed", "eof", "closed":
			names = append(names, mustJSON(t, ev))
		default:
			names = append(names, ev["event"].(string))
		}
	}
	want := []string{"listening", "accepted", "attempt", "connected",
		`{"bytes":5,"data":"68656c6c6f","dir":"client_to_server","event":"relayed","total":5}`,
		`{"dir":"client_to_server","event":"eof"}`,
		`{"bytes":5,"data":"48454c4c4f","dir":"server_to_client","event":"relayed","total":5}`,
		`{"dir":"server_to_client","event":"eof"}`,
		`{"client_to_server":{"bytes":5,"end":"eof"},"event":"closed","server_to_client":{"bytes":5,"end":"eof"}}`}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}

// TestRelayResetIsPassedOn: the server's reset reaches the client as a
// reset, and relay says so with exit 1.
func TestRelayResetIsPassedOn(t *testing.T) {
	upstream := startPeer(t, "tcp4", func(c net.Conn) {
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err == nil {
			_ = c.(*net.TCPConn).SetLinger(0)
		}
	})
	b := runBackground(t, "relay", "127.0.0.1:0", upstream.Addr())
	c, err := net.DialTimeout("tcp", relayAddr(t, b.stdout), testDeadline)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(c); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the client's read ended with %v, want ECONNRESET", err)
	}
	if code := b.wait(t); code != exitNetwork {
		t.Errorf("status %d", code)
	}
	wantInOrder(t, b.stdout.String(), "client->server 4 bytes (total 4)\n", "|ping|",
		"server->client: reset (ECONNRESET), passed on as a reset\n", "closed: client->server 4 bytes (stopped), server->client 0 bytes (reset)\n")
}

// TestRelayUpstreamRefused: every attempt is reported, the client is
// reset, and relay ends with exit 1.
func TestRelayUpstreamRefused(t *testing.T) {
	refusing := closedPort(t)
	b := runBackground(t, "relay", "127.0.0.1:0", refusing)
	c, err := net.DialTimeout("tcp", relayAddr(t, b.stdout), testDeadline)
	if err == nil {
		defer c.Close()
		_, err = io.ReadAll(c)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the client ended with %v, want ECONNRESET", err)
	}
	if code := b.wait(t); code != exitNetwork {
		t.Errorf("status %d", code)
	}
	wantInOrder(t, b.stdout.String(), "accepted from ", "#0 "+refusing+"  refused      ECONNREFUSED  transient",
		"failed: connect "+refusing+": connection refused")
}

// TestRelayKeepAndUnix: with -k clients are relayed one after another,
// here from a UNIX socket to a TCP server and with a dump to stdout.
func TestRelayKeepAndUnix(t *testing.T) {
	upstream := startPeer(t, "tcp4", func(c net.Conn) {
		got, _ := io.ReadAll(c)
		_, _ = c.Write(append([]byte("echo "), got...))
	})
	path := filepath.Join(t.TempDir(), "relay.sock")
	b := runBackground(t, "relay", "-k", "--dump-server", "-", "unix:"+path, upstream.Addr())
	b.stderr.waitLine(t, "listening on ")
	for _, msg := range []string{"one", "two"} {
		if got := talk(t, "unix", path, msg); got != "echo "+msg {
			t.Errorf("the client got %q", got)
		}
		b.stderr.waitLine(t, "closed: ")
	}
	if code := b.stop(t); code != exitOK {
		t.Errorf("status %d", code)
	}
	if got := b.stdout.String(); got != "echo oneecho two" {
		t.Errorf("stdout %q", got)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket file is left: %v", err)
	}
}

// TestRelayBadInput: bad LISTEN, UPSTREAM and dumps are one line, exit
// 2, before anything is bound.
func TestRelayBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"127.0.0.1:0"},
		{"127.0.0.1:0", "a", "b"},
		{"nope", "127.0.0.1:1"},
		{"127.0.0.1:0", "host:port:x"},
		{"--dump-client", "-", "--dump-server", "-", "127.0.0.1:0", "127.0.0.1:1"},
		{"--dump-client", "", "127.0.0.1:0", "127.0.0.1:1"},
		{"--dump-server", filepath.Join(t.TempDir(), "no", "such"), "127.0.0.1:0", "127.0.0.1:1"},
	} {
		res := runCLI(t, append([]string{"relay"}, args...)...)
		oneLine(t, res.stderr)
		if res.code != exitUsage || res.stdout != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, res.code, res.stdout, res.stderr)
		}
	}
}
