package model

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/ui"
)

// Line endings the send line appends in text mode.
var endings = []struct {
	name  string
	bytes string
}{{"CRLF", "\r\n"}, {"LF", "\n"}, {"none", ""}}

// maxHistory is how many sent lines the history keeps.
const maxHistory = 200

// sendState is the send line under the hex view.
type sendState struct {
	input       textinput.Model
	dest        textinput.Model
	destFocused bool
	mode        payload.Mode
	ending      int
	history     []string
	histIdx     int // len(history) when not browsing
	draft       string
}

func newSendState(styles *ui.Styles) sendState {
	s := sendState{
		input: newInput(styles, "type text, then enter (\\r \\n \\t \\xNN escapes work)", 0),
		dest:  newInput(styles, "127.0.0.1:9", 300),
	}
	s.input.Prompt = "› "
	s.input.CharLimit = 1 << 20
	return s
}

func (s *sendState) updateInput(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	if s.destFocused {
		s.dest, cmd = s.dest.Update(msg)
	} else {
		s.input, cmd = s.input.Update(msg)
	}
	return cmd
}

// showDest reports whether the send line needs a destination: the
// selected socket is an unconnected datagram socket.
func (m *Model) showDest() bool {
	e := m.selected()
	return e != nil && !e.closed && e.isDgram() && !e.connected
}

// preview parses the send line as Enter would send it.
func (m *Model) preview() ([]byte, error) {
	s := &m.send
	data, err := payload.Parse(s.mode, s.input.Value())
	if err != nil {
		return nil, err
	}
	if s.mode == payload.Text {
		data = append(data, endings[s.ending].bytes...)
	}
	return data, nil
}

// sendDisabled says why the selected socket cannot send now, or "".
func (m *Model) sendDisabled() string {
	e := m.selected()
	switch {
	case e == nil:
		return "no socket selected: connect first (lab or resolve panel), or l/u/p in the sockets panel"
	case e.closed:
		return fmt.Sprintf("#%d is closed", e.id)
	case e.listener:
		return fmt.Sprintf("#%d is a listener: select one of its accepted connections to send", e.id)
	case e.writeShut:
		return fmt.Sprintf("#%d: the write side is shut down", e.id)
	}
	return ""
}

func (m *Model) sendKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	s := &m.send
	switch {
	case key.Matches(msg, k.Leave):
		if m.busy() {
			return m.escape()
		}
		m.setFocus(ui.PanelHex)
		return nil
	case key.Matches(msg, k.SendMode):
		if s.mode == payload.Text {
			s.mode = payload.Hex
			return m.info("hex mode: type bytes as 68 65 6c 6c 6f (any separators, 0x optional); no line ending is added")
		}
		s.mode = payload.Text
		return m.info("text mode: \\r \\n \\t \\0 \\\\ \\xNN escapes; " + endings[s.ending].name + " is added on enter")
	case key.Matches(msg, k.Ending):
		s.ending = (s.ending + 1) % len(endings)
		return m.info("line ending " + endings[s.ending].name + " (text mode)")
	case key.Matches(msg, k.Send) && !s.destFocused:
		return m.sendLine()
	case msg.String() == "enter" && s.destFocused:
		s.destFocused = false
		m.setFocus(ui.PanelSend)
		return nil
	case key.Matches(msg, k.HistPrev) && !s.destFocused:
		if s.histIdx > 0 {
			if s.histIdx == len(s.history) {
				s.draft = s.input.Value()
			}
			s.histIdx--
			s.input.SetValue(s.history[s.histIdx])
			s.input.CursorEnd()
		}
		return nil
	case key.Matches(msg, k.HistNext) && !s.destFocused:
		if s.histIdx < len(s.history) {
			s.histIdx++
			if s.histIdx == len(s.history) {
				s.input.SetValue(s.draft)
			} else {
				s.input.SetValue(s.history[s.histIdx])
			}
			s.input.CursorEnd()
		}
		return nil
	}
	return s.updateInput(msg)
}

// sendLine parses the send line and queues its bytes on the selected
// socket. On any error nothing is sent and the line stays as it is.
func (m *Model) sendLine() tea.Cmd {
	s := &m.send
	if why := m.sendDisabled(); why != "" {
		return m.fail("nothing sent: " + why)
	}
	e := m.selected()
	data, err := m.preview()
	if err != nil {
		return m.fail("nothing sent: " + err.Error())
	}
	if len(data) == 0 {
		return m.info("nothing to send: the line is empty and the line ending is none")
	}
	req := sendReq{data: data}
	if e.isDgram() && !e.connected {
		to, err := netcore.ParseAddr(strings.TrimSpace(s.dest.Value()))
		if err != nil {
			return m.fail("nothing sent: destination: " + errText(err) + " (tab reaches the field)")
		}
		req.to = to
	}
	select {
	case e.sendCh <- req:
	default:
		return m.warn(fmt.Sprintf("nothing sent: #%d already has %d sends waiting (the peer is not reading)", e.id, sendQueueLen))
	}
	line := s.input.Value()
	if n := len(s.history); line != "" && (n == 0 || s.history[n-1] != line) {
		s.history = append(s.history, line)
		if len(s.history) > maxHistory {
			s.history = s.history[len(s.history)-maxHistory:]
		}
	}
	s.histIdx = len(s.history)
	s.draft = ""
	s.input.SetValue("")
	e.hex.follow = true
	return m.info(fmt.Sprintf("sending %d bytes on #%d…", len(data), e.id))
}

// sendView fills the send line's view.
func (m *Model) sendView() ui.SendView {
	s := &m.send
	v := ui.SendView{
		Input:       s.input.View(),
		Mode:        s.mode.String(),
		Ending:      endings[s.ending].name,
		Focused:     m.focus == ui.PanelSend && !s.destFocused,
		DestFocused: m.focus == ui.PanelSend && s.destFocused,
		ShowDest:    m.showDest(),
		Disabled:    m.sendDisabled(),
		Empty:       s.input.Value() == "",
	}
	if s.mode == payload.Hex {
		v.Ending = "none in hex"
	}
	if v.ShowDest {
		v.Dest = s.dest.View()
	}
	if v.Disabled == "" {
		data, err := m.preview()
		if err != nil {
			v.Err = err.Error()
		} else {
			v.Preview = data
			v.HasPreview = true
		}
	}
	return v
}

// sizeInputs fits the text inputs to the layout.
func (m *Model) sizeInputs() {
	if r := m.layout.Inner(ui.PanelResolve); !r.Empty() {
		room := max(10, r.W-len("host ")-len(" service ")-2)
		m.res.host.SetWidth(room * 3 / 5)
		m.res.service.SetWidth(room - room*3/5)
	}
	if r := m.layout.Inner(ui.PanelSend); !r.Empty() {
		w := r.W - 3
		if m.showDest() {
			m.send.dest.SetWidth(24)
			w -= 24 + len("to ") + len(" data ") + 1
		}
		m.send.input.SetWidth(max(8, w))
	}
}
