package model

import (
	"sockbench/explain"
	"sockbench/netcore"
)

// errText puts an error in words with its code (explain.Error).
func errText(err error) string { return explain.Error(err) }

// explainAttempt says in plain words what an attempt's outcome means.
func explainAttempt(r attemptRow) string {
	switch {
	case r.skipped:
		return "not tried: an earlier address connected, or a fatal error stopped the walk"
	case !r.started:
		return ""
	}
	return explain.Attempt(explain.Outcome{Family: r.ai.Family, SockType: r.ai.SockType, Result: r.result, Errno: r.errno, Err: r.err})
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
