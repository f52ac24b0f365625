package main

import "testing"

// FuzzParseSize: --capture-limit never panics, and what it accepts is a
// positive size that fits.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"256MiB", "1G", "64K", "1048576", "0", "-1", "99999999999G", "MiB", " 5 m "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseSize(s); err == nil && n <= 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}
