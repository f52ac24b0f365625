package capture

import (
	"strings"
	"testing"
	"unicode/utf8"

	"sockbench/safe"
)

// hostile holds what a peer may send to take over a terminal: ESC and CSI
// sequences (clear screen, cursor report), OSC 52 and a title change, C1
// CSI (0x9b), BEL, backspace, CR, NUL, DEL and invalid UTF-8.
var hostile = []byte("\x1b[2J\x1b[6n\x1b]52;c;aGk=\x07\x1b]0;pwned\x07\x9b31m\x08\r\x00\x7f\xff\xfe ok")

func TestTranscriptIsSafeToCat(t *testing.T) {
	s := NewStore(0)
	s.Append(Received, t0, "\x1b]0;peer\x07", hostile)
	s.Append(Sent, t0, "", hostile[3:])
	for _, render := range []func([]byte) string{safe.Bytes, nil} {
		var out strings.Builder
		if err := s.WriteTranscript(&out, All, render); err != nil {
			t.Fatal(err)
		}
		text := out.String()
		if !utf8.ValidString(text) {
			t.Fatalf("transcript is not valid UTF-8: %q", text)
		}
		for _, r := range text {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("transcript holds control %U: %q", r, text)
			}
		}
		if n := strings.Count(text, "\n"); n != s.Rows(All) {
			t.Fatalf("%d lines for %d rows: %q", n, s.Rows(All), text)
		}
	}
}
