//go:build linux

// Command benchrun is the driver of scripts/bench.sh: it runs sockbench
// and the programs it is compared with (Go's net package, socat, getent,
// echo) side by side, in interleaved rounds, and prints every ratio with
// its spread. It also plays the peers the benchmarks need (a Go receiver,
// a Go sender, a connection holder), as subcommands of its own, so that
// each runs in a process of its own.
//
// Run it through scripts/bench.sh, which builds everything once and stops
// whatever is left running.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		if role, ok := peerRoles[os.Args[1]]; ok {
			if err := role(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "benchrun %s: %v\n", os.Args[1], err)
				os.Exit(1)
			}
			return
		}
	}
	os.Exit(runHarness(os.Args[1:]))
}

// config is what the harness runs: where the programs are, how many
// rounds, how large.
type config struct {
	sockbench   string // the sockbench binary
	netcoreTest string // the netcore test binary (go test -c)
	repo        string // the checkout, for the test binary's working directory
	work        string // a directory of our own for files, fifos and sockets
	tmuxSocket  string // the private tmux server's name (tmux -L)
	sections    string // comma-separated sections to run, or "all"

	rounds        int     // rounds of every side-by-side comparison
	bulkMiB       int     // bytes per bulk receive
	sendFileMiB   int     // size of the sparse file sent
	dgrams        int     // datagrams per round of the listen comparison
	goBenchtime   string  // -test.benchtime of the in-process benchmarks
	startupRounds int     // rounds of the start-up comparisons
	idleSeconds   float64 // length of each idle measurement
	idleSockets   int     // idle sockets held open in the workbench
	floodSeconds  float64 // length of each flood
}

func parseConfig(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.StringVar(&c.sockbench, "sockbench", "", "the sockbench `binary`")
	fs.StringVar(&c.netcoreTest, "netcore-test", "", "the netcore test `binary` (go test -c ./netcore)")
	fs.StringVar(&c.repo, "repo", ".", "the checkout")
	fs.StringVar(&c.work, "work", "", "a scratch `directory`")
	fs.StringVar(&c.tmuxSocket, "tmux-socket", fmt.Sprintf("sockbench-bench-%d", os.Getpid()), "tmux -L `name`")
	fs.StringVar(&c.sections, "sections", "all", "comma-separated `list` of "+strings.Join(sectionNames(), ","))
	fs.IntVar(&c.rounds, "rounds", 5, "rounds of each comparison")
	fs.IntVar(&c.bulkMiB, "bulk-mib", 256, "MiB per bulk receive")
	fs.IntVar(&c.sendFileMiB, "sendfile-mib", 2048, "MiB of the sparse file sent")
	fs.IntVar(&c.dgrams, "dgrams", 200000, "datagrams per listen round")
	fs.StringVar(&c.goBenchtime, "go-benchtime", "1s", "benchtime of the in-process benchmarks")
	fs.IntVar(&c.startupRounds, "startup-rounds", 15, "rounds of the start-up comparisons")
	fs.Float64Var(&c.idleSeconds, "idle-seconds", 20, "seconds of each idle measurement")
	fs.IntVar(&c.idleSockets, "idle-sockets", 10000, "idle sockets held open in the workbench")
	fs.Float64Var(&c.floodSeconds, "flood-seconds", 5, "seconds of each flood")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.sockbench == "" || c.work == "" {
		return c, fmt.Errorf("-sockbench and -work are needed")
	}
	return c, nil
}

// runHarness runs the sections asked for and prints the table.
func runHarness(args []string) int {
	cfg, err := parseConfig(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		return 2
	}
	h, err := newHarness(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		return 2
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		<-stop
		h.stopAll()
		os.Exit(130)
	}()
	defer h.stopAll()
	start := time.Now()
	for _, s := range sections {
		if !h.wants(s.name) {
			continue
		}
		fmt.Printf("\n== %s: %s\n", s.name, s.what)
		if err := s.run(h); err != nil {
			fmt.Printf("   %s failed: %v\n", s.name, err)
			first, _, _ := strings.Cut(err.Error(), "\n")
			h.add(result{section: s.name, name: s.name, value: "failed: " + first, met: "?"})
		}
	}
	h.printTable(time.Since(start))
	return 0
}
