package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sockbench/netcore"
	"sockbench/safe"
)

const resolveUsage = `usage: sockbench resolve [--family inet|inet6|unix|unspec] [--type stream|dgram|seqpacket|raw|any]
                         [--protocol tcp|udp|N] [--flags passive,canonname,...] [--json]
                         HOST [SERVICE]

Looks HOST and SERVICE up with getaddrinfo and prints one row per result:
index, family, socket type, protocol, address and, with the canonname
flag, the canonical name. --json prints one object per row instead.

Resolver: ` + netcore.ResolverImpl + `
`

// resolveOptions are the flags of resolve.
type resolveOptions struct {
	hints  netcore.Hints
	asJSON bool
}

func (o *resolveOptions) register(fs *flag.FlagSet) {
	familyFlag(fs, &o.hints.Family)
	sockTypeFlag(fs, &o.hints.SockType, netcore.SockStream,
		netcore.SockStream, netcore.SockDgram, netcore.SockRaw, netcore.SockSeqpacket, netcore.SockAny)
	fs.Func("protocol", "`protocol`: tcp, udp or a number (default: any)", func(s string) error {
		p, err := netcore.ParseProtocol(s)
		if err != nil {
			return errors.New(reasonText(err))
		}
		o.hints.Protocol = p
		return nil
	})
	fs.Func("flags", "getaddrinfo `flags`, comma-separated: passive, canonname, numerichost, v4mapped, all, addrconfig, numericserv",
		func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New("no flags given (passive, canonname, ...)")
			}
			f, err := netcore.ParseAIFlags(s)
			if err != nil {
				return errors.New(reasonText(err))
			}
			o.hints.Flags = f
			return nil
		})
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per row")
}

// runResolve is the resolve subcommand.
func runResolve(e *env, args []string) int {
	fs := newFlagSet("resolve")
	var o resolveOptions
	o.register(fs)
	positional, code, ok := e.parseCommandLine(fs, args)
	if !ok {
		return code
	}
	if len(positional) < 1 || len(positional) > 2 {
		return e.fail(fs.Name(), usagef("want HOST [SERVICE], got %d arguments", len(positional)))
	}
	host, service := positional[0], ""
	if len(positional) == 2 {
		service = positional[1]
	}
	if err := netcore.CheckHost(host); err != nil {
		return e.fail(fs.Name(), inputf("bad HOST: %s", reasonText(err)))
	}
	rows, err := netcore.Resolve(e.ctx, host, service, o.hints)
	if err != nil {
		var rep reporter
		if o.asJSON {
			rep = &jsonReporter{w: e.stdout}
		}
		return e.failAfterStart(fs.Name(), rep, err)
	}
	if o.asJSON {
		writeRowsJSON(e.stdout, rows)
	} else {
		writeRowsPlain(e.stdout, rows)
	}
	return exitOK
}

// resolveRow is one row of resolve --json.
type resolveRow struct {
	Index     int    `json:"index"`
	Family    string `json:"family"`
	SockType  string `json:"socktype"`
	Protocol  string `json:"protocol"`
	Address   string `json:"address"`
	Port      *int   `json:"port,omitempty"`
	CanonName string `json:"canonname,omitempty"`
}

// writeRowsJSON writes one object per row. The address is the numeric
// host, or the path of a UNIX row, which has no port.
func writeRowsJSON(w io.Writer, rows []netcore.AddrInfo) {
	out := &jsonReporter{w: w}
	for i, ai := range rows {
		row := resolveRow{Index: i, Family: ai.Family.String(), SockType: ai.SockType.String(),
			Protocol: ai.Protocol.String(), Address: ai.Addr.Host(), CanonName: ai.CanonName}
		if ai.Family != netcore.FamilyUnix {
			port := ai.Addr.Port()
			row.Port = &port
		}
		out.emit(row)
	}
}

// writeRowsPlain writes one line per row in aligned columns; the canonical
// name comes last, on the rows that have one.
func writeRowsPlain(w io.Writer, rows []netcore.AddrInfo) {
	table := make([][]string, len(rows))
	for i, ai := range rows {
		table[i] = []string{strconv.Itoa(i), ai.Family.String(), ai.SockType.String(), ai.Protocol.String(),
			addrText(ai.Addr), safe.Text(ai.CanonName)}
	}
	writeColumns(w, table)
}

// writeColumns writes cells separated by two spaces, each column as wide
// as its widest cell; empty trailing cells and trailing spaces are left
// out.
func writeColumns(w io.Writer, table [][]string) {
	var widths []int
	for _, row := range table {
		for col, cell := range row {
			if col == len(widths) {
				widths = append(widths, 0)
			}
			widths[col] = max(widths[col], textWidth(cell))
		}
	}
	for _, row := range table {
		cells := make([]string, len(row))
		for col, cell := range row {
			cells[col] = padRight(cell, widths[col])
		}
		fmt.Fprintln(w, strings.TrimRight(strings.Join(cells, "  "), " "))
	}
}
