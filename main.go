// Command sockbench is a terminal socket workbench: it shows name
// resolution, connection attempts, open sockets and their traffic, live.
//
//	sockbench [flags] [TARGET]     the workbench (TUI)
//	sockbench resolve ...          getaddrinfo from the command line
//	sockbench connect ...          connect over an address list, exchange bytes
//	sockbench listen ...           accept connections, exchange bytes
//	sockbench relay ...            relay a client to a server, showing both legs
package main

import (
	"os"

	"sockbench/cli"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && cli.IsCommand(args[0]) {
		os.Exit(cli.Run(args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(runWorkbench(args))
}
