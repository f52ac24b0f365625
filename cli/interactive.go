package cli

import (
	"io"
	"os"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"

	"sockbench/safe"
)

// isTerminal reports whether v is an *os.File open on a terminal, or a
// writer that wraps one (the command's gathered stdout).
func isTerminal(v any) bool {
	if w, ok := v.(interface{ Unwrap() io.Writer }); ok {
		v = w.Unwrap()
	}
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// isInteractiveInput reports whether stdin is something to send as it
// comes, as nc does: a terminal, a pipe, a socket or a file. /dev/null
// and other devices are not, nor a reader that is not a file (tests).
func isInteractiveInput(stdin io.Reader) bool {
	f, ok := stdin.(*os.File)
	if !ok {
		return false
	}
	if isTerminal(f) {
		return true
	}
	info, err := f.Stat()
	if err != nil {
		return false
	}
	mode := info.Mode()
	return mode&(os.ModeNamedPipe|os.ModeSocket) != 0 || mode.IsRegular()
}

// terminalSafe returns w itself, unless w is a terminal: then a writer
// that shows the bytes through package safe, keeping line breaks.
func terminalSafe(w io.Writer) io.Writer {
	if !isTerminal(w) {
		return w
	}
	return &safeLines{w: w}
}

// safeLines writes received bytes to a terminal: each line through
// safe.Text, with "\n" (or "\r\n") kept as the line break. A UTF-8
// sequence cut between two writes waits for its end.
type safeLines struct {
	w       io.Writer
	partial []byte // the start of a rune cut off at the end of the last write
}

func (s *safeLines) Write(p []byte) (int, error) {
	data := append(s.partial, p...)
	s.partial = nil
	if cut := incompleteTail(data); cut < len(data) {
		s.partial = append([]byte(nil), data[cut:]...)
		data = data[:cut]
	}
	out := make([]byte, 0, len(data)+16)
	for len(data) > 0 {
		line, rest, found := cutLine(data)
		out = append(out, safe.Bytes(line)...)
		if found {
			out = append(out, '\n')
		}
		data = rest
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// cutLine cuts data after its first "\n", leaving out the "\n" and a "\r"
// before it.
func cutLine(data []byte) (line, rest []byte, found bool) {
	for i, c := range data {
		if c == '\n' {
			line = data[:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, data[i+1:], true
		}
	}
	return data, nil, false
}

// incompleteTail returns where an unfinished UTF-8 sequence at the end of
// data begins, or len(data) when there is none.
func incompleteTail(data []byte) int {
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				return i
			}
			break
		}
	}
	return len(data)
}

// Flush writes a rune left cut off at the end of the stream, as the
// invalid bytes it is.
func (s *safeLines) Flush() error {
	if len(s.partial) == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, safe.Bytes(s.partial))
	s.partial = nil
	return err
}
