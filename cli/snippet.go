package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"sockbench/netcore"
	"sockbench/repeat"
	"sockbench/snippets"
)

// repeatFlags are --repeat and --every.
type repeatFlags struct {
	times int           // 0: not given
	every time.Duration // 0: not given
}

func (f *repeatFlags) register(fs *flag.FlagSet) {
	fs.Func("repeat", "send the payload (or run the snippet) `N` times", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("%s is not a count of 1 or more", netcore.QuoteInput(s))
		}
		f.times = n
		return nil
	})
	fs.Func("every", "start a send every `DUR`; without --repeat, until Ctrl+C", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s is not a duration above zero such as 1s or 250ms", netcore.QuoteInput(s))
		}
		f.every = d
		return nil
	})
}

// plan is the repetition the flags ask for, nil when none.
func (f *repeatFlags) plan(src payloadSource) (*repeat.Plan, error) {
	if f.times == 0 && f.every == 0 {
		return nil, nil
	}
	switch {
	case !src.given:
		return nil, usagef("--repeat and --every need something to send: --send, --send-hex, --send-file or --snippet")
	case src.path == "-":
		return nil, usagef("stdin can be sent only once: --send-file - does not go with --repeat or --every")
	}
	return &repeat.Plan{Times: f.times, Every: f.every}, nil
}

// snippetSource loads --snippet NAME from --snippets FILE or the default
// file. The file's other malformed snippets are reported on stderr, one
// line each, and do not stop anything.
func (f *exchangeFlags) snippetSource(e *env) (payloadSource, error) {
	path := f.snippetsFile.value
	if !f.snippetsFile.set {
		var err error
		if path, err = snippets.DefaultPath(); err != nil {
			return payloadSource{}, inputf("no snippets file: %v", err)
		}
	}
	if path == "" || !isPlainName(path) {
		return payloadSource{}, inputf("--snippets: %s is not a name to read a file by", netcore.QuoteInput(path))
	}
	book, err := snippets.Load(path)
	if err != nil {
		return payloadSource{}, inputf("cannot read the snippets: %s", fileErrorText(err))
	}
	name := f.snippet.value
	for _, p := range book.Problems {
		if p.Name == name {
			return payloadSource{}, inputf("%s: %v", netcore.QuoteInput(path), p)
		}
		fmt.Fprintf(e.stderr, "sockbench: %s: %s\n", netcore.QuoteInput(path), errorText(p))
	}
	s, ok := book.Find(name)
	if !ok {
		return payloadSource{}, inputf("no snippet %s in %s", netcore.QuoteInput(name), netcore.QuoteInput(path))
	}
	return payloadSource{given: true, snippet: &s, size: -1}, nil
}

// snippetConn runs a snippet on an exchange: its sends go through the
// exchange's link (inside TLS, when there is TLS) and are recorded and
// reported as the payload's; its waits look at what the exchange's reader
// recorded.
type snippetConn struct{ x *exchanger }

func (c snippetConn) Send(ctx context.Context, p []byte) error {
	_, err := c.x.link.send(ctx, c.x.plan.sendTimeout, p, c.x.recordSent, c.x.recordUnsent)
	return c.x.sendError(err, c.x.plan.source)
}

func (c snippetConn) Receive(ctx context.Context) ([]byte, error) { return c.x.feed.Receive(ctx) }

// runSnippet runs the snippet once, reporting each step as it ends.
func (x *exchanger) runSnippet(ctx context.Context) error {
	s := x.plan.source.snippet
	err := snippets.Run(ctx, *s, snippetConn{x}, x.plan.expander, func(p snippets.Progress) {
		if p.Done {
			x.duplex.Received(func() { x.rep.stepDone(s, p) })
		}
	})
	var stepErr *snippets.StepError
	if errors.As(err, &stepErr) && stepErr.Kind == snippets.Send {
		return stepErr.Err // the send's own failure: a reset, a stall
	}
	if err != nil {
		err = cancelledAs(fmt.Errorf("snippet %s: %w", netcore.QuoteInput(s.Name), err), "snippet")
	}
	return err
}

// endFeed tells a snippet still waiting that nothing more will come.
func (x *exchanger) endFeed(recvErr error) {
	if x.feed == nil {
		return
	}
	if recvErr == nil {
		recvErr = io.EOF
	}
	x.feed.End(recvErr)
}

// cancelledAs gives a cancellation netcore's class, so that the exchange
// tells it from a failure.
func cancelledAs(err error, op string) error {
	if errors.Is(err, context.Canceled) && netcore.ClassOf(err) != netcore.ClassCancelled {
		return &netcore.Error{Op: op, Class: netcore.ClassCancelled, Err: err}
	}
	return err
}
