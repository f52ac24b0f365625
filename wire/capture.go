package wire

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrNoCapNetRaw is what Start returns when the process may not capture
// packets. Its message is one line that says how to allow it.
var ErrNoCapNetRaw = errors.New("packet capture needs CAP_NET_RAW: run as root, or grant it with " +
	"sudo setcap cap_net_raw+ep $(which sockbench)")

// ErrUnsupported is what Start returns where packet capture is not
// implemented (anywhere but Linux).
var ErrUnsupported = errors.New("packet capture works on Linux only")

// Limits of a capture.
const (
	// DefaultMaxBytes is how many bytes of packets a capture keeps whole
	// unless told otherwise.
	DefaultMaxBytes = 64 << 20
	// DefaultMaxPackets is how many packets a capture keeps unless told
	// otherwise.
	DefaultMaxPackets = 100_000
	// HeaderBytes is how much of a packet a capture keeps once MaxBytes is
	// reached: enough for the IP and TCP headers with every option, and for
	// an ICMP error's quote.
	HeaderBytes = 256
)

// Config describes a capture.
type Config struct {
	Filter Filter
	// MaxBytes is how many bytes of packets are kept whole; past it each
	// packet keeps its first HeaderBytes only, so the segments go on
	// while the memory stays bounded. 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxPackets is how many packets are kept; past it packets are only
	// counted (Stats.Dropped). 0 means DefaultMaxPackets.
	MaxPackets int
	// Notify, if set, is called from the capture's goroutine each time new
	// packets have been kept. It must not block.
	Notify func()
}

// Stats counts what a capture saw.
type Stats struct {
	Seen        int64 // packets the filter passed
	Kept        int   // packets kept
	Bytes       int64 // bytes of the packets kept
	Truncated   int64 // packets kept cut short: with their headers only (MaxBytes reached)
	Dropped     int64 // packets not kept (MaxPackets reached)
	KernelDrops int64 // packets the kernel dropped: the capture's buffer was full
}

// packet is one kept packet, from its IP header on.
type packet struct {
	time   time.Time
	data   []byte // fewer than length bytes when cut short
	length int
	dir    Dir
}

// source is where a capture's packets come from: a packet socket.
type source interface {
	// run hands each packet to keep, and calls batch after each batch,
	// until stop; then it hands over the packets already queued and
	// returns the error that ended it early, if any.
	run(keep func(t time.Time, data []byte, length int), batch func()) error
	stop()
	setFilter(f Filter, snap uint32) error
	kernelDrops() int64
}

// Capture is a running (or stopped) packet capture. Its methods are safe
// for concurrent use.
type Capture struct {
	cfg  Config
	src  source
	done chan struct{} // closed once the reader has returned

	mu      sync.Mutex
	filters []Filter // every filter set, the newest last
	packets []packet
	segs    []Segment
	stats   Stats
	an      *analyzer
	dec     *decoder
	headers bool          // MaxBytes reached: keep headers only
	cut     bool          // the kernel was told to keep headers only
	changed chan struct{} // closed when packets arrive or the capture ends
	runErr  error
	start   time.Time
	end     time.Time
}

// Start starts capturing the packets that cfg.Filter describes, before it
// returns: a connect made after Start has its SYN captured. It fails with
// ErrNoCapNetRaw without the permission to capture, and ErrUnsupported
// where capturing is not implemented.
func Start(cfg Config) (*Capture, error) {
	if err := cfg.Filter.check(); err != nil {
		return nil, err
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxPackets <= 0 {
		cfg.MaxPackets = DefaultMaxPackets
	}
	src, err := openSource(cfg.Filter, fullSnap)
	if err != nil {
		return nil, err
	}
	c := &Capture{cfg: cfg, src: src, done: make(chan struct{}), filters: []Filter{cfg.Filter}, an: newAnalyzer(),
		dec: newDecoder(), changed: make(chan struct{}), start: time.Now()}
	go c.read()
	return c, nil
}

func (c *Capture) read() {
	err := c.src.run(c.keep, c.batch)
	c.mu.Lock()
	c.runErr, c.end = err, time.Now()
	c.stats.KernelDrops = c.src.kernelDrops()
	c.wakeLocked()
	c.mu.Unlock()
	close(c.done)
}

// keep stores one packet and describes it.
func (c *Capture) keep(t time.Time, data []byte, length int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Seen++
	if len(c.packets) >= c.cfg.MaxPackets {
		c.stats.Dropped++
		return
	}
	if c.headers || c.stats.Bytes+int64(len(data)) > c.cfg.MaxBytes {
		c.headers = true
		data = data[:min(len(data), HeaderBytes)]
	}
	p := packet{time: t, data: append([]byte(nil), data...), length: length}
	seg := c.describe(&p)
	c.packets = append(c.packets, p)
	c.segs = append(c.segs, seg)
	c.stats.Kept++
	c.stats.Bytes += int64(len(p.data))
	if len(p.data) < p.length {
		c.stats.Truncated++
	}
}

// describe parses a packet and makes its segment, setting its direction.
func (c *Capture) describe(p *packet) Segment {
	h, err := c.dec.decode(p.data)
	if err != nil {
		return Segment{Index: len(c.packets), Time: p.time, Length: p.length, Captured: len(p.data),
			WindowShift: -1, Meaning: "not parsed: " + err.Error()}
	}
	p.length = max(p.length, h.ipLen) // the kernel cut it short
	for i := len(c.filters) - 1; i >= 0 && p.dir == DirUnknown; i-- {
		p.dir = c.filters[i].direction(&h)
	}
	s := c.an.segment(&h, p.time, p.dir)
	s.Index, s.Captured = len(c.packets), len(p.data)
	return s
}

// batch runs after each batch of packets: it tells the kernel to cut
// packets short once MaxBytes is reached, and wakes those who wait.
func (c *Capture) batch() {
	c.mu.Lock()
	c.stats.KernelDrops = c.src.kernelDrops()
	switchSnap := c.headers && !c.cut
	c.cut = c.headers
	f := c.filters[len(c.filters)-1]
	c.wakeLocked()
	c.mu.Unlock()
	if switchSnap {
		_ = c.src.setFilter(f, HeaderBytes) // a failure costs memory copies only: keep() cuts too
	}
	if c.cfg.Notify != nil {
		c.cfg.Notify()
	}
}

func (c *Capture) wakeLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// SetFilter replaces the filter, in the kernel at once. Use it to narrow a
// capture started before the local port was known (a connect) once it is.
// Packets already queued under the old filter are still kept. The
// protocol cannot change.
func (c *Capture) SetFilter(f Filter) error {
	if err := f.check(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.Proto != c.cfg.Filter.Proto {
		return errors.New("wire: a capture's protocol cannot change")
	}
	snap := uint32(fullSnap)
	if c.headers {
		snap = HeaderBytes
	}
	if err := c.src.setFilter(f, snap); err != nil {
		return err
	}
	c.filters = append(c.filters, f)
	return nil
}

// Filter returns the filter in force.
func (c *Capture) Filter() Filter {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.filters[len(c.filters)-1]
}

// Stop ends the capture once the packets already queued for it are kept,
// and returns the error that ended it early, if any. The packets stay.
// Stop may be called more than once.
func (c *Capture) Stop() error {
	c.src.stop()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runErr
}

// Stopped reports whether the capture has ended.
func (c *Capture) Stopped() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Len returns the number of packets kept.
func (c *Capture) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.segs)
}

// Segments returns the segments of the packets kept from index from on,
// in the order the kernel saw them. Kept packets are never dropped, so an
// index names a packet for good: a view polls with the count it has.
func (c *Capture) Segments(from int) []Segment {
	c.mu.Lock()
	defer c.mu.Unlock()
	if from < 0 || from >= len(c.segs) {
		return nil
	}
	return append([]Segment(nil), c.segs[from:]...)
}

// Changed returns a channel that is closed when packets arrive after the
// call, or the capture ends.
func (c *Capture) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Stats returns the capture's counters.
func (c *Capture) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Settle waits until every TCP connection the capture saw has ended (a
// reset, or both FINs acknowledged), or no packet has arrived for quiet,
// or ctx is done, or the capture has stopped. Call it after closing a
// socket, before Stop, to capture the end of its conversation: the last
// packets may reach the capture a little after close returns.
func (c *Capture) Settle(ctx context.Context, quiet time.Duration) {
	for {
		c.mu.Lock()
		ended, changed := c.an.ended(), c.changed
		c.mu.Unlock()
		if ended || c.Stopped() {
			return
		}
		timer := time.NewTimer(quiet)
		select {
		case <-changed:
			timer.Stop()
		case <-timer.C:
			return
		case <-ctx.Done():
			timer.Stop()
			return
		}
	}
}
