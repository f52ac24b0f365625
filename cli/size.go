package cli

import (
	"fmt"
	"strconv"
	"strings"

	"sockbench/netcore"
)

// ParseSize reads a byte count: 1048576, 64K, 64KiB, 256M, 256MiB, 1G.
// Both K and KiB mean 1024.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "B")
	t = strings.TrimSuffix(t, "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 || n > (1<<46)/mult {
		return 0, fmt.Errorf("%s is not a size such as 64MiB, 1G or 1048576", netcore.QuoteInput(s))
	}
	return n * mult, nil
}
