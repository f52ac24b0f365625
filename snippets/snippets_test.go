package snippets

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sockbench/payload"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const goodFile = `# my snippets
[smtp-hello]
send EHLO x\r\n
wait 250
send QUIT\r\n

# binary
[ping]
  send-hex 01 00 {len16be} {rand:4}
  timeout 2s
  wait-hex 02
  sleep 10ms
  wait-regex ^OK \d+
`

// describe is a snippet in words, for comparing.
func describe(s Snippet) string {
	var parts []string
	for _, st := range s.Steps {
		switch st.Kind {
		case Send:
			parts = append(parts, "send "+st.Payload.Mode().String()+" "+st.Payload.Source())
		case Wait:
			parts = append(parts, "wait "+st.Pattern.Kind().String()+" "+st.Pattern.Source()+" "+st.Duration.String())
		case Sleep:
			parts = append(parts, "sleep "+st.Duration.String())
		}
	}
	return s.Name + ": " + strings.Join(parts, " | ")
}

func TestParseGoodFile(t *testing.T) {
	b := Parse([]byte(goodFile))
	if len(b.Problems) != 0 {
		t.Fatalf("problems: %v", b.Problems)
	}
	var got []string
	for _, s := range b.Snippets {
		got = append(got, describe(s))
	}
	want := []string{
		`smtp-hello: send text EHLO x\r\n | wait text 250 5s | send text QUIT\r\n`,
		`ping: send hex 01 00 {len16be} {rand:4} | wait hex 02 2s | sleep 10ms | wait regex ^OK \d+ 2s`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s, ok := b.Find("ping"); !ok || s.Line != 8 || s.Steps[1].Line != 11 {
		t.Errorf("ping: %+v, %v", s, ok)
	}
}

// TestMalformedIsReportedAndSkipped: each malformed snippet is one problem
// naming its line, the others load.
func TestMalformedIsReportedAndSkipped(t *testing.T) {
	file := "[a]\nsend ok\n\n[b]\nsend fine\nsned typo\nsend \\q\n[c]\nwait 250\n"
	b := Parse([]byte(file))
	if len(b.Problems) != 1 || b.Problems[0].Line != 6 {
		t.Fatalf("problems %v; want one, at line 6", b.Problems)
	}
	if msg := b.Problems[0].Error(); !strings.HasPrefix(msg, `line 6: unknown step "sned"`) || !strings.Contains(msg, `snippet "b" skipped`) {
		t.Errorf("message %q", msg)
	}
	if b.Problems[0].Name != "b" || len(b.Snippets) != 2 || b.Snippets[0].Name != "a" || b.Snippets[1].Name != "c" {
		t.Errorf("snippets %v", b.Snippets)
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		file string
		line int
		msg  string
	}{
		{"send x\n[a]\nsend y\n", 1, "a step before any [name]"},
		{"[a\nsend y\n", 1, "must end with ]"},
		{"[]\nsend y\n", 1, "needs a name"},
		{"[a]\n", 1, "at least one step"},
		{"[a]\nsend y\n[a]\nsend z\n", 3, `a second snippet named "a" (the first is at line 1)`},
		{"[a]\nsend\n", 2, "send: nothing to send"},
		{"[a]\nwait-hex zz\n", 2, "wait-hex:"},
		{"[a]\nwait-regex (\n", 2, "bad regular expression"},
		{"[a]\ntimeout -1s\nwait x\n", 2, "not a duration above zero"},
		{"[a]\nsleep soon\n", 2, "not a duration above zero"},
		{"[a]\nsend {len8}" + strings.Repeat("x", 10) + "\nsend-hex {nope}\n", 3, "unknown placeholder"},
	}
	for _, tt := range tests {
		b := Parse([]byte(tt.file))
		if len(b.Problems) != 1 || b.Problems[0].Line != tt.line || !strings.Contains(b.Problems[0].Msg, tt.msg) {
			t.Errorf("%q: problems %v; want line %d with %q", tt.file, b.Problems, tt.line, tt.msg)
		}
	}
}

func TestFormatReadsBack(t *testing.T) {
	send, _ := SendStep(payload.Text, " lead\tand\nnew trail ")
	hex, _ := SendStep(payload.Hex, "01\n02  {n}")
	wait, _ := WaitStep(payload.PatternRegex, "a\nb ", 3*time.Second)
	wait2, _ := WaitStep(payload.PatternText, `250`, 3*time.Second)
	wait3, _ := WaitStep(payload.PatternHex, `0d0a`, DefaultWait)
	sleep, _ := SleepStep(time.Second)
	s := Snippet{Name: "all-of-it ✓", Steps: []Step{send, hex, wait, wait2, sleep, wait3}}
	text, err := Format(s)
	if err != nil {
		t.Fatal(err)
	}
	b := Parse([]byte(text))
	if len(b.Problems) != 0 || len(b.Snippets) != 1 {
		t.Fatalf("%q reads back as %v %v", text, b.Snippets, b.Problems)
	}
	x := &payload.Expander{}
	for i, st := range b.Snippets[0].Steps {
		orig := s.Steps[i]
		if st.Kind != orig.Kind || st.Duration != orig.Duration {
			t.Errorf("step %d: %+v, want %+v", i, st, orig)
		}
		if st.Kind == Send {
			got, _ := x.PreviewBytes(st.Payload)
			want, _ := x.PreviewBytes(orig.Payload)
			if string(got) != string(want) {
				t.Errorf("step %d sends %q, want %q (file %q)", i, got, want, text)
			}
		}
	}
	if strings.Count(text, "timeout ") != 2 {
		t.Errorf("the timeouts are not written once per change:\n%s", text)
	}
}

func TestFromLineAndNames(t *testing.T) {
	if _, err := FromLine("ok", payload.Text, `GET / HTTP/1.0\r\n\r\n`); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", " x", "x ", "a]b", "a\x1bb", "a\u202eb", strings.Repeat("n", MaxNameLen+1), "\xff"} {
		if _, err := FromLine(bad, payload.Text, "x"); err == nil {
			t.Errorf("name %q taken", bad)
		}
	}
	if _, err := FromLine("x", payload.Text, `\q`); err == nil {
		t.Error("a bad payload taken")
	}
}

func TestPutKeepsTheRestOfTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "snippets")
	// A new file: made with its directory, 0600.
	first, _ := FromLine("first", payload.Text, "one")
	if err := Put(path, first); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", info.Mode(), err)
	}
	// The user edits it by hand: comments, a broken snippet, CRLF.
	edited := "# mine\r\n[first]\r\nsend one\r\n\r\n# about b\r\n[b]\r\nsned x\r\n# tail comment\r\n"
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	replaced, _ := FromLine("first", payload.Text, "uno")
	if err := Put(path, replaced); err != nil {
		t.Fatal(err)
	}
	third, _ := FromLine("third", payload.Hex, "33")
	if err := Put(path, third); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# mine\r\n[first]\nsend uno\n\r\n# about b\r\n[b]\r\nsned x\r\n# tail comment\r\n\n[third]\nsend-hex 33\n"
	if string(got) != want {
		t.Errorf("file\n%q\nwant\n%q", got, want)
	}
	// The broken snippet can be fixed by saving it.
	fixed, _ := FromLine("b", payload.Text, "bee")
	if err := Put(path, fixed); err != nil {
		t.Fatal(err)
	}
	b, err := Load(path)
	if err != nil || len(b.Problems) != 0 || len(b.Snippets) != 3 {
		t.Fatalf("after the fix: %v %v %v", b.Snippets, b.Problems, err)
	}
	if ok, err := Delete(path, "first"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, err := Delete(path, "nothing"); ok || err != nil {
		t.Fatalf("delete of nothing: %v %v", ok, err)
	}
	b, _ = Load(path)
	if _, ok := b.Find("first"); ok || len(b.Snippets) != 2 {
		t.Errorf("after delete: %v", b.Snippets)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestLoadMissingFileIsEmpty(t *testing.T) {
	b, err := Load(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(b.Snippets) != 0 || len(b.Problems) != 0 {
		t.Errorf("%v %v", b, err)
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("a directory loads")
	}
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if p, err := DefaultPath(); err != nil || p != filepath.Join(dir, "sockbench", "snippets") {
		t.Errorf("%q %v", p, err)
	}
}

// FuzzParse: any file loads without a panic; what loads formats to a
// block that loads back to the same snippet; each problem names a line of
// the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := Parse(data)
		lines := len(splitLines(data))
		for _, p := range b.Problems {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem %v outside the %d lines", p, lines)
			}
		}
		for _, s := range b.Snippets {
			text, err := Format(s)
			if err != nil {
				t.Fatalf("%s: %v", describe(s), err)
			}
			back := Parse([]byte(text))
			if len(back.Snippets) != 1 || len(back.Problems) != 0 || !sameSteps(s, back.Snippets[0]) {
				t.Fatalf("%s formats as %q, which reads back as %v %v", describe(s), text, back.Snippets, back.Problems)
			}
		}
	})
}

// sameSteps compares two snippets by what they do: each send's preview
// (with the same clock and counter), each wait's pattern and timeout.
func sameSteps(a, b Snippet) bool {
	if a.Name != b.Name || len(a.Steps) != len(b.Steps) {
		return false
	}
	at := time.Unix(0, 0)
	for i := range a.Steps {
		x, y := a.Steps[i], b.Steps[i]
		if x.Kind != y.Kind || x.Duration != y.Duration {
			return false
		}
		switch x.Kind {
		case Send:
			px, _ := (&payload.Expander{Now: func() time.Time { return at }}).PreviewBytes(x.Payload)
			py, _ := (&payload.Expander{Now: func() time.Time { return at }}).PreviewBytes(y.Payload)
			if string(px) != string(py) {
				return false
			}
		case Wait:
			if x.Pattern.Kind() != y.Pattern.Kind() || !samePattern(x.Pattern, y.Pattern) {
				return false
			}
		}
	}
	return true
}

// samePattern compares two patterns by their bytes, or for regular
// expressions by what they match in a few probes.
func samePattern(a, b *payload.Pattern) bool {
	if a.Kind() != payload.PatternRegex {
		mode := payload.Text
		if a.Kind() == payload.PatternHex {
			mode = payload.Hex
		}
		x, _ := payload.Parse(mode, a.Source())
		y, _ := payload.Parse(mode, b.Source())
		return string(x) == string(y)
	}
	for _, probe := range []string{a.Source(), b.Source(), "", "a\nb", " x "} {
		s1, e1, ok1 := a.Find([]byte(probe))
		s2, e2, ok2 := b.Find([]byte(probe))
		if s1 != s2 || e1 != e2 || ok1 != ok2 {
			return false
		}
	}
	return true
}
