package model

import (
	"errors"
	"fmt"
	"strings"

	"sockbench/netcore"
	"sockbench/payload"
)

// The addresses and targets people type into the workbench's fields and
// prompts.

// targetOf reads the resolve fields as a TARGET: a host and a service,
// "unix:PATH" in the host field, or the whole TARGET in the host field.
// The fields take the send line's escapes (\x1b, \\), so that a name or a
// path with any byte in it can be typed, and shown safely.
func targetOf(hostField, serviceField string) (netcore.Target, error) {
	host, err := payload.ParseText(strings.TrimSpace(hostField))
	if err != nil {
		return netcore.Target{}, fmt.Errorf("host: %w", err)
	}
	service, err := payload.ParseText(strings.TrimSpace(serviceField))
	if err != nil {
		return netcore.Target{}, fmt.Errorf("service: %w", err)
	}
	return targetOfText(string(host), string(service))
}

func targetOfText(host, service string) (netcore.Target, error) {
	if strings.HasPrefix(host, "unix:") {
		return netcore.ParseTarget(host)
	}
	if service == "" {
		if strings.Contains(host, ":") {
			return netcore.ParseTarget(host)
		}
		return netcore.Target{}, errors.New("no service: type a port number or a name such as echo or http")
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return netcore.ParseTarget("[" + host + "]:" + service)
	}
	return netcore.ParseTarget(host + ":" + service)
}

// parseListenAddr reads the listener prompt: an address, a bare port, or
// empty for the default. A path may hold escapes (\x1b).
func parseListenAddr(field, def string) (netcore.Addr, error) {
	s, err := unescape(strings.TrimSpace(field))
	if err != nil {
		return netcore.Addr{}, err
	}
	if s == "" {
		s = def
	}
	if isDigits(s) {
		s = "127.0.0.1:" + s
	}
	return netcore.ParseAddr(s)
}

// parseUDPSpec reads "LOCAL", "LOCAL -> PEER" or "-> PEER".
func parseUDPSpec(s string) (local, peer netcore.Addr, err error) {
	s = strings.TrimSpace(s)
	l, r, hasPeer := strings.Cut(s, "->")
	local, err = parseListenAddr(l, "127.0.0.1:0")
	if err != nil || !hasPeer {
		return
	}
	if r, err = unescape(strings.TrimSpace(r)); err != nil {
		return
	}
	if isDigits(r) {
		r = "127.0.0.1:" + r
	}
	peer, err = netcore.ParseAddr(r)
	if err == nil && peer.Family() != local.Family() {
		if local.IP().IsLoopback() && peer.Family() == netcore.FamilyInet6 && strings.TrimSpace(l) == "" {
			local, _ = netcore.ParseAddr("[::1]:0")
		} else {
			err = fmt.Errorf("the local address %s and the peer %s are of different families", local, peer)
		}
	}
	return
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
