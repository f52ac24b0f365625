package model

import (
	"errors"
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
)

// The sockets panel's actions on a socket: opening one, its options,
// shutdown, close and reset. Each runs in a command and ends in a message.

func (p *socketsPanel) listen(value string) (tea.Cmd, error) {
	addr, err := parseListenAddr(value, "127.0.0.1:0")
	if err != nil {
		return nil, errors.New(errText(err))
	}
	eng := p.c.engine
	return tea.Batch(p.c.emit(focusMsg{panel: ui.PanelSockets}), p.c.cmd(func() tea.Msg { eng.Listen(addr); return nil })), nil
}

func (p *socketsPanel) openUDP(value string) (tea.Cmd, error) {
	local, peer, err := parseUDPSpec(value)
	if err != nil {
		return nil, errors.New(errText(err))
	}
	eng := p.c.engine
	return tea.Batch(p.c.emit(focusMsg{panel: ui.PanelSockets}), p.c.cmd(func() tea.Msg { eng.OpenUDP(local, peer); return nil })), nil
}

func (p *socketsPanel) options(e *engine.Sock) tea.Cmd {
	switch {
	case e == nil:
		return p.c.info("no socket selected")
	case e.Status().Closed:
		return p.c.info(fmt.Sprintf("#%d is closed: it has no options to read", e.ID()))
	}
	o := newOptionsOverlay(p.c, e)
	return tea.Batch(p.c.emit(overlayMsg{o}), o.read(nil, netcore.OptValue{}))
}

type shutdownMsg struct {
	sock *engine.Sock
	how  netcore.ShutHow
	err  error
}

type closedMsg struct {
	sock  *engine.Sock
	err   error
	reset bool // closed with SO_LINGER 0: the peer got RST
}

func (p *socketsPanel) shutdown(e *engine.Sock, how netcore.ShutHow) tea.Cmd {
	if e == nil {
		return p.c.info("no socket selected")
	}
	st := e.Status()
	switch {
	case st.Closed:
		return p.c.info(fmt.Sprintf("#%d is closed", e.ID()))
	case e.IsListener():
		return p.c.info(fmt.Sprintf("#%d is a listener: shutdown is for connections (x closes it)", e.ID()))
	case how == netcore.ShutRD && st.ReadShut && !st.EOF:
		return p.c.info(fmt.Sprintf("#%d: the read side is already shut", e.ID()))
	case how == netcore.ShutWR && st.WriteShut:
		return p.c.info(fmt.Sprintf("#%d: the write side is already shut", e.ID()))
	}
	eng := p.c.engine
	return p.c.cmd(func() tea.Msg { return shutdownMsg{sock: e, how: how, err: eng.Shutdown(e, how)} })
}

// close closes the selected socket, or removes a closed one from the
// list.
func (p *socketsPanel) close(e *engine.Sock) tea.Cmd {
	if e == nil {
		return p.c.info("no socket selected")
	}
	if e.Status().Closed {
		p.all = slices.Delete(p.all, p.sel, p.sel+1)
		p.setSel(p.sel)
		return p.c.info(fmt.Sprintf("#%d removed from the list", e.ID()))
	}
	eng := p.c.engine
	return p.c.cmd(func() tea.Msg { return closedMsg{sock: e, err: eng.CloseSock(e)} })
}

// reset aborts a connection: the peer gets RST, not FIN.
func (p *socketsPanel) reset(e *engine.Sock) tea.Cmd {
	switch {
	case e == nil:
		return p.c.info("no socket selected")
	case e.Status().Closed:
		return p.c.info(fmt.Sprintf("#%d is closed", e.ID()))
	case e.IsListener() || !e.IsTCP():
		return p.c.info(fmt.Sprintf("#%d is not a TCP connection: only a TCP connection is reset (RST)", e.ID()))
	}
	eng := p.c.engine
	return p.c.cmd(func() tea.Msg { return closedMsg{sock: e, err: eng.Reset(e), reset: true} })
}
