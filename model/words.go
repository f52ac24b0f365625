package model

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"sockbench/netcore"
)

// errText puts an error in words with its code: the EAI_ or errno name.
func errText(err error) string {
	var re *netcore.ResolveError
	if errors.As(err, &re) {
		text := fmt.Sprintf("%s (%s)", re.Msg, re.Code)
		if hint := eaiHint(re.Code); hint != "" {
			text += ": " + hint
		}
		return text
	}
	var ne *netcore.Error
	if errors.As(err, &ne) && ne.Class == netcore.ClassCancelled {
		return "cancelled"
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func eaiHint(code string) string {
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

// explainAttempt says in plain words what an attempt's outcome means.
func explainAttempt(r attemptRow) string {
	switch {
	case r.skipped:
		return "not tried: an earlier address connected, or a fatal error stopped the walk"
	case !r.started:
		return ""
	}
	unixFamily := r.ai.Family == netcore.FamilyUnix
	dgram := r.ai.SockType == netcore.SockDgram
	switch r.result {
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
		if r.errno == unix.ETIMEDOUT {
			return "the kernel gave up after its SYN retries: the SYNs or their replies were lost"
		}
		return "no answer within the timeout: the SYN or its reply was lost or dropped"
	}
	if text := explainErrno(r.errno, unixFamily); text != "" {
		return text
	}
	if r.err != nil {
		return "the system refused: " + errText(r.err)
	}
	return ""
}

// explainErrno says what a connect's errno means.
func explainErrno(errno unix.Errno, unixFamily bool) string {
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

// classWord names the class of a failed attempt the way netcore (and the
// egg) sorts them: transient and timeout failures move on to the next
// address, fatal ones stop a sequential walk.
func classWord(r attemptRow) string {
	switch {
	case !r.started || r.result == netcore.ResultCancelled || r.err == nil:
		return ""
	case r.class == netcore.ClassTransient:
		return "transient · "
	case r.class == netcore.ClassFatal:
		return "fatal · "
	}
	return ""
}
