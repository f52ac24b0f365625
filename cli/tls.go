package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"sockbench/netcore"
	"sockbench/tlsinfo"
)

// DefaultTLSTimeout limits a handshake (and a STARTTLS dialogue before
// it) unless --tls-timeout says otherwise.
const DefaultTLSTimeout = 10 * time.Second

// tlsFlags are the TLS flags of connect (the client's) and listen (the
// server's).
type tlsFlags struct {
	on       bool
	sni      string
	alpn     []string
	min, max uint16
	insecure bool
	caFile   stringFlag
	starttls string
	certFile stringFlag
	keyFile  stringFlag
	timeout  time.Duration
}

// clientOnly and serverOnly are the TLS flags of one side; the others are
// both sides'.
var (
	clientOnly = []string{"sni", "insecure", "ca", "starttls"}
	serverOnly = []string{"cert", "key"}
	tlsShared  = []string{"alpn", "tls-min", "tls-max", "tls-timeout"}
)

func (f *tlsFlags) register(fs *flag.FlagSet, side tlsinfo.Side) {
	fs.BoolVar(&f.on, "tls", false, "speak TLS once connected (or accepted)")
	fs.Func("alpn", "offer (connect) or accept (listen) the application `PROTOCOLS`, such as h2,http/1.1", f.setALPN)
	versionFlag(fs, &f.min, "tls-min", "the lowest TLS `VERSION`: 1.0, 1.1, 1.2 or 1.3 (default 1.2)")
	versionFlag(fs, &f.max, "tls-max", "the highest TLS `VERSION` (default 1.3)")
	durationFlag(fs, &f.timeout, "tls-timeout", DefaultTLSTimeout,
		"limit the handshake (and a STARTTLS dialogue) to `DUR` (default 10s); 0 waits for ever")
	if side == tlsinfo.SideServer {
		fs.Var(&f.certFile, "cert", "serve the certificate (and its chain) in the PEM `FILE` (default: a generated one, printed)")
		fs.Var(&f.keyFile, "key", "the private key of --cert, in the PEM `FILE`")
		return
	}
	fs.Func("sni", "the server `NAME` to send and to verify (default: the host name of the TARGET)", f.setSNI)
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the server's certificate (the report says what verifying would have found)")
	fs.Var(&f.caFile, "ca", "trust the certificates in the PEM `FILE` instead of the system's roots")
	fs.Func("starttls", "speak `PROTO`'s plaintext dialogue first, then upgrade: smtp, imap or pop3 (implies --tls)", f.setStartTLS)
}

func (f *tlsFlags) setSNI(s string) error {
	if err := tlsinfo.CheckServerName(s); err != nil {
		return err
	}
	f.sni = s
	return nil
}

func (f *tlsFlags) setALPN(s string) error {
	list, err := tlsinfo.ParseALPN(s)
	f.alpn = list
	return err
}

func (f *tlsFlags) setStartTLS(s string) error {
	if !slices.Contains(tlsinfo.StartTLSProtocols, s) {
		return fmt.Errorf("%s is not one of %s", netcore.QuoteInput(s), strings.Join(tlsinfo.StartTLSProtocols, ", "))
	}
	f.starttls, f.on = s, true
	return nil
}

func versionFlag(fs *flag.FlagSet, v *uint16, name, usage string) {
	fs.Func(name, usage, func(s string) error {
		version, err := tlsinfo.ParseVersion(s)
		*v = version
		return err
	})
}

// check refuses TLS flags without TLS, and TLS where it cannot go.
func (f *tlsFlags) check(fs *flag.FlagSet, typ netcore.SockType) error {
	for _, name := range slices.Concat(clientOnly, serverOnly, tlsShared) {
		if !f.on && flagGiven(fs, name) {
			return usagef("--%s needs --tls", name)
		}
	}
	switch {
	case !f.on:
		return nil
	case typ != netcore.SockStream:
		return usagef("TLS needs a stream socket, not --type %s", typ)
	case f.min != 0 && f.max != 0 && f.min > f.max:
		return usagef("--tls-min %s is above --tls-max %s", tlsinfo.VersionName(f.min), tlsinfo.VersionName(f.max))
	case f.certFile.set != f.keyFile.set:
		return usagef("--cert and --key go together")
	}
	return nil
}

// config is the settings the flags give, with the CA file read: anything
// wrong with it is bad input, found before connecting.
func (f *tlsFlags) config() (tlsinfo.Config, error) {
	cfg := tlsinfo.Config{ServerName: f.sni, ALPN: f.alpn, MinVersion: f.min, MaxVersion: f.max,
		Insecure: f.insecure, Timeout: f.timeout}
	if !f.caFile.set {
		return cfg, nil
	}
	if f.caFile.value == "" {
		return cfg, usagef("--ca needs a FILE")
	}
	roots, err := tlsinfo.LoadCAFile(f.caFile.value)
	if err != nil {
		return cfg, inputf("cannot read --ca %s: %s", netcore.QuoteInput(f.caFile.value), fileErrorText(err))
	}
	cfg.Roots = roots
	return cfg, nil
}

// needsName refuses a target that gives TLS no name to verify, when
// verifying and no --sni names one: a UNIX socket, or the empty host.
func (f *tlsFlags) needsName(targets []netcore.Target) error {
	if !f.on || f.insecure || f.sni != "" {
		return nil
	}
	for _, t := range targets {
		if t.IsUnix || t.Host == "" {
			return usagef("%s has no host name for TLS to verify: give --sni NAME, or --insecure", netcore.QuoteInput(t.String()))
		}
	}
	return nil
}

// serverCertificate is the certificate listen serves: the files named,
// or one generated for the loopback names and the host listened on.
func (f *tlsFlags) serverCertificate(host string) (cert tls.Certificate, generated bool, err error) {
	if f.certFile.set {
		cert, err = tlsinfo.LoadKeyPair(f.certFile.value, f.keyFile.value)
		if err != nil {
			return cert, false, inputf("cannot load --cert and --key: %s", fileErrorText(err))
		}
		return cert, false, nil
	}
	names := []string{"localhost", "127.0.0.1", "::1"}
	if host != "" && !slices.Contains(names, host) && host != "0.0.0.0" && host != "::" {
		names = append(names, host)
	}
	cert, err = tlsinfo.SelfSigned(tlsinfo.CertSpec{CommonName: "sockbench listen", Names: names})
	return cert, true, err
}

// clientHandshake speaks the STARTTLS dialogue, if asked, then shakes
// hands as a client on a connected socket, reporting each line and the
// handshake.
func clientHandshake(ctx context.Context, f *tlsFlags, cfg tlsinfo.Config, sock *netcore.Socket, rep reporter) (*tlsinfo.Session, error) {
	var pending []byte
	if f.starttls != "" {
		var err error
		dialogue := netcore.WithCallTimeout(ctx, f.timeout)
		if pending, err = tlsinfo.StartTLS(dialogue, sock, f.starttls, rep.starttls); err != nil {
			rep.failed(err)
			return nil, err
		}
	}
	return reportedUpgrade(ctx, sock, pending, tlsinfo.SideClient, cfg, rep)
}

// reportedUpgrade runs a handshake and reports it, whatever its end.
func reportedUpgrade(ctx context.Context, sock *netcore.Socket, pending []byte, side tlsinfo.Side, cfg tlsinfo.Config, rep reporter) (*tlsinfo.Session, error) {
	sess, err := tlsinfo.Upgrade(ctx, sock, pending, side, cfg)
	if sess != nil {
		rep.handshake(sess.Report)
	}
	return sess, err
}

// tlsFailed ends a command after a failed STARTTLS or handshake: one line
// on stderr, unless the reports already go there and said it, and the
// exit status (1, or 130 when interrupted).
func (e *env) tlsFailed(plan *exchangePlan, err error) int {
	if e.ctx.Err() != nil {
		return exitInterrupted
	}
	if plan.reportWriter(e) != e.stderr {
		prefix := "sockbench: TLS handshake failed: "
		var dialogue *tlsinfo.StartTLSError
		if errors.As(err, &dialogue) {
			prefix = "sockbench: "
		}
		fmt.Fprintln(e.stderr, prefix+errorText(err))
	}
	if code := exitCodeOf(err); code == exitUsage {
		return code
	}
	return exitNetwork
}
