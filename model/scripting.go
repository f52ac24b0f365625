package model

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/payload"
	"sockbench/repeat"
	"sockbench/snippets"
)

// scripting is what the send line runs besides single sends: a snippet or
// a repetition (one job at a time), and the recording of a snippet.
type scripting struct {
	job       *sendJob
	recording []snippets.Step // the steps recorded so far; nil when not recording
	recOn     bool
	last      *snippets.Snippet // the snippet run or saved last: F5 runs it again
}

// sendJob is a snippet or a repetition under way on one socket.
type sendJob struct {
	what   string // "snippet smtp-hello", "repeat"
	sock   *engine.Sock
	cancel context.CancelFunc
	rep    *repeat.Repeat // a repetition's count
	times  int            // a repetition's planned count; 0 until stopped
}

// jobDoneMsg reports the end of a send line job.
type jobDoneMsg struct {
	job *sendJob
	err error
}

// recordSend records a send line that went, while recording.
func (s *scripting) recordSend(t *payload.Template) {
	if s.recOn {
		s.recording = append(s.recording, snippets.Step{Kind: snippets.Send, Payload: t})
	}
}

// jobText says what runs, for the send panel and the status line.
func (s *scripting) jobText() string {
	switch {
	case s.job == nil:
		return ""
	case s.job.rep == nil:
		return s.job.what
	case s.job.times > 0:
		return fmt.Sprintf("%s %d/%d", s.job.what, s.job.rep.Count(), s.job.times)
	}
	return fmt.Sprintf("%s %d", s.job.what, s.job.rep.Count())
}

// recordingText says what is being recorded, "" when nothing is.
func (s *scripting) recordingText() string {
	if !s.recOn {
		return ""
	}
	return fmt.Sprintf("recording a snippet: %d steps (ctrl+x saves)", len(s.recording))
}

func (p *sendPanel) Busy() bool      { return p.scripts.job != nil }
func (p *sendPanel) Running() string { return p.scripts.jobText() }

// scriptKey handles the send line's keys for snippets and repetitions.
func (p *sendPanel) scriptKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := p.c.keys.Send
	switch {
	case key.Matches(msg, k.Snippets):
		return p.openSnippets(), true
	case key.Matches(msg, k.Record):
		return p.toggleRecording(), true
	case key.Matches(msg, k.AddWait):
		return p.askWait(), true
	case key.Matches(msg, k.Replay):
		if p.scripts.last == nil {
			return p.c.info("no snippet run or saved yet: ctrl+o lists them, ctrl+x records one"), true
		}
		return p.runSnippet(*p.scripts.last), true
	case key.Matches(msg, k.Repeat):
		return p.askRepeat(), true
	}
	return nil, false
}

// startJob checks that a job can start on the selected socket.
func (p *sendPanel) startJob() (*engine.Sock, error) {
	if p.scripts.job != nil {
		return nil, fmt.Errorf("%s is running: esc stops it", p.scripts.jobText())
	}
	if why := p.disabled(); why != "" {
		return nil, errors.New(why)
	}
	return p.c.selected, nil
}

// runJob runs a job's work off the UI path; its end comes as jobDoneMsg.
func (p *sendPanel) runJob(job *sendJob, work func(ctx context.Context) error) tea.Cmd {
	ctx, cancel := context.WithCancel(p.c.tasks.ctx)
	job.cancel = cancel
	p.scripts.job = job
	return p.c.cmd(func() tea.Msg {
		defer cancel()
		return jobDoneMsg{job: job, err: work(ctx)}
	})
}

// jobDone reports how a job ended.
func (p *sendPanel) jobDone(msg jobDoneMsg) tea.Cmd {
	if p.scripts.job != msg.job {
		return nil
	}
	text := p.scripts.jobText()
	p.scripts.job = nil
	switch {
	case errors.Is(msg.err, context.Canceled) || msg.job.rep != nil && msg.job.rep.Stopped():
		return p.c.warn(text + ": stopped")
	case msg.err != nil:
		return p.c.fail(text + ": " + errText(msg.err))
	}
	return p.c.okay(text + ": done")
}

// --- snippets ---

// snippetsPath is the snippets file.
func (p *sendPanel) snippetsPath() (string, error) {
	if p.c.snippetsPath != "" {
		return p.c.snippetsPath, nil
	}
	return snippets.DefaultPath()
}

// openSnippets loads the snippets file and opens the picker; a malformed
// snippet is skipped and named, with its line, in the status line.
func (p *sendPanel) openSnippets() tea.Cmd {
	path, err := p.snippetsPath()
	var book *snippets.Book
	if err == nil {
		book, err = snippets.Load(path)
	}
	if err != nil {
		return p.c.fail("snippets: " + errText(err))
	}
	if len(book.Snippets) == 0 && len(book.Problems) == 0 {
		return p.c.info("no snippets in " + path + " yet: ctrl+x records one")
	}
	p.c.emit(overlayMsg{newSnippetPicker(p.c, book.Snippets, path, p.runSnippet)})
	if n := len(book.Problems); n > 0 {
		pr := book.Problems[0]
		more := ""
		if n > 1 {
			more = fmt.Sprintf(" (and %d more)", n-1)
		}
		return p.c.warn(fmt.Sprintf("line %d skipped: %s%s (in %s)", pr.Line, pr.Msg, more, path))
	}
	return nil
}

// runSnippet runs a snippet on the selected socket: its sends go in order
// through the socket's writer, its waits look at what the socket receives
// from now on, and each step leaves a note in the transcript.
func (p *sendPanel) runSnippet(s snippets.Snippet) tea.Cmd {
	k, err := p.startJob()
	if err != nil {
		return p.c.fail("snippet " + s.Name + ": " + err.Error())
	}
	to, err := p.destination(k)
	if err != nil {
		return p.c.fail("snippet " + s.Name + ": " + err.Error())
	}
	p.scripts.last = &s
	eng, x := p.c.engine, p.expander(k)
	job := &sendJob{what: "snippet " + s.Name, sock: k}
	return tea.Batch(p.c.info("running snippet "+s.Name+"…"), p.runJob(job, func(ctx context.Context) error {
		feed := snippets.NewFeed()
		untap := k.Tap(func(data []byte, end error) {
			if end != nil {
				feed.End(end)
				return
			}
			feed.Push(data)
		})
		defer untap()
		conn := engineConn{eng: eng, k: k, to: to, feed: feed}
		err := snippets.Run(ctx, s, conn, x, func(pr snippets.Progress) {
			if pr.Done && s.Steps[pr.Step].Kind == snippets.Wait {
				eng.Note(k, fmt.Sprintf("snippet %s, step %d: %s came", s.Name, pr.Step+1, s.Steps[pr.Step].Pattern.Source()))
			}
		})
		end := "done"
		if err != nil {
			end = errText(err)
		}
		eng.Note(k, fmt.Sprintf("snippet %s: %s", s.Name, end))
		return err
	}))
}

// engineConn is a snippet's connection over an engine socket.
type engineConn struct {
	eng  *engine.Engine
	k    *engine.Sock
	to   netcore.Addr
	feed *snippets.Feed
}

func (c engineConn) Send(ctx context.Context, p []byte) error {
	return c.eng.SendWait(ctx, c.k, p, c.to)
}

func (c engineConn) Receive(ctx context.Context) ([]byte, error) { return c.feed.Receive(ctx) }

// toggleRecording starts recording a snippet, or ends it by asking for
// its name and saving it.
func (p *sendPanel) toggleRecording() tea.Cmd {
	s := &p.scripts
	if !s.recOn {
		s.recOn, s.recording = true, nil
		return p.c.info("recording a snippet: each line you send is a step; ctrl+g adds a wait for an answer; ctrl+x saves")
	}
	if len(s.recording) == 0 {
		s.recOn = false
		return p.c.info("recording stopped: nothing was recorded")
	}
	return askLine(p.c, fmt.Sprintf("save the %d steps as the snippet named:", len(s.recording)), "", "a name, such as smtp-hello", snippets.MaxNameLen,
		p.saveRecording)
}

// saveRecording saves the recorded steps under name. A snippet of that
// name is replaced only when the user says so; no keeps the recording and
// asks for another name.
func (p *sendPanel) saveRecording(name string) (tea.Cmd, error) {
	if err := snippets.CheckName(name); err != nil {
		return nil, err
	}
	path, err := p.snippetsPath()
	if err != nil {
		return nil, err
	}
	book, err := snippets.Load(path)
	if err != nil {
		return nil, err
	}
	if old, ok := book.Find(name); ok {
		pk := p.c.keys.Prompt
		return askChoice(p.c, fmt.Sprintf("a snippet %s (%d steps) exists: y replaces it · n gives this one another name · esc cancels", name, len(old.Steps)),
			choice{pk.Yes, func() tea.Cmd { return p.putRecording(path, name) }},
			choice{pk.No, p.toggleRecording},
		), nil
	}
	return p.putRecording(path, name), nil
}

// putRecording writes the recorded steps to the snippets file at path as
// the snippet name, and ends the recording.
func (p *sendPanel) putRecording(path, name string) tea.Cmd {
	s := &p.scripts
	sn := snippets.Snippet{Name: name, Steps: s.recording}
	if err := snippets.Put(path, sn); err != nil {
		return p.c.fail("the snippet is not saved: " + err.Error())
	}
	s.recOn, s.recording, s.last = false, nil, &sn
	return p.c.okay(fmt.Sprintf("saved the snippet %s (%d steps) in %s: F5 runs it, ctrl+o lists them all", name, len(sn.Steps), path))
}

// askWait adds a wait step to the recording.
func (p *sendPanel) askWait() tea.Cmd {
	if !p.scripts.recOn {
		return p.c.info("a wait is a step of a snippet: ctrl+x starts recording one")
	}
	return askLine(p.c, "wait for (text with escapes; hex:32 35 30; re:^250; then a timeout: 250 5s):", "", "250", 1024, func(line string) (tea.Cmd, error) {
		step, err := parseWait(line)
		if err != nil {
			return nil, err
		}
		p.scripts.recording = append(p.scripts.recording, step)
		return p.c.info(fmt.Sprintf("recorded: wait for %s %q (%d steps)", step.Pattern.Kind(), step.Pattern.Source(), len(p.scripts.recording))), nil
	})
}

// waitTimeout is a trailing " 5s" on a wait's line.
var waitTimeout = regexp.MustCompile(`\s+(\d+(\.\d+)?(ms|s|m))$`)

// parseWait reads a wait step: a pattern (text, hex:..., re:...) and an
// optional timeout after it.
func parseWait(line string) (snippets.Step, error) {
	timeout := snippets.DefaultWait
	if m := waitTimeout.FindStringSubmatchIndex(line); m != nil {
		d, err := time.ParseDuration(line[m[2]:m[3]])
		if err != nil {
			return snippets.Step{}, err
		}
		timeout, line = d, line[:m[0]]
	}
	kind := payload.PatternText
	switch {
	case strings.HasPrefix(line, "hex:"):
		kind, line = payload.PatternHex, strings.TrimPrefix(line, "hex:")
	case strings.HasPrefix(line, "re:"):
		kind, line = payload.PatternRegex, strings.TrimPrefix(line, "re:")
	}
	return snippets.WaitStep(kind, line, timeout)
}

// --- repetitions ---

// askRepeat asks how to repeat the send line, then starts.
func (p *sendPanel) askRepeat() tea.Cmd {
	k, err := p.startJob()
	if err != nil {
		return p.c.fail("nothing repeated: " + err.Error())
	}
	t, err := p.template()
	if err != nil {
		return p.c.fail("nothing repeated: " + err.Error())
	}
	to, err := p.destination(k)
	if err != nil {
		return p.c.fail("nothing repeated: " + err.Error())
	}
	label := fmt.Sprintf("repeat the line on #%d: N times, every D until stopped, or N every D (10 · every 500ms · 5 every 1s):", k.ID())
	return askLine(p.c, label, "", "10", 64, func(line string) (tea.Cmd, error) {
		plan, err := parsePlan(line)
		if err != nil {
			return nil, err
		}
		return p.startRepeat(k, t, to, plan), nil
	})
}

// startRepeat sends t on k as plan says, counting. Esc (the job's
// cancel) stops it.
func (p *sendPanel) startRepeat(k *engine.Sock, t *payload.Template, to netcore.Addr, plan repeat.Plan) tea.Cmd {
	eng, x := p.c.engine, p.expander(k)
	job := &sendJob{what: "repeat", sock: k, times: plan.Times}
	job.rep = repeat.Start(p.c.tasks.ctx, plan, func(ctx context.Context, _ int) error {
		data, err := x.Expand(t)
		if err == nil {
			err = eng.SendWait(ctx, k, data, to)
		}
		return err
	})
	return tea.Batch(p.c.info("repeating…"), p.runJob(job, func(ctx context.Context) error {
		select {
		case <-job.rep.Done():
		case <-ctx.Done():
			job.rep.Stop()
		}
		return job.rep.Wait()
	}))
}

// parsePlan reads "10", "every 500ms" or "10 every 1s".
func parsePlan(line string) (repeat.Plan, error) {
	var plan repeat.Plan
	times, every, hasEvery := strings.Cut(strings.TrimSpace(line), "every")
	if times = strings.TrimSpace(times); times != "" {
		n, err := strconv.Atoi(times)
		if err != nil || n <= 0 || n > 1_000_000 {
			return plan, fmt.Errorf("%s is not a number of times from 1 to 1000000", netcore.QuoteInput(times))
		}
		plan.Times = n
	}
	if hasEvery {
		d, err := parseTimeout(strings.TrimSpace(every))
		if err != nil || d <= 0 {
			return plan, fmt.Errorf("every %s: give an interval such as 500ms or 2s", netcore.QuoteInput(strings.TrimSpace(every)))
		}
		plan.Every = d
	}
	return plan, plan.Check()
}
