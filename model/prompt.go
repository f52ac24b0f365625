package model

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sockbench/payload"
	"sockbench/ui"
)

// prompt is a question asked in the status line: a line of text answered
// with enter, or a choice answered with one key.
type prompt struct {
	label   string
	input   textinput.Model
	choices []choice
	// answer takes the line; an error keeps the prompt open and shows it.
	answer func(value string) (tea.Cmd, error)
	err    string // why the last answer was refused
}

// choice is one answer of a choice prompt.
type choice struct {
	key key.Binding
	act func() tea.Cmd
}

// newInput makes a text input in the workbench's style.
func newInput(styles *ui.Styles, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	in.SetStyles(styles.Input)
	return in
}

// askLine asks for a line of text, starting with value.
func askLine(c *common, label, value, placeholder string, limit int, answer func(string) (tea.Cmd, error)) tea.Cmd {
	in := newInput(c.styles, placeholder, limit)
	in.SetValue(value)
	in.CursorEnd()
	return c.emit(promptMsg{&prompt{label: label, input: in, answer: answer}})
}

// askChoice asks for one of choices.
func askChoice(c *common, label string, choices ...choice) tea.Cmd {
	return c.emit(promptMsg{&prompt{label: label, choices: choices}})
}

// open focuses the prompt's input for a screen width wide.
func (p *prompt) open(width int) tea.Cmd {
	if p.choices != nil {
		return nil
	}
	p.setWidth(width)
	return p.input.Focus()
}

func (p *prompt) setWidth(width int) {
	p.input.SetWidth(max(10, width-len(p.label)-6))
}

// handleKey answers or edits the prompt; done reports that it closed.
func (p *prompt) handleKey(c *common, msg tea.KeyPressMsg) (cmd tea.Cmd, done bool) {
	k := c.keys.Prompt
	if key.Matches(msg, k.Cancel) {
		return c.info("cancelled"), true
	}
	if p.choices != nil {
		for _, ch := range p.choices {
			if key.Matches(msg, ch.key) {
				return ch.act(), true
			}
		}
		return nil, false
	}
	if !key.Matches(msg, k.Submit) {
		p.input, cmd = p.input.Update(msg)
		return cmd, false
	}
	cmd, err := p.answer(p.input.Value())
	if err != nil {
		p.err = err.Error()
		return c.fail(p.err + " (esc cancels)"), false
	}
	return cmd, true
}

// paste puts pasted text into the line.
func (p *prompt) paste(msg tea.PasteMsg) tea.Cmd {
	if p.choices != nil {
		return nil
	}
	return pasteInto(&p.input, msg)
}

// pasteInto gives a text input pasted text with every control character
// written as an escape (\x1b, \n): the input would drop them silently,
// and every field that takes outside text reads these escapes.
func pasteInto(in *textinput.Model, msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	*in, cmd = in.Update(tea.PasteMsg{Content: payload.EscapeText([]byte(msg.Content))})
	return cmd
}

// unescape reads a field's escapes back into the bytes they stand for.
func unescape(field string) (string, error) {
	b, err := payload.ParseText(field)
	return string(b), err
}

// view is the prompt for the status line.
func (p *prompt) view(v *ui.StatusView) {
	v.Label = p.label
	v.PromptErr = p.err
	v.Prompt = " "
	if p.choices == nil {
		v.Prompt = p.input.View()
	}
}
