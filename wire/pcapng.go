package wire

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ngFile writes a pcapng file of raw IP packets (link type 101: each
// packet starts with its IP header) on one interface, with nanosecond
// timestamps.
type ngFile struct {
	w       *pcapgo.NgWriter
	packets int
}

func newNgFile(w io.Writer, name, filter, comment string) (*ngFile, error) {
	intf := pcapgo.NgInterface{Name: name, Filter: filter, OS: runtime.GOOS, LinkType: layers.LinkTypeRaw,
		TimestampResolution: 9}
	info := pcapgo.NgSectionInfo{Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "sockbench", Comment: comment}
	ng, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.NgWriterOptions{SectionInfo: info})
	if err != nil {
		return nil, err
	}
	return &ngFile{w: ng}, nil
}

// write adds one packet of length bytes, of which data holds the first,
// with its direction and comments.
func (f *ngFile) write(t time.Time, data []byte, length int, dir Dir, comments []string) error {
	ci := gopacket.CaptureInfo{Timestamp: t, CaptureLength: len(data), Length: max(length, len(data))}
	opts := pcapgo.NgPacketOptions{Comments: comments}
	switch dir {
	case Out:
		opts.Flags = &pcapgo.NgEpbFlags{Direction: pcapgo.NgEpbFlagDirectionOutbound}
	case In:
		opts.Flags = &pcapgo.NgEpbFlags{Direction: pcapgo.NgEpbFlagDirectionInbound}
	}
	if err := f.w.WritePacketWithOptions(ci, data, opts); err != nil {
		return err
	}
	f.packets++
	return nil
}

// WritePcapng writes the packets kept so far to w as a pcapng file that
// Wireshark and tshark read: raw IP packets with the kernel's timestamps
// to the nanosecond, each marked inbound or outbound, and the capture's
// counters (packets the filter passed, packets lost) in the interface's
// statistics. Packets kept with their headers only are written so, with
// their original length. It returns the number of packets written.
//
// TCP and UDP checksums are as the kernel left them: on loopback they are
// not filled in (the kernel offloads them to a device that has nothing to
// check), which Wireshark reports only when asked to validate them.
func (c *Capture) WritePcapng(w io.Writer) (int, error) {
	c.mu.Lock()
	packets, stats, filter := c.packets[:len(c.packets):len(c.packets)], c.stats, c.filters[len(c.filters)-1]
	start, end := c.start, c.end
	c.mu.Unlock()
	if end.IsZero() {
		end = time.Now()
	}
	comment := fmt.Sprintf("captured by sockbench with an AF_PACKET socket; %d packets kept", stats.Kept)
	if stats.Truncated > 0 {
		comment += fmt.Sprintf(", %d of them cut to their first %d bytes", stats.Truncated, HeaderBytes)
	}
	if lost := stats.Dropped + stats.KernelDrops; lost > 0 {
		comment += fmt.Sprintf("; %d packets lost (%d past the packet limit, %d dropped by the kernel)", lost,
			stats.Dropped, stats.KernelDrops)
	}
	f, err := newNgFile(w, "any", filter.String(), comment)
	if err != nil {
		return 0, err
	}
	for _, p := range packets {
		if err := f.write(p.time, p.data, p.length, p.dir, nil); err != nil {
			return f.packets, err
		}
	}
	st := pcapgo.NgInterfaceStatistics{LastUpdate: end, StartTime: start, EndTime: end,
		PacketsReceived: uint64(stats.Seen), PacketsDropped: uint64(stats.Dropped + stats.KernelDrops)}
	if err := f.w.WriteInterfaceStats(0, st); err != nil {
		return f.packets, err
	}
	return f.packets, f.w.Flush()
}
