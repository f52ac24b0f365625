package cli

import "sockbench/netcore"

// parseTarget reads a TARGET with netcore.ParseTarget; a malformed one is
// a usage error with netcore's reason.
func parseTarget(s string) (netcore.Target, error) {
	t, err := netcore.ParseTarget(s)
	if err != nil {
		return t, &usageError{reasonText(err)}
	}
	return t, nil
}

// parseTargets reads each argument as a TARGET; there must be at least
// one.
func parseTargets(args []string) ([]netcore.Target, error) {
	if len(args) == 0 {
		return nil, usagef("no TARGET given")
	}
	targets := make([]netcore.Target, len(args))
	for i, arg := range args {
		t, err := parseTarget(arg)
		if err != nil {
			return nil, err
		}
		targets[i] = t
	}
	return targets, nil
}
