// Package explain puts what the network said into plain words, the same
// for the workbench and the command line: an error with its code and what
// it usually means, and what the outcome of a connection attempt tells.
//
// Its text may hold outside text (a name, a path, a system message): pass
// it through package safe before it reaches a terminal.
package explain

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

// Error returns err in words with its code. A failed lookup reads
// "resolve NAME: what went wrong (EAI_CODE): what that usually means"; a
// cancelled operation, "cancelled".
func Error(err error) string {
	if err == nil {
		return ""
	}
	var re *netcore.ResolveError
	if errors.As(err, &re) {
		text := fmt.Sprintf("%s (%s)", lowerFirst(re.Msg), re.Code)
		if hint := Lookup(re.Code); hint != "" {
			text += ": " + hint
		}
		if re.Name != "" && re.Op == "getaddrinfo" {
			text = "resolve " + re.Name + ": " + text
		}
		return text
	}
	if netcore.ClassOf(err) == netcore.ClassCancelled {
		return "cancelled"
	}
	return err.Error()
}

// lowerFirst lowercases a leading capital that starts an ordinary word, as
// in glibc's "Name or service not known", to sit inside a sentence.
func lowerFirst(s string) string {
	if len(s) >= 2 && 'A' <= s[0] && s[0] <= 'Z' && 'a' <= s[1] && s[1] <= 'z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

// Lookup says what a getaddrinfo error code usually means, or "".
func Lookup(code string) string {
	switch code {
	case "EAI_NONAME":
		return "no such host, or the service is unknown for this socket type"
	case "EAI_AGAIN":
		return "the name server did not answer in time; try again"
	case "EAI_SERVICE":
		return "that service is not known for this socket type (see /etc/services)"
	case "EAI_FAMILY":
		return "the address family is not supported for this name"
	case "EAI_SOCKTYPE":
		return "that socket type is not supported"
	case "EAI_BADFLAGS":
		return "that combination of flags is not allowed"
	case "EAI_NODATA", "EAI_ADDRFAMILY":
		return "the name exists but has no address of that family"
	case "EAI_FAIL":
		return "the name server failed for good"
	}
	return ""
}

// Outcome is what is known of one connection attempt.
type Outcome struct {
	Family   netcore.Family
	SockType netcore.SockType
	Result   netcore.Result
	Errno    unix.Errno
	Err      error
}

// Attempt says in plain words what an attempt's outcome means.
func Attempt(o Outcome) string {
	unixFamily := o.Family == netcore.FamilyUnix
	dgram := o.SockType == netcore.SockDgram
	switch o.Result {
	case netcore.ResultConnecting:
		if unixFamily {
			return "connecting to the socket file…"
		}
		if dgram {
			return "setting the default peer (UDP sends nothing to connect)…"
		}
		return "SYN sent, waiting for SYN-ACK…"
	case netcore.ResultConnected:
		switch {
		case dgram:
			return "UDP connect only sets the default peer: nothing was sent, nobody answered yet"
		case unixFamily:
			return "the listener accepted the connection into its queue"
		}
		return "the three-way handshake completed: SYN, SYN-ACK, ACK"
	case netcore.ResultCancelled:
		return "stopped: you cancelled (esc), or another address won the race"
	case netcore.ResultTimeout:
		if o.Errno == unix.ETIMEDOUT {
			return "the kernel gave up after its SYN retries: the SYNs or their replies were lost"
		}
		return "no answer within the timeout: the SYN or its reply was lost or dropped"
	}
	if text := Connect(o.Errno, unixFamily); text != "" {
		return text
	}
	if o.Err != nil {
		return "the system refused: " + Error(o.Err)
	}
	return ""
}

// Connect says what a connect's errno means.
func Connect(errno unix.Errno, unixFamily bool) string {
	switch errno {
	case unix.ECONNREFUSED:
		if unixFamily {
			return "the socket file exists but nothing is listening on it"
		}
		return "nothing is listening on that port (the peer answered with RST)"
	case unix.ENETUNREACH:
		return "no route to that network from this host (check the address family and the routes)"
	case unix.EHOSTUNREACH:
		return "the host cannot be reached: no route, or an ICMP host-unreachable came back"
	case unix.ENETDOWN:
		return "the network interface for that route is down"
	case unix.EACCES, unix.EPERM:
		return "forbidden: a firewall rule or a policy refused it (or a broadcast address without SO_BROADCAST)"
	case unix.EADDRNOTAVAIL:
		return "no local address or port available for that destination (ephemeral ports used up, or the address is not local)"
	case unix.EAFNOSUPPORT:
		return "this system does not support that address family"
	case unix.ENOENT:
		return "no socket file at that path"
	case unix.ECONNRESET:
		return "the peer reset the connection while it was being set up"
	case unix.EAGAIN:
		return "the listener's queue is full (UNIX sockets refuse rather than wait)"
	case unix.EPROTOTYPE:
		return "the socket at that path has another type (stream vs datagram)"
	}
	return ""
}
