package netcore

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Target is what a user names as a place to connect to or listen on: a
// host and a service to resolve, or a UNIX socket path.
type Target struct {
	Host     string // a name or numeric address; "" is getaddrinfo's NULL node
	Service  string // a port number or a service name
	UnixPath string // the path, or "@name" for an abstract name
	IsUnix   bool
}

// String writes t back the way ParseTarget reads it.
func (t Target) String() string {
	switch {
	case t.IsUnix:
		return "unix:" + t.UnixPath
	case strings.Contains(t.Host, ":"):
		return "[" + t.Host + "]:" + t.Service
	}
	return t.Host + ":" + t.Service
}

// Limits of a DNS name (RFC 1035): the whole name without its final dot,
// and each label between dots.
const (
	MaxHostLen  = 253
	MaxLabelLen = 63
)

// ParseTarget reads HOST:SERVICE, [V6ADDR]:SERVICE, unix:PATH or
// unix:@NAME. The service is a port (0..65535) or a name such as "http"
// that starts with a letter; an empty host stands for the loopback
// address when connecting and the unspecified one when listening. Nothing
// is looked up. Malformed text is a ClassInvalid *Error whose message
// quotes the text, shortened if long.
func ParseTarget(s string) (Target, error) {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		if _, err := UnixAddr(path); err != nil {
			return Target{}, targetError(s, "%s", invalidReason(err))
		}
		return Target{UnixPath: path, IsUnix: true}, nil
	}
	host, service, err := splitHostService(s)
	if err != nil {
		return Target{}, err
	}
	if err := checkHostName(host); err != nil {
		return Target{}, targetError(s, "%s", err)
	}
	if err := checkTargetService(service); err != nil {
		return Target{}, targetError(s, "%s", err)
	}
	return Target{Host: host, Service: service}, nil
}

// CheckHost refuses a host that no resolver could look up: one with
// spaces, control bytes, brackets or slashes, a name longer than
// MaxHostLen, or a label longer than MaxLabelLen. The empty host passes.
// The error is ClassInvalid.
func CheckHost(host string) error {
	if err := checkHostName(host); err != nil {
		return invalidf("check-host", "%s", err)
	}
	return nil
}

// targetError is the ClassInvalid error of a malformed TARGET.
func targetError(target, format string, args ...any) *Error {
	return invalidf("parse-target", "bad target %s: %s", QuoteInput(target), fmt.Sprintf(format, args...))
}

// quoteLimit is the most bytes of quoted text QuoteInput writes
// between its quotes.
const quoteLimit = 60

// QuoteInput quotes text a caller gave, for an error message: with Go's
// escapes, so that it is one line that hides nothing, and cut, with its
// length added, where the quoted text would pass 60 bytes, so that a
// message never echoes a megabyte (or a line of \xff escapes) back.
func QuoteInput(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		q := strconv.Quote(s[i : i+size])
		if b.Len()-1+len(q)-2 > quoteLimit {
			fmt.Fprintf(&b, "\"... (%d bytes)", len(s))
			return b.String()
		}
		b.WriteString(q[1 : len(q)-1])
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// invalidReason is the cause of a ClassInvalid *Error, without its operation.
func invalidReason(err error) string {
	if e, ok := err.(*Error); ok && e.Err != nil {
		return e.Err.Error()
	}
	return err.Error()
}

// splitHostService cuts s at the colon before the service, insisting on
// brackets around an IPv6 address.
func splitHostService(s string) (host, service string, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		return splitBracketed(s, rest)
	}
	switch strings.Count(s, ":") {
	case 0:
		return "", "", targetError(s, "missing :SERVICE (want HOST:SERVICE, [V6ADDR]:SERVICE or unix:PATH)")
	case 1:
		host, service, _ := strings.Cut(s, ":")
		return host, service, nil
	}
	if i := strings.LastIndexByte(s, ':'); len(s) <= quoteLimit {
		if _, err := netip.ParseAddr(s[:i]); err == nil {
			return "", "", targetError(s, "write an IPv6 address in brackets, as in %s", QuoteInput("["+s[:i]+"]"+s[i:]))
		}
	}
	return "", "", targetError(s, "too many ':' (want HOST:SERVICE, [V6ADDR]:SERVICE or unix:PATH)")
}

// splitBracketed reads "[V6ADDR]:SERVICE"; rest is s after the '['.
func splitBracketed(s, rest string) (host, service string, err error) {
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return "", "", targetError(s, "missing ']' after the IPv6 address")
	}
	host, after := rest[:end], rest[end+1:]
	service, ok := strings.CutPrefix(after, ":")
	if !ok {
		return "", "", targetError(s, "want [V6ADDR]:SERVICE")
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() {
		return "", "", targetError(s, "%s in brackets is not an IPv6 address", QuoteInput(host))
	}
	return host, service, nil
}

// checkHost is CheckHost's test, with an error that names the reason.
func checkHostName(host string) error {
	for i := 0; i < len(host); i++ {
		if c := host[i]; c <= ' ' || c == 0x7f || strings.IndexByte("[]/", c) >= 0 {
			return fmt.Errorf("%s is not a host name or address", QuoteInput(host))
		}
	}
	if !utf8.ValidString(host) || strings.IndexFunc(host, isHiddenRune) >= 0 {
		return fmt.Errorf("%s is not a host name or address (invalid UTF-8, or an invisible character)", QuoteInput(host))
	}
	name := strings.TrimSuffix(host, ".")
	if len(name) > MaxHostLen {
		return fmt.Errorf("the host name is %d bytes long, more than a name can be (%d)", len(name), MaxHostLen)
	}
	for label := range strings.SplitSeq(name, ".") {
		if len(label) > MaxLabelLen {
			return fmt.Errorf("the host name has a label of %d bytes, more than a label can be (%d)", len(label), MaxLabelLen)
		}
	}
	return nil
}

// checkService accepts a port number in range or a service name made of
// letters, digits, '-', '_' and '.', starting with a letter. A service
// that starts with a digit must be a decimal port, so that "0x50" or
// "80x" is refused here rather than looked up as a name.
func checkTargetService(service string) error {
	switch {
	case service == "":
		return fmt.Errorf("empty service (a port number or a name such as http)")
	case isDecimalDigit(service[0]):
		if !isPortNumber(service) {
			return fmt.Errorf("%s is not a port number (0..65535)", QuoteInput(service))
		}
		if port, err := strconv.Atoi(service); err != nil || port > 65535 {
			return fmt.Errorf("port %s out of range 0..65535", QuoteInput(service))
		}
		return nil
	}
	for i := 0; i < len(service); i++ {
		if c := service[i]; !isServiceNameByte(c) || i == 0 && !isASCIILetter(c) {
			return fmt.Errorf("%s is not a port number or a service name", QuoteInput(service))
		}
	}
	return nil
}

// isHiddenRune reports whether r is a C1 control or a format character
// (bidirectional controls, zero-width joiners), which no host name holds.
func isHiddenRune(r rune) bool { return r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) }

// isPortNumber reports whether s is all decimal digits.
func isPortNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDecimalDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDecimalDigit(c byte) bool { return '0' <= c && c <= '9' }
func isASCIILetter(c byte) bool  { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isServiceNameByte(c byte) bool {
	return isASCIILetter(c) || isDecimalDigit(c) || c == '-' || c == '_' || c == '.'
}

// ResolveTargets resolves the targets in order and concatenates their
// rows into one list, ready for Dialer.ConnectList. A UNIX target becomes
// one row of FamilyUnix with the hints' socket type (stream when the hints
// say any). A target that does not fit the hints' family is a ClassInvalid
// error; a name that does not resolve gives Resolve's error, so
// errors.Is(err, ErrNoName) holds for it.
func ResolveTargets(ctx context.Context, targets []Target, hints Hints) ([]AddrInfo, error) {
	var all []AddrInfo
	for _, t := range targets {
		rows, err := resolveTarget(ctx, t, hints)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}

func resolveTarget(ctx context.Context, t Target, hints Hints) ([]AddrInfo, error) {
	if hints.Family != FamilyUnspec && (hints.Family == FamilyUnix) != t.IsUnix {
		return nil, invalidf("resolve", "target %s does not belong to family %s", QuoteInput(t.String()), hints.Family)
	}
	if !t.IsUnix {
		return Resolve(ctx, t.Host, t.Service, hints)
	}
	addr, err := UnixAddr(t.UnixPath)
	if err != nil {
		return nil, err
	}
	typ := hints.SockType
	if typ == SockAny {
		typ = SockStream
	}
	return []AddrInfo{{Family: FamilyUnix, SockType: typ, Addr: addr}}, nil
}
