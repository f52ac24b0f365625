package lab

import (
	"context"
	"time"

	"sockbench/netcore"
)

// handler is one kind of service: how it serves a TCP connection and how
// it answers a datagram. The TCP and UDP services of a kind share it.
type handler struct {
	kind    Kind
	tcpHelp string
	udpHelp string
	// stream serves one accepted TCP connection until it ends.
	stream func(ctx context.Context, c *netcore.Socket, reply replyFunc) error
	// reply answers the n-th datagram (or, for echo and discard, each TCP
	// read); nil means no answer.
	reply replyFunc
}

type replyFunc func(n uint64, in []byte) []byte

// handlers lists the kinds in the order Services shows them.
var handlers = []handler{
	{Echo, "sends back every byte you send (RFC 862)",
		"answers each datagram with the same bytes (RFC 862)", answerEach, echoReply},
	{Discard, "takes everything you send and never answers (RFC 863)",
		"takes datagrams and never answers (RFC 863)", answerEach, discardReply},
	{Chargen, "sends 72-character lines of rotating ASCII until you close (RFC 864)",
		"answers each datagram with the next 72-character line (RFC 864)", sendForever, chargenReply},
	{Daytime, "sends the date and time as one line, then closes (RFC 867)",
		"answers any datagram with the date and time as one line (RFC 867)", sendOnce, daytimeReply},
}

func (h handler) help(network string) string {
	if network == "udp" {
		return h.udpHelp
	}
	return h.tcpHelp
}

// readSize is the receive buffer of every service.
const readSize = 64 << 10

// answerEach reads until the peer closes and sends reply's answer to each
// read (echo, discard).
func answerEach(ctx context.Context, c *netcore.Socket, reply replyFunc) error {
	buf := make([]byte, readSize)
	for n := uint64(0); ; n++ {
		got, err := c.Receive(ctx, buf, 0)
		if err != nil || got == 0 {
			return err
		}
		if out := reply(n, buf[:got]); len(out) > 0 {
			if _, err := c.SendAll(ctx, out, 0); err != nil {
				return err
			}
		}
	}
}

// sendOnce sends reply's answer and returns, so the connection closes
// (daytime).
func sendOnce(ctx context.Context, c *netcore.Socket, reply replyFunc) error {
	_, err := c.SendAll(ctx, reply(0, nil), 0)
	return err
}

// sendForever sends the chargen pattern until the peer goes away or ctx
// ends. A peer that does not read leaves it waiting in send, not spinning.
// It sends a whole cycle of lines at a time rather than line by line, so
// a reading client gets full segments.
func sendForever(ctx context.Context, c *netcore.Socket, _ replyFunc) error {
	for {
		if _, err := c.SendAll(ctx, chargenCycle, 0); err != nil {
			return err
		}
	}
}

func echoReply(_ uint64, in []byte) []byte { return in }

func discardReply(uint64, []byte) []byte { return nil }

// The chargen pattern (RFC 864): the 95 printable ASCII characters as a
// ring, starting at '!' with the space last, as in the RFC's example. Line
// n holds the 72 characters from position n on, then CR LF.
const (
	ringSize = 95
	lineLen  = 72
)

// chargenCycle is lines 0 to 94; after it the pattern starts again.
var chargenCycle = func() []byte {
	out := make([]byte, 0, ringSize*(lineLen+2))
	for n := range ringSize {
		out = append(out, chargenLine(n)...)
	}
	return out
}()

func chargenLine(n int) []byte {
	line := make([]byte, 0, lineLen+2)
	for i := range lineLen {
		line = append(line, ' '+byte((n+i+1)%ringSize))
	}
	return append(line, '\r', '\n')
}

// chargenReply answers datagram n with line n of the pattern: a known
// answer rather than the RFC's random length, so that users and tests can
// recognise it.
func chargenReply(n uint64, _ []byte) []byte {
	line := int(n%ringSize) * (lineLen + 2)
	return chargenCycle[line : line+lineLen+2]
}

// daytimeLayout is the usual daytime format (RFC 867 gives it as an
// example): "Tuesday, February 22, 1982 17:37:43-PST".
const daytimeLayout = "Monday, January 2, 2006 15:04:05-MST"

func daytimeReply(uint64, []byte) []byte {
	return append([]byte(time.Now().Format(daytimeLayout)), '\r', '\n')
}
