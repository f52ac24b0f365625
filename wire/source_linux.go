package wire

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// captureBuffer is the receive buffer asked for the packet socket: a burst
// of 64 KiB loopback segments fills the default one (about 200 KiB) at
// once. In BenchmarkLoopbackTransfer (a TCP flood at about 1.5 GB/s) 8 MiB
// lost about one packet in ten, 32 MiB almost none. It is kernel memory
// used only while packets wait. Without CAP_NET_ADMIN the kernel's
// rmem_max caps it.
const captureBuffer = 32 << 20

// batchSize is the most packets read before the capture tells its
// watchers, so that a flood does not keep them waiting.
const batchSize = 256

// packetSocket is an AF_PACKET socket of type SOCK_DGRAM bound to every
// interface: it sees each packet from its IP header on, whatever the link,
// once the kernel's filter has passed it. It runs on the Go runtime's
// poller, so that stopping it wakes its reader.
type packetSocket struct {
	file     *os.File
	rc       syscall.RawConn
	buf, oob []byte
	stopping atomic.Bool
	readErr  error // a read failure other than "nothing more"; the reader's own
	drops    atomic.Int64
}

// Permitted reports whether a capture can start here: nil, or
// ErrNoCapNetRaw without the permission to capture.
func Permitted() error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return packetSocketError(err)
	}
	return unix.Close(fd)
}

// packetSocketError says why a packet socket could not be made.
func packetSocketError(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return ErrNoCapNetRaw
	}
	return fmt.Errorf("wire: packet socket: %w", err)
}

func openSource(f Filter, snap uint32) (source, error) {
	loopbacks, err := loopbackIndexes()
	if err != nil {
		return nil, err
	}
	prog, err := f.program(snap, loopbacks)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, packetSocketError(err)
	}
	// Protocol 0 receives nothing until bind names one: the filter is in
	// place before the first packet.
	if err := setup(fd, prog); err != nil {
		unix.Close(fd)
		return nil, err
	}
	ensureStamps()
	file := os.NewFile(uintptr(fd), "packet capture")
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &packetSocket{file: file, rc: rc, buf: make([]byte, fullSnap), oob: make([]byte, unix.CmsgSpace(64))}, nil
}

// setup attaches the filter, asks for kernel timestamps and a large
// buffer, and binds the socket to every interface and protocol.
func setup(fd int, prog []bpf.Instruction) error {
	if err := attach(fd, prog); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("wire: SO_TIMESTAMPNS: %w", err)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, captureBuffer) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, captureBuffer) // capped, not refused
	}
	all := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}
	if err := unix.Bind(fd, all); err != nil {
		return fmt.Errorf("wire: bind the packet socket: %w", err)
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// attach gives the socket its filter; a second one replaces the first at
// once.
func attach(fd int, prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("wire: assemble the filter: %w", err)
	}
	code := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		code[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(code)), Filter: &code[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		return fmt.Errorf("wire: attach the filter: %w", err)
	}
	return nil
}

// loopbackIndexes returns the indexes of the loopback interfaces, where
// the kernel shows each packet twice.
func loopbackIndexes() ([]int, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("wire: list the interfaces: %w", err)
	}
	var out []int
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 {
			out = append(out, ifc.Index)
		}
	}
	return out, nil
}

func (s *packetSocket) run(keep func(time.Time, []byte, int), batch func()) error {
	var err error
	for !s.stopping.Load() && s.readErr == nil {
		err = s.rc.Read(func(fd uintptr) bool { return s.readBatch(int(fd), keep) })
		if err != nil {
			break
		}
		batch()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil // stopped
	}
	// What the kernel queued before stop is part of the capture.
	_ = s.rc.Control(func(fd uintptr) {
		for s.readErr == nil {
			if !s.readBatch(int(fd), keep) {
				break
			}
		}
	})
	batch()
	s.kernelDrops()
	s.file.Close()
	if err == nil {
		err = s.readErr
	}
	return err
}

// readBatch reads up to batchSize packets; it reports whether it read any
// (false: wait until there are some).
func (s *packetSocket) readBatch(fd int, keep func(time.Time, []byte, int)) bool {
	for n := 0; n < batchSize; n++ {
		size, oobn, _, _, err := unix.Recvmsg(fd, s.buf, s.oob, unix.MSG_TRUNC)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			return n > 0
		case err != nil:
			s.readErr = fmt.Errorf("wire: read a packet: %w", err)
			return true
		}
		keep(timestamp(s.oob[:oobn]), s.buf[:min(size, len(s.buf))], size)
	}
	return true
}

// timestamp is the time the kernel stamped on a packet (SO_TIMESTAMPNS),
// or now if it stamped none.
func timestamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Now()
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS &&
			len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(int64(ts.Sec), int64(ts.Nsec))
		}
	}
	return time.Now()
}

func (s *packetSocket) stop() {
	s.stopping.Store(true)
	_ = s.file.SetReadDeadline(time.Now()) // fails once closed: then nothing waits
}

func (s *packetSocket) setFilter(f Filter, snap uint32) error {
	loopbacks, err := loopbackIndexes()
	if err != nil {
		return err
	}
	prog, err := f.program(snap, loopbacks)
	if err != nil {
		return err
	}
	var attachErr error
	if err := s.rc.Control(func(fd uintptr) { attachErr = attach(int(fd), prog) }); err != nil {
		return err
	}
	return attachErr
}

// kernelDrops returns the packets the kernel dropped so far. Reading the
// kernel's counters resets them, so they are added up here.
func (s *packetSocket) kernelDrops() int64 {
	_ = s.rc.Control(func(fd uintptr) {
		if st, err := unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
			s.drops.Add(int64(st.Drops))
		}
	})
	return s.drops.Load()
}
