package cli

import (
	"sockbench/netcore"
	"sockbench/relay"
)

// relayReporter prints the events of relay: those it shares with connect
// and listen, and its own.
type relayReporter interface {
	reporter
	relayed(d relay.Dir, data []byte, total int64) // a chunk went on
	legEnded(ev relay.Event)                       // a direction ended: EOF, Reset or Failed
	relayClosed(sum relay.Summary)                 // a session ended
}

func (p *plainReporter) relayed(d relay.Dir, data []byte, total int64) {
	p.line("%s %d bytes (total %d)", d, len(data), total)
	if p.dump {
		writeHexDump(p.w, data, total-int64(len(data)))
	}
}

func (p *plainReporter) legEnded(ev relay.Event) {
	switch ev.Kind {
	case relay.EOF:
		p.line("%s: end of stream (FIN), passed on as a shutdown of writing", ev.Dir)
	case relay.Reset:
		p.line("%s: reset (ECONNRESET), passed on as a reset", ev.Dir)
	default:
		p.line("%s: failed: %s; the other side is reset", ev.Dir, errorText(ev.Err))
	}
}

func (p *plainReporter) relayClosed(sum relay.Summary) {
	c, s := sum.Legs[relay.ClientToServer], sum.Legs[relay.ServerToClient]
	p.line("closed: %s %d bytes (%s), %s %d bytes (%s)", relay.ClientToServer, c.Bytes, c.End,
		relay.ServerToClient, s.Bytes, s.End)
}

// jsonDir names a direction in JSON, as the keys of the closed event do.
func jsonDir(d relay.Dir) string {
	if d == relay.ServerToClient {
		return "server_to_client"
	}
	return "client_to_server"
}

type relayedEvent struct {
	Event string `json:"event"`
	Dir   string `json:"dir"`
	Bytes int    `json:"bytes"`
	Total int64  `json:"total"`
	Data  string `json:"data,omitempty"`
}

type legEvent struct {
	Event   string `json:"event"` // "eof", "reset" or "failed"
	Dir     string `json:"dir"`
	Errno   string `json:"errno,omitempty"`
	Message string `json:"message,omitempty"`
}

type legSummary struct {
	Bytes int64  `json:"bytes"`
	End   string `json:"end"`
}

type relayClosedEvent struct {
	Event          string     `json:"event"`
	ClientToServer legSummary `json:"client_to_server"`
	ServerToClient legSummary `json:"server_to_client"`
}

func (j *jsonReporter) relayed(d relay.Dir, data []byte, total int64) {
	j.emit(relayedEvent{Event: "relayed", Dir: jsonDir(d), Bytes: len(data), Total: total, Data: j.encode(data)})
}

func (j *jsonReporter) legEnded(ev relay.Event) {
	out := legEvent{Event: "failed", Dir: jsonDir(ev.Dir), Errno: netcore.ErrnoName(netcore.ErrnoOf(ev.Err))}
	switch ev.Kind {
	case relay.EOF:
		out.Event = "eof"
	case relay.Reset:
		out.Event = "reset"
	default:
		out.Message = messageOf(ev.Err)
	}
	j.emit(out)
}

func (j *jsonReporter) relayClosed(sum relay.Summary) {
	leg := func(l relay.Leg) legSummary { return legSummary{Bytes: l.Bytes, End: l.End.String()} }
	j.emit(relayClosedEvent{Event: "closed", ClientToServer: leg(sum.Legs[relay.ClientToServer]),
		ServerToClient: leg(sum.Legs[relay.ServerToClient])})
}
