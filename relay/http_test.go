package relay

import (
	"bytes"
	"strings"
	"testing"

	"sockbench/capture"
	"sockbench/internal/pyhttp"
)

// TestRelayHTTP relays Python's http.client to Python's http.server
// serving 1 MiB: the client gets the file whole; what each side received
// is, by SHA-256, what the other sent; and the conversation holds the
// request, then the whole response, in order, and the same bytes.
func TestRelayHTTP(t *testing.T) {
	dir := t.TempDir()
	body := pyhttp.RandomFile(t, dir, "big.bin", 1<<20)
	server, served := pyhttp.Server(t, dir)
	h := startRelay(t, "127.0.0.1:0", server)
	host, port, _ := strings.Cut(h.addr, ":")
	got := pyhttp.Get(t, host, port, "/big.bin")
	if got.Status != "200" || got.Body != pyhttp.SHA256(body) {
		t.Fatalf("the client got status %s and a body of hash %s; the file's is %s", got.Status, got.Body, pyhttp.SHA256(body))
	}
	srv := pyhttp.Next(t, served)
	if got.Sent != srv.Received || srv.Sent != got.Received {
		t.Errorf("client sent %s, server received %s; server sent %s, client received %s", got.Sent, srv.Received, srv.Sent, got.Received)
	}
	sum := h.summary()
	if sum.Legs[ClientToServer].End != EndEOF || sum.Legs[ServerToClient].End != EndEOF {
		t.Errorf("summary %+v", sum)
	}
	conv, _, _ := h.stores()
	checkConversation(t, conv, got.Sent, srv.Sent, body)
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
	if pyhttp.SHA256(request) != requestSum || pyhttp.SHA256(response) != responseSum {
		t.Errorf("the conversation's request is %s, response %s", pyhttp.SHA256(request), pyhttp.SHA256(response))
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
