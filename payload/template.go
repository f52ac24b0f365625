package payload

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A template is a payload with placeholders, expanded anew at each send:
//
//	{n} {counter}   the send's number, in decimal: 1 for the first send
//	{time}          the time of the send, RFC 3339 in UTC
//	{unix}          the time of the send, in seconds since 1970
//	{rand:N}        N random bytes (1 to MaxRandBytes)
//	{len8}          the length of the rest of the payload, one byte
//	{len16be} {len16le} {len32be} {len32le}
//	                the same in two or four bytes, big- or little-endian
//	                ({len16} and {len32} are big-endian, network order)
//
// A length counts every byte after its placeholder to the end of the
// payload, after expansion, other length prefixes included.
//
// In text, only these exact names are placeholders: any other brace is
// the brace it always was, and \{ is a brace even before a name ("\{n}"
// sends the three bytes {n}). Hex has no braces of its own, so there any
// brace must open a placeholder.

// MaxRandBytes is the most random bytes one {rand:N} makes.
const MaxRandBytes = 65536

// phKind is the kind of a placeholder.
type phKind uint8

const (
	phLiteral phKind = iota // not a placeholder: literal bytes
	phCounter
	phTime
	phUnix
	phRand
	phLen // a length prefix; width and order in the part
)

// part is a piece of a template: literal bytes or one placeholder.
type part struct {
	kind      phKind
	lit       []byte
	name      string // the placeholder as written, without braces
	offset    int    // where it starts in the input
	size      int    // random bytes for {rand:N}, the width for a length
	bigEndian bool   // a length's byte order
}

// Template is a payload that may hold placeholders. Parse it once with
// ParseTemplate; expand it at each send with an Expander. A Template is
// immutable and safe for concurrent use.
type Template struct {
	mode   Mode
	source string
	parts  []part
}

// ParseTemplate reads s in the given mode, as Parse does, and also reads
// the placeholders it holds. Input that Parse accepts and that holds no
// placeholder name between braces means the same bytes here.
func ParseTemplate(m Mode, s string) (*Template, error) {
	t := &Template{mode: m, source: s}
	start := 0 // start of the literal run being scanned
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && m == Text:
			i += 2 // an escape: its second byte is never a placeholder's brace
		case s[i] == '{':
			ph, end, err := placeholderAt(m, s, i)
			if err != nil {
				return nil, err
			}
			if end < 0 { // text that only looks like one
				i++
				continue
			}
			if err := t.addLiteral(s[start:i], start); err != nil {
				return nil, err
			}
			t.parts = append(t.parts, ph)
			i, start = end, end
		default:
			i++
		}
	}
	if err := t.addLiteral(s[start:], start); err != nil {
		return nil, err
	}
	return t, nil
}

// addLiteral parses a run of input without placeholders, which starts at
// offset in the whole input.
func (t *Template) addLiteral(run string, offset int) error {
	if run == "" {
		return nil
	}
	b, err := Parse(t.mode, run)
	if err != nil {
		perr := err.(*Error) // Parse fails with nothing else
		return &Error{Offset: perr.Offset + offset, Msg: perr.Msg}
	}
	if len(b) > 0 {
		t.parts = append(t.parts, part{kind: phLiteral, lit: b})
	}
	return nil
}

// placeholderAt reads the placeholder whose brace is at s[i] and returns
// it with the offset after its closing brace. In text, end is -1 when the
// brace opens no placeholder; in hex that is an error.
func placeholderAt(m Mode, s string, i int) (part, int, error) {
	window := s[i:min(len(s), i+maxPlaceholderLen+2)] // a long run of braces costs no more
	closing := strings.IndexByte(window, '}')
	if closing < 0 {
		if m == Hex {
			return part{}, 0, &Error{i, `"{" with no "}": placeholders are written {name}`}
		}
		return part{}, -1, nil
	}
	name := s[i+1 : i+closing]
	ph, known, err := placeholderNamed(name)
	switch {
	case err != nil:
		return part{}, 0, &Error{i, err.Error()}
	case !known && m == Hex:
		return part{}, 0, &Error{i, fmt.Sprintf("unknown placeholder {%s} (%s)", clip(name), placeholderNames)}
	case !known:
		return part{}, -1, nil
	}
	ph.name, ph.offset = name, i
	return ph, i + closing + 1, nil
}

// maxPlaceholderLen is the longest placeholder name looked for
// ("rand:65536" and a few leading zeros).
const maxPlaceholderLen = 16

// placeholderNames lists the placeholders, for messages.
const placeholderNames = "known: n counter time unix rand:N len8 len16be len16le len32be len32le"

// clip shortens a name quoted in a message.
func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// placeholderNamed reads a placeholder's name. known is false for a name
// that is none; err is set for a {rand:N} whose N is out of range.
func placeholderNamed(name string) (ph part, known bool, err error) {
	switch name {
	case "n", "counter":
		return part{kind: phCounter}, true, nil
	case "time":
		return part{kind: phTime}, true, nil
	case "unix":
		return part{kind: phUnix}, true, nil
	case "len8":
		return part{kind: phLen, size: 1, bigEndian: true}, true, nil
	case "len16", "len16be", "len16le":
		return part{kind: phLen, size: 2, bigEndian: name != "len16le"}, true, nil
	case "len32", "len32be", "len32le":
		return part{kind: phLen, size: 4, bigEndian: name != "len32le"}, true, nil
	}
	digits, ok := strings.CutPrefix(name, "rand:")
	if !ok || digits == "" || !isDecimal(digits) {
		return part{}, false, nil
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > MaxRandBytes {
		return part{}, false, fmt.Errorf("{rand:%s}: the count must be 1 to %d", clip(digits), MaxRandBytes)
	}
	return part{kind: phRand, size: n}, true, nil
}

func isDecimal(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Mode is the mode the template was read in.
func (t *Template) Mode() Mode { return t.mode }

// Source is the input the template was read from.
func (t *Template) Source() string { return t.source }

// HasPlaceholders reports whether the template holds any placeholder; if
// not, every expansion gives the same bytes.
func (t *Template) HasPlaceholders() bool {
	for _, p := range t.parts {
		if p.kind != phLiteral {
			return true
		}
	}
	return false
}

// Expander expands templates: it keeps the counter that {n} shows, and
// says where the time and random bytes come from. It is safe for
// concurrent use; sends that share a counter share an Expander.
type Expander struct {
	// Now gives the time for {time} and {unix}; nil is time.Now.
	Now func() time.Time
	// Rand gives the bytes of {rand:N}; nil is crypto/rand.
	Rand io.Reader

	mu    sync.Mutex
	sends int64 // expansions so far
}

// Count is how many expansions (sends) the expander has made: the last
// value {n} took.
func (x *Expander) Count() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.sends
}

// Expand gives the bytes of the next send of t: the counter goes up by
// one (every send counts, whether t shows it or not). It fails only when
// a length does not fit its prefix, or the random source fails; the
// counter then stays.
func (x *Expander) Expand(t *Template) ([]byte, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	pieces, err := x.expand(t, x.sends+1, false)
	if err != nil {
		return nil, err
	}
	x.sends++
	return joinPieces(pieces), nil
}

// Piece is a part of a preview: literal bytes, or what a placeholder
// gives.
type Piece struct {
	Data []byte
	// Placeholder is the placeholder's name as written ("len16be",
	// "rand:8"); "" for literal bytes.
	Placeholder string
	// Unknown says that the bytes are not known before the send: Data
	// holds zeros of the right length (random bytes).
	Unknown bool
}

// Preview shows what the next send of t would be, piece by piece, without
// counting a send: the next counter value, the time now, zeros for random
// bytes (marked Unknown), and exact lengths.
func (x *Expander) Preview(t *Template) ([]Piece, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.expand(t, x.sends+1, true)
}

// PreviewBytes is Preview joined into the bytes.
func (x *Expander) PreviewBytes(t *Template) ([]byte, error) {
	pieces, err := x.Preview(t)
	return joinPieces(pieces), err
}

// expand gives every part its bytes, lengths last: from the end, so that
// each length counts the expanded rest.
func (x *Expander) expand(t *Template, counter int64, preview bool) ([]Piece, error) {
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	at := now()
	pieces := make([]Piece, len(t.parts))
	for i, p := range t.parts {
		piece, err := x.value(p, counter, at, preview)
		if err != nil {
			return nil, err
		}
		pieces[i] = piece
	}
	rest := 0
	for i := len(t.parts) - 1; i >= 0; i-- {
		if p := t.parts[i]; p.kind == phLen {
			data, err := lengthPrefix(p, rest)
			if err != nil {
				return nil, err
			}
			pieces[i].Data = data
		}
		rest += len(pieces[i].Data)
	}
	return pieces, nil
}

// value is the bytes of one part, but for a length prefix.
func (x *Expander) value(p part, counter int64, at time.Time, preview bool) (Piece, error) {
	piece := Piece{Placeholder: p.name}
	switch p.kind {
	case phLiteral:
		piece.Data = p.lit
	case phCounter:
		piece.Data = strconv.AppendInt(nil, counter, 10)
	case phTime:
		piece.Data = at.UTC().AppendFormat(nil, time.RFC3339)
	case phUnix:
		piece.Data = strconv.AppendInt(nil, at.Unix(), 10)
	case phRand:
		piece.Data = make([]byte, p.size)
		if preview {
			piece.Unknown = true
			break
		}
		if err := x.random(piece.Data); err != nil {
			return Piece{}, err
		}
	}
	return piece, nil
}

// random fills p from the expander's source.
func (x *Expander) random(p []byte) error {
	src := x.Rand
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, p); err != nil {
		return fmt.Errorf("no random bytes: %w", err)
	}
	return nil
}

// lengthPrefix writes n in the placeholder's width and order.
func lengthPrefix(p part, n int) ([]byte, error) {
	if limit := uint64(1)<<(8*p.size) - 1; uint64(n) > limit {
		return nil, &Error{p.offset, fmt.Sprintf("{%s}: the rest is %d bytes, more than %d", p.name, n, limit)}
	}
	b := make([]byte, p.size)
	switch {
	case p.size == 1:
		b[0] = byte(n)
	case p.size == 2 && p.bigEndian:
		binary.BigEndian.PutUint16(b, uint16(n))
	case p.size == 2:
		binary.LittleEndian.PutUint16(b, uint16(n))
	case p.bigEndian:
		binary.BigEndian.PutUint32(b, uint32(n))
	default:
		binary.LittleEndian.PutUint32(b, uint32(n))
	}
	return b, nil
}

func joinPieces(pieces []Piece) []byte {
	n := 0
	for _, p := range pieces {
		n += len(p.Data)
	}
	out := make([]byte, 0, n)
	for _, p := range pieces {
		out = append(out, p.Data...)
	}
	return out
}

// EscapeTemplate writes p as ParseTemplate reads it in text mode, for
// people: EscapeText with every brace written \{, so that bytes which
// happen to spell a placeholder are sent as they are.
func EscapeTemplate(p []byte) string {
	return strings.ReplaceAll(EscapeText(p), "{", `\{`)
}
