//go:build linux

package main

import (
	"fmt"
	"strings"
	"time"
)

// result is one line of the table: a comparison's per-round ratios (or
// none, for an absolute measurement), the absolute numbers behind it, and
// the target for it.
type result struct {
	section string
	name    string  // what is compared
	ratio   samples // one ratio per round; nil for an absolute row
	value   string  // the absolute numbers, medians
	target  string  // the target, in words
	met     string  // "yes", "no", "-" (context only), "?" (could not measure)
}

// add keeps a result and prints it at once.
func (h *harness) add(r result) {
	h.mu.Lock()
	h.results = append(h.results, r)
	h.mu.Unlock()
	fmt.Printf("   => %s: %s | %s | target %s: %s\n", r.name, ratioText(r.ratio), r.value, orDash(r.target), r.met)
}

// ratioText is a ratio's median with its spread over the rounds.
func ratioText(s samples) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx [%.2f-%.2f, IQR %.2f-%.2f, n=%d]", s.median(), s.min(), s.max(), s.quantile(0.25), s.quantile(0.75), len(s))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// metIf is "yes" or "no".
func metIf(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// printTable prints every result as one Markdown table.
func (h *harness) printTable(elapsed time.Duration) {
	fmt.Printf("\n== results (%d rounds, %.0f s in all; ratio: median [min-max, IQR, rounds])\n\n", h.cfg.rounds, elapsed.Seconds())
	fmt.Println("| section | comparison | ratio | absolute (medians) | target | met |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range h.results {
		cells := []string{r.section, r.name, ratioText(r.ratio), r.value, orDash(r.target), r.met}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", "/")
		}
		fmt.Printf("| %s |\n", strings.Join(cells, " | "))
	}
}
