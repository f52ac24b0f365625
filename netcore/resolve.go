package netcore

import (
	"fmt"
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

func (e *ResolveError) Error() string {
	return fmt.Sprintf("%s %s: %s (%s)", e.Op, e.Name, e.Msg, e.Code)
}

// Is makes errors.Is(err, ErrNoName) true for EAI_NONAME.
func (e *ResolveError) Is(target error) bool {
	return target == ErrNoName && e.Code == "EAI_NONAME"
}
