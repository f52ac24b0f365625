package main

import (
	"fmt"
	"os"
)

// runWorkbench starts the full-screen workbench. Until it exists, it says so.
func runWorkbench(args []string) int {
	fmt.Fprintln(os.Stderr, "sockbench: the workbench is not built yet; use 'sockbench resolve' or 'sockbench connect'")
	return 2
}
