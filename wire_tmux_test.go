package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"sockbench/wire"
)

// TestTmuxPacketTrails: with --capture-packets each attempt shows its own
// packets: the refuser's SYN answered by RST ACK, the black hole's SYN
// sent again and never answered, the echo's three-way handshake; the
// wire view shows the data going out and coming back, then the FIN
// exchange of the close.
func TestTmuxPacketTrails(t *testing.T) {
	if err := wire.Permitted(); err != nil {
		t.Skipf("%v: TestTmuxNoPacketsWithoutPermission covers this case", err)
	}
	s := startTmux(t, "--timeout", "2.5s", "--capture-packets")
	s.waitText("echo/tcp")

	s.useLab("refuser 4")
	s.waitText("1 row in")
	s.keys("c")
	s.waitText("▶ SYN  ◀ RST ACK")

	s.keys("Tab", "Tab")
	s.waitFor("the lab focus", func(sc string) bool { return strings.Contains(sc, "enter use as target") })
	s.useLab("blackhole 4")
	s.waitFor("the black hole's row", func(sc string) bool { return strings.Contains(sc, "a full accept queue") })
	s.keys("c")
	screen := s.waitText("◷ timeout")
	// Linux sends the SYN again after 1s: within the 2.5s timeout there
	// are two at least, and no answer.
	if !regexp.MustCompile(`▶ SYN ×[2-9]`).MatchString(screen) || strings.Contains(screen, "◀ SYN ACK") {
		t.Errorf("black hole's packets:\n%s", screen)
	}

	s.keys("Tab", "Tab")
	s.waitFor("the lab focus", func(sc string) bool { return strings.Contains(sc, "enter use as target") })
	s.useLab("echo/tcp 4")
	s.waitText("1 row in")
	s.keys("c")
	s.waitText("▶ SYN  ◀ SYN ACK  ▶ ACK")
	s.waitText("type and press enter to send")
	s.text("hello")
	s.keys("Enter", "Escape")
	s.waitFor("the traffic focus", func(sc string) bool { return strings.Contains(sc, "v hex/text/wire") })
	s.keys("v", "v")
	screen = s.waitFor("the data both ways in the wire view", func(sc string) bool {
		return strings.Count(sc, "PSH ACK") >= 2 && strings.Contains(sc, "len 7")
	})
	if !strings.Contains(screen, "▶ PSH ACK") || !strings.Contains(screen, "◀ PSH ACK") {
		t.Errorf("wire view:\n%s", screen)
	}

	// Close it (from the sockets panel): the FIN exchange follows the data.
	s.keys("BTab", "BTab")
	s.waitFor("the sockets focus", func(sc string) bool { return strings.Contains(sc, "enter type to send • l listen") })
	s.keys("x")
	screen = s.waitFor("the FIN exchange", func(sc string) bool {
		return strings.Contains(sc, "▶ FIN ACK") && strings.Contains(sc, "◀ FIN ACK")
	})
	if psh, fin := strings.LastIndex(screen, "PSH ACK"), strings.Index(screen, "FIN ACK"); psh >= 0 && fin < psh {
		t.Errorf("the FIN before the data:\n%s", screen)
	}
}

// TestTmuxNoPacketsWithoutPermission runs the workbench without
// CAP_NET_RAW (setpriv drops it): the attempt says why there are no
// packets and how to have them.
func TestTmuxNoPacketsWithoutPermission(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot drop CAP_NET_RAW")
	}
	s := startTmuxWith(t, []string{setpriv, "--bounding-set=-net_raw", "--inh-caps=-net_raw"}, "--capture-packets")
	s.waitText("echo/tcp")
	s.useLab("refuser 4")
	s.waitText("1 row in")
	s.keys("c")
	s.waitText("ECONNREFUSED")
	s.waitText("no packets: packet capture needs CAP_NET_RAW")
}
