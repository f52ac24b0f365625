package model

// The send line's memory: each socket's draft, and the history of the
// lines sent, browsed with the arrows.

// follow puts the draft of the selected socket on the line, keeping the
// one of the socket it held before.
func (p *sendPanel) follow() {
	e := p.c.selected
	if e == p.on {
		return
	}
	if p.on == nil { // typed before any socket was selected: it goes to this one
		p.on = e
		return
	}
	p.drafts[p.on] = sendDraft{line: p.input.Value(), dest: p.dest.Value()}
	d := p.drafts[e]
	p.input.SetValue(d.line)
	p.input.CursorEnd()
	p.dest.SetValue(d.dest)
	p.dest.CursorEnd()
	p.on, p.histIdx, p.draft = e, len(p.history), ""
}

// browse steps through the history: -1 older, 1 newer; the draft comes
// back past the newest.
func (p *sendPanel) browse(step int) {
	switch {
	case step < 0 && p.histIdx > 0:
		if p.histIdx == len(p.history) {
			p.draft = p.input.Value()
		}
		p.histIdx--
		p.input.SetValue(p.history[p.histIdx])
	case step > 0 && p.histIdx < len(p.history):
		p.histIdx++
		if p.histIdx == len(p.history) {
			p.input.SetValue(p.draft)
		} else {
			p.input.SetValue(p.history[p.histIdx])
		}
	default:
		return
	}
	p.input.CursorEnd()
}

// remember adds a sent line to the history.
func (p *sendPanel) remember(line string) {
	if n := len(p.history); line != "" && (n == 0 || p.history[n-1] != line) {
		p.history = append(p.history, line)
		if len(p.history) > maxHistory {
			p.history = p.history[len(p.history)-maxHistory:]
		}
	}
	p.histIdx = len(p.history)
	p.draft = ""
}
