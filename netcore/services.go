//go:build !cgo || !(linux || darwin || freebsd)

// The services database is read only by the pure-Go resolver
// (resolve_nocgo.go); with cgo, libc reads it.

package netcore

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// servicesPath is the services database the pure-Go resolver reads.
var servicesPath = "/etc/services"

// serviceEntry is one line of a services file: "http 80/tcp www".
type serviceEntry struct {
	name    string
	port    int
	proto   string
	aliases []string
}

// serviceDB is a parsed services file, with the file's identity so that a
// changed file is read again.
type serviceDB struct {
	path    string
	size    int64
	modTime time.Time
	entries []serviceEntry
}

var (
	servicesMu    sync.Mutex
	servicesCache *serviceDB
)

// loadServices returns the entries of servicesPath, read again when the
// file changed. A missing or unreadable file is an empty database, as for
// libc.
func loadServices() []serviceEntry {
	path := servicesPath
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	servicesMu.Lock()
	defer servicesMu.Unlock()
	if c := servicesCache; c != nil && c.path == path && c.size == fi.Size() && c.modTime.Equal(fi.ModTime()) {
		return c.entries
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	servicesCache = &serviceDB{path: path, size: fi.Size(), modTime: fi.ModTime(), entries: parseServices(data)}
	return servicesCache.entries
}

// parseServices reads the services(5) format: a name, "port/protocol",
// then aliases; '#' starts a comment. Malformed lines are skipped.
func parseServices(data []byte) []serviceEntry {
	var out []serviceEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		portStr, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			continue
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			continue
		}
		out = append(out, serviceEntry{name: f[0], port: int(port), proto: proto, aliases: f[2:]})
	}
	return out
}

// servicePort looks a service name (or alias) up for a protocol such as
// "tcp", as getservbyname does: case-sensitively, first match wins.
func servicePort(entries []serviceEntry, name, proto string) (int, bool) {
	for _, e := range entries {
		if e.proto != proto {
			continue
		}
		if e.name == name {
			return e.port, true
		}
		for _, a := range e.aliases {
			if a == name {
				return e.port, true
			}
		}
	}
	return 0, false
}

// serviceName looks a port up for a protocol, as getservbyport does.
func serviceName(entries []serviceEntry, port int, proto string) (string, bool) {
	for _, e := range entries {
		if e.port == port && e.proto == proto {
			return e.name, true
		}
	}
	return "", false
}
