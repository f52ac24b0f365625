package ui

import (
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"sockbench/capture"
	"sockbench/netcore"
	"sockbench/themes"
)

// The golden files under testdata hold each panel as drawn from fixed
// view data: the text as a terminal shows it, and for the whole screen
// the styled output too. After a deliberate change of the drawing,
// regenerate them with: go test ./ui -update

var goldenTime = time.Date(2026, 12, 1, 16, 52, 21, 123456000, time.UTC)

// plainGolden compares a drawing's text with its golden file, after
// checking that it fills w x h cells exactly.
func plainGolden(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if cw := ansi.StringWidth(l); cw != w {
			t.Errorf("line %d is %d cells, want %d", i, cw, w)
		}
	}
	golden.RequireEqual(t, ansi.Strip(out))
}

func goldenStyles() *Styles { return NewStyles(themes.MustGet("dark")) }

func TestGoldenLab(t *testing.T) {
	v := LabView{Selected: 1, Rows: []LabRow{
		{Name: "echo/tcp", Kind: "echo", Network: "tcp", Addr: "127.0.0.1:40001", Help: "sends back what it gets"},
		{Name: "echo/tcp", Kind: "echo", Network: "tcp", Addr: "[::1]:40002", Help: "sends back what it gets"},
		{Name: "refuser", Kind: "refuser", Network: "tcp", Addr: "127.0.0.1:40003", Help: "refuses: nothing listens"},
	}}
	plainGolden(t, RenderLab(goldenStyles(), v, 42, 9, true), 42, 9)
}

func TestGoldenResolve(t *testing.T) {
	v := ResolveView{
		Host: "localhost", Service: "7", Family: "any", SockType: "stream",
		Flags: []FlagView{{Key: "1", Name: "canon", On: true}, {Key: "2", Name: "addrconfig"}},
		Query: "localhost:7", Took: 1500 * time.Microsecond, Canon: "localhost",
		Rows: []ResolveRow{
			{Family: "inet", Type: "stream", Proto: "tcp", Addr: "127.0.0.1:7"},
			{Family: "inet6", Type: "stream", Proto: "tcp", Addr: "[::1]:7"},
		},
	}
	plainGolden(t, RenderResolve(goldenStyles(), v, 50, 12, false), 50, 12)
}

func TestGoldenAttempts(t *testing.T) {
	v := AttemptsView{Mode: "sequential", Timeout: "3s", Summary: "connected to 127.0.0.1:7 as socket #1", SummaryLevel: LevelOK,
		Selected: 1, Rows: []AttemptRow{
			{Index: 0, Addr: "[::1]:7", Result: netcore.ResultRefused, Errno: "ECONNREFUSED", Elapsed: 140 * time.Microsecond,
				Local: "[::1]:47572", Explain: "transient · nothing is listening on that port (the peer answered with RST)"},
			{Index: 1, Addr: "127.0.0.1:7", Result: netcore.ResultConnected, Elapsed: 95 * time.Microsecond,
				Local: "127.0.0.1:57756", Explain: "the three-way handshake completed: SYN, SYN-ACK, ACK"},
			{Index: 2, Addr: "127.0.0.2:7", Skipped: true, Explain: "not tried: an earlier address connected"},
		}}
	plainGolden(t, RenderAttempts(goldenStyles(), v, 70, 12, true), 70, 12)
}

// TestGoldenAttemptsWithPackets: each attempt's packets under it, repeats
// counted; a capture that could not run says why.
func TestGoldenAttemptsWithPackets(t *testing.T) {
	v := AttemptsView{Mode: "sequential", Timeout: "3s", Packets: true, Selected: 1, Rows: []AttemptRow{
		{Index: 0, Addr: "127.0.0.1:9", Result: netcore.ResultRefused, Errno: "ECONNREFUSED", Elapsed: 90 * time.Microsecond,
			Explain: "transient · nothing is listening", Wire: "▶ SYN  ◀ RST ACK"},
		{Index: 1, Addr: "10.255.255.1:80", Result: netcore.ResultTimeout, Errno: "(timeout)", Elapsed: 3 * time.Second,
			Explain: "timeout · no answer", Wire: "▶ SYN ×4"},
	}}
	t.Run("captured", func(t *testing.T) { plainGolden(t, RenderAttempts(goldenStyles(), v, 60, 10, false), 60, 10) })
	v.Rows, v.NoPackets = v.Rows[:0], "packet capture needs CAP_NET_RAW: run as root"
	t.Run("none", func(t *testing.T) { plainGolden(t, RenderAttempts(goldenStyles(), v, 60, 5, false), 60, 5) })
}

// TestGoldenWire: segments and system calls in time order, with the
// meaning of the classic moments; a view with no capture says why.
func TestGoldenWire(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	v := WireView{Socket: "#1 tcp 127.0.0.1:50000 ⇄ 127.0.0.1:7", Total: 4, Following: true, Lines: []WireLine{
		{Time: at, Text: "connect(5, 127.0.0.1:7) = -1 EINPROGRESS (operation now in progress)", Failed: true},
		{Time: at.Add(10 * time.Microsecond), Segment: true, Out: true, Text: "SYN seq 0 win 65495 len 0", Meaning: "handshake 1/3"},
		{Time: at.Add(20 * time.Microsecond), Segment: true, Text: "SYN ACK seq 0 ack 1 win 65483 len 0", Meaning: "handshake 2/3"},
		{Time: at.Add(30 * time.Microsecond), Segment: true, Out: true, Text: "ACK seq 1 ack 1 win 65536 len 0", Meaning: "handshake 3/3"},
	}}
	t.Run("segments", func(t *testing.T) { plainGolden(t, RenderWire(goldenStyles(), v, 100, 6, true), 100, 6) })
	v = WireView{Socket: "#2 unix (unnamed) ⇄ pair #3", Why: "a UNIX socket sends no packets: its system calls only"}
	t.Run("unix", func(t *testing.T) { plainGolden(t, RenderWire(goldenStyles(), v, 70, 4, false), 70, 4) })
}

func TestGoldenSockets(t *testing.T) {
	v := SocketsView{Selected: 2, Rows: []SocketRow{
		{ID: 1, Kind: "tcp", Local: "127.0.0.1:5000", Peer: "(1 accepted)", State: "LISTEN", Listener: true, ReadOpen: true, WriteOpen: true},
		{ID: 2, Kind: "tcp", Local: "127.0.0.1:5000", Peer: "127.0.0.1:41234", State: "ESTABLISHED", Child: true, ReadOpen: true, Rx: 1536, Tx: 12},
		{ID: 3, Kind: "udp", Local: "127.0.0.1:9999", Peer: "(any: sendto)", State: "bound", ReadOpen: true, WriteOpen: true},
		{ID: 4, Kind: "pair", Local: "(unnamed)", Peer: "pair #5", State: "closed", Closed: true},
	}}
	plainGolden(t, RenderSockets(goldenStyles(), v, 78, 8, true), 78, 8)
}

func goldenStore() *capture.Store {
	st := capture.NewStore(1 << 20)
	st.Append(capture.Sent, goldenTime, "", []byte("GET / HTTP/1.0\r\n\r\n"))
	st.Append(capture.Received, goldenTime.Add(time.Millisecond), "", []byte("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n\x00\xff"))
	return st
}

func TestGoldenHex(t *testing.T) {
	st := goldenStore()
	v := HexView{Socket: "#1 tcp 127.0.0.1:57756 ⇄ 127.0.0.1:7", Total: st.Rows(capture.All), Following: true,
		Stats: st.Stats(), Limit: st.Limit(), RowBytes: 16, Matched: true, Search: "OK",
		Match: []capture.Span{{Seq: 1, From: 13, To: 15}}, Rows: st.RowsAt(capture.All, 0, 10)}
	plainGolden(t, RenderHex(goldenStyles(), v, 90, 12, true), 90, 12)
}

func TestGoldenStream(t *testing.T) {
	st := goldenStore()
	st.AppendNote(goldenTime.Add(2*time.Millisecond), "end of stream: the peer shut down its sending side (FIN) · CLOSE_WAIT")
	var lines []StreamLine
	for i := range st.NumChunks() {
		c := st.Chunk(i)
		lines = append(lines, LayoutStream([]StreamChunk{{Chunk: c, Data: st.Data(i)}}, 40, true)...)
	}
	v := StreamView{Socket: "#1 tcp 127.0.0.1:57756 ⇄ 127.0.0.1:7", Lines: lines, Following: true, Stats: st.Stats(),
		Limit: st.Limit(), Matched: true, Search: "OK", Match: []capture.Span{{Seq: 1, From: 13, To: 15}}}
	plainGolden(t, RenderStream(goldenStyles(), v, 44, 14, true), 44, 14)
}

func TestGoldenSend(t *testing.T) {
	v := SendView{Input: "› hello", Mode: "text", Ending: "CRLF", Preview: []byte("hello\r\n"), HasPreview: true, Focused: true}
	plainGolden(t, RenderSend(goldenStyles(), v, 80, 4, true), 80, 4)
}

func TestGoldenSendError(t *testing.T) {
	v := SendView{Input: "› bad\\q", Mode: "text", Ending: "CRLF", Err: `unknown escape \q`, ShowDest: true, Dest: "127.0.0.1:9"}
	plainGolden(t, RenderSend(goldenStyles(), v, 80, 4, false), 80, 4)
}

func TestGoldenOptions(t *testing.T) {
	v := OptionsView{Selected: 1, Rows: []OptionRow{
		{Name: "SO_KEEPALIVE", Level: "SOL_SOCKET", Type: "bool", Value: "on", Help: "probe an idle connection", Writable: true, Available: true, Bool: true},
		{Name: "IP_TTL", Level: "IPPROTO_IP", Type: "int", Value: "64", Help: "hops a packet may take", Writable: true, Available: true},
		{Name: "SO_TYPE", Level: "SOL_SOCKET", Type: "int", Value: "1", Help: "the socket type", Available: true},
		{Name: "TCP_NOPUSH", Level: "IPPROTO_TCP", Type: "bool", Value: "n/a", Help: "BSD only", Bool: true},
	}}
	plainGolden(t, RenderOptions(goldenStyles(), "#1 tcp 127.0.0.1:1 ⇄ 127.0.0.1:7", v, 110, 10), 110, 10)
}

func TestGoldenSyscalls(t *testing.T) {
	v := SyscallsView{Total: 3, Hidden: 2, Follow: true, Rows: []SyscallRow{
		{Time: goldenTime, Text: "socket(AF_INET, SOCK_STREAM, 0) = 5", Duration: 12 * time.Microsecond},
		{Time: goldenTime, Text: "connect(5, 127.0.0.1:7) = -1 EINPROGRESS (operation now in progress)", WouldWait: true, Failed: true, Duration: 30 * time.Microsecond},
		{Time: goldenTime, Text: "getsockopt(5, SO_ERROR) -> 0 = 0", Duration: 2 * time.Microsecond},
	}}
	plainGolden(t, RenderSyscalls(goldenStyles(), "#1 tcp", v, 100, 7), 100, 7)
}

func TestGoldenHelp(t *testing.T) {
	keys := goldenKeys{full: [][]key.Binding{
		{key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "connect")), key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "sequential/race"))},
		{key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next panel"))},
	}}
	body := strings.Join(FullHelpLines(goldenStyles(), keys, PanelAttempts, 76), "\n")
	plainGolden(t, RenderHelp(goldenStyles(), body, 80, 12), 80, 12)
}

type goldenKeys struct{ full [][]key.Binding }

func (g goldenKeys) ShortHelp() []key.Binding {
	var out []key.Binding
	for _, group := range g.full {
		out = append(out, group...)
	}
	return out
}
func (g goldenKeys) FullHelp() [][]key.Binding { return g.full }

// TestGoldenScreen draws a whole frame, styled: header, panels, status
// line and help bar, colours included.
func TestGoldenScreen(t *testing.T) {
	s := goldenStyles()
	l := ComputeLayout(120, 40, PanelHex)
	sc := Screen{Styles: s, Layout: l, Focus: PanelHex,
		Header: HeaderView{Sockets: 2, Open: 1, Rx: 1536, Tx: 12, LabServices: 20, Theme: "dark"},
		Status: StatusView{Text: "connected #1: type and press enter to send", Level: LevelOK},
		Keys:   goldenKeys{full: [][]key.Binding{{key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter"))}}},
	}
	for p := range NumPanels {
		r := l.Panels[p]
		sc.Panels[p] = s.box(r.W, r.H, p.String(), "", "", p == PanelHex, []string{"body of " + p.String()})
	}
	out := Render(sc)
	plainGolden(t, out, 120, 40)
	t.Run("styled", func(t *testing.T) { golden.RequireEqual(t, out) })
	sc.Status = StatusView{Text: "the peer said \x1b]0;pwned\x07", Level: LevelError}
	if out := Render(sc); strings.Contains(out, "\x1b]") {
		t.Error("a status text reached the terminal raw")
	}
}
