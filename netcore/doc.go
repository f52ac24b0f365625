// Package netcore is the socket API of sockbench: the CHICKEN socket egg and
// chibi-scheme's (chibi net) expressed in Go on golang.org/x/sys/unix.
//
// Every socket is non-blocking at the OS level and registered with the Go
// runtime poller, so a blocked call parks a goroutine, never an OS thread.
// Blocking happens only inside netcore, bounded by per-socket timeouts in the
// egg's style (connect and accept: none; receive and send: 60 s), each of
// which limits one wait, and by the caller's context.
//
// Errors are *Error values carrying the operation, the address, the errno and
// a Class (transient, timeout, fatal, unsupported, cancelled, invalid) that
// works with errors.Is:
//
//	if errors.Is(err, netcore.ClassTransient) { /* try the next address */ }
//
// The package knows nothing of any user interface: callers observe it through
// the Dialer's attempt events and the per-socket system-call trace.
package netcore
