//go:build cgo && (linux || darwin || freebsd)

package netcore

/*
#define _GNU_SOURCE 1
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

// Flags this libc lacks are 0; asking for one is then EAI_BADFLAGS.
#ifndef AI_V4MAPPED
#define AI_V4MAPPED 0
#endif
#ifndef AI_ALL
#define AI_ALL 0
#endif
#ifndef AI_ADDRCONFIG
#define AI_ADDRCONFIG 0
#endif
#ifndef AI_NUMERICSERV
#define AI_NUMERICSERV 0
#endif
#ifndef NI_NOFQDN
#define NI_NOFQDN 0
#endif

// sb_eai_name returns the C name of a getaddrinfo/getnameinfo error code,
// or NULL. An if chain rather than a switch, because some systems give two
// names one value (EAI_NODATA is EAI_NONAME on some); the first wins.
static const char *sb_eai_name(int rc) {
	if (rc == EAI_NONAME) return "EAI_NONAME";
	if (rc == EAI_AGAIN) return "EAI_AGAIN";
	if (rc == EAI_FAIL) return "EAI_FAIL";
	if (rc == EAI_FAMILY) return "EAI_FAMILY";
	if (rc == EAI_SOCKTYPE) return "EAI_SOCKTYPE";
	if (rc == EAI_SERVICE) return "EAI_SERVICE";
	if (rc == EAI_MEMORY) return "EAI_MEMORY";
	if (rc == EAI_BADFLAGS) return "EAI_BADFLAGS";
#ifdef EAI_SYSTEM
	if (rc == EAI_SYSTEM) return "EAI_SYSTEM";
#endif
#ifdef EAI_OVERFLOW
	if (rc == EAI_OVERFLOW) return "EAI_OVERFLOW";
#endif
#ifdef EAI_ADDRFAMILY
	if (rc == EAI_ADDRFAMILY) return "EAI_ADDRFAMILY";
#endif
#ifdef EAI_NODATA
	if (rc == EAI_NODATA) return "EAI_NODATA";
#endif
#ifdef EAI_BADHINTS
	if (rc == EAI_BADHINTS) return "EAI_BADHINTS";
#endif
#ifdef EAI_PROTOCOL
	if (rc == EAI_PROTOCOL) return "EAI_PROTOCOL";
#endif
#ifdef EAI_INTR
	if (rc == EAI_INTR) return "EAI_INTR";
#endif
#ifdef EAI_IDN_ENCODE
	if (rc == EAI_IDN_ENCODE) return "EAI_IDN_ENCODE";
#endif
#ifdef EAI_CANCELED
	if (rc == EAI_CANCELED) return "EAI_CANCELED";
#endif
	return NULL;
}

static int sb_eai_system(void) {
#ifdef EAI_SYSTEM
	return EAI_SYSTEM;
#else
	return 0x7fffffff;
#endif
}

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
#define SB_HAVE_SA_LEN 1
#endif

// sb_getnameinfo builds a sockaddr_in or sockaddr_in6 from the address
// bytes (4 or 16, network order), the port and the scope, and calls
// getnameinfo on it.
static int sb_getnameinfo(int family, const void *addr, unsigned int port, unsigned int scope,
		char *host, size_t hostlen, char *serv, size_t servlen, int flags) {
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		memcpy(&sin->sin_addr, addr, 4);
		len = sizeof *sin;
#ifdef SB_HAVE_SA_LEN
		sin->sin_len = sizeof *sin;
#endif
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_scope_id = scope;
		len = sizeof *sin6;
#ifdef SB_HAVE_SA_LEN
		sin6->sin6_len = sizeof *sin6;
#endif
	}
	return getnameinfo((struct sockaddr *)&ss, len, host, hostlen, serv, servlen, flags);
}
*/
import "C"

import (
	"context"
	"fmt"
	"net/netip"
	"unsafe"
)

// ResolverImpl names the resolver Resolve and NameInfo use in this build.
const ResolverImpl = "libc getaddrinfo (cgo)"

// cgoLookups bounds the lookups blocked in C at once, each holding an OS
// thread, as Go's own cgo resolver does.
var cgoLookups = make(chan struct{}, 256)

func acquireLookup(ctx context.Context) error {
	select {
	case cgoLookups <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func releaseLookup() { <-cgoLookups }

// flagPair ties one of our glibc-valued flags to this libc's value.
type flagPair[T ~int] struct {
	ours T
	sys  C.int
}

var aiFlagPairs = []flagPair[AIFlags]{
	{AIPassive, C.AI_PASSIVE},
	{AICanonName, C.AI_CANONNAME},
	{AINumericHost, C.AI_NUMERICHOST},
	{AIV4Mapped, C.AI_V4MAPPED},
	{AIAll, C.AI_ALL},
	{AIAddrConfig, C.AI_ADDRCONFIG},
	{AINumericServ, C.AI_NUMERICSERV},
}

var niFlagPairs = []flagPair[NIFlags]{
	{NINumericHost, C.NI_NUMERICHOST},
	{NINumericServ, C.NI_NUMERICSERV},
	{NINoFQDN, C.NI_NOFQDN},
	{NINameReqd, C.NI_NAMEREQD},
	{NIDgram, C.NI_DGRAM},
}

// sameValues reports whether every flag has the same value here as in
// glibc. Only then are bits we have no name for passed on as they are
// (glibc's AI_IDN, say); elsewhere they would mean something else.
func sameValues[T ~int](pairs []flagPair[T]) bool {
	for _, p := range pairs {
		if int(p.ours) != int(p.sys) {
			return false
		}
	}
	return true
}

// toSysFlags translates f bit by bit. ok is false when f has a flag this
// libc does not have.
func toSysFlags[T ~int](pairs []flagPair[T], f T) (out C.int, ok bool) {
	for _, p := range pairs {
		if f&p.ours == 0 {
			continue
		}
		if p.sys == 0 {
			return 0, false
		}
		out |= p.sys
		f &^= p.ours
	}
	if f != 0 {
		if !sameValues(pairs) {
			return 0, false
		}
		out |= C.int(f)
	}
	return out, true
}

// fromSysFlags translates this libc's flags back to ours.
func fromSysFlags[T ~int](pairs []flagPair[T], f C.int) T {
	var out T
	for _, p := range pairs {
		if p.sys != 0 && f&p.sys == p.sys {
			out |= p.ours
			f &^= p.sys
		}
	}
	if f != 0 && sameValues(pairs) {
		out |= T(f)
	}
	return out
}

// eaiError turns a getaddrinfo/getnameinfo return code into a ResolveError
// with the code's C name and the system's message; for EAI_SYSTEM the errno
// is added.
func eaiError(op, name string, rc C.int, errno error) *ResolveError {
	code := fmt.Sprintf("EAI(%d)", int(rc))
	if s := C.sb_eai_name(rc); s != nil {
		code = C.GoString(s)
	}
	msg := C.GoString(C.gai_strerror(rc))
	if rc == C.sb_eai_system() && errno != nil {
		msg += ": " + errno.Error()
	}
	return &ResolveError{Op: op, Name: name, Code: code, Msg: msg}
}

// getaddrinfo calls libc's getaddrinfo and copies its list; the C list is
// freed before it returns, whether or not anyone still waits for it.
func getaddrinfo(ctx context.Context, host, service string, hints Hints) ([]AddrInfo, error) {
	const op = "getaddrinfo"
	name := resolveName(host, service)
	if err := acquireLookup(ctx); err != nil {
		return nil, err
	}
	defer releaseLookup()

	flags, ok := toSysFlags(aiFlagPairs, hints.Flags)
	if !ok {
		return nil, eaiError(op, name, C.EAI_BADFLAGS, nil)
	}
	var chints C.struct_addrinfo
	chints.ai_flags = flags
	chints.ai_family = C.int(hints.Family)
	chints.ai_socktype = C.int(hints.SockType)
	chints.ai_protocol = C.int(hints.Protocol)

	var chost, cservice *C.char
	if host != "" {
		chost = C.CString(host)
		defer C.free(unsafe.Pointer(chost))
	}
	if service != "" {
		cservice = C.CString(service)
		defer C.free(unsafe.Pointer(cservice))
	}

	var res *C.struct_addrinfo
	rc, errno := C.getaddrinfo(chost, cservice, &chints, &res)
	if rc != 0 {
		return nil, eaiError(op, name, rc, errno)
	}
	defer C.freeaddrinfo(res)

	var out []AddrInfo
	for p := res; p != nil; p = p.ai_next {
		ai := AddrInfo{
			Flags:    fromSysFlags(aiFlagPairs, p.ai_flags),
			Family:   Family(p.ai_family),
			SockType: SockType(p.ai_socktype),
			Protocol: Protocol(p.ai_protocol),
			Addr:     addrFromC(p.ai_addr, p.ai_addrlen),
		}
		if len(out) == 0 && hints.Flags&AICanonName != 0 && p.ai_canonname != nil {
			ai.CanonName = C.GoString(p.ai_canonname)
		}
		out = append(out, ai)
	}
	return out, nil
}

// addrFromC converts a sockaddr from libc. Families other than inet, inet6
// and unix give the zero Addr.
func addrFromC(sa *C.struct_sockaddr, n C.socklen_t) Addr {
	if sa == nil {
		return Addr{}
	}
	switch sa.sa_family {
	case C.AF_INET:
		if uintptr(n) < unsafe.Sizeof(C.struct_sockaddr_in{}) {
			return Addr{}
		}
		sin := (*C.struct_sockaddr_in)(unsafe.Pointer(sa))
		ip := netip.AddrFrom4(*(*[4]byte)(unsafe.Pointer(&sin.sin_addr)))
		return Addr{ip: ip, port: uint16(netPort(unsafe.Pointer(&sin.sin_port)))}
	case C.AF_INET6:
		if uintptr(n) < unsafe.Sizeof(C.struct_sockaddr_in6{}) {
			return Addr{}
		}
		sin6 := (*C.struct_sockaddr_in6)(unsafe.Pointer(sa))
		return inet6Addr(*(*[16]byte)(unsafe.Pointer(&sin6.sin6_addr)), uint32(sin6.sin6_scope_id),
			netPort(unsafe.Pointer(&sin6.sin6_port)))
	case C.AF_UNIX:
		sun := (*C.struct_sockaddr_un)(unsafe.Pointer(sa))
		off := unsafe.Offsetof(sun.sun_path)
		size := min(uintptr(n), unsafe.Sizeof(*sun))
		if size <= off {
			return unixAddrFromPath(nil)
		}
		return unixAddrFromPath(C.GoBytes(unsafe.Pointer(&sun.sun_path[0]), C.int(size-off)))
	}
	return Addr{}
}

// getnameinfo calls libc's getnameinfo on a, an internet address.
func getnameinfo(ctx context.Context, a Addr, flags NIFlags) (host, service string, err error) {
	const op = "getnameinfo"
	name := a.String()
	if err := acquireLookup(ctx); err != nil {
		return "", "", err
	}
	defer releaseLookup()

	cflags, ok := toSysFlags(niFlagPairs, flags)
	if !ok {
		return "", "", eaiError(op, name, C.EAI_BADFLAGS, nil)
	}
	var (
		family C.int
		raw    [16]byte
		scope  uint32
	)
	if a.ip.Is4() {
		family = C.AF_INET
		v4 := a.ip.As4()
		copy(raw[:], v4[:])
	} else {
		family = C.AF_INET6
		raw = a.ip.As16()
		scope, err = zoneIndex(a.ip.Zone())
		if err != nil {
			return "", "", invalidf(op, "unknown zone in %s: %v", a, err)
		}
	}
	var hostBuf [1025]C.char // NI_MAXHOST
	var servBuf [32]C.char   // NI_MAXSERV
	rc, errno := C.sb_getnameinfo(family, unsafe.Pointer(&raw[0]), C.uint(a.port), C.uint(scope),
		&hostBuf[0], C.size_t(len(hostBuf)), &servBuf[0], C.size_t(len(servBuf)), cflags)
	if rc != 0 {
		return "", "", eaiError(op, name, rc, errno)
	}
	return C.GoString(&hostBuf[0]), C.GoString(&servBuf[0]), nil
}
