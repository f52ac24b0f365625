package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/snippets"
)

// sendChunkSize is how much of a file or of stdin is read at a time: large
// enough for the kernel to take in few calls, small enough for constant
// memory.
const sendChunkSize = 256 << 10

// maxDatagramFile is the largest --send-file sent as one datagram: more
// than any datagram socket takes.
const maxDatagramFile = 16 << 20

// payloadSource is what an exchange sends: nothing, fixed bytes, bytes
// made anew for each send (--expand), a snippet's steps, or a file or
// stdin read as the sending goes.
type payloadSource struct {
	given    bool              // false: nothing to send
	data     []byte            // the bytes, unless another field is set
	template *payload.Template // --expand: the payload, expanded at each send
	snippet  *snippets.Snippet // --snippet: the steps to run
	path     string            // --send-file's path; "-" for stdin
	size     int64             // the number of bytes to send, -1 when not known
	stdin    io.Reader
}

// sendSource reads --send, --send-hex or --send-file; at most one may be
// given. A file is opened and checked here, before any connection, and
// read whole only for a datagram socket (whose payload is one datagram).
func (f *exchangeFlags) sendSource(e *env, typ netcore.SockType) (payloadSource, error) {
	given := 0
	for _, s := range []*stringFlag{&f.sendText, &f.sendHex, &f.sendFile, &f.snippet} {
		if s.set {
			given++
		}
	}
	switch {
	case given > 1:
		return payloadSource{}, usagef("give only one of --send, --send-hex, --send-file and --snippet")
	case f.expand && !f.sendText.set && !f.sendHex.set:
		return payloadSource{}, usagef("--expand needs --send or --send-hex")
	case f.snippetsFile.set && !f.snippet.set:
		return payloadSource{}, usagef("--snippets needs --snippet")
	case f.sendText.set:
		return parsedSource("--send", payload.Text, f.sendText.value, f.expand)
	case f.sendHex.set:
		return parsedSource("--send-hex", payload.Hex, f.sendHex.value, f.expand)
	case f.snippet.set:
		return f.snippetSource(e)
	case f.sendFile.set:
		src, err := fileSource(f.sendFile.value, e.stdin)
		if err != nil || typ == netcore.SockStream {
			return src, err
		}
		return wholeDatagram(e.ctx, src)
	}
	return payloadSource{}, nil
}

// parsedSource reads --send or --send-hex; with expand, as a template
// whose placeholders are expanded at each send.
func parsedSource(flagName string, mode payload.Mode, s string, expand bool) (payloadSource, error) {
	if expand {
		tpl, err := payload.ParseTemplate(mode, s)
		if err != nil {
			return payloadSource{}, inputf("bad %s: %v", flagName, err)
		}
		return payloadSource{given: true, template: tpl, size: -1}, nil
	}
	data, err := payload.Parse(mode, s)
	if err != nil {
		return payloadSource{}, inputf("bad %s: %v", flagName, err)
	}
	return bytesSource(data), nil
}

func bytesSource(data []byte) payloadSource {
	return payloadSource{given: true, data: data, size: int64(len(data))}
}

// fileSource checks that path names something readable: it opens it and
// closes it again; each exchange opens it anew, so that listen can send it
// to one client after another.
func fileSource(path string, stdin io.Reader) (payloadSource, error) {
	switch path {
	case "":
		return payloadSource{}, usagef("--send-file needs a PATH (- for stdin)")
	case "-":
		return payloadSource{given: true, path: path, size: -1, stdin: stdin}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return payloadSource{}, inputf("cannot read --send-file: %s", fileErrorText(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return payloadSource{}, inputf("cannot read --send-file: %s", fileErrorText(err))
	}
	if info.IsDir() {
		return payloadSource{}, inputf("cannot read --send-file: %s is a directory", netcore.QuoteInput(path))
	}
	size := int64(-1)
	if info.Mode().IsRegular() {
		size = info.Size()
	}
	return payloadSource{given: true, path: path, size: size}, nil
}

// fileErrorText is the message of a failed open or read, with the path cut
// short if it is long.
func fileErrorText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s %s: %v", pe.Op, netcore.QuoteInput(pe.Path), pe.Err)
	}
	return err.Error()
}

// wholeDatagram reads a file source into memory, for a datagram socket.
// Reading follows the context, so that a blocked stdin does not hold up
// Ctrl+C.
func wholeDatagram(ctx context.Context, src payloadSource) (payloadSource, error) {
	r, closeReader, err := src.open(nil)
	if err != nil {
		return payloadSource{}, err
	}
	defer closeReader()
	chunks := readChunks(io.LimitReader(r, maxDatagramFile+1), src.mayBlock())
	defer chunks.stop()
	var all bytes.Buffer
	for {
		data, readErr, err := chunks.next(ctx)
		if err != nil {
			return payloadSource{}, err
		}
		all.Write(data)
		chunks.recycle(data)
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			return payloadSource{}, inputf("cannot read --send-file: %s", fileErrorText(readErr))
		}
	}
	if all.Len() > maxDatagramFile {
		return payloadSource{}, inputf("--send-file: more than %d bytes is too large for one datagram", maxDatagramFile)
	}
	return bytesSource(all.Bytes()), nil
}

// bytes is the payload to send now: the template expanded anew (which
// counts a send), or the bytes given.
func (p payloadSource) bytes(x *payload.Expander) ([]byte, error) {
	if p.template == nil {
		return p.data, nil
	}
	data, err := x.Expand(p.template)
	if err != nil {
		return nil, inputf("cannot expand the payload: %v", err)
	}
	return data, nil
}

// open returns a reader of the payload and a function that closes what it
// opened; a template is expanded with x.
func (p payloadSource) open(x *payload.Expander) (io.Reader, func(), error) {
	switch {
	case p.path == "":
		data, err := p.bytes(x)
		if err != nil {
			return nil, nil, err
		}
		return bytes.NewReader(data), func() {}, nil
	case p.path == "-":
		return p.stdin, func() {}, nil
	}
	f, err := os.Open(p.path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read --send-file: %s", fileErrorText(err))
	}
	return f, func() { _ = f.Close() }, nil
}

// chunkSource hands out what a reader gives, a chunk at a time.
type chunkSource interface {
	// next returns the next chunk and the read's error (io.EOF at the
	// end), or the cancellation of ctx as err.
	next(ctx context.Context) (data []byte, readErr, err error)
	// recycle gives a chunk's buffer back for a later read.
	recycle(data []byte)
	// stop ends the reading.
	stop()
}

// readChunks reads r a chunk at a time: in this goroutine when reads
// cannot block for long (a regular file, bytes), otherwise in a goroutine
// of its own.
func readChunks(r io.Reader, mayBlock bool) chunkSource {
	if mayBlock {
		return startChunkReader(r)
	}
	return &directChunks{r: r, buf: make([]byte, sendChunkSize)}
}

// mayBlock reports whether reading the payload may wait for long: stdin,
// or a file that is not a regular one (a pipe, a terminal).
func (p payloadSource) mayBlock() bool { return p.path == "-" || p.path != "" && p.size < 0 }

// directChunks reads in the caller's goroutine, into one buffer.
type directChunks struct {
	r   io.Reader
	buf []byte
}

func (d *directChunks) next(ctx context.Context) ([]byte, error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, cancelledError("read", err)
	}
	n, err := d.r.Read(d.buf)
	return d.buf[:n], err, nil
}

func (d *directChunks) recycle([]byte) {}
func (d *directChunks) stop()          {}

// cancelledError is the failure of an operation that a context ended.
func cancelledError(op string, err error) error {
	return &netcore.Error{Op: op, Class: netcore.ClassCancelled, Err: err}
}

// chunkReader reads from a reader in a goroutine of its own, one chunk
// ahead of the sender, so that a read that blocks (a terminal, an idle
// pipe) never holds up cancellation. It allocates two buffers and no more.
type chunkReader struct {
	full chan readChunk
	free chan []byte
	done chan struct{}
}

type readChunk struct {
	data []byte
	err  error
}

func startChunkReader(r io.Reader) *chunkReader {
	c := &chunkReader{full: make(chan readChunk, 1), free: make(chan []byte, 2), done: make(chan struct{})}
	c.free <- make([]byte, sendChunkSize)
	c.free <- make([]byte, sendChunkSize)
	go c.run(r)
	return c
}

func (c *chunkReader) run(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-c.free:
		case <-c.done:
			return
		}
		n, err := r.Read(buf)
		select {
		case c.full <- readChunk{buf[:n], err}:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *chunkReader) next(ctx context.Context) ([]byte, error, error) {
	select {
	case ch := <-c.full:
		return ch.data, ch.err, nil
	case <-ctx.Done():
		return nil, nil, cancelledError("read", ctx.Err())
	}
}

func (c *chunkReader) recycle(data []byte) { c.free <- data[:cap(data)] }

// stop ends the reading goroutine once its read returns; a read that
// blocks for good (stdin) ends with the process.
func (c *chunkReader) stop() { close(c.done) }
