package cli

import (
	"strings"
	"testing"
)

func TestHexDump(t *testing.T) {
	data := []byte("GET / HTTP/1.1\r\nHost: x\x00\x7f\x80\xff")
	var b strings.Builder
	writeHexDump(&b, data, 0x20)
	want := "" +
		"00000020  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1__|\n" +
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
