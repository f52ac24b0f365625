package tlsinfo

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"

	"sockbench/netcore"
)

// versions are the TLS versions people name, as they name them.
var versions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// ParseVersion reads a TLS version as people write it: 1.0, 1.1, 1.2 or
// 1.3.
func ParseVersion(s string) (uint16, error) {
	v, ok := versions[s]
	if !ok {
		return 0, fmt.Errorf("%s is not a TLS version: 1.0, 1.1, 1.2 or 1.3", netcore.QuoteInput(s))
	}
	return v, nil
}

// ParseALPN reads a comma-separated list of application protocol names,
// each 1 to 255 bytes of printable ASCII without spaces (RFC 7301 allows
// any bytes; people type tokens such as h2 and http/1.1).
func ParseALPN(s string) ([]string, error) {
	var list []string
	for p := range strings.SplitSeq(s, ",") {
		switch {
		case p == "":
			return nil, fmt.Errorf("%s holds an empty protocol name", netcore.QuoteInput(s))
		case len(p) > 255:
			return nil, fmt.Errorf("a protocol name longer than 255 bytes in %s", netcore.QuoteInput(s))
		case strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
			return nil, fmt.Errorf("%s is not printable ASCII without spaces", netcore.QuoteInput(p))
		}
		list = append(list, p)
	}
	return list, nil
}

// CheckServerName accepts what a server can be named: an IP address, or a
// DNS name whose labels are letters, digits, hyphens (not at either end)
// and underscores.
func CheckServerName(s string) error {
	if isServerName(s) {
		return nil
	}
	return fmt.Errorf("%s is not a host name or address", netcore.QuoteInput(s))
}

func isServerName(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if s == "" || netcore.CheckHost(s) != nil {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.IndexFunc(label, func(r rune) bool { return !isLabelRune(r) }) >= 0 {
			return false
		}
	}
	return true
}

func isLabelRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
