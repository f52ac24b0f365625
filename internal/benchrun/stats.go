//go:build linux

package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// samples are the values of one quantity, one per round.
type samples []float64

// sorted returns a sorted copy.
func (s samples) sorted() samples {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// quantile is the q-quantile (0 ≤ q ≤ 1) by linear interpolation between
// the closest ranks; NaN for no samples.
func (s samples) quantile(q float64) float64 {
	c := s.sorted()
	if len(c) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(c)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(c)-1)
	return c[lo] + (pos-float64(lo))*(c[hi]-c[lo])
}

func (s samples) median() float64 { return s.quantile(0.5) }
func (s samples) min() float64    { return s.quantile(0) }
func (s samples) max() float64    { return s.quantile(1) }

// ratios divides a by b round by round: the ratio of each round, where
// both ran under the same load.
func ratios(a, b samples) samples {
	out := make(samples, 0, min(len(a), len(b)))
	for i := range min(len(a), len(b)) {
		out = append(out, a[i]/b[i])
	}
	return out
}

// spread writes a sample set as "median [min-max] IQR q1-q3".
func (s samples) spread(format string) string {
	if len(s) == 0 {
		return "no samples"
	}
	f := func(v float64) string { return fmt.Sprintf(format, v) }
	return fmt.Sprintf("%s [%s-%s] IQR %s-%s", f(s.median()), f(s.min()), f(s.max()), f(s.quantile(0.25)), f(s.quantile(0.75)))
}

// list writes every sample, in round order.
func (s samples) list(format string) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprintf(format, v)
	}
	return strings.Join(parts, " ")
}
