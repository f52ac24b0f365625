package model

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
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

// sendPanel is the send line under the hex view: text with escapes or
// hex, a live preview of the bytes, history, and a destination for an
// unconnected datagram socket.
type sendPanel struct {
	c           *common
	input       textinput.Model
	dest        textinput.Model
	destFocused bool
	focused     bool
	mode        payload.Mode
	ending      int
	history     []string
	histIdx     int // len(history) when not browsing
	draft       string
	width       int
	// drafts keeps what was typed for each socket (and its destination),
	// so that switching sockets loses nothing; on is the socket the line
	// holds now.
	drafts map[*engine.Sock]sendDraft
	on     *engine.Sock
	// expanders expand placeholders for each socket ({n} counts its
	// sends); shared serves the preview with no socket selected.
	expanders map[*engine.Sock]*payload.Expander
	shared    payload.Expander
	scripts   scripting
}

// sendDraft is the send line of one socket.
type sendDraft struct{ line, dest string }

// Placeholders of the send line in each mode.
const (
	textPlaceholder = "type text, then enter (\\r \\n \\t \\xNN escapes work)"
	hexPlaceholder  = "type hex bytes, then enter (68 65 6c 6c 6f; any separators, 0x optional)"
)

func newSendPanel(c *common) *sendPanel {
	p := &sendPanel{
		c:         c,
		input:     newInput(c.styles, textPlaceholder, 1<<20),
		dest:      newInput(c.styles, "127.0.0.1:9", 300),
		drafts:    map[*engine.Sock]sendDraft{},
		expanders: map[*engine.Sock]*payload.Expander{},
	}
	p.input.Prompt = "› "
	p.input.KeyMap.DeleteBeforeCursor = c.keys.Send.Clear
	return p
}

func (p *sendPanel) Typing() bool { return true }

func (p *sendPanel) Restyle() {
	p.input.SetStyles(p.c.styles.Input)
	p.dest.SetStyles(p.c.styles.Input)
}

func (p *sendPanel) SetSize(w, _ int) { p.width = w; p.fit() }

// fit gives the inputs their widths: the destination takes room only
// when it is shown.
func (p *sendPanel) fit() {
	w := p.width - 3
	if p.showDest() {
		p.dest.SetWidth(24)
		w -= 24 + len("to ") + len(" data ") + 1
	}
	p.input.SetWidth(max(8, w))
}

func (p *sendPanel) Focus() tea.Cmd {
	p.focused = true
	if p.destFocused && p.showDest() {
		p.input.Blur()
		return p.dest.Focus()
	}
	p.destFocused = false
	p.dest.Blur()
	return p.input.Focus()
}

func (p *sendPanel) Blur() {
	p.focused = false
	p.input.Blur()
	p.dest.Blur()
}

// enter readies the panel for the focus, reached with tab (forward) or
// shift+tab: the destination, when shown, is the first stop going
// forward and the last going back.
func (p *sendPanel) enter(forward bool) {
	p.destFocused = forward && p.showDest()
}

// showDest reports whether the send line needs a destination: the
// selected socket is an unconnected datagram socket.
func (p *sendPanel) showDest() bool {
	e := p.c.selected
	return e != nil && !e.Status().Closed && e.IsDgram() && !e.Connected()
}

// template is the send line as enter would send it: the line, with its
// line ending in text mode, its placeholders not yet expanded.
func (p *sendPanel) template() (*payload.Template, error) {
	src := p.input.Value()
	if p.mode == payload.Text {
		src += payload.EscapeTemplate([]byte(endings[p.ending].bytes))
	}
	return payload.ParseTemplate(p.mode, src)
}

// expander is the placeholders' expander of socket k.
func (p *sendPanel) expander(k *engine.Sock) *payload.Expander {
	if k == nil {
		return &p.shared
	}
	x, ok := p.expanders[k]
	if !ok {
		x = &payload.Expander{}
		p.expanders[k] = x
	}
	return x
}

// preview is the bytes enter would send now, placeholders expanded as
// they would be now (without counting a send).
func (p *sendPanel) preview() ([]byte, bool, error) {
	t, err := p.template()
	if err != nil {
		return nil, false, err
	}
	data, err := p.expander(p.c.selected).PreviewBytes(t)
	return data, t.HasPlaceholders(), err
}

// disabled says why the selected socket cannot send now, or "".
func (p *sendPanel) disabled() string {
	e := p.c.selected
	if e == nil {
		return "no socket selected: connect first (lab or resolve panel), or l/u/p in the sockets panel"
	}
	st := e.Status()
	switch {
	case st.Closed:
		return fmt.Sprintf("#%d is closed", e.ID())
	case e.IsListener():
		return fmt.Sprintf("#%d is a listener: select one of its accepted connections to send", e.ID())
	case e.Relay() != nil:
		return fmt.Sprintf("#%d is relayed: the relay sends its bytes (I in the sockets panel holds them to edit)", e.ID())
	case st.WriteShut:
		return fmt.Sprintf("#%d: the write side is shut down", e.ID())
	}
	return ""
}

func (p *sendPanel) HandleKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	p.follow()
	k := p.c.keys.Send
	switch {
	case key.Matches(msg, k.Leave):
		return p.c.emit(leaveSendMsg{}), true
	case key.Matches(msg, k.Mode):
		return p.toggleMode(), true
	case key.Matches(msg, k.Ending):
		p.ending = (p.ending + 1) % len(endings)
		return p.c.info("line ending " + endings[p.ending].name + " (text mode)"), true
	case key.Matches(msg, k.Reply):
		return p.replyToLast(), true
	case key.Matches(msg, k.Snippets, k.Record, k.AddWait, k.Replay, k.Repeat):
		return p.scriptKey(msg)
	case p.destFocused:
		if key.Matches(msg, k.FromDest) {
			p.destFocused = false
			return p.Focus(), true
		}
		if key.Matches(msg, p.c.keys.Global.PrevPanel) {
			return nil, false
		}
	case key.Matches(msg, k.Send):
		return p.send(), true
	case key.Matches(msg, k.ToDest) && p.showDest():
		p.destFocused = true
		return p.Focus(), true
	case key.Matches(msg, k.HistPrev):
		p.browse(-1)
		return nil, true
	case key.Matches(msg, k.HistNext):
		p.browse(1)
		return nil, true
	case key.Matches(msg, p.c.keys.Global.NextPanel, p.c.keys.Global.PrevPanel):
		return nil, false
	case key.Matches(msg, p.c.keys.Global.Help) && p.input.Value() == "":
		return nil, false // ? on an empty line is help; typed after text, it is text
	}
	return p.updateInput(msg), true
}

func (p *sendPanel) toggleMode() tea.Cmd {
	if p.mode == payload.Text {
		p.mode = payload.Hex
		p.input.Placeholder = hexPlaceholder
		return p.c.info("hex mode: type bytes as 68 65 6c 6c 6f (any separators, 0x optional); no line ending is added")
	}
	p.mode = payload.Text
	p.input.Placeholder = textPlaceholder
	return p.c.info("text mode: \\r \\n \\t \\0 \\\\ \\xNN escapes; " + endings[p.ending].name + " is added on enter")
}

// paste puts pasted text on the line. In text mode its line breaks
// become the line ending the line uses (a pasted request keeps them) and
// every byte becomes an escape where it must, so that what is sent is
// what was pasted; the last line break is left to enter to add.
func (p *sendPanel) paste(msg tea.PasteMsg) tea.Cmd {
	if p.destFocused {
		return pasteInto(&p.dest, msg)
	}
	text := msg.Content
	if p.mode == payload.Text {
		ending := endings[p.ending].bytes
		if ending == "" {
			ending = "\n"
		}
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
		text = strings.TrimSuffix(text, "\n")
		text = payload.EscapeText([]byte(strings.ReplaceAll(text, "\n", ending)))
	}
	return p.updateInput(tea.PasteMsg{Content: text})
}

// replyToLast makes the destination the sender of the last datagram the
// selected unconnected socket received.
func (p *sendPanel) replyToLast() tea.Cmd {
	e := p.c.selected
	if !p.showDest() {
		return p.c.info("reply to the last sender is for an unconnected UDP socket")
	}
	st := e.Store()
	for i := st.NumChunks() - 1; i >= 0; i-- {
		if c := st.Chunk(i); c.Dir == capture.Received && c.Peer != "" {
			p.dest.SetValue(c.Peer)
			p.dest.CursorEnd()
			return p.c.info("destination " + c.Peer + ": the sender of the last datagram")
		}
	}
	return p.c.info(fmt.Sprintf("#%d has received no datagram yet: nobody to reply to", e.ID()))
}

func (p *sendPanel) updateInput(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	if p.destFocused {
		p.dest, cmd = p.dest.Update(msg)
	} else {
		p.input, cmd = p.input.Update(msg)
	}
	return cmd
}

func (p *sendPanel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		if p.focused {
			p.follow()
			return p.paste(msg)
		}
	case scrollMsg:
		return p.c.emit(hexScrollMsg(msg))
	case jobDoneMsg:
		return p.jobDone(msg)
	case cancelMsg:
		if p.scripts.job != nil {
			p.scripts.job.cancel()
		}
	}
	return nil
}

// hexScrollMsg scrolls the hex view from the send line under it.
type hexScrollMsg scrollMsg

// send parses the line and queues its bytes on the selected socket. On
// any error nothing is sent and the line stays as it is.
func (p *sendPanel) send() tea.Cmd {
	if why := p.disabled(); why != "" {
		return p.c.fail("nothing sent: " + why)
	}
	e := p.c.selected
	t, err := p.template()
	var data []byte
	if err == nil {
		data, err = p.expander(e).Expand(t)
	}
	if err != nil {
		return p.c.fail("nothing sent: " + err.Error())
	}
	if len(data) == 0 {
		return p.c.info("nothing to send: the line is empty and the line ending is none")
	}
	to, err := p.destination(e)
	if err != nil {
		return p.c.fail("nothing sent: " + err.Error())
	}
	if err := p.c.engine.Send(e, data, to); err != nil {
		if errors.Is(err, engine.ErrSendQueueFull) {
			return p.c.warn(fmt.Sprintf("nothing sent: #%d already has %s", e.ID(), err))
		}
		return p.c.fail("nothing sent: " + err.Error())
	}
	p.remember(p.input.Value())
	p.scripts.recordSend(t)
	p.input.SetValue("")
	return tea.Batch(p.c.emit(followMsg{sock: e}), p.c.info(fmt.Sprintf("sending %d bytes on #%d…", len(data), e.ID())))
}

// destination is where sends on e go: its peer (the zero Addr), or for an
// unconnected datagram socket the destination field.
func (p *sendPanel) destination(e *engine.Sock) (netcore.Addr, error) {
	if !e.IsDgram() || e.Connected() {
		return netcore.Addr{}, nil
	}
	to, err := netcore.ParseAddr(strings.TrimSpace(p.dest.Value()))
	if err != nil {
		return to, fmt.Errorf("destination: %s (shift+tab reaches the field)", errText(err))
	}
	return to, nil
}

func (p *sendPanel) View(w, h int, focused bool) string {
	p.follow()
	p.fit()
	v := ui.SendView{
		Input:       p.input.View(),
		Mode:        p.mode.String(),
		Ending:      endings[p.ending].name,
		Focused:     focused && !p.destFocused,
		DestFocused: focused && p.destFocused,
		ShowDest:    p.showDest(),
		Disabled:    p.disabled(),
		Empty:       p.input.Value() == "",
	}
	if p.mode == payload.Hex {
		v.Ending = "none in hex"
	}
	if v.ShowDest {
		v.Dest = p.dest.View()
	}
	if v.Disabled == "" {
		data, placeholders, err := p.preview()
		if err != nil {
			v.Err = err.Error()
		} else {
			v.Preview, v.HasPreview, v.Placeholders = data, true, placeholders
		}
	}
	v.Job, v.Recording = p.scripts.jobText(), p.scripts.recordingText()
	return ui.RenderSend(p.c.styles, v, w, h, focused)
}

func (p *sendPanel) Help() contextKeys {
	k, g := p.c.keys.Send, p.c.keys.Global
	return contextKeys{
		short: []key.Binding{k.Send, k.Mode, k.Ending, k.HistPrev, k.HistNext, k.Leave, g.NextPanel, g.HelpAnywhere, g.ForceQuit},
		full: [][]key.Binding{
			{k.Send, k.HistPrev, k.HistNext, k.Mode, k.Ending, k.Clear, k.ToDest, k.FromDest, k.Reply, k.Leave},
			{k.Snippets, k.Record, k.AddWait, k.Replay, k.Repeat},
		},
	}
}
