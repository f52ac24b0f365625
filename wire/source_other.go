//go:build !linux

package wire

func openSource(Filter, uint32) (source, error) { return nil, ErrUnsupported }
