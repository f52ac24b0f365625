package cli

import (
	"fmt"
	"io"
	"strings"

	"sockbench/safe"
)

// hexDumpWidth is the number of bytes on a line of the hex dump.
const hexDumpWidth = 16

// writeHexDump writes data as a hex dump, 16 bytes a line: the stream
// offset of the line's first byte (data starts at offset), the bytes as
// lowercase hex pairs separated by single spaces, and the bytes again as
// text between bars, each byte one column by safe.ByteGlyph.
func writeHexDump(w io.Writer, data []byte, offset int64) {
	var b strings.Builder
	for start := 0; start < len(data); start += hexDumpWidth {
		end := min(start+hexDumpWidth, len(data))
		hexDumpLine(&b, data[start:end], offset+int64(start))
	}
	_, _ = io.WriteString(w, b.String())
}

// hexDumpLine writes one line of the dump, padding a short last line so
// that its text column lines up with the others.
func hexDumpLine(b *strings.Builder, line []byte, offset int64) {
	const digits = "0123456789abcdef"
	fmt.Fprintf(b, "%08x  ", offset)
	for i, c := range line {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&0xf])
	}
	b.WriteString(strings.Repeat("   ", hexDumpWidth-len(line)))
	b.WriteString("  |")
	for _, c := range line {
		b.WriteRune(safe.ByteGlyph(c))
	}
	b.WriteString("|\n")
}
