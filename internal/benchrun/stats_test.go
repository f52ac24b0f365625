//go:build linux

package main

import (
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuantiles: linear interpolation between the closest ranks, on an
// unsorted sample, and the spread as the table prints it.
func TestQuantiles(t *testing.T) {
	s := samples{4, 1, 3, 2}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.25, 1.75}, {0.5, 2.5}, {0.75, 3.25}, {1, 4}} {
		if got := s.quantile(c.q); got != c.want {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if !slices.Equal(s, samples{4, 1, 3, 2}) {
		t.Errorf("the samples were reordered: %v", s)
	}
	if got, want := ratioText(s), "2.50x [1.00-4.00, IQR 1.75-3.25, n=4]"; got != want {
		t.Errorf("ratioText = %q, want %q", got, want)
	}
}

// TestRatiosPerRound: a ratio is taken round by round, and a round one
// side lacks is left out.
func TestRatiosPerRound(t *testing.T) {
	if got, want := ratios(samples{10, 30, 8}, samples{5, 10}), (samples{2, 3}); !slices.Equal(got, want) {
		t.Errorf("ratios = %v, want %v", got, want)
	}
}

// TestRotate: each anchor goes first in turn.
func TestRotate(t *testing.T) {
	anchors := []anchor{{name: "a"}, {name: "b"}, {name: "c"}}
	var firsts []string
	for r := range 4 {
		order := rotate(anchors, r)
		if len(order) != 3 {
			t.Fatalf("round %d: %d anchors", r, len(order))
		}
		firsts = append(firsts, order[0].name)
	}
	if want := []string{"a", "b", "c", "a"}; !slices.Equal(firsts, want) {
		t.Errorf("first in each round: %v, want %v", firsts, want)
	}
}
