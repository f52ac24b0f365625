package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"sockbench/capture"
	"sockbench/themes"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestLayouts(t *testing.T) {
	full := ComputeLayout(120, 40, PanelLab)
	if full.Mode != ModeFull {
		t.Fatalf("120x40 mode %v", full.Mode)
	}
	for p := range NumPanels {
		r := full.Panels[p]
		if r.Empty() || r.X+r.W > 120 || r.Y+r.H > 38 {
			t.Errorf("%v at %+v", p, r)
		}
		for q := p + 1; q < NumPanels; q++ {
			if overlap(r, full.Panels[q]) {
				t.Errorf("%v and %v overlap", p, q)
			}
		}
	}
	if w := full.Inner(PanelHex).W; w < HexLineWidth(16) {
		t.Errorf("hex view %d wide, lines need %d", w, HexLineWidth(16))
	}
	tab := ComputeLayout(80, 24, PanelSockets)
	if tab.Mode != ModeTabbed || !tab.Visible(PanelSockets) || tab.Visible(PanelHex) {
		t.Errorf("80x24: %+v", tab)
	}
	hex := ComputeLayout(80, 24, PanelSend)
	if !hex.Visible(PanelHex) || !hex.Visible(PanelSend) || hex.Inner(PanelHex).W < HexLineWidth(16) {
		t.Errorf("80x24 hex page: %+v", hex.Panels)
	}
	if ComputeLayout(20, 5, PanelLab).Mode != ModeTooSmall {
		t.Error("20x5 is not too small")
	}
	if p, ok := tab.TabOf(1); !ok || p != PanelResolve {
		t.Errorf("tab at 1: %v %v", p, ok)
	}
}

func overlap(a, b Rect) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func TestHexRow(t *testing.T) {
	s := NewStyles(themes.MustGet("dark"))
	now := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	c := capture.Chunk{Dir: capture.Sent, Time: now, Offset: 16, Len: 5}
	head := ansi.Strip(s.HexRow(capture.Row{Header: true, Chunk: c, Offset: 16}, 16, nil))
	if !strings.Contains(head, "sent") || !strings.Contains(head, "03:04:05.000006") || !strings.Contains(head, "offset 16") {
		t.Errorf("header %q", head)
	}
	line := ansi.Strip(s.HexRow(capture.Row{Chunk: c, Offset: 16, Bytes: []byte("hello")}, 16, nil))
	want := "│ 00000010  68 65 6c 6c 6f" + strings.Repeat(" ", 11*3) + "  hello"
	if line != want {
		t.Errorf("line\n%q\nwant\n%q", line, want)
	}
	if w := ansi.StringWidth(line); w != HexLineWidth(16)-11 {
		t.Errorf("width %d", w)
	}
	all := make([]byte, 16)
	for i := range all {
		all[i] = byte(i * 17)
	}
	full := ansi.Strip(s.HexRow(capture.Row{Chunk: c, Bytes: all}, 16, nil))
	if ansi.StringWidth(full) != HexLineWidth(16) {
		t.Errorf("a full line is %d wide, want %d: %q", ansi.StringWidth(full), HexLineWidth(16), full)
	}
	if !strings.Contains(full, "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff") {
		t.Errorf("pairs %q", full)
	}
}

func TestHexRowBytes(t *testing.T) {
	for w, want := range map[int]int{79: 16, 80: 16, 118: 24, 198: 32, 300: 64, 40: 8} {
		if got := HexRowBytes(w); got != want {
			t.Errorf("HexRowBytes(%d) = %d, want %d", w, got, want)
		}
	}
	for _, n := range []int{8, 16, 24, 32, 48, 64} {
		if HexRowBytes(HexLineWidth(n)) != n || n > 8 && HexRowBytes(HexLineWidth(n)-1) >= n {
			t.Errorf("%d bytes need exactly %d cells", n, HexLineWidth(n))
		}
	}
}

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 1023: "1023B", 1024: "1.0K", 1536: "1.5K", 5 << 20: "5.0M", 3 << 30: "3.0G"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{90 * time.Microsecond: "90µs", 1500 * time.Microsecond: "1.50ms", 3 * time.Second: "3.00s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	if HexString([]byte("hi"), 8) != "68 69" || !strings.HasSuffix(HexString(make([]byte, 10), 4), "…") {
		t.Error("HexString")
	}
}

func TestBoxFitsExactly(t *testing.T) {
	s := NewStyles(themes.Mono)
	b := s.box(30, 5, "A very long title that does not fit", "info that is long too", "note", true,
		[]string{"short", strings.Repeat("wide ", 20)})
	lines := strings.Split(b, "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w != 30 {
			t.Errorf("line %q is %d wide", ansi.Strip(l), w)
		}
	}
}
