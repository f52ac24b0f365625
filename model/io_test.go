package model

import (
	"fmt"
	"testing"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/ui"
)

// TestSyscallLogScrolls: home, the arrows and the page keys move the
// syscall log; end goes back to following the newest call.
func TestSyscallLogScrolls(t *testing.T) {
	d := newDriver(t, Config{}, 120, 40)
	trace := engine.NewTrace()
	for i := range 500 {
		trace.Add(netcore.Syscall{Name: "read", Args: fmt.Sprintf("call-%03d", i)})
	}
	o := newSyscallsOverlay(d.m.c, trace, "test")
	d.send(overlayMsg{o})
	h := ui.SyscallsHeight(d.m.layout.Body.H)
	if !d.screenHas("call-499") || d.screenHas("call-000") {
		t.Fatalf("not following the tail:\n%s", d.plain())
	}
	d.key("home")
	if o.follow || !d.screenHas("call-000") {
		t.Fatalf("home:\n%s", d.plain())
	}
	d.key("pgdown")
	if o.first() != h || !d.screenHas(fmt.Sprintf("call-%03d", h)) {
		t.Errorf("pgdown: top %d, want %d", o.first(), h)
	}
	d.key("down", "down", "up")
	if o.first() != h+1 {
		t.Errorf("down down up: top %d, want %d", o.first(), h+1)
	}
	d.key("pgup")
	if o.first() != 1 {
		t.Errorf("pgup: top %d, want 1", o.first())
	}
	d.key("end")
	if !o.follow || !d.screenHas("call-499") {
		t.Errorf("end:\n%s", d.plain())
	}
	d.key("esc")
	d.pumpUntil("the log to close", func() bool { return d.m.overlay == nil })
}
