// Package tlsinfo shows TLS for people: it watches a connection's bytes
// and reads its record layer, runs the handshake (crypto/tls does the
// protocol) as a client or a server, and reports what happened in words:
// each step with its time, the result, the peer's certificate chain, and
// a failure in plain words, each kind of its own.
//
// Everything a peer sends (certificate fields, the server name a client
// asked for, the first bytes of a plaintext answer) is kept raw in the
// structures; every function that makes words for people passes it
// through package safe.
package tlsinfo

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Direction says which way bytes went.
type Direction uint8

// Directions.
const (
	Sent     Direction = iota // from us to the peer
	Received                  // from the peer to us
)

// String returns "sent" or "received".
func (d Direction) String() string {
	if d == Sent {
		return "sent"
	}
	return "received"
}

// Record is one TLS record seen on the wire.
type Record struct {
	Seq       int       // its number on the connection, from 0, both directions together
	Dir       Direction // who sent it
	Time      time.Time // when its first byte was seen: its write began, or its read returned
	Type      ContentType
	Version   uint16 // the record layer's version field (TLS 1.3 keeps it at 1.2)
	Length    int    // the length of its body
	Protected bool   // the body is encrypted, so only its size says anything
	// Messages are the handshake messages that begin in the record, when
	// it is in clear.
	Messages []HandshakeType
	// Alert is the alert it carries, when it is in clear.
	Alert *Alert
}

// Words describes the record on one line, as a record-layer view shows
// it: "#0 sent handshake TLS 1.0, 512 bytes: ClientHello", "#7 received
// application_data TLS 1.2, 53 bytes, encrypted".
func (r Record) Words() string {
	words := fmt.Sprintf("#%d %s %s %s, %s", r.Seq, r.Dir, r.Type, VersionName(r.Version), plural(r.Length, "byte"))
	switch {
	case r.Protected:
		words += ", encrypted"
	case r.Alert != nil:
		words += ": " + r.Alert.String()
	case len(r.Messages) > 0:
		names := make([]string, len(r.Messages))
		for i, m := range r.Messages {
			names[i] = m.String()
		}
		words += ": " + strings.Join(names, ", ")
	}
	return words
}

// Alert is a TLS alert: its level (1 warning, 2 fatal) and description.
type Alert struct {
	Level uint8
	Code  uint8
}

// String gives "fatal handshake_failure".
func (a Alert) String() string {
	level := "warning"
	if a.Level == 2 {
		level = "fatal"
	}
	return level + " " + AlertName(a.Code)
}

// Message is a handshake message seen in clear.
type Message struct {
	Dir          Direction
	Time         time.Time // when its last byte was seen
	Type         HandshakeType
	Length       int
	Certificates int          // for a Certificate message: how many it holds
	ClientHello  *ClientHello // for a ClientHello
	ServerHello  *ServerHello // for a ServerHello or HelloRetryRequest
}

// Limits of what a Wire keeps.
const (
	// MaxRecords is how many of the latest records a Wire keeps, besides
	// the first keepFirst (the handshake): Records shows them, Dropped
	// counts the others.
	MaxRecords = 4096
	keepFirst  = 64
	// FirstBytes is how many of the first bytes of each direction a Wire
	// keeps, to show what came when it was not TLS.
	FirstBytes = 256
	// maxRecordBody is the longest record body TLS allows (2^14 bytes of
	// data plus 2048 of protection, RFC 5246 6.2.3).
	maxRecordBody = 1<<14 + 2048
	// maxMessage is the longest handshake message kept to read; longer
	// ones are noted and skipped.
	maxMessage = 1 << 18
)

// Wire is a net.Conn that watches the bytes going each way and reads the
// TLS record layer in them, without changing them. crypto/tls runs on top
// of it, on top of the connection it wraps.
//
// Bytes sent are read as their write begins, so that no record an answer
// brought is listed before the record that caused it.
type Wire struct {
	net.Conn
	observe func(Record)

	mu        sync.Mutex
	pending   []byte // bytes read before the watch began, for the first reads
	dirs      [2]wireDirection
	records   []Record
	seq       int
	messages  []Message
	version13 bool // a ServerHello (or HelloRetryRequest) chose TLS 1.3
}

// wireDirection is the record reader of one direction.
type wireDirection struct {
	header    []byte    // the header being read
	started   time.Time // when the header's first byte was seen
	cur       *Record   // the record whose body is being read
	left      int       // bytes of its body still to come
	hs        []byte    // handshake bytes in clear, put together into messages
	announced bool      // the message at the start of hs is noted in its record
	skip      int       // bytes of a message too long to keep, still to skip
	alert     []byte
	protected bool // this side encrypts its handshake records from now on
	notTLS    bool // a header made no sense: the rest is not read
	first     []byte
	total     int64
}

// Watch wraps c. pending are bytes already read from c's peer that
// belong to the TLS stream (read while speaking a plaintext protocol, or
// a ClientHello that came before the upgrade): the first reads return
// them. observe, if not nil, is called with each record once its last
// byte is seen, from the goroutine that read or wrote it.
func Watch(c net.Conn, pending []byte, observe func(Record)) *Wire {
	w := &Wire{Conn: c, observe: observe, pending: append([]byte(nil), pending...)}
	return w
}

// Read reads from the connection (or the pending bytes first) and reads
// the records in what came.
func (w *Wire) Read(p []byte) (int, error) {
	w.mu.Lock()
	if len(w.pending) > 0 {
		n := copy(p, w.pending)
		w.pending = w.pending[n:]
		done := w.feedLocked(Received, p[:n], time.Now())
		w.mu.Unlock()
		w.notify(done)
		return n, nil
	}
	w.mu.Unlock()
	n, err := w.Conn.Read(p)
	if n > 0 {
		w.see(Received, p[:n])
	}
	return n, err
}

// Write reads the records in p, then writes it.
func (w *Wire) Write(p []byte) (int, error) {
	w.see(Sent, p)
	return w.Conn.Write(p)
}

func (w *Wire) see(dir Direction, p []byte) {
	w.mu.Lock()
	done := w.feedLocked(dir, p, time.Now())
	w.mu.Unlock()
	w.notify(done)
}

func (w *Wire) notify(done []Record) {
	if w.observe == nil {
		return
	}
	for _, r := range done {
		w.observe(r)
	}
}

// Records returns the records seen so far, in the order they ended: the
// first ones and the latest MaxRecords.
func (w *Wire) Records() []Record {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Record(nil), w.records...)
}

// Dropped returns how many records Records no longer shows.
func (w *Wire) Dropped() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq - len(w.records)
}

// Messages returns the handshake messages seen in clear.
func (w *Wire) Messages() []Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Message(nil), w.messages...)
}

// First returns the first bytes (up to FirstBytes) that went one way.
func (w *Wire) First(dir Direction) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.dirs[dir].first...)
}

// NotTLS reports whether the bytes that went one way stopped looking like
// TLS records; Records lists those before that point.
func (w *Wire) NotTLS(dir Direction) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dirs[dir].notTLS
}

// Total returns how many bytes went one way.
func (w *Wire) Total(dir Direction) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dirs[dir].total
}

// feedLocked reads the records in p and returns those it completed.
func (w *Wire) feedLocked(dir Direction, p []byte, now time.Time) []Record {
	d := &w.dirs[dir]
	d.total += int64(len(p))
	if keep := FirstBytes - len(d.first); keep > 0 {
		d.first = append(d.first, p[:min(keep, len(p))]...)
	}
	var done []Record
	for len(p) > 0 && !d.notTLS {
		if d.cur == nil {
			if len(d.header) == 0 {
				d.started = now
			}
			n := min(5-len(d.header), len(p))
			d.header, p = append(d.header, p[:n]...), p[n:]
			if len(d.header) < 5 {
				break
			}
			if !w.startRecord(d, dir) {
				d.notTLS = true
				break
			}
		} else {
			n := min(d.left, len(p))
			w.body(d, dir, p[:n], now)
			d.left, p = d.left-n, p[n:]
		}
		if d.cur != nil && d.left == 0 {
			done = append(done, w.endRecord(d))
		}
	}
	return done
}

// startRecord reads a record header; false when it is not one.
func (w *Wire) startRecord(d *wireDirection, dir Direction) bool {
	h := d.header
	typ, length := ContentType(h[0]), int(h[3])<<8|int(h[4])
	d.header = d.header[:0]
	if typ < TypeChangeCipherSpec || typ > TypeHeartbeat || h[1] != 3 || length > maxRecordBody {
		return false
	}
	d.cur = &Record{Dir: dir, Time: d.started, Type: typ, Version: uint16(h[1])<<8 | uint16(h[2]), Length: length}
	switch typ {
	case TypeApplicationData:
		d.cur.Protected = true
	case TypeAlert:
		d.cur.Protected = length != 2 // an alert in clear is two bytes; a protected one is longer
	case TypeHandshake, TypeHeartbeat:
		d.cur.Protected = d.protected
	}
	d.left = length
	return true
}

// body reads part of the current record's body.
func (w *Wire) body(d *wireDirection, dir Direction, b []byte, now time.Time) {
	switch {
	case d.cur.Protected:
	case d.cur.Type == TypeHandshake:
		w.handshakeBytes(d, dir, b, now)
	case d.cur.Type == TypeAlert:
		d.alert = append(d.alert, b...)
	}
}

// endRecord ends the current record and keeps it.
func (w *Wire) endRecord(d *wireDirection) Record {
	r := d.cur
	d.cur = nil
	if r.Type == TypeAlert && !r.Protected && len(d.alert) == 2 {
		r.Alert = &Alert{Level: d.alert[0], Code: d.alert[1]}
	}
	d.alert = d.alert[:0]
	if r.Type == TypeChangeCipherSpec && !w.version13 {
		d.protected = true // TLS 1.2: this side encrypts from here on
	}
	r.Seq = w.seq
	w.seq++
	w.records = append(w.records, *r)
	if len(w.records) >= keepFirst+2*MaxRecords {
		n := copy(w.records[keepFirst:], w.records[len(w.records)-MaxRecords:])
		w.records = w.records[:keepFirst+n]
	}
	return *r
}

// handshakeBytes puts handshake bytes in clear together into messages.
func (w *Wire) handshakeBytes(d *wireDirection, dir Direction, b []byte, now time.Time) {
	for len(b) > 0 || len(d.hs) >= 4 {
		if d.skip > 0 {
			n := min(d.skip, len(b))
			d.skip, b = d.skip-n, b[n:]
			continue
		}
		d.hs, b = append(d.hs, b...), nil
		if len(d.hs) < 4 {
			return
		}
		typ, length := HandshakeType(d.hs[0]), int(d.hs[1])<<16|int(d.hs[2])<<8|int(d.hs[3])
		if !d.announced {
			d.cur.Messages = append(d.cur.Messages, typ)
			d.announced = true
		}
		switch {
		case length > maxMessage:
			w.message(dir, typ, length, nil, now)
			b, d.hs, d.skip = d.hs[4:], nil, length
		case len(d.hs) >= 4+length:
			w.message(dir, typ, length, d.hs[4:4+length], now)
			b, d.hs = d.hs[4+length:], nil
		default:
			return
		}
		d.announced = false
	}
}

// message notes a handshake message; the hellos are read, and a
// ServerHello choosing TLS 1.3 means everything after it is encrypted.
func (w *Wire) message(dir Direction, typ HandshakeType, length int, body []byte, now time.Time) {
	m := Message{Dir: dir, Time: now, Type: typ, Length: length}
	if body != nil {
		switch typ {
		case MsgClientHello:
			m.ClientHello = parseClientHello(body)
		case MsgServerHello:
			m.ServerHello = parseServerHello(body)
			w.serverHello(m.ServerHello)
		case MsgCertificate:
			m.Certificates = countCertificates(body)
		}
	}
	w.messages = append(w.messages, m)
}

func (w *Wire) serverHello(h *ServerHello) {
	if h.Version != 0x0304 {
		return
	}
	w.version13 = true
	if !h.RetryRequest {
		w.dirs[Sent].protected, w.dirs[Received].protected = true, true
	}
}

// countCertificates counts the entries of a TLS 1.2 Certificate message
// (a TLS 1.3 one is never in clear).
func countCertificates(body []byte) int {
	c := newCursor(body)
	list := newCursorIf(c, c.take(c.u8()<<16|c.u16()))
	n := 0
	for list.ok && !list.empty() {
		list.take(list.u8()<<16 | list.u16())
		if list.ok {
			n++
		}
	}
	return n
}
