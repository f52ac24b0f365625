package model

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/ui"
)

type promptKind int

const (
	promptListen promptKind = iota + 1
	promptUDP
	promptTimeout
	promptSearch
	promptExportChoice
	promptExportFile
)

// prompt is a question asked in the status line.
type prompt struct {
	kind   promptKind
	label  string
	input  textinput.Model
	sockID int
	dir    capture.Dir // export: the direction; 0 for the transcript
	choice bool        // answered by one key, not a line
}

func (m *Model) openPrompt(kind promptKind) tea.Cmd {
	p := &prompt{kind: kind}
	in := newInput(m.styles, "", 256)
	switch kind {
	case promptListen:
		p.label = "listen on (ADDR, PORT or unix:PATH; enter for 127.0.0.1:0):"
		in.Placeholder = "127.0.0.1:0"
	case promptUDP:
		p.label = "UDP socket: LOCAL, or LOCAL -> PEER to connect (enter for 127.0.0.1:0):"
		in.Placeholder = "127.0.0.1:0 -> 127.0.0.1:9999"
	case promptTimeout:
		p.label = "connect timeout (3s, 500ms, 2, or none):"
		in.SetValue(timeoutText(m.conn.timeout))
	case promptSearch:
		e := m.selected()
		if e == nil {
			return m.info("no socket selected: nothing to search")
		}
		p.sockID = e.id
		p.label = "search (text with \\x escapes, or hex:68 65):"
		in.SetValue(e.hex.query)
	case promptExportChoice:
		e := m.selected()
		if e == nil {
			return m.info("no socket selected: nothing to export")
		}
		p.sockID = e.id
		p.choice = true
		p.label = fmt.Sprintf("export #%d: r received bytes (raw) · s sent bytes (raw) · t transcript as shown · esc cancels", e.id)
	}
	in.SetWidth(max(10, m.width-len(p.label)-6))
	in.CursorEnd()
	m.prompt = p
	if p.choice {
		return nil
	}
	p.input = in
	return p.input.Focus()
}

// openExportFile asks for the file name of an export.
func (m *Model) openExportFile(id int, dir capture.Dir) tea.Cmd {
	p := &prompt{kind: promptExportFile, sockID: id, dir: dir}
	what := "transcript"
	def := fmt.Sprintf("sockbench-%d-transcript.txt", id)
	switch dir {
	case capture.Received:
		what, def = "received bytes", fmt.Sprintf("sockbench-%d-received.bin", id)
	case capture.Sent:
		what, def = "sent bytes", fmt.Sprintf("sockbench-%d-sent.bin", id)
	}
	p.label = fmt.Sprintf("write the %s of #%d to file:", what, id)
	p.input = newInput(m.styles, "", 1024)
	p.input.SetValue(def)
	p.input.SetWidth(max(10, m.width-len(p.label)-6))
	p.input.CursorEnd()
	m.prompt = p
	return p.input.Focus()
}

// promptKey handles a key while a prompt is open.
func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	if msg.String() == "esc" {
		m.prompt = nil
		return m.info("cancelled")
	}
	if p.choice {
		var dir capture.Dir
		switch msg.String() {
		case "r":
			dir = capture.Received
		case "s":
			dir = capture.Sent
		case "t":
			dir = 0
		default:
			return nil
		}
		m.prompt = nil
		return m.openExportFile(p.sockID, dir)
	}
	if msg.String() != "enter" {
		var cmd tea.Cmd
		p.input, cmd = p.input.Update(msg)
		return cmd
	}
	value := p.input.Value()
	switch p.kind {
	case promptListen:
		addr, err := parseListenAddr(value, "127.0.0.1:0")
		if err != nil {
			return m.fail(errText(err) + " (esc cancels)")
		}
		m.prompt = nil
		m.setFocus(ui.PanelSockets)
		return m.listenCmd(addr)
	case promptUDP:
		local, peer, err := parseUDPSpec(value)
		if err != nil {
			return m.fail(errText(err) + " (esc cancels)")
		}
		m.prompt = nil
		m.setFocus(ui.PanelSockets)
		return m.udpCmd(local, peer)
	case promptTimeout:
		d, err := parseTimeout(value)
		if err != nil {
			return m.fail(err.Error() + " (esc cancels)")
		}
		m.prompt = nil
		m.conn.timeout = d
		return m.info("connect timeout " + timeoutText(d) + " for the next connect")
	case promptSearch:
		m.prompt = nil
		return m.startSearch(p.sockID, value)
	case promptExportFile:
		name := strings.TrimSpace(value)
		if name == "" {
			return m.fail("no file name (esc cancels)")
		}
		m.prompt = nil
		return m.exportCmd(p.sockID, p.dir, name)
	}
	m.prompt = nil
	return nil
}
