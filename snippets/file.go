package snippets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sockbench/payload"
)

// Problem is a malformed snippet, skipped: the line at fault and what is
// wrong with it.
type Problem struct {
	Line int
	Msg  string
	// Name is the skipped snippet's name; "" for steps before any
	// [name].
	Name string
}

// Error reads "line N: what is wrong".
func (p Problem) Error() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// Book is what a snippets file holds: the well-formed snippets in file
// order, and a problem for each malformed one, which is skipped.
type Book struct {
	Snippets []Snippet
	Problems []Problem
	blocks   []block
}

// block is where a snippet's block is in the file, malformed or not:
// lines [first, end), 0-based.
type block struct {
	name       string
	first, end int
}

// Find returns the snippet called name.
func (b *Book) Find(name string) (Snippet, bool) {
	for _, s := range b.Snippets {
		if s.Name == name {
			return s, true
		}
	}
	return Snippet{}, false
}

// Parse reads the text of a snippets file. It never fails: a malformed
// snippet is left out and reported in Problems, with the first line at
// fault.
func Parse(data []byte) *Book {
	p := &parser{book: &Book{}, seen: map[string]int{}}
	lines := splitLines(data)
	for i, line := range lines {
		p.line(i, strings.TrimSuffix(line, "\r"))
	}
	p.finish()
	return p.book
}

// splitLines cuts data at each newline; a last line without one counts.
func splitLines(data []byte) []string {
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// parser reads a file a line at a time.
type parser struct {
	book    *Book
	seen    map[string]int // the line of each name's first block
	cur     *Snippet       // the snippet being read; nil before the first [name]
	bad     *Problem       // the current snippet's first problem
	block   block
	timeout time.Duration
	stray   bool // a step before any [name] was reported
}

func (p *parser) line(i int, line string) {
	text := strings.TrimSpace(line)
	switch {
	case text == "" || text[0] == '#':
	case text[0] == '[':
		p.finish()
		p.header(i, text)
	case p.cur == nil:
		if !p.stray {
			p.stray = true
			p.book.Problems = append(p.book.Problems, Problem{Line: i + 1, Msg: "a step before any [name]; skipped"})
		}
	default:
		p.block.end = i + 1
		if p.bad != nil {
			return
		}
		if err := p.step(i+1, text); err != nil {
			p.bad = &Problem{Line: i + 1, Msg: err.Error()}
		}
	}
}

// header starts the snippet whose [name] line is text.
func (p *parser) header(i int, text string) {
	name, ok := strings.CutSuffix(text[1:], "]")
	name = strings.TrimSpace(name)
	p.cur = &Snippet{Name: name, Line: i + 1}
	p.block = block{name: name, first: i, end: i + 1}
	p.timeout, p.bad = DefaultWait, nil
	switch {
	case !ok:
		p.bad = &Problem{Line: i + 1, Msg: "a [name] line must end with ]"}
	case CheckName(name) != nil:
		p.bad = &Problem{Line: i + 1, Msg: CheckName(name).Error()}
	}
}

// finish ends the snippet being read: kept, or reported and skipped.
func (p *parser) finish() {
	s := p.cur
	if s == nil {
		return
	}
	p.cur = nil
	p.book.blocks = append(p.book.blocks, p.block)
	if p.bad == nil && len(s.Steps) == 0 {
		p.bad = &Problem{Line: s.Line, Msg: "a snippet needs at least one step"}
	}
	if first, dup := p.seen[s.Name]; dup && p.bad == nil {
		p.bad = &Problem{Line: s.Line, Msg: fmt.Sprintf("a second snippet named %s (the first is at line %d)", quoteName(s.Name), first)}
	}
	if p.bad != nil {
		p.bad.Msg += fmt.Sprintf("; snippet %s skipped", quoteName(s.Name))
		p.bad.Name = s.Name
		p.book.Problems = append(p.book.Problems, *p.bad)
		return
	}
	p.seen[s.Name] = s.Line
	p.book.Snippets = append(p.book.Snippets, *s)
}

// quoteName quotes a name for a message, short and with Go's escapes.
func quoteName(name string) string {
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen] + "..."
	}
	return fmt.Sprintf("%q", name)
}

// step reads one step line of the current snippet.
func (p *parser) step(n int, text string) error {
	verb, arg, _ := strings.Cut(text, " ")
	if i := strings.IndexByte(verb, '\t'); i >= 0 {
		verb, arg = text[:i], text[i+1:]
	}
	arg = strings.TrimLeft(arg, " \t")
	var st Step
	var err error
	switch verb {
	case "send":
		st, err = SendStep(payload.Text, arg)
	case "send-hex":
		st, err = SendStep(payload.Hex, arg)
	case "wait":
		st, err = WaitStep(payload.PatternText, arg, p.timeout)
	case "wait-hex":
		st, err = WaitStep(payload.PatternHex, arg, p.timeout)
	case "wait-regex":
		st, err = WaitStep(payload.PatternRegex, arg, p.timeout)
	case "sleep":
		var d time.Duration
		if d, err = parseDuration(arg); err == nil {
			st, err = SleepStep(d)
		}
	case "timeout":
		p.timeout, err = parseDuration(arg)
		return err
	default:
		return fmt.Errorf("unknown step %s (send, send-hex, wait, wait-hex, wait-regex, timeout, sleep)", quoteName(verb))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	st.Line = n
	p.cur.Steps = append(p.cur.Steps, st)
	return nil
}

// parseDuration reads a duration above zero such as 2s or 250ms.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s is not a duration above zero such as 2s or 250ms", quoteName(s))
	}
	return d, nil
}

// DefaultPath is where the snippets are kept:
// os.UserConfigDir()/sockbench/snippets.
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "sockbench", "snippets"), nil
}

// Load reads the snippets file at path. A file that does not exist is an
// empty book; only a file that cannot be read is an error.
func Load(path string) (*Book, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Book{}, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(data), nil
}

// writing serialises the read-modify-write of Put and Delete within the
// process.
var writing sync.Mutex

// Put saves s in the file at path: in place of the block of the snippet
// of that name, or at the end. Every other line stays as it was. The
// directory is made (0700) if it is missing.
func Put(path string, s Snippet) error {
	text, err := Format(s)
	if err != nil {
		return err
	}
	return rewrite(path, s.Name, text)
}

// Delete removes the block of the snippet called name from the file at
// path, and reports whether there was one.
func Delete(path, name string) (bool, error) {
	err := rewrite(path, name, "")
	if errors.Is(err, errNoBlock) {
		return false, nil
	}
	return err == nil, err
}

// errNoBlock is rewrite's answer to a Delete of a name the file lacks.
var errNoBlock = errors.New("no such snippet")

// rewrite replaces the block named name with text ("" removes it), or
// appends text when there is no such block, and writes the file
// atomically.
func rewrite(path, name, text string) error {
	writing.Lock()
	defer writing.Unlock()
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // a link to a file kept elsewhere stays a link
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	updated, err := replaceBlock(data, name, text)
	if err != nil {
		return err
	}
	return writeAtomic(path, updated)
}

// fileHeader starts a new file.
const fileHeader = "# sockbench snippets: a [name] line, then one step a line\n" +
	"# (send, send-hex, wait, wait-hex, wait-regex, timeout, sleep).\n"

// replaceBlock is data with the block named name replaced by text.
func replaceBlock(data []byte, name, text string) ([]byte, error) {
	lines := splitLines(data)
	for _, b := range Parse(data).blocks {
		if b.name != name {
			continue
		}
		var out bytes.Buffer
		for _, line := range lines[:b.first] {
			out.WriteString(line + "\n")
		}
		out.WriteString(text)
		for _, line := range lines[b.end:] {
			out.WriteString(line + "\n")
		}
		return out.Bytes(), nil
	}
	if text == "" {
		return nil, errNoBlock
	}
	if len(data) == 0 {
		return []byte(fileHeader + "\n" + text), nil
	}
	out := append([]byte(nil), data...)
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	if !bytes.HasSuffix(out, []byte("\n\n")) {
		out = append(out, '\n')
	}
	return append(out, text...), nil
}

// writeAtomic writes data to a temporary file beside path, with mode
// 0600, and renames it over path: a reader sees the old file or the new
// one, never half of one.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".snippets-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails once renamed, as it should
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
