//go:build !linux

package netcore

import "golang.org/x/sys/unix"

// fionread is FIONREAD of the BSDs and macOS, _IOR('f', 127, int), which
// golang.org/x/sys does not define there.
const fionread = 0x4004667f

// Queued returns how many received bytes wait in the kernel (FIONREAD);
// this system does not say how many sent ones do, so out is 0.
func (s *Socket) Queued() (in, out int, err error) {
	err = s.control(func(fd int) error {
		var e error
		in, e = unix.IoctlGetInt(fd, fionread)
		return e
	})
	if err != nil {
		return 0, 0, sysError("queued", Addr{}, err)
	}
	return in, 0, nil
}
