package netcore

import "golang.org/x/sys/unix"

// Queued returns how many bytes wait in the kernel: received and not yet
// read (SIOCINQ), and sent but not yet taken by the peer (SIOCOUTQ; for
// TCP, not yet acknowledged). A paused reader shows the first growing.
func (s *Socket) Queued() (in, out int, err error) {
	err = s.control(func(fd int) error {
		var e error
		if in, e = unix.IoctlGetInt(fd, unix.SIOCINQ); e != nil {
			return e
		}
		out, e = unix.IoctlGetInt(fd, unix.SIOCOUTQ)
		return e
	})
	if err != nil {
		return 0, 0, sysError("queued", Addr{}, err)
	}
	return in, out, nil
}
