//go:build !linux

package wire

func openSource(Filter, uint32) (source, error) { return nil, ErrUnsupported }

// Permitted reports whether a capture can start here: ErrUnsupported.
func Permitted() error { return ErrUnsupported }
