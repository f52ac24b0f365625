package tlsinfo

import "bytes"

// ClientHello is what a ClientHello offers, read from the wire.
type ClientHello struct {
	LegacyVersion uint16   // the version field; TLS 1.3 offers go in Versions
	Versions      []uint16 // supported_versions, when the extension is there
	CipherSuites  []uint16
	ServerName    string   // SNI, as sent: outside text on a server
	ALPN          []string // application protocols offered, as sent
}

// ServerHello is what a ServerHello chose, read from the wire.
type ServerHello struct {
	LegacyVersion uint16
	Version       uint16 // supported_versions when there, else LegacyVersion
	CipherSuite   uint16
	ALPN          string // TLS 1.2 says it here; TLS 1.3 in the encrypted part
	// RetryRequest marks a HelloRetryRequest: the server asks for a new
	// ClientHello (another key share, usually).
	RetryRequest bool
}

// Extension numbers read here.
const (
	extServerName        = 0
	extALPN              = 16
	extSupportedVersions = 43
)

// helloRetryRandom is the random of a HelloRetryRequest (RFC 8446, 4.1.3).
var helloRetryRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// cursor reads the fields of a handshake message. Every read past the
// end yields zero values and clears ok, so a hostile message can only
// make the result incomplete.
type cursor struct {
	b  []byte
	ok bool
}

func newCursor(b []byte) *cursor { return &cursor{b: b, ok: true} }

func (c *cursor) take(n int) []byte {
	if !c.ok || n < 0 || n > len(c.b) {
		c.ok = false
		return nil
	}
	out := c.b[:n]
	c.b = c.b[n:]
	return out
}

func (c *cursor) u8() int {
	if b := c.take(1); b != nil {
		return int(b[0])
	}
	return 0
}

func (c *cursor) u16() int {
	if b := c.take(2); b != nil {
		return int(b[0])<<8 | int(b[1])
	}
	return 0
}

// vec8 and vec16 read a vector with a one- or two-byte length.
func (c *cursor) vec8() *cursor  { return newCursorIf(c, c.take(c.u8())) }
func (c *cursor) vec16() *cursor { return newCursorIf(c, c.take(c.u16())) }

func newCursorIf(parent *cursor, b []byte) *cursor { return &cursor{b: b, ok: parent.ok} }

func (c *cursor) empty() bool { return len(c.b) == 0 }

// u16s reads the rest as a list of 16-bit values.
func (c *cursor) u16s() []uint16 {
	var out []uint16
	for c.ok && len(c.b) >= 2 {
		out = append(out, uint16(c.u16()))
	}
	return out
}

// extensions calls fn for each extension in the rest of c.
func (c *cursor) extensions(fn func(typ int, body *cursor)) {
	if c.empty() {
		return
	}
	list := c.vec16()
	for list.ok && !list.empty() {
		typ := list.u16()
		body := list.vec16()
		if body.ok {
			fn(typ, body)
		}
	}
}

// parseClientHello reads a ClientHello's body.
func parseClientHello(body []byte) *ClientHello {
	c := newCursor(body)
	h := &ClientHello{LegacyVersion: uint16(c.u16())}
	c.take(32)                        // random
	c.vec8()                          // legacy_session_id
	h.CipherSuites = c.vec16().u16s() // cipher_suites
	c.vec8()                          // legacy_compression_methods
	c.extensions(func(typ int, e *cursor) {
		switch typ {
		case extServerName:
			list := e.vec16()
			for list.ok && !list.empty() {
				kind, name := list.u8(), list.vec16()
				if kind == 0 && name.ok && h.ServerName == "" {
					h.ServerName = string(name.b)
				}
			}
		case extALPN:
			h.ALPN = protocolList(e.vec16())
		case extSupportedVersions:
			h.Versions = e.vec8().u16s()
		}
	})
	return h
}

// protocolList reads an ALPN protocol name list.
func protocolList(list *cursor) []string {
	var out []string
	for list.ok && !list.empty() {
		if p := list.vec8(); p.ok {
			out = append(out, string(p.b))
		}
	}
	return out
}

// parseServerHello reads a ServerHello's body.
func parseServerHello(body []byte) *ServerHello {
	c := newCursor(body)
	h := &ServerHello{LegacyVersion: uint16(c.u16())}
	h.Version = h.LegacyVersion
	h.RetryRequest = bytes.Equal(c.take(32), helloRetryRandom)
	c.vec8() // legacy_session_id_echo
	h.CipherSuite = uint16(c.u16())
	c.u8() // legacy_compression_method
	c.extensions(func(typ int, e *cursor) {
		switch typ {
		case extSupportedVersions:
			if v := e.u16(); e.ok {
				h.Version = uint16(v)
			}
		case extALPN:
			if list := protocolList(e.vec16()); len(list) == 1 {
				h.ALPN = list[0]
			}
		}
	})
	return h
}
