package model

import (
	"fmt"
	"io"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"

	"sockbench/capture"
	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
)

// exportKind is what an export writes.
type exportKind int

const (
	exportReceived   exportKind = iota // the received bytes, raw
	exportSent                         // the sent bytes, raw
	exportTranscript                   // the transcript as the view shows it
	exportPcapng                       // the packets, for Wireshark
)

// askExport asks what of k to export, then where.
func (p *hexPanel) askExport(k *engine.Sock) tea.Cmd {
	pk := p.c.keys.Prompt
	ask := func(kind exportKind, what, file string) func() tea.Cmd {
		return func() tea.Cmd {
			label := fmt.Sprintf("write the %s of #%d to file:", what, k.ID())
			return askLine(p.c, label, fmt.Sprintf("sockbench-%d-%s", k.ID(), file), "", 1024,
				func(name string) (tea.Cmd, error) { return p.export(k, kind, name) })
		}
	}
	return askChoice(p.c, fmt.Sprintf("export #%d: r received bytes (raw) · s sent bytes (raw) · t transcript as shown · p packets (pcapng) · esc cancels", k.ID()),
		choice{pk.Received, ask(exportReceived, "received bytes", "received.bin")},
		choice{pk.SentBytes, ask(exportSent, "sent bytes", "sent.bin")},
		choice{pk.Transcript, ask(exportTranscript, "transcript", "transcript.txt")},
		choice{pk.Pcapng, ask(exportPcapng, "packets", "packets.pcapng")},
	)
}

// exportedMsg says how an export went: what was written, or why not.
type exportedMsg struct {
	done string
	err  error
}

// export writes a capture to a file, readable by its owner only. A file
// that exists is replaced only when the user says so.
func (p *hexPanel) export(k *engine.Sock, kind exportKind, name string) (tea.Cmd, error) {
	path, err := unescape(strings.TrimSpace(name))
	if err != nil {
		return nil, fmt.Errorf("file name: %w", err)
	}
	if path == "" {
		return nil, fmt.Errorf("no file name")
	}
	if kind == exportPcapng && k.Local().Family() == netcore.FamilyUnix {
		return nil, fmt.Errorf("#%d is a UNIX socket: it sends no packets to write as pcapng", k.ID())
	}
	if _, err := os.Lstat(path); err == nil {
		pk := p.c.keys.Prompt
		return askChoice(p.c, fmt.Sprintf("%s exists: y replaces it · n keeps it · esc cancels", path),
			choice{pk.Yes, func() tea.Cmd { return p.write(k, kind, path, os.O_TRUNC) }},
			choice{pk.No, func() tea.Cmd { return p.c.info("nothing written: " + path + " is as it was") }},
		), nil
	}
	return p.write(k, kind, path, os.O_EXCL), nil
}

// write writes the export to path, opened with O_CREATE and mode, off the
// UI's goroutine.
func (p *hexPanel) write(k *engine.Sock, kind exportKind, path string, mode int) tea.Cmd {
	filter := p.state(k).filter
	return p.c.cmd(func() tea.Msg {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode, 0o600)
		if err != nil {
			if os.IsExist(err) {
				err = fmt.Errorf("%s appeared meanwhile: nothing written", path)
			}
			return exportedMsg{err: err}
		}
		done, err := writeExport(f, k, kind, filter)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return exportedMsg{done: done + " to " + path, err: err}
	})
}

// writeExport writes one kind of export of k to w and says what it wrote.
func writeExport(w io.Writer, k *engine.Sock, kind exportKind, filter capture.Filter) (string, error) {
	cw := &countingWriter{w: w}
	var err error
	switch kind {
	case exportReceived:
		_, err = k.Store().WriteDir(cw, capture.Received)
	case exportSent:
		_, err = k.Store().WriteDir(cw, capture.Sent)
	case exportTranscript:
		err = k.Store().WriteTranscript(cw, filter, ui.TranscriptLine)
	case exportPcapng:
		n, synthesized, err := k.WritePcapng(w)
		if synthesized {
			return fmt.Sprintf("wrote %d packets made up from the bytes (no capture ran; the file says so)", n), err
		}
		return fmt.Sprintf("wrote %d packets captured on the wire", n), err
	}
	return fmt.Sprintf("wrote %d bytes", cw.n), err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
