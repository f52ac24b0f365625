package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sockbench/payload"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testDeadline = 30 * time.Second

// describe writes a rule's actions in words.
func describe(r Rule) string {
	var parts []string
	x := &payload.Expander{}
	for _, a := range r.Actions {
		switch a.Kind {
		case Reply:
			b, _ := x.PreviewBytes(a.Payload)
			parts = append(parts, fmt.Sprintf("reply %q", b))
		case Delay:
			parts = append(parts, "delay "+a.Delay.String())
		default:
			parts = append(parts, a.Kind.String())
		}
	}
	match := "(open)"
	if r.Pattern != nil {
		match = r.Pattern.Kind().String() + " " + r.Pattern.Source()
	}
	return match + " => " + strings.Join(parts, ", ")
}

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{`EHLO=>250 hello\r\n`, `text EHLO => reply "250 hello\r\n"`},
		{`QUIT=>221 bye\r\n;close`, `text QUIT => reply "221 bye\r\n", close`},
		{`hex:16 03 01=>;reset`, `hex 16 03 01 => reset`},
		{`re:^GET /slow=>;delay=2s;late;close`, `regex ^GET /slow => delay 2s, reply "late", close`},
		{`=>220 ready\r\n`, `(open) => reply "220 ready\r\n"`},
		{`text:hex:x=>text:close`, `text hex:x => reply "close"`},
		{`a=>hex:01 {len8} 02`, `text a => reply "\x01\x01\x02"`},
		{`a=> spaced ; close `, `text a => reply " spaced ", close`},
		{`a=>x\x3by`, `text a => reply "x;y"`},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in)
		if err != nil || describe(r) != tt.want {
			t.Errorf("%q: %s, %v; want %s", tt.in, describe(r), err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{`EHLO`, "a rule is MATCH=>ACTIONS"},
		{`a=>`, "a rule needs an action"},
		{`a=>x;`, "action 2: empty"},
		{`a=>close;x`, "action 2: nothing can follow close"},
		{`a=>reset;close`, "action 2: nothing can follow reset"},
		{`a=>;delay=soon`, `action 2: "delay=soon" is not delay=DUR`},
		{`a=>;delay=-1s`, `is not delay=DUR`},
		{`\q=>x`, `match: unknown escape`},
		{`hex:zz=>x`, `match:`},
		{`re:(=>x`, `match: bad regular expression`},
		{`a=>hex:{nope}`, `action 1: unknown placeholder`},
		{`a=>{rand:0}`, `action 1: {rand:0}`},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.in); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: %v; want %q", tt.in, err, tt.msg)
		}
	}
}

func TestAddFile(t *testing.T) {
	var l List
	if err := l.Add("x=>y"); err != nil {
		t.Fatal(err)
	}
	err := l.AddFile([]byte("# fake smtp\r\n=>220 hi\\r\\n\r\n\r\nEHLO=>250 ok\\r\\n\r\n"))
	if err != nil || len(l) != 3 || l[2].Number != 3 || !l[1].OnOpen() {
		t.Fatalf("%v %v", l, err)
	}
	err = l.AddFile([]byte("a=>b\n\n  # c\nbroken\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 4: a rule is MATCH=>ACTIONS") {
		t.Errorf("err %v", err)
	}
}

func TestForConnections(t *testing.T) {
	for in, want := range map[string]bool{"a=>b": false, "=>b": true, "a=>;close": true, "a=>x;reset": true} {
		var l List
		_ = l.Add(in)
		if _, got := l.ForConnections(); got != want {
			t.Errorf("%q: %v", in, got)
		}
	}
}

func numbers(rules []*Rule) string {
	var s []string
	for _, r := range rules {
		s = append(s, fmt.Sprint(r.Number))
	}
	return strings.Join(s, ",")
}

func mustList(t *testing.T, rules ...string) List {
	t.Helper()
	var l List
	for _, r := range rules {
		if err := l.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestMatcherAcrossChunks: a match cut across chunks fires once whole;
// pipelined requests fire in stream order; consumed bytes do not fire
// again.
func TestMatcherAcrossChunks(t *testing.T) {
	m := NewMatcher(mustList(t, "=>hi", "EHLO=>250", "QUIT=>221;close", `re:^\d+$=>num`))
	if got := numbers(m.Opened()); got != "1" {
		t.Errorf("opened: %s", got)
	}
	steps := []struct{ in, want string }{
		{"EH", ""},
		{"LO x\r\n", "2"},
		{"QUIT\r\nEHLO\r\n", "3,2"}, // stream order, not list order
		{"", ""},
		{"EHL", ""},
		{"O", "2"},
	}
	for _, s := range steps {
		if got := numbers(m.Received([]byte(s.in))); got != s.want {
			t.Errorf("after %q: fired %q, want %q", s.in, got, s.want)
		}
	}
}

func TestMatcherKeepsTheNewest(t *testing.T) {
	m := NewMatcher(mustList(t, "needle=>x"))
	m.Received([]byte("nee"))
	m.Received(make([]byte, MaxPending)) // pushes "nee" out
	if got := numbers(m.Received([]byte("dle"))); got != "" {
		t.Errorf("fired %s across %d bytes", got, MaxPending)
	}
	m.Received([]byte("nee"))
	if got := numbers(m.Received([]byte("dle"))); got != "1" {
		t.Errorf("fired %q", got)
	}
}

func TestDatagramFiresEachOnce(t *testing.T) {
	l := mustList(t, "a=>1", "b=>2")
	if got := numbers(l.Datagram([]byte("b a a b"))); got != "2,1" {
		t.Errorf("fired %s", got)
	}
}

// recorder is a Target that records what it is asked to do.
type recorder struct {
	mu    sync.Mutex
	calls []string
	fail  error
	block chan struct{} // when set, Send waits on it (or the context)
}

func (r *recorder) log(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recorder) Send(ctx context.Context, p []byte, rule *Rule) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.log(fmt.Sprintf("send %d %q", rule.Number, p))
	return r.fail
}
func (r *recorder) Close(rule *Rule) error { r.log(fmt.Sprintf("close %d", rule.Number)); return nil }
func (r *recorder) Reset(rule *Rule) error { r.log(fmt.Sprintf("reset %d", rule.Number)); return nil }

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.calls, "; ")
}

func finish(t *testing.T, r *Responder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	r.Finish(ctx)
	if ctx.Err() != nil {
		t.Fatal("the responder did not finish")
	}
}

// TestResponderRunsInOrder: actions run in the order the rules fired,
// placeholders expand per reply, and close ends everything after it.
func TestResponderRunsInOrder(t *testing.T) {
	rec := &recorder{}
	r := NewResponder(context.Background(), mustList(t, "=>220 #{n}", "EHLO=>250 #{n};delay=1ms;more", "QUIT=>;close"), rec, &payload.Expander{})
	r.Received([]byte("EHLO\r\nQUIT\r\n"))
	r.Received([]byte("EHLO\r\n")) // after the close: never answered
	finish(t, r)
	if got := rec.String(); got != `send 1 "220 #1"; send 2 "250 #2"; send 2 "more"; close 3` {
		t.Errorf("calls: %s", got)
	}
	if !r.Ended() || r.Err() != nil {
		t.Errorf("ended %v, err %v", r.Ended(), r.Err())
	}
}

// TestResponderStopsAtAFailure: a reply that fails ends the responder
// with its error.
func TestResponderStopsAtAFailure(t *testing.T) {
	boom := errors.New("EPIPE")
	rec := &recorder{fail: boom}
	r := NewResponder(context.Background(), mustList(t, "a=>1;2", "b=>3"), rec, &payload.Expander{})
	r.Received([]byte("ab"))
	finish(t, r)
	if got := rec.String(); got != `send 1 "1"` || !errors.Is(r.Err(), boom) {
		t.Errorf("calls %s, err %v", got, r.Err())
	}
}

// TestResponderStop: Stop cancels a reply under way, and is not a failure.
func TestResponderStop(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	r := NewResponder(context.Background(), mustList(t, "a=>1"), rec, &payload.Expander{})
	r.Received([]byte("a"))
	if r.Idle() {
		t.Error("idle with a reply queued")
	}
	r.Stop()
	if got := rec.String(); got != "" || r.Err() != nil {
		t.Errorf("calls %s, err %v", got, r.Err())
	}
}

// FuzzParse: any rule text parses or fails without a panic, and a rule
// that parses has actions, with close or reset only last.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`EHLO=>250 hello\r\n`, `QUIT=>221 bye\r\n;close`, `hex:16 03=>;reset`,
		`re:^GET=>;delay=1s;x;close`, `=>hi`, `a=>;`, `=>`, `text:re:x=>hex:{len8}00`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		if len(r.Actions) == 0 {
			t.Fatalf("%q: no actions", s)
		}
		for i, a := range r.Actions {
			if (a.Kind == Close || a.Kind == Reset) && i != len(r.Actions)-1 {
				t.Fatalf("%q: %s is not last", s, a.Kind)
			}
		}
	})
}
