package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestHexDump(t *testing.T) {
	data := []byte("GET / HTTP/1.1\r\nHost: x\x00\x7f\x80\xff")
	var b strings.Builder
	writeHexDump(&b, data, 0x20)
	want := "" +
		"00000020  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1←↓|\n" +
		"00000030  48 6f 73 74 3a 20 78 00 7f 80 ff                 |Host: x⋄•××|\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestHexDumpEmpty(t *testing.T) {
	var b strings.Builder
	writeHexDump(&b, nil, 0)
	if b.String() != "" {
		t.Errorf("got %q", b.String())
	}
}

// TestJSONEscapesInvisible checks that C1 controls (CSI, U+009B), DEL,
// and the bidirectional and zero-width characters in an event's strings
// reach the output as \u escapes, never raw, and that the JSON still
// decodes to the same text.
func TestJSONEscapesInvisible(t *testing.T) {
	var out bytes.Buffer
	j := &jsonReporter{w: &out}
	evil := "/tmp/x\u009b2J\x7f\x1b[6n \u202eevil\u202c \u200d\u200b\u200e\u200f\u061c\u202a\u2066\u2069\u2060\ufeff é"
	j.emit(map[string]string{"peer": evil})
	raw := out.Bytes()
	for _, r := range string(raw) {
		if r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || strings.ContainsRune("\u202e\u202c\u200d\u200b\u200e\u200f\u061c\u202a\u2066\u2069\u2060\ufeff", r) {
			t.Fatalf("%U written raw: %q", r, raw)
		}
	}
	if !bytes.Contains(raw, []byte(`\u202e`)) || !bytes.Contains(raw, []byte("é")) {
		t.Errorf("output %q", raw)
	}
	var back map[string]string
	if err := json.Unmarshal(raw, &back); err != nil || back["peer"] != evil {
		t.Fatalf("decoded %q, %v; want %q", back["peer"], err, evil)
	}
}
