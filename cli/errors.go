package cli

import (
	"errors"
	"fmt"

	"sockbench/explain"
	"sockbench/netcore"
	"sockbench/safe"
)

// usageError is a command line that does not say what to do: an unknown
// flag, a missing or malformed argument. It ends the command with status 2
// and a pointer to -h.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// inputError is a well-formed command line naming unusable input: a bad
// escape or hex digit, a file that cannot be read or created. It ends the
// command with status 2.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func inputf(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

func isUsageError(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// badHintCodes are the getaddrinfo failures that blame the hints given,
// not the network.
var badHintCodes = map[string]bool{"EAI_FAMILY": true, "EAI_SOCKTYPE": true, "EAI_BADFLAGS": true}

// exitCodeOf maps an error to the exit status: 2 for bad usage or input
// (including netcore's ClassInvalid and getaddrinfo's complaints about the
// hints), 130 for an interruption, 1 for anything the network said.
func exitCodeOf(err error) int {
	var u *usageError
	var in *inputError
	var re *netcore.ResolveError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u), errors.As(err, &in):
		return exitUsage
	case errors.As(err, &re) && badHintCodes[re.Code]:
		return exitUsage
	}
	switch netcore.ClassOf(err) {
	case netcore.ClassInvalid:
		return exitUsage
	case netcore.ClassCancelled:
		return exitInterrupted
	}
	return exitNetwork
}

// errorText is err's message, safe to print: it may hold names, paths and
// system strings from outside.
func errorText(err error) string { return safe.Text(messageOf(err)) }

// messageOf is err's message as it is, for JSON (which escapes it): in
// the words explain.Error gives it, which the workbench uses too.
func messageOf(err error) string { return explain.Error(err) }

// reasonText is the message of a netcore ClassInvalid error without its
// operation prefix, for use inside a sentence of our own.
func reasonText(err error) string {
	var ne *netcore.Error
	if errors.As(err, &ne) && ne.Class == netcore.ClassInvalid && ne.Err != nil {
		return ne.Err.Error()
	}
	return err.Error()
}
