package model

import (
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
	"sockbench/wire"
)

// wireLines is what the wire view shows of k: its captured segments, its
// TLS records (the record layer under the plaintext the other views show)
// and its system calls, merged in time order, and why there are no segments
// when there are none to show.
func wireLines(k *engine.Sock) (lines []ui.WireLine, why string) {
	segs, asked, err := k.Segments()
	switch {
	case k.Local().Family() == netcore.FamilyUnix:
		why = "a UNIX socket sends no packets: its system calls only"
	case err != nil:
		why = "no packets: " + err.Error()
	case !asked:
		why = "no packet capture for this socket: W captures from now on (sockbench --capture-packets captures every socket from its start)"
	case len(segs) == 0:
		why = "capturing: no packets yet"
	}
	for _, s := range segs {
		lines = append(lines, ui.WireLine{Time: s.Time, Segment: true, Out: s.Dir == wire.Out, Text: s.Detail(), Meaning: s.Meaning})
	}
	records, _ := k.TLSRecords()
	for _, r := range records {
		lines = append(lines, ui.WireLine{Time: r.Time, Text: "TLS record " + r.Words(), Record: true})
	}
	tr := k.Trace()
	for _, c := range tr.Window(0, tr.Len()).Calls {
		lines = append(lines, ui.WireLine{Time: c.Start, Text: c.String(), Failed: c.Errno != 0})
	}
	slices.SortStableFunc(lines, func(a, b ui.WireLine) int { return a.Time.Compare(b.Time) })
	return lines, why
}

// captureStartedMsg says how starting a socket's packet capture went.
type captureStartedMsg struct {
	id  int
	err error
}

// captureKey starts capturing a socket's packets from now on, off the
// UI's goroutine: the process's first capture waits, up to about 50 ms,
// until the kernel stamps packets as they pass.
func captureKey(c *common, k *engine.Sock) tea.Cmd {
	eng := c.engine
	return func() tea.Msg { return captureStartedMsg{id: k.ID(), err: eng.CapturePackets(k)} }
}

// captureStarted reports how starting a capture went.
func captureStarted(c *common, msg captureStartedMsg) tea.Cmd {
	if msg.err != nil {
		return c.fail(fmt.Sprintf("#%d: no packet capture: %s", msg.id, msg.err))
	}
	return c.okay(fmt.Sprintf("#%d: capturing its packets from now on; v in the traffic panel shows them with its system calls", msg.id))
}

// wireTop is the first wire line shown of total.
func (p *hexPanel) wireTop(st *viewState, total int) int {
	last := max(0, total-p.height)
	if st.wireFollow {
		return last
	}
	return max(0, min(st.wireTop, last))
}

// scrollWire moves the wire view by n lines; reaching the bottom follows
// the tail again.
func (p *hexPanel) scrollWire(k *engine.Sock, n int) {
	st := p.state(k)
	lines, _ := wireLines(k)
	last := max(0, len(lines)-p.height)
	top := p.wireTop(st, len(lines)) + n
	st.wireFollow = top >= last
	st.wireTop = max(0, min(top, last))
}

func (p *hexPanel) wireView(k *engine.Sock) ui.WireView {
	st := p.state(k)
	lines, why := wireLines(k)
	top := p.wireTop(st, len(lines))
	rows := p.height
	if why != "" {
		rows = max(1, rows-1) // the line that says why
	}
	return ui.WireView{
		Socket:    k.Describe(),
		Lines:     lines[top:min(len(lines), top+rows)],
		Top:       top,
		Total:     len(lines),
		Following: st.wireFollow,
		Why:       why,
	}
}
