//go:build !cgo || !(linux || darwin || freebsd)

package netcore

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets of the pure-Go resolver's parsers, built where it is
// (CGO_ENABLED=0): the numeric hosts getaddrinfo reads itself, the service
// number and the services file. scripts/fuzz.sh runs them without cgo.
// Their checks compare with strconv and net/netip, which read numbers and
// addresses by their own code.

// cNumber is what one part of an inet_aton address may be: hex after
// 0x, octal after 0, else decimal.
var cNumber = regexp.MustCompile(`^(?:0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$`)

// wantCNumber reads a part with strconv: its value and whether it is one
// inet_aton takes (a C unsigned long that fits 32 bits).
func wantCNumber(s string) (uint64, bool) {
	m := cNumber.FindStringSubmatch(s)
	var v uint64
	var err error
	switch {
	case m == nil:
		return 0, false
	case m[1] != "":
		v, err = strconv.ParseUint(m[1], 16, 32)
	case m[3] != "":
		v, err = strconv.ParseUint(m[3], 10, 32)
	case m[2] != "":
		v, err = strconv.ParseUint(m[2], 8, 32)
	}
	return v, err == nil
}

// wantInetAton puts the parts together as inet_aton does: all but the
// last are single bytes, the last fills the bytes left.
func wantInetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var addr uint64
	for i, p := range parts {
		v, ok := wantCNumber(p)
		last := i == len(parts)-1
		if !ok || !last && v > 255 || last && v >= 1<<(8*(4-i)) {
			return netip.Addr{}, false
		}
		if last {
			addr = addr<<(8*(4-i)) | v
		} else {
			addr = addr<<8 | v
		}
	}
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true
}

// FuzzNumericHost: the three readers of a numeric host (parseInetAton,
// its parts with parseCNumber, parseInet6Scoped) agree with strconv and
// net/netip on every text, and numericHost's text of an IPv6 address
// reads back as the same address.
func FuzzNumericHost(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		for _, part := range strings.Split(s, ".") {
			v, ok := parseCNumber(part)
			if wv, wok := wantCNumber(part); ok != wok || ok && v != wv {
				t.Fatalf("parseCNumber(%q) = %d, %v; want %d, %v", part, v, ok, wv, wok)
			}
		}
		ip, ok := parseInetAton(s)
		if want, wok := wantInetAton(s); ok != wok || ip != want {
			t.Fatalf("parseInetAton(%q) = %v, %v; want %v, %v", s, ip, ok, want, wok)
		}
		checkInet6Scoped(t, s)
	})
}

// checkInet6Scoped checks parseInet6Scoped against netip.ParseAddr.
func checkInet6Scoped(t *testing.T, s string) {
	ip, isV6, ok := parseInet6Scoped(s)
	addrPart, scope, hasScope := strings.Cut(s, "%")
	plain, err := netip.ParseAddr(addrPart)
	if wantV6 := err == nil && plain.Is6(); isV6 != wantV6 {
		t.Fatalf("parseInet6Scoped(%q): isV6 %v, but netip says %v", s, isV6, wantV6)
	}
	if ok && (!isV6 || ip.WithZone("") != plain) {
		t.Fatalf("parseInet6Scoped(%q) = %v, not the address %v", s, ip, plain)
	}
	if isV6 && !hasScope && !ok {
		t.Fatalf("parseInet6Scoped(%q) refused an address without a scope", s)
	}
	if n, err := strconv.ParseUint(scope, 10, 32); isV6 && hasScope && err == nil && strings.Trim(scope, "0123456789") == "" {
		if !ok {
			t.Fatalf("parseInet6Scoped(%q) refused the scope number %d", s, n)
		}
	}
	if !ok {
		return
	}
	text := numericHost(ip)
	if back, backV6, backOK := parseInet6Scoped(text); !backV6 || !backOK || back != ip {
		t.Fatalf("parseInet6Scoped(%q) = %v, written %q, which reads back as %v, %v, %v", s, ip, text, back, backV6, backOK)
	}
}

// serviceNumber is the text strtoul reads whole: blanks, a sign, digits.
var serviceNumber = regexp.MustCompile(`^[ \t\n\v\f\r]*([+-]?)([0-9]+)$`)

// FuzzParseServiceNumber: the service text reads as a number exactly when
// strtoul would take all of it, and its value is strtoul's, kept in an int.
func FuzzParseServiceNumber(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		num, parsed := parseServiceNumber(s)
		m := serviceNumber.FindStringSubmatch(s)
		if parsed != (m != nil) {
			t.Fatalf("parseServiceNumber(%q): parsed %v", s, parsed)
		}
		if m == nil {
			return
		}
		v, err := strconv.ParseUint(m[2], 10, 64)
		switch {
		case err != nil:
			v = ^uint64(0) // strtoul's ULONG_MAX on overflow, sign or not
		case m[1] == "-":
			v = -v
		}
		if want := int(int32(uint32(v))); num != want {
			t.Fatalf("parseServiceNumber(%q) = %d, want %d", s, num, want)
		}
	})
}

// FuzzParseServices: every entry it reads is a well-formed line, written
// out again it reads back the same, and a lookup by name finds it.
func FuzzParseServices(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		entries := parseServices(data)
		if len(entries) > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d entries from %d lines", len(entries), strings.Count(string(data), "\n")+1)
		}
		var again strings.Builder
		for _, e := range entries {
			fields := append([]string{e.name, fmt.Sprintf("%d/%s", e.port, e.proto)}, e.aliases...)
			for _, field := range fields {
				if field == "" || strings.ContainsAny(field, "#") || len(strings.Fields(field)) != 1 {
					t.Fatalf("entry %+v: field %q", e, field)
				}
			}
			if e.port < 0 || e.port > 65535 || e.proto == "" {
				t.Fatalf("entry %+v: port out of range or no protocol", e)
			}
			if _, ok := servicePort(entries, e.name, e.proto); !ok {
				t.Fatalf("servicePort(%q, %q) does not find entry %+v", e.name, e.proto, e)
			}
			if _, ok := serviceName(entries, e.port, e.proto); !ok {
				t.Fatalf("serviceName(%d, %q) does not find entry %+v", e.port, e.proto, e)
			}
			again.WriteString(strings.Join(fields, " ") + "\n")
		}
		back := parseServices([]byte(again.String()))
		if fmt.Sprint(back) != fmt.Sprint(entries) {
			t.Fatalf("entries %+v written out read back as %+v", entries, back)
		}
	})
}
