package cli

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"sockbench/netcore"
)

// Target is what the command line names as a place to connect to or
// listen on: a host and a service to resolve, or a UNIX socket path.
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

// ParseTarget reads HOST:SERVICE, [V6ADDR]:SERVICE, unix:PATH or
// unix:@NAME. The service is a port (0..65535) or a name such as "http";
// an empty host stands for the loopback address when connecting and the
// unspecified one when listening. Nothing is looked up.
func ParseTarget(s string) (Target, error) {
	if path, ok := strings.CutPrefix(s, "unix:"); ok {
		return parseUnixTarget(path)
	}
	host, service, err := splitHostService(s)
	if err != nil {
		return Target{}, err
	}
	if err := checkHost(s, host); err != nil {
		return Target{}, err
	}
	if err := checkService(s, service); err != nil {
		return Target{}, err
	}
	return Target{Host: host, Service: service}, nil
}

func parseUnixTarget(path string) (Target, error) {
	if _, err := netcore.UnixAddr(path); err != nil {
		return Target{}, usagef("bad target %q: %s", "unix:"+path, reasonText(err))
	}
	return Target{UnixPath: path, IsUnix: true}, nil
}

// splitHostService cuts s at the colon before the service, insisting on
// brackets around an IPv6 address.
func splitHostService(s string) (host, service string, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", usagef("bad target %q: missing ']' after the IPv6 address", s)
		}
		host, after := rest[:end], rest[end+1:]
		service, ok := strings.CutPrefix(after, ":")
		if !ok {
			return "", "", usagef("bad target %q: want [V6ADDR]:SERVICE", s)
		}
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() {
			return "", "", usagef("bad target %q: %q in brackets is not an IPv6 address", s, host)
		}
		return host, service, nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return "", "", usagef("bad target %q: missing :SERVICE (want HOST:SERVICE, [V6ADDR]:SERVICE or unix:PATH)", s)
	case 1:
		host, service, _ := strings.Cut(s, ":")
		return host, service, nil
	}
	if host, service, ok := cutLastColon(s); ok {
		if _, err := netip.ParseAddr(host); err == nil {
			return "", "", usagef("bad target %q: write an IPv6 address in brackets, as in [%s]:%s", s, host, service)
		}
	}
	return "", "", usagef("bad target %q: too many ':' (want HOST:SERVICE, [V6ADDR]:SERVICE or unix:PATH)", s)
}

func cutLastColon(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// checkHost refuses hosts that no resolver could look up: spaces,
// control bytes, brackets or slashes.
func checkHost(target, host string) error {
	for i := 0; i < len(host); i++ {
		if c := host[i]; c <= ' ' || c == 0x7f || strings.IndexByte("[]/", c) >= 0 {
			return usagef("bad target %q: %q is not a host name or address", target, host)
		}
	}
	return nil
}

// checkService accepts a port number in range or a service name made of
// letters, digits, '-', '_' and '.', starting with a letter or digit.
func checkService(target, service string) error {
	if service == "" {
		return usagef("bad target %q: empty service (a port number or a name such as http)", target)
	}
	if isDigits(service) {
		port, err := strconv.Atoi(service)
		if err != nil || port > 65535 {
			return usagef("bad target %q: port %s out of range 0..65535", target, service)
		}
		return nil
	}
	for i, c := range []byte(service) {
		if !isServiceNameByte(c) || i == 0 && !isAlnum(c) {
			return usagef("bad target %q: %q is not a port number or a service name", target, service)
		}
	}
	return nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isServiceNameByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_' || c == '.'
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// parseTargets reads each argument with ParseTarget; there must be at
// least one.
func parseTargets(args []string) ([]Target, error) {
	if len(args) == 0 {
		return nil, usagef("no TARGET given")
	}
	targets := make([]Target, len(args))
	for i, arg := range args {
		t, err := ParseTarget(arg)
		if err != nil {
			return nil, err
		}
		targets[i] = t
	}
	return targets, nil
}

// ResolveTargets resolves the targets in order and concatenates their
// rows into one list, ready for netcore.Dialer.ConnectList. A UNIX target
// becomes one row of FamilyUnix with the hints' socket type (stream when
// the hints say any). A target that does not fit the hints' family is a
// ClassInvalid error; a name that does not resolve gives Resolve's error,
// so errors.Is(err, netcore.ErrNoName) holds for it.
func ResolveTargets(ctx context.Context, targets []Target, hints netcore.Hints) ([]netcore.AddrInfo, error) {
	var all []netcore.AddrInfo
	for _, t := range targets {
		rows, err := resolveTarget(ctx, t, hints)
		if err != nil {
			return nil, err
		}
		all = append(all, rows...)
	}
	return all, nil
}

func resolveTarget(ctx context.Context, t Target, hints netcore.Hints) ([]netcore.AddrInfo, error) {
	if err := checkFamily(t, hints.Family); err != nil {
		return nil, err
	}
	if !t.IsUnix {
		return netcore.Resolve(ctx, t.Host, t.Service, hints)
	}
	addr, err := netcore.UnixAddr(t.UnixPath)
	if err != nil {
		return nil, err
	}
	typ := hints.SockType
	if typ == netcore.SockAny {
		typ = netcore.SockStream
	}
	return []netcore.AddrInfo{{Family: netcore.FamilyUnix, SockType: typ, Addr: addr}}, nil
}

// checkFamily refuses a UNIX target under an internet family, and the
// other way round.
func checkFamily(t Target, family netcore.Family) error {
	if family == netcore.FamilyUnspec || (family == netcore.FamilyUnix) == t.IsUnix {
		return nil
	}
	return &netcore.Error{Op: "resolve", Class: netcore.ClassInvalid,
		Err: fmt.Errorf("target %q does not belong to family %s", t.String(), family)}
}
