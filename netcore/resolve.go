package netcore

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
)

// AddrInfo is one row of a getaddrinfo result.
type AddrInfo struct {
	Flags     AIFlags
	Family    Family
	SockType  SockType
	Protocol  Protocol
	Addr      Addr
	CanonName string // set on the first row only, and only with AICanonName
}

// String describes the row as "family type protocol address".
func (ai AddrInfo) String() string {
	return fmt.Sprintf("%s %s %s %s", ai.Family, ai.SockType, ai.Protocol, ai.Addr)
}

// Hints narrows a resolution, as getaddrinfo's hints do. The zero value asks
// for every family and every socket type with no flags; note that the egg's
// address-information defaults to SockStream.
type Hints struct {
	Family   Family
	SockType SockType
	Protocol Protocol
	Flags    AIFlags
}

// ResolveError is a getaddrinfo or getnameinfo failure. It matches ErrNoName
// with errors.Is when the code is EAI_NONAME.
type ResolveError struct {
	Op   string // "getaddrinfo" or "getnameinfo"
	Name string // the host (and service) asked for
	Code string // the EAI_* name, such as "EAI_NONAME"
	Msg  string // the system's words for it
}

// Error reads "getaddrinfo name: message (EAI_CODE)".
func (e *ResolveError) Error() string {
	return fmt.Sprintf("%s %s: %s (%s)", e.Op, e.Name, e.Msg, e.Code)
}

// Is makes errors.Is(err, ErrNoName) true for EAI_NONAME.
func (e *ResolveError) Is(target error) bool {
	return target == ErrNoName && e.Code == "EAI_NONAME"
}

// Resolve looks up host and service as getaddrinfo(3) does and returns its
// rows in the system's order.
//
// An empty host is getaddrinfo's NULL node: the loopback addresses, or the
// unspecified addresses with AIPassive. An empty service is the NULL
// service (port 0); otherwise service is a port number or a name from the
// services database ("http"). With SockAny and no protocol, a numeric or
// empty service gives one row per socket type (stream, dgram, raw) for each
// address; a named service gives one row per protocol that has the name.
// CanonName is set on the first row only, and only with AICanonName.
//
// Each row's Flags are the ai_flags the system reports (glibc echoes the
// hints' flags). A host or service with a NUL byte is a ClassInvalid
// *Error. Failures of the lookup are *ResolveError with the EAI_* code and
// the system's message; an unknown name is EAI_NONAME, so errors.Is(err,
// ErrNoName) holds (the egg returns an empty list instead). When ctx is
// done before the lookup finishes, Resolve returns at once with a *Error of
// class ClassCancelled or ClassTimeout; the lookup itself may go on in the
// background and frees what it used when it ends.
//
// ResolverImpl says which resolver is used: libc's getaddrinfo when the
// package is built with cgo, otherwise an emulation of glibc's behaviour on
// top of Go's net.Resolver.
func Resolve(ctx context.Context, host, service string, hints Hints) ([]AddrInfo, error) {
	if strings.IndexByte(host, 0) >= 0 || strings.IndexByte(service, 0) >= 0 {
		return nil, invalidf("getaddrinfo", "host or service %s contains a NUL byte", QuoteInput(resolveName(host, service)))
	}
	return runLookup(ctx, "getaddrinfo", Addr{}, resolveName(host, service), func() ([]AddrInfo, error) {
		return getaddrinfo(ctx, host, service, hints)
	})
}

// NameInfo turns an internet address into a host name and a service name,
// as getnameinfo(3) and the egg's name-information do. flags are
// NINumericHost (no reverse lookup), NINumericServ (the port as a number),
// NINoFQDN (a name in the local domain without that domain), NINameReqd
// (fail when the address has no name, instead of returning it numerically)
// and NIDgram (look the port up as a UDP service rather than TCP).
//
// Failures are *ResolveError with Op "getnameinfo"; a UNIX or zero address
// is a ClassInvalid *Error. Context handling is as for Resolve.
func NameInfo(ctx context.Context, a Addr, flags NIFlags) (host, service string, err error) {
	const op = "getnameinfo"
	switch {
	case a.unix:
		return "", "", invalidf(op, "getnameinfo needs an internet address, not the UNIX address %s", QuoteInput(a.path))
	case !a.ip.IsValid():
		return "", "", invalidf(op, "no address")
	}
	if z := a.ip.Zone(); z != "" {
		if _, zerr := zoneIndex(z); zerr != nil {
			return "", "", invalidf(op, "unknown zone %s in %s: %v", QuoteInput(z), a, zerr)
		}
	}
	type hostServ struct{ host, serv string }
	r, err := runLookup(ctx, op, a, a.String(), func() (hostServ, error) {
		h, s, err := getnameinfo(ctx, a, flags)
		return hostServ{h, s}, err
	})
	return r.host, r.serv, err
}

// testLookupHook, when a test sets it, is called in the lookup goroutine
// with the name being looked up, before the lookup starts.
var testLookupHook atomic.Pointer[func(name string)]

// runLookup runs a blocking lookup in its own goroutine so that the caller
// can give up when ctx is done. The goroutine always finishes on its own and
// cleans up after itself; its result is then dropped.
func runLookup[T any](ctx context.Context, op string, addr Addr, name string, lookup func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, sysError(op, addr, err)
	}
	if ctx.Done() == nil { // never cancelled: no need for a goroutine
		if hook := testLookupHook.Load(); hook != nil {
			(*hook)(name)
		}
		return lookup()
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: the goroutine never blocks on an abandoned lookup
	go func() {
		if hook := testLookupHook.Load(); hook != nil {
			(*hook)(name)
		}
		v, err := lookup()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			// The failure may be the pure-Go resolver giving up because
			// of ctx: report it as the context's.
			return zero, sysError(op, addr, ctx.Err())
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, sysError(op, addr, ctx.Err())
	}
}

// resolveName is what a getaddrinfo ResolveError names: the host, or
// host:service when a service was given.
func resolveName(host, service string) string {
	if service == "" {
		return host
	}
	return net.JoinHostPort(host, service)
}
