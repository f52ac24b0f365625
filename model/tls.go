package model

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"sockbench/engine"
	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// tlsTimeout limits a handshake the workbench starts, unless the settings
// say otherwise.
const tlsTimeout = 10 * time.Second

// tlsSide is the side a socket takes in a handshake: the server on a
// connection it accepted, the client on any other.
func tlsSide(k *engine.Sock) tlsinfo.Side {
	if k.Role() == engine.RoleAccepted {
		return tlsinfo.SideServer
	}
	return tlsinfo.SideClient
}

// startTLSKey asks for the settings of a handshake on k, then starts it:
// STARTTLS, once the plaintext part has been spoken by hand.
func startTLSKey(c *common, k *engine.Sock) tea.Cmd {
	side := tlsSide(k)
	label := fmt.Sprintf("TLS client on #%d: enter verifies %s, or give sni=NAME alpn=h2,http/1.1 min=1.2 max=1.3 ca=FILE insecure timeout=10s:",
		k.ID(), c.serverName(k))
	if side == tlsinfo.SideServer {
		label = fmt.Sprintf("TLS server on #%d: enter serves a certificate made now for localhost and %s, or give cert=FILE key=FILE alpn=LIST min=1.2 max=1.3:",
			k.ID(), k.Local().Host())
	}
	return askLine(c, label, "", "enter for the defaults", 1024, func(line string) (tea.Cmd, error) {
		cfg, err := c.tlsConfig(k, side, line)
		if err != nil {
			return nil, err
		}
		if err := c.engine.StartTLS(k, side, cfg); err != nil {
			return nil, err
		}
		return c.info(fmt.Sprintf("#%d: TLS handshake as the %s…", k.ID(), side)), nil
	})
}

// serverName is the name a client handshake on k verifies by default: the
// host name typed for it, else its peer's address.
func (c *common) serverName(k *engine.Sock) string {
	if h := c.hosts[k]; h != "" {
		return h
	}
	return k.Peer().Host()
}

// tlsConfig is the configuration of a handshake on k: the settings line
// over the defaults. A client verifies serverName, trusting the lab's CA
// for the lab's own services; a server without a certificate gets one
// made now for the loopback names and its own address.
func (c *common) tlsConfig(k *engine.Sock, side tlsinfo.Side, line string) (tlsinfo.Config, error) {
	cfg, err := parseTLSSettings(line, side)
	if err != nil {
		return cfg, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = tlsTimeout
	}
	if side == tlsinfo.SideServer {
		if len(cfg.Certificates) == 0 {
			cert, err := tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "sockbench workbench", Names: serverNames(k)})
			if err != nil {
				return cfg, err
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		return cfg, nil
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.serverName(k)
	}
	if c.labRoots != nil {
		cfg.ExtraRoots = c.labRoots(k.Peer())
	}
	return cfg, nil
}

// serverNames are the names a generated server certificate covers.
func serverNames(k *engine.Sock) []string {
	names := []string{"localhost", "127.0.0.1", "::1"}
	if h := k.Local().Host(); h != "" && !slices.Contains(names, h) {
		names = append(names, h)
	}
	return names
}

// tlsWords are the words of the settings line, and the sides each is for.
var tlsWords = map[string][]tlsinfo.Side{
	"sni": {tlsinfo.SideClient}, "ca": {tlsinfo.SideClient}, "insecure": {tlsinfo.SideClient},
	"cert": {tlsinfo.SideServer}, "key": {tlsinfo.SideServer},
	"alpn": bothSides, "min": bothSides, "max": bothSides, "timeout": bothSides,
}

var bothSides = []tlsinfo.Side{tlsinfo.SideClient, tlsinfo.SideServer}

// parseTLSSettings reads a settings line: words such as sni=NAME,
// alpn=h2,http/1.1, min=1.2, max=1.3, ca=FILE, insecure, cert=FILE,
// key=FILE, timeout=10s, separated by spaces (a value takes the send
// line's escapes: \x20 for a space). Files are read now: anything wrong
// is bad input, found before the handshake.
func parseTLSSettings(line string, side tlsinfo.Side) (tlsinfo.Config, error) {
	var cfg tlsinfo.Config
	files := map[string]string{}
	for _, word := range strings.Fields(line) {
		name, value, _ := strings.Cut(word, "=")
		sides, known := tlsWords[name]
		switch {
		case !known:
			return cfg, fmt.Errorf("%s is not a TLS setting: sni, alpn, min, max, ca, insecure, cert, key or timeout", netcore.QuoteInput(name))
		case !slices.Contains(sides, side):
			return cfg, fmt.Errorf("%s is for a TLS %s, and this is a %s", name, sides[0], side)
		}
		v, err := unescape(value)
		if err == nil {
			err = setTLSWord(&cfg, files, name, v)
		}
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", name, err)
		}
	}
	if cfg.MinVersion != 0 && cfg.MaxVersion != 0 && cfg.MinVersion > cfg.MaxVersion {
		return cfg, fmt.Errorf("min %s is above max %s", tlsinfo.VersionName(cfg.MinVersion), tlsinfo.VersionName(cfg.MaxVersion))
	}
	return cfg, loadTLSFiles(&cfg, files)
}

// setTLSWord sets one word of the settings line; files keeps the names of
// the files to read.
func setTLSWord(cfg *tlsinfo.Config, files map[string]string, name, value string) error {
	var err error
	switch name {
	case "insecure":
		if value != "" {
			return errors.New("takes no value")
		}
		cfg.Insecure = true
	case "sni":
		cfg.ServerName, err = value, tlsinfo.CheckServerName(value)
	case "alpn":
		cfg.ALPN, err = tlsinfo.ParseALPN(value)
	case "min":
		cfg.MinVersion, err = tlsinfo.ParseVersion(value)
	case "max":
		cfg.MaxVersion, err = tlsinfo.ParseVersion(value)
	case "timeout":
		cfg.Timeout, err = parseTimeout(value)
		if err == nil && cfg.Timeout == 0 {
			err = errors.New("a handshake needs a limit: give one, such as 10s")
		}
	default: // ca, cert, key
		if value == "" {
			return errors.New("needs a FILE")
		}
		files[name] = value
	}
	return err
}

// loadTLSFiles reads the files the settings name.
func loadTLSFiles(cfg *tlsinfo.Config, files map[string]string) error {
	if ca, ok := files["ca"]; ok {
		roots, err := tlsinfo.LoadCAFile(ca)
		if err != nil {
			return fmt.Errorf("ca %s: %w", netcore.QuoteInput(ca), err)
		}
		cfg.Roots = roots
	}
	cert, hasCert := files["cert"]
	key, hasKey := files["key"]
	switch {
	case hasCert != hasKey:
		return errors.New("cert=FILE and key=FILE go together")
	case hasCert:
		pair, err := tlsinfo.LoadKeyPair(cert, key)
		if err != nil {
			return fmt.Errorf("cert and key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return nil
}

// tlsDone reports how a handshake went, in the status line.
func tlsDone(c *common, ev engine.TLSDone) tea.Cmd {
	k := ev.Sock
	if ev.Err != nil {
		return c.fail(fmt.Sprintf("#%d: TLS handshake failed: %s (H shows how far it got)", k.ID(), ev.Err))
	}
	summary := ev.Report.Summary()
	if ev.Report.Insecure {
		return c.warn(fmt.Sprintf("#%d: TLS %s; H shows the handshake", k.ID(), summary))
	}
	return c.okay(fmt.Sprintf("#%d: TLS established: %s; H shows the handshake and the certificates", k.ID(), summary))
}
